"""Elided conjuncts: "palmar and plantar pits", "cleft lip or palate"."""

from kgdecide.link.coordination import expand_coordinations
from kgdecide.link.lexicon import Lexicon
from kgdecide.link.text import tokenize
from kgdecide.types import Node

NODES = [
    Node("HP:1", "T", "Palmar pits", ()), Node("HP:2", "T", "Plantar pits", ()),
    Node("HP:3", "T", "Cleft lip", ()), Node("HP:4", "T", "Cleft palate", ()),
    Node("HP:5", "T", "Renal agenesis", ()), Node("HP:6", "T", "Renal hypoplasia", ()),
    Node("HP:7", "T", "Ear anomaly", ()), Node("HP:8", "T", "Eye anomaly", ()),
    Node("HP:9", "T", "Kidney anomaly", ()), Node("HP:10", "T", "Renal cyst", ()),
    Node("HP:11", "T", "Renal hypertension", ()),
]


def _expanded(text: str) -> list[tuple[str, str]]:
    lexicon = Lexicon.from_nodes(NODES)
    tokens = tokenize(text)
    keys = [t.key for t in tokens]
    hits = lexicon.find(tokens, keys, text)
    new = expand_coordinations(hits, tokens, keys, text, lambda k: lexicon.entries.get(" ".join(k)))
    return sorted((text[tokens[h.first].start:tokens[h.last].end], lexicon.ids[h.entries[0].row])
                  for h in new)


def test_shared_head() -> None:
    assert _expanded("palmar and plantar pits") == [("palmar and plantar pits", "HP:1")]
    assert _expanded("palmar and/or plantar pits") == [("palmar and/or plantar pits", "HP:1")]


def test_shared_head_over_a_list() -> None:
    assert _expanded("eye, ear and kidney anomalies") == [
        ("ear and kidney anomalies", "HP:7"), ("eye, ear and kidney anomalies", "HP:8")]


def test_shared_modifier() -> None:
    assert _expanded("cleft lip or palate") == [("cleft lip or palate", "HP:4")]
    assert _expanded("renal hypoplasia/agenesis") == [("renal hypoplasia/agenesis", "HP:5")]


def test_a_comma_list_without_conjunction_is_not_a_coordination() -> None:
    assert _expanded("renal cysts, hypertension") == []


def test_other_words_or_hyphens_break_it() -> None:
    assert _expanded("palmar skin plantar pits") == []
    assert _expanded("palmar-plantar pits") == []


def test_a_list_whose_last_item_names_nothing_still_yields_its_other_items() -> None:
    from kgdecide.graph.builder import GraphBuilder
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.link.config import LinkerConfig
    from kgdecide.link.linker import Linker

    b = GraphBuilder("lists")
    b.add_node("HP:0000077", "PhenotypicFeature", "Abnormality of the kidney", ["Renal anomalies"])
    b.add_node("HP:0000478", "PhenotypicFeature", "Abnormality of the eye", ["Ocular anomalies"])
    linker = Linker.from_store(EmbeddedStore(b.build()), LinkerConfig(multilingual=False))
    text = "The family shows ocular, renal, and auditory anomalies."
    found = {(m.text, m.node_id) for m in linker.link(text).mentions}
    assert found == {("ocular, renal, and auditory anomalies", "HP:0000478"),
                     ("renal, and auditory anomalies", "HP:0000077")}
