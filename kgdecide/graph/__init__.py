"""Graph stores: one :class:`~kgdecide.graph.store.GraphStore` protocol, one module per backend."""

from __future__ import annotations

import os

from kgdecide.graph.store import GraphStore
from kgdecide.settings import Settings

__all__ = ["GraphStore", "is_neo4j_uri", "is_rdf_store", "open_store"]

#: URI schemes that name a Neo4j server rather than an embedded store.
NEO4J_SCHEMES = frozenset({"bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"})


def is_neo4j_uri(store: str) -> bool:
    """True when a ``--store`` value names a Neo4j server rather than an embedded store.

    >>> is_neo4j_uri("bolt://localhost:7687"), is_neo4j_uri("neo4j+s://x"), is_neo4j_uri("clinical")
    (True, True, False)
    """
    return store.split("://", 1)[0] in NEO4J_SCHEMES


def is_rdf_store(store: str) -> bool:
    """True when a ``--store`` value names an RDF (Oxigraph) store directory: ``rdf:DIR``.

    >>> is_rdf_store("rdf:/data/kg"), is_rdf_store("rdf:"), is_rdf_store("clinical")
    (True, False, False)
    """
    return store.startswith("rdf:") and len(store) > len("rdf:")


def open_store(settings: Settings, store: str) -> GraphStore:
    """The store a ``--store`` value names: a Neo4j URI (``bolt://host:7687``, credentials from
    ``KGDECIDE_NEO4J_USER``/``KGDECIDE_NEO4J_PASSWORD``), an RDF store directory (``rdf:DIR``),
    or an embedded store's name or path."""
    if is_rdf_store(store):
        from kgdecide.graph.rdf import open_rdf_store

        return open_rdf_store(store)
    if is_neo4j_uri(store):
        from kgdecide.graph.neo4j import Neo4jStore

        return Neo4jStore.from_settings(
            store,
            os.environ.get("KGDECIDE_NEO4J_USER", "neo4j"),
            os.environ.get("KGDECIDE_NEO4J_PASSWORD", ""),
        )
    from kgdecide.graph.embedded import EmbeddedStore

    return EmbeddedStore.from_path(settings.store_dir(store))
