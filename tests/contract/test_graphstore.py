"""What every GraphStore backend must answer, on the graph in ``graphs.py``."""

from __future__ import annotations

import pytest

from kgdecide.errors import InvalidQuery, NodeNotFound
from kgdecide.graph.store import GraphStore
from kgdecide.types import Direction, Path


def test_is_a_graphstore(store: GraphStore) -> None:
    assert isinstance(store, GraphStore)
    assert store.version.startswith("contract/v1/")


def test_get_node_returns_every_field(store: GraphStore) -> None:
    node = store.get_node("HP:0001250")
    assert (node.id, node.type, node.label) == ("HP:0001250", "PhenotypicFeature", "Seizure")
    assert node.synonyms == ("Seizures", "Fits")
    assert node.properties["definition"] == "A sudden surge of electrical activity."
    assert node.properties["alt_ids"] == ("HP:0002279",)
    assert store.get_node("ORPHA:300").properties["prevalence"] == pytest.approx(0.0001)


def test_unknown_node_raises_node_not_found_naming_it(store: GraphStore) -> None:
    with pytest.raises(NodeNotFound) as excinfo:
        store.get_node("HP:0000000")
    assert "HP:0000000" in str(excinfo.value)
    with pytest.raises(NodeNotFound, match="OMIM:404"):
        store.get_nodes(["HP:0001250", "OMIM:404"])
    with pytest.raises(NodeNotFound):
        store.neighbors("OMIM:404")


def test_get_nodes_keeps_order(store: GraphStore) -> None:
    ids = ["OMIM:100200", "HP:0000001", "NCBIGene:1"]
    assert [n.id for n in store.get_nodes(ids)] == ids


def test_has_node(store: GraphStore) -> None:
    assert store.has_node("MONDO:0000001")
    assert not store.has_node("MONDO:404")


def test_endpoint_only_node_is_untyped(store: GraphStore) -> None:
    node = store.get_node("MONDO:0000001")
    assert (node.type, node.label, node.synonyms) == ("Entity", "", ())


def test_neighbors_by_relation_and_direction(store: GraphStore) -> None:
    assert store.neighbors("OMIM:100100", "has_phenotype") == ("HP:0001250", "HP:0001263")
    assert store.neighbors("HP:0001250", "has_phenotype", Direction.IN) == ("OMIM:100100", "ORPHA:300")
    assert store.neighbors("HP:0001250", "lacks_phenotype", Direction.IN) == ("ORPHA:300",)
    assert store.neighbors("HP:0001250") == ("HP:0000118",)
    assert store.neighbors("HP:0001250", direction=Direction.BOTH) == (
        "HP:0000118", "OMIM:100100", "ORPHA:300")
    assert store.neighbors("HP:9999999", direction=Direction.BOTH) == ()


def test_neighbors_filtered_by_type(store: GraphStore) -> None:
    assert store.neighbors("OMIM:100200", "has_phenotype", node_type="PhenotypicFeature") == (
        "HP:0000252", "HP:0001263")
    assert store.neighbors("OMIM:100200", direction=Direction.BOTH, node_type="Gene") == ("NCBIGene:1",)
    assert store.neighbors("OMIM:100200", node_type="NoSuchType") == ()


def test_unknown_relation_is_an_invalid_query_listing_known_ones(store: GraphStore) -> None:
    with pytest.raises(InvalidQuery, match="has_phenotype"):
        store.neighbors("OMIM:100100", "has_phenotpye")


def test_edges_carry_properties(store: GraphStore) -> None:
    edges = {e.object: e for e in store.edges("OMIM:100100", "has_phenotype")}
    seizure = edges["HP:0001250"]
    assert seizure.subject == "OMIM:100100" and seizure.relation == "has_phenotype"
    assert seizure.properties["frequency"] == pytest.approx(0.9)
    assert seizure.properties["evidence"] == "PCS"
    assert seizure.properties["publications"] == ("PMID:1", "PMID:2")
    assert "frequency" not in {e.object: e for e in store.edges("OMIM:100200")}["HP:0001263"].properties


def test_parallel_edges_of_two_relations_are_both_kept(store: GraphStore) -> None:
    incoming = store.edges("HP:0001250", direction=Direction.IN)
    from_orpha = sorted(e.relation for e in incoming if e.subject == "ORPHA:300")
    assert from_orpha == ["has_phenotype", "lacks_phenotype"]


def test_edges_in_both_directions_keep_stored_orientation(store: GraphStore) -> None:
    edges = store.edges("OMIM:100200", direction=Direction.BOTH)
    triples = {(e.subject, e.relation, e.object) for e in edges}
    assert ("NCBIGene:1", "gene_associated_with_condition", "OMIM:100200") in triples
    assert ("MONDO:0000001", "related_to", "OMIM:100200") in triples
    assert ("OMIM:100200", "has_phenotype", "MONDO:0000001") in triples
    assert len(edges) == 5


