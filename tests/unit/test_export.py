"""N-Triples export: reading the file back gives the same nodes, labels and edges."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kgdecide.export import export_ntriples
from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.ingest import IngestOptions
from kgdecide.ingest.rdf import read_ntriples


def _sample() -> EmbeddedStore:
    b = GraphBuilder("t")
    b.add_node("HP:0001250", "PhenotypicFeature", 'Seizure "fit"', ("Seizures", "Fits\nnewline"),
               {"definition": "An episode.", "score": 0.25})
    b.add_node("OMIM:619340", "Disease", "DEE96", properties={"source": ("OMIM", "HPO")})
    b.add_node("gene 42", "Gene", "A2M")
    b.add_node("X:1", "owl:Class")
    b.add_edge("OMIM:619340", "has_phenotype", "HP:0001250", {"frequency": 0.5})
    b.add_edge("HP:0001250", "is_a", "HP:0000118")
    b.add_edge("OMIM:619340", "skos:exactMatch", "https://example.org/d/1")
    b.add_edge("OMIM:619340", "associated_gene", "gene 42")
    return EmbeddedStore(b.build())


def test_ntriples_round_trip(tmp_path: Path) -> None:
    store = _sample()
    [path] = export_ntriples(store, tmp_path / "g.nt")
    assert len(list(ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES))) > 10  # valid RDF
    builder = GraphBuilder("again")
    read_ntriples(builder, path, IngestOptions())
    again = EmbeddedStore(builder.build())

    def nodes(s: EmbeddedStore) -> set:  # type: ignore[type-arg]
        return {(n.id, n.type, n.label, frozenset(n.synonyms), frozenset(
            (k, v) for k, v in n.properties.items())) for n in s.iter_nodes()}

    def edges(s: EmbeddedStore) -> set:  # type: ignore[type-arg]
        return {(e.subject, e.relation, e.object) for e in s.iter_edges()}

    assert nodes(again) == nodes(store)
    assert edges(again) == edges(store)


def test_edge_properties_are_not_in_rdf(tmp_path: Path) -> None:
    [path] = export_ntriples(_sample(), tmp_path / "g.nt")
    assert "0.5" not in path.read_text()
