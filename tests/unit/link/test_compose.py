"""Composed names: a term's own modifiers crossed with its heads, under two guards."""

from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.link.compose import composed_names, split_name, with_composed_names
from kgdecide.link.config import LinkerConfig
from kgdecide.link.lexicon import DERIVED_PROPERTY, NameKind, node_names
from kgdecide.link.linker import Linker
from kgdecide.types import Node

SCHWANNOMA = Node("HP:2", "T", "Schwannoma", ("Neurinoma", "Neurilemmoma"))
VESTIBULAR = Node("HP:3", "T", "Vestibular schwannoma", ("Acoustic neuroma", "Vestibular neurinoma"))


def test_names_split_into_head_and_modifier() -> None:
    assert split_name("Acoustic neuroma") == ("pre", "neuroma", "Acoustic")
    assert split_name("Tumors of the central nervous system") == ("of", "Tumors", "the central nervous system")


def test_of_names_cross_with_of_names_only() -> None:
    found = composed_names(["Neoplasm of the CNS", "Tumors of the central nervous system", "CNS neoplasm"])
    assert "Tumors of the CNS" in found and "Neoplasm of the central nervous system" in found
    assert not any(n.startswith("CNS") for n in found)


def test_heads_must_name_an_ancestor() -> None:
    nodes = with_composed_names([SCHWANNOMA, VESTIBULAR], [(), (0,)])
    derived = nodes[1].properties[DERIVED_PROPERTY]
    # "neurinoma" names the parent; "neuroma" does not (in this graph), so no "Vestibular neuroma".
    assert "Acoustic neurinoma" in derived and "Vestibular neuroma" not in derived
    assert DERIVED_PROPERTY not in nodes[0].properties


def test_general_modifiers_are_not_crossed() -> None:
    # "Severe" starting many names of the graph makes it too general to move between heads.
    fillers = [Node(f"HP:{i + 10}", "T", f"Severe thing{i}", ()) for i in range(40)]
    perio = Node("HP:4", "T", "Severe periodontitis", ("Severe gum disease",))
    disease = Node("HP:5", "T", "Periodontitis", ("Gum disease",))
    nodes = with_composed_names([disease, perio, *fillers], [(), (0,), *[()] * 40])
    assert DERIVED_PROPERTY not in nodes[1].properties


def test_composed_names_are_derived_and_never_replace_a_graph_name() -> None:
    other = Node("HP:6", "T", "Acoustic neurinoma", ())  # a graph name wins over a composed one
    nodes = with_composed_names([SCHWANNOMA, VESTIBULAR, other], [(), (0,), ()])
    kinds = dict(node_names(nodes[1]))
    assert "Acoustic neurinoma" not in kinds
    assert kinds.get("Acoustic schwannoma") is NameKind.DERIVED


def test_the_linker_links_a_composed_name_with_a_lower_score() -> None:
    builder = GraphBuilder("compose")
    builder.add_node("HP:2", "PhenotypicFeature", "Schwannoma", ["Neurinoma"])
    builder.add_node("HP:3", "PhenotypicFeature", "Vestibular schwannoma",
                     ["Acoustic neuroma", "Vestibular neurinoma"])
    builder.add_edge("HP:3", "is_a", "HP:2")
    store = EmbeddedStore(builder.build())
    composed = Linker.from_store(store, LinkerConfig(multilingual=False))
    [m] = composed.link("Bilateral acoustic neurinomas.").mentions
    assert (m.text, m.node_id) == ("acoustic neurinomas", "HP:3")
    assert m.score < composed.link("Acoustic neuroma.").mentions[0].score
    plain = Linker.from_store(store, LinkerConfig(multilingual=False, compose=False))
    assert [m.node_id for m in plain.link("Bilateral acoustic neurinomas.").mentions] == ["HP:2"]