def test_nodes_by_type(store: GraphStore) -> None:
    assert store.nodes_by_type("Disease") == ("OMIM:100100", "OMIM:100200", "ORPHA:300")
    assert store.nodes_by_type("Gene") == ("NCBIGene:1",)
    assert store.nodes_by_type("Nothing") == ()


def test_iter_nodes_and_edges_cover_the_graph(store: GraphStore) -> None:
    assert len(list(store.iter_nodes())) == 11
    assert {n.id for n in store.iter_nodes("Disease")} == {"OMIM:100100", "OMIM:100200", "ORPHA:300"}
    assert len(list(store.iter_edges())) == 14
    assert len(list(store.iter_edges("is_a"))) == 4


def test_lookup_by_label_and_synonym(store: GraphStore) -> None:
    assert store.lookup("seizure") == ("HP:0001250",)
    assert store.lookup("  SMALL   head ") == ("HP:0000252",)
    assert set(store.lookup("fits")) == {"HP:0001250", "HP:0000252"}
    assert store.lookup("EEA", node_type="Disease") == ("OMIM:100100",)
    assert store.lookup("EEA", node_type="Gene") == ()
    assert store.lookup("no such thing") == ()


def test_counts(store: GraphStore) -> None:
    counts = store.counts()
    assert dict(counts.nodes_by_type) == {"Disease": 3, "Entity": 1, "Gene": 1, "PhenotypicFeature": 6}
    assert dict(counts.edges_by_relation) == {
        "gene_associated_with_condition": 2, "has_phenotype": 6, "is_a": 4,
        "lacks_phenotype": 1, "related_to": 1}
    assert (counts.nodes, counts.edges) == (11, 14)


def test_subgraph_k_hops(store: GraphStore) -> None:
    one = store.subgraph(["OMIM:100100"], hops=1)
    assert {n.id for n in one.nodes} == {"OMIM:100100", "HP:0001250", "HP:0001263", "NCBIGene:1"}
    assert {(e.subject, e.relation, e.object) for e in one.edges} == {
        ("OMIM:100100", "has_phenotype", "HP:0001250"),
        ("OMIM:100100", "has_phenotype", "HP:0001263"),
        ("NCBIGene:1", "gene_associated_with_condition", "OMIM:100100"),
    }
    zero = store.subgraph(["OMIM:100100"], hops=0)
    assert [n.id for n in zero.nodes] == ["OMIM:100100"] and zero.edges == ()
    # Hops follow edges either way: two is_a hops up and back down reach the siblings.
    only_is_a = store.subgraph(["HP:0001250"], hops=2, relations=["is_a"])
    assert {n.id for n in only_is_a.nodes} == {
        "HP:0001250", "HP:0000118", "HP:0000001", "HP:0000252", "HP:0001263"}
    assert {e.relation for e in only_is_a.edges} == {"is_a"} and len(only_is_a.edges) == 4


def test_subgraph_refuses_to_grow_past_max_nodes(store: GraphStore) -> None:
    with pytest.raises(InvalidQuery, match="max_nodes"):
        store.subgraph(["OMIM:100100"], hops=3, max_nodes=3)


def test_shortest_paths_follow_edges_both_ways(store: GraphStore) -> None:
    paths = store.shortest_paths("OMIM:100100", "OMIM:100200")
    assert set(paths) == {
        Path(("OMIM:100100", "HP:0001263", "OMIM:100200"), ("has_phenotype", "has_phenotype"), (True, False)),
        Path(("OMIM:100100", "NCBIGene:1", "OMIM:100200"),
             ("gene_associated_with_condition", "gene_associated_with_condition"), (False, True)),
    }


def test_shortest_paths_with_parallel_edges_list_each_relation(store: GraphStore) -> None:
    paths = store.shortest_paths("ORPHA:300", "HP:0001250")
    assert {p.relations for p in paths} == {("has_phenotype",), ("lacks_phenotype",)}


def test_shortest_paths_respect_limits_and_filters(store: GraphStore) -> None:
    assert store.shortest_paths("HP:9999999", "HP:0001250") == ()
    assert store.shortest_paths("OMIM:100100", "OMIM:100200", max_hops=1) == ()
    assert len(store.shortest_paths("OMIM:100100", "OMIM:100200", limit=1)) == 1
    via_phenotypes = store.shortest_paths("OMIM:100100", "OMIM:100200", relations=["has_phenotype"])
    assert [p.nodes for p in via_phenotypes] == [("OMIM:100100", "HP:0001263", "OMIM:100200")]
    assert store.shortest_paths("HP:0001250", "HP:0001250") == (Path(("HP:0001250",), (), ()),)


def test_projection_matches_the_store(store: GraphStore) -> None:
    graph = store.projection()
    assert len(graph) == 11
    a = graph.adjacency("has_phenotype")
    s, o = graph.row("OMIM:100100"), graph.row("HP:0001250")
    assert a[s, o] == 1
    frequency = graph.relations["has_phenotype"].columns["frequency"].values
    position = a.indptr[s] + list(a.indices[a.indptr[s] : a.indptr[s + 1]]).index(o)
    assert frequency[position] == pytest.approx(0.9)
