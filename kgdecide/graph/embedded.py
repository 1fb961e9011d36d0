"""The embedded store: the default backend, an :class:`ArrayGraph` loaded from a snapshot.

Zero set-up: no server, the whole graph in process memory as numpy arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from kgdecide.errors import InvalidQuery
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.snapshot import current_snapshot, read_snapshot, write_snapshot
from kgdecide.types import Direction, Edge, GraphCounts, Node, Path as GraphPath, Subgraph


class EmbeddedStore:
    """A :class:`~kgdecide.graph.store.GraphStore` over an in-memory :class:`ArrayGraph`.

    >>> from kgdecide.graph.builder import GraphBuilder
    >>> b = GraphBuilder("demo")
    >>> b.add_edge("OMIM:1", "has_phenotype", "HP:1")
    >>> EmbeddedStore(b.build()).neighbors("OMIM:1")
    ('HP:1',)
    """

    def __init__(self, graph: ArrayGraph, snapshot: Path | None = None) -> None:
        self._graph = graph
        #: The snapshot directory the graph was read from, if any.
        self.snapshot = snapshot

    @classmethod
    def from_path(cls, store_dir: Path | str) -> EmbeddedStore:
        """Load the current snapshot of a store directory."""
        snapshot = current_snapshot(store_dir)
        return cls(read_snapshot(snapshot), snapshot)

    @classmethod
    def write(cls, graph: ArrayGraph, store_dir: Path | str, rebuild_hint: str = "") -> EmbeddedStore:
        """Persist ``graph`` as the store's new current snapshot and serve it."""
        return cls(graph, write_snapshot(graph, store_dir, rebuild_hint))

    # --- GraphStore ----------------------------------------------------------------------------

    @property
    def version(self) -> str:
        return self._graph.version

    def get_node(self, node_id: str) -> Node:
        return self._graph.node(self._graph.row(node_id))

    def get_nodes(self, node_ids: Iterable[str]) -> tuple[Node, ...]:
        return tuple(self.get_node(i) for i in node_ids)

    def has_node(self, node_id: str) -> bool:
        return node_id in self._graph.index

    def neighbors(
        self,
        node_id: str,
        relation: str | None = None,
        direction: Direction = Direction.OUT,
        node_type: str | None = None,
    ) -> tuple[str, ...]:
        g = self._graph
        row = g.row(node_id)
        direction = Direction(direction)
        names = [relation] if relation is not None else sorted(g.relations)
        parts = [g.neighbor_rows(row, name, direction) for name in names]
        rows = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
        if node_type is not None:
            code = g.type_code(node_type)
            rows = rows[g.types[rows] == code] if code is not None else rows[:0]
        return tuple(sorted(g.id_list[r] for r in rows.tolist()))

    def edges(
        self, node_id: str, relation: str | None = None, direction: Direction = Direction.OUT
    ) -> tuple[Edge, ...]:
        g = self._graph
        row = g.row(node_id)
        names = [relation] if relation is not None else sorted(g.relations)
        return tuple(
            g.edge(name, position)
            for name in names
            for position, _ in g.edge_positions(row, name, Direction(direction))
        )

    def nodes_by_type(self, node_type: str) -> tuple[str, ...]:
        ids = self._graph.id_list
        return tuple(sorted(ids[r] for r in self._graph.rows_of_type(node_type).tolist()))

    def iter_nodes(self, node_type: str | None = None) -> Iterator[Node]:
        return self._graph.iter_nodes(node_type)

    def iter_edges(self, relation: str | None = None) -> Iterator[Edge]:
        return self._graph.iter_edges(relation)

    def lookup(self, text: str, node_type: str | None = None) -> tuple[str, ...]:
        return self._graph.lookup(text, node_type)

    def subgraph(
        self,
        seeds: Sequence[str],
        hops: int = 1,
        relations: Sequence[str] | None = None,
        max_nodes: int = 10_000,
    ) -> Subgraph:
        if hops < 0:
            raise InvalidQuery("hops", "must be 0 or more")
        self._check_relations(relations)
        rows, edges = self._graph.subgraph_rows(
            self._graph.rows(list(seeds)).tolist(), hops, relations, max_nodes
        )
        return self._graph.subgraph(rows, edges)

    def shortest_paths(
        self,
        source: str,
        target: str,
        max_hops: int = 4,
        relations: Sequence[str] | None = None,
        limit: int = 10,
    ) -> tuple[GraphPath, ...]:
        if max_hops < 0 or limit < 1:
            raise InvalidQuery("max_hops" if max_hops < 0 else "limit", "must be positive")
        self._check_relations(relations)
        g = self._graph
        return tuple(g.shortest_path_rows(g.row(source), g.row(target), max_hops, relations, limit))

    def counts(self) -> GraphCounts:
        return self._graph.counts()

    def projection(self) -> ArrayGraph:
        return self._graph

    def _check_relations(self, relations: Sequence[str] | None) -> None:
        for name in relations or ():
            self._graph.relation(name)  # raises InvalidQuery naming the known relations
