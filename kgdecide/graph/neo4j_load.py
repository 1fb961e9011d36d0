"""Bulk loading into Neo4j: :func:`load_graph` writes a built graph in kgdecide's layout
(:data:`~kgdecide.graph.neo4j_mapping.DEFAULT_MAPPING`), the one
:class:`~kgdecide.graph.neo4j.Neo4jStore` reads without a mapping of its own. Every statement
comes from :mod:`kgdecide.graph.cypher`; the ``neo4j`` driver is the caller's.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from kgdecide.errors import ConfigError
from kgdecide.graph import cypher
from kgdecide.graph.arrays import ArrayGraph, content_version
from kgdecide.graph.neo4j_mapping import DEFAULT_MAPPING, Neo4jMapping
from kgdecide.progress import Advance, no_progress
from kgdecide.types import PropertyValue

if TYPE_CHECKING:
    import neo4j


def load_graph(
    graph: ArrayGraph | Any,
    driver: neo4j.Driver,
    batch: int = 10_000,
    advance: Advance = no_progress,
    database: str | None = None,
) -> str:
    """Write a built graph into Neo4j in kgdecide's layout; returns the graph version.

    ``graph`` is an :class:`ArrayGraph` or any store with ``projection()`` (an
    :class:`~kgdecide.graph.embedded.EmbeddedStore`). The id constraint is created first, then
    the previous kgdecide graph in the database (``:KgNode`` and ``:KgMeta`` nodes) is deleted,
    then nodes and edges are written in batches of ``batch`` rows with ``UNWIND``; the metadata
    node with the version goes last. ``advance`` is called with the number of nodes or edges
    written. Other data in the database is left alone.
    """
    if batch < 1:
        raise ConfigError("batch must be 1 or more")
    g: ArrayGraph = graph if isinstance(graph, ArrayGraph) else graph.projection()
    m = DEFAULT_MAPPING
    assert m.node_label and m.meta_label and m.synonyms
    clash = sorted(m.reserved & set(g.node_columns))
    if clash:
        raise ConfigError(f"node properties {', '.join(clash)} clash with kgdecide's own Neo4j "
                          "properties; rename them in the source graph")
    version = g.version or content_version(g)
    node = cypher.labels(m.node_label)
    names = {"node": node, "id": cypher.quote(m.id)}

    def write(query: str, **params: Any) -> None:
        driver.execute_query(query, params, database_=database)

    write(cypher.render(cypher.CREATE_ID_CONSTRAINT, name=cypher.quote("kgdecide_node_id"), **names))
    with driver.session(database=database) as session:  # CALL IN TRANSACTIONS needs auto-commit
        session.run(cypher.render(cypher.DELETE_NODES, node=node), batch=batch).consume()
    write(cypher.render(cypher.DELETE_META, meta=cypher.labels(m.meta_label)))

    for node_type, rows in _node_rows(g, m):
        query = cypher.render(cypher.CREATE_NODES, labels=cypher.labels(m.node_label, node_type))
        for chunk in _chunks(rows, batch):
            write(query, rows=chunk)
            advance(len(chunk))
    for relation in sorted(g.relations):
        query = cypher.render(cypher.CREATE_EDGES, rel=cypher.rel_types([relation]), **names)
        for chunk in _chunks(_edge_rows(g, relation), batch):
            write(query, rows=chunk)
            advance(len(chunk))

    counts = g.counts()
    meta = {
        "name": str(g.meta.get("name", "graph")),
        "version": version,
        "source_version": str(g.meta.get("source_version", "unversioned")),
        "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "nodes": counts.nodes,
        "edges": counts.edges,
    }
    write(cypher.render(cypher.CREATE_META, meta=cypher.labels(m.meta_label), node=node), meta=meta)
    return version


def _node_rows(g: ArrayGraph, m: Neo4jMapping) -> list[tuple[str, list[dict[str, Any]]]]:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for node in g.iter_nodes():
        row: dict[str, Any] = {k: _neo4j_value(v) for k, v in node.properties.items()}
        row[m.id] = node.id
        if node.label:
            row[m.label] = node.label
        if node.synonyms:
            row[m.synonyms or "synonyms"] = list(node.synonyms)
        by_type.setdefault(node.type, []).append(row)
    return sorted(by_type.items())


def _edge_rows(g: ArrayGraph, relation: str) -> Iterator[dict[str, Any]]:
    for edge in g.iter_edges(relation):
        yield {"s": edge.subject, "o": edge.object,
               "p": {k: _neo4j_value(v) for k, v in edge.properties.items()}}


def _neo4j_value(value: PropertyValue) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
