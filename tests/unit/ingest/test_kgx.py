"""KGX TSV: reading either file order, the Biolink mapping, and export -> ingest round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgdecide.errors import IngestError
from kgdecide.export import export_kgx
from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.ingest import IngestOptions
from kgdecide.ingest.kgx import read_kgx


def _graph(*paths: Path) -> EmbeddedStore:
    builder = GraphBuilder("t")
    for path in paths:
        read_kgx(builder, path, IngestOptions())
    return EmbeddedStore(builder.build())


def _everything(store: EmbeddedStore) -> tuple[set, set]:  # type: ignore[type-arg]
    nodes = {(n.id, n.type, n.label, n.synonyms, tuple(sorted(n.properties.items())))
             for n in store.iter_nodes()}
    edges = {(e.subject, e.relation, e.object, tuple(sorted(e.properties.items())))
             for e in store.iter_edges()}
    return nodes, edges


def test_reads_nodes_and_edges_in_either_order(fixtures_dir: Path) -> None:
    nodes, edges = fixtures_dir / "kgx" / "tiny_nodes.tsv", fixtures_dir / "kgx" / "tiny_edges.tsv"
    assert _everything(_graph(nodes, edges)) == _everything(_graph(edges, nodes))


def test_biolink_mapping(fixtures_dir: Path) -> None:
    store = _graph(fixtures_dir / "kgx" / "tiny_nodes.tsv", fixtures_dir / "kgx" / "tiny_edges.tsv")
    seizure = store.get_node("HP:0001250")
    assert (seizure.type, seizure.label, seizure.synonyms) == (
        "PhenotypicFeature", "Seizure", ("Seizures", "Epileptic seizure"))
    assert seizure.properties["definition"].startswith("An intermittent")
    assert seizure.properties["xref"] == ("UMLS:C0036572",)
    gene = store.get_node("NCBIGene:2")
    assert gene.type == "Gene" and gene.properties["category"] == ("biolink:Protein",)
    assert store.get_node("HP:0000118").type == "Entity"  # only seen as an edge endpoint
    [phenotype] = store.edges("OMIM:619340", "has_phenotype")
    assert phenotype.object == "HP:0001250"
    assert phenotype.properties["frequency"] == 0.5
    assert phenotype.properties["publications"] == ("PMID:1", "PMID:2")
    assert phenotype.properties["primary_knowledge_source"] == "infores:omim"
    assert store.neighbors("HP:0001250", "is_a") == ("HP:0000118",)
    assert store.neighbors("OMIM:619340", "gene_associated_with_condition") == ("NCBIGene:2",)
    assert store.neighbors("OMIM:619340", "biolink:treats") == ("HP:0000118",)


def test_export_then_ingest_gives_the_same_graph(fixtures_dir: Path, tmp_path: Path) -> None:
    store = _graph(fixtures_dir / "kgx" / "tiny_nodes.tsv", fixtures_dir / "kgx" / "tiny_edges.tsv")
    nodes, edges = export_kgx(store, tmp_path / "out")
    assert (nodes.name, edges.name) == ("out_nodes.tsv", "out_edges.tsv")
    assert _everything(_graph(nodes, edges)) == _everything(store)


def test_round_trip_keeps_our_own_types_relations_and_odd_values(tmp_path: Path) -> None:
    builder = GraphBuilder("t")
    builder.add_node("X:1", "Pathway", "tab\there", ("a",), {"note": 'quote " and\nnewline', "n": 2.5})
    builder.add_node("X:2", "owl:Class")
    builder.add_edge("X:1", "treats", "X:2", {"source": "me", "publications": ("PMID:9",)})
    store = EmbeddedStore(builder.build())
    again = _graph(*export_kgx(store, tmp_path / "g"))
    assert _everything(again) == _everything(store)


def test_unrecognised_header_and_short_row(tmp_path: Path) -> None:
    odd = tmp_path / "odd.tsv"
    odd.write_text("a\tb\n1\t2\n")
    with pytest.raises(IngestError, match="neither a KGX nodes header"):
        _graph(odd)
    short = tmp_path / "short_edges.tsv"
    short.write_text("subject\tpredicate\tobject\nA:1\tbiolink:related_to\tA:2\nA:1\tbiolink:related_to\n")
    with pytest.raises(IngestError) as caught:
        _graph(short)
    assert caught.value.line == 3
