"""The protocol every graph backend implements (embedded snapshot, Neo4j, RDF).

Only ``kgdecide.graph`` talks to a database; the other stages see a :class:`GraphStore`.
Backends raise :class:`~kgdecide.errors.NodeNotFound` for unknown ids and
:class:`~kgdecide.errors.StoreUnavailable` when the database cannot be reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kgdecide.types import Direction, Edge, GraphCounts, Node, Path, Subgraph

if TYPE_CHECKING:
    from kgdecide.graph.arrays import ArrayGraph


@runtime_checkable
class GraphStore(Protocol):
    """Read access to a typed knowledge graph."""

    @property
    def version(self) -> str:
        """Content version of the graph; changes whenever the graph does."""
        ...

    def get_node(self, node_id: str) -> Node:
        """The node with this id; raises ``NodeNotFound``."""
        ...

    def get_nodes(self, node_ids: Iterable[str]) -> tuple[Node, ...]:
        """The nodes with these ids, in the same order; raises ``NodeNotFound`` naming the first
        unknown id."""
        ...

    def has_node(self, node_id: str) -> bool: ...

    def neighbors(
        self,
        node_id: str,
        relation: str | None = None,
        direction: Direction = Direction.OUT,
        node_type: str | None = None,
    ) -> tuple[str, ...]:
        """Ids one edge away, optionally only through ``relation`` and only of ``node_type``,
        sorted, without repeats."""
        ...

    def edges(
        self,
        node_id: str,
        relation: str | None = None,
        direction: Direction = Direction.OUT,
    ) -> tuple[Edge, ...]:
        """The edges at a node with their properties (subject/object as stored, whatever the
        direction followed)."""
        ...

    def nodes_by_type(self, node_type: str) -> tuple[str, ...]:
        """Ids of every node of this type, sorted."""
        ...

    def iter_nodes(self, node_type: str | None = None) -> Iterator[Node]:
        """Every node (of a type), for building lexicons and exports."""
        ...

    def iter_edges(self, relation: str | None = None) -> Iterator[Edge]:
        """Every edge (of a relation), for exports."""
        ...

    def lookup(self, text: str, node_type: str | None = None) -> tuple[str, ...]:
        """Ids whose label or a synonym equals ``text`` (case and spacing folded), exact label
        matches first."""
        ...

    def subgraph(
        self,
        seeds: Sequence[str],
        hops: int = 1,
        relations: Sequence[str] | None = None,
        max_nodes: int = 10_000,
    ) -> Subgraph:
        """Nodes within ``hops`` edges of the seeds (either direction) and the edges among them;
        raises ``InvalidQuery`` when more than ``max_nodes`` would be returned."""
        ...

    def shortest_paths(
        self,
        source: str,
        target: str,
        max_hops: int = 4,
        relations: Sequence[str] | None = None,
        limit: int = 10,
    ) -> tuple[Path, ...]:
        """Up to ``limit`` shortest paths from source to target, following edges either way."""
        ...

    def counts(self) -> GraphCounts: ...

    def projection(self) -> ArrayGraph:
        """The graph as arrays (CSR per relation, property columns) for scorers.

        Backends over a remote database build it once per graph version and cache it.
        """
        ...
