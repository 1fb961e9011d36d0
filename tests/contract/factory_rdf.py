"""The RDF backend for the GraphStore contract suite: an Oxigraph store on disk."""

from __future__ import annotations

from pathlib import Path

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.rdf import RdfStore


def make_store(graph: ArrayGraph, tmp_path: Path) -> RdfStore:
    """Written in kgdecide's RDF shape, then read back by a store opened afresh, so the contract
    covers the triples on disk and not a cache of the graph given."""
    writer = RdfStore.from_path(tmp_path / "rdf")
    writer.write_graph(graph)
    del writer  # Oxigraph holds a lock on the directory while a store is open
    import gc

    gc.collect()
    return RdfStore.from_path(tmp_path / "rdf")
