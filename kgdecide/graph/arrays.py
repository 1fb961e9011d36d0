"""The graph as arrays: the embedded store's memory layout and the projection scorers read.

Nodes are rows ``0..n-1``. Each relation keeps its edges sorted by subject as a CSR structure
(``indptr``, ``objects``), plus the permutation that sorts them by object for incoming walks, and
one :class:`~kgdecide.graph.columns.Column` per edge property aligned with that order. Scorers get
``scipy.sparse`` matrices over the same arrays without copying them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp

from kgdecide.errors import InvalidQuery, NodeNotFound
from kgdecide.graph.columns import Column, StringTable
from kgdecide.types import Direction, Edge, GraphCounts, Node, Path, PropertyValue, Subgraph

_SPACE = re.compile(r"\s+")


def normalise_name(text: str) -> str:
    """Fold case and white space, the key for exact label/synonym lookup.

    >>> normalise_name("  Short   STATURE ")
    'short stature'
    """
    return _SPACE.sub(" ", text.casefold()).strip()


@dataclass(eq=False)
class RelationArrays:
    """The edges of one relation, sorted by subject."""

    indptr: np.ndarray  #: int64[n+1]: edges of subject i are positions indptr[i]:indptr[i+1]
    objects: np.ndarray  #: int32[m]: object of each edge position
    in_indptr: np.ndarray  #: int64[n+1]: incoming edges of node i are in_edges[in_indptr[i]:...]
    in_edges: np.ndarray  #: int64[m]: edge positions sorted by object
    columns: dict[str, Column] = field(default_factory=dict)  #: edge properties by key

    def __len__(self) -> int:
        return len(self.objects)

    @cached_property
    def subjects(self) -> np.ndarray:
        """int32[m]: subject of each edge position."""
        n = len(self.indptr) - 1
        return np.repeat(np.arange(n, dtype=np.int32), np.diff(self.indptr))

    def properties(self, position: int) -> dict[str, PropertyValue]:
        return properties_at(self.columns, position)


@dataclass(eq=False)
class ArrayGraph:
    """A typed property graph held in numpy arrays."""

    ids: StringTable  #: node id per row
    types: np.ndarray  #: int16 code per row into ``type_names``
    type_names: tuple[str, ...]
    labels: StringTable
    synonym_ptr: np.ndarray  #: int64[n+1]: synonyms of row i are synonyms[ptr[i]:ptr[i+1]]
    synonyms: StringTable
    node_columns: dict[str, Column]
    relations: dict[str, RelationArrays]
    meta: dict[str, Any] = field(default_factory=dict)  #: name, version, source_version, ...

    # --- nodes ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.types)

    @property
    def version(self) -> str:
        return str(self.meta.get("version", ""))

    @cached_property
    def id_list(self) -> list[str]:
        return self.ids.to_list()

    @cached_property
    def index(self) -> dict[str, int]:
        """Row of each node id."""
        return {node_id: row for row, node_id in enumerate(self.id_list)}

    def row(self, node_id: str) -> int:
        try:
            return self.index[node_id]
        except KeyError:
            raise NodeNotFound(node_id) from None

    def rows(self, node_ids: Sequence[str]) -> np.ndarray:
        return np.fromiter((self.row(i) for i in node_ids), dtype=np.int64, count=len(node_ids))

    def node(self, row: int) -> Node:
        a, b = self.synonym_ptr[row], self.synonym_ptr[row + 1]
        return Node(
            id=self.id_list[row],
            type=self.type_names[self.types[row]],
            label=self.labels[row],
            synonyms=tuple(self.synonyms[k] for k in range(a, b)),
            properties=properties_at(self.node_columns, row),
        )

    def type_code(self, node_type: str) -> int | None:
        try:
            return self.type_names.index(node_type)
        except ValueError:
            return None

    def rows_of_type(self, node_type: str) -> np.ndarray:
        code = self.type_code(node_type)
        if code is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.types == code)

    @cached_property
    def _name_index(self) -> dict[str, list[int]]:
        """Normalised label or synonym -> rows, label matches before synonym matches."""
        index: dict[str, list[int]] = {}
        for row, label in enumerate(self.labels.to_list()):
            if label:
                index.setdefault(normalise_name(label), []).append(row)
        synonyms = self.synonyms.to_list()
        owners = np.repeat(np.arange(len(self)), np.diff(self.synonym_ptr)).tolist()
        for owner, synonym in zip(owners, synonyms):
            rows = index.setdefault(normalise_name(synonym), [])
            if owner not in rows:
                rows.append(owner)
        return index

    def lookup_rows(self, text: str) -> list[int]:
        return list(self._name_index.get(normalise_name(text), ()))

    def lookup(self, text: str, node_type: str | None = None) -> tuple[str, ...]:
        """Ids whose label or a synonym is ``text`` (case and spacing folded), labels first."""
        rows = self.lookup_rows(text)
        if node_type is not None:
            rows = [r for r in rows if self.type_names[self.types[r]] == node_type]
        return tuple(self.id_list[r] for r in rows)

    # --- edges ---------------------------------------------------------------------------------

    def relation(self, name: str) -> RelationArrays:
        try:
            return self.relations[name]
        except KeyError:
            known = ", ".join(sorted(self.relations)) or "none"
            raise InvalidQuery("relation", f"unknown relation {name!r}; known: {known}") from None

    def _relation_names(self, relation: str | None) -> list[str]:
        if relation is None:
            return sorted(self.relations)
        self.relation(relation)  # raises InvalidQuery naming the known relations
        return [relation]

    def adjacency(self, relation: str) -> sp.csr_matrix:
        """``A[s, o]`` = 1 for each edge; ``A.data`` positions are edge positions, so
        ``column.values`` lines up with ``A.data``."""
        rel = self.relation(relation)
        n = len(self)
        data = np.ones(len(rel), dtype=np.float32)
        return sp.csr_matrix((data, rel.objects, rel.indptr), shape=(n, n))

    def edge_positions(self, row: int, relation: str, direction: Direction) -> Iterator[tuple[int, bool]]:
        """Edge positions at ``row`` as (position, followed forward)."""
        rel = self.relation(relation)
        if direction in (Direction.OUT, Direction.BOTH):
            for position in range(rel.indptr[row], rel.indptr[row + 1]):
                yield position, True
        if direction in (Direction.IN, Direction.BOTH):
            for position in rel.in_edges[rel.in_indptr[row] : rel.in_indptr[row + 1]].tolist():
                yield position, False

    def edge(self, relation: str, position: int) -> Edge:
        rel = self.relations[relation]
        return Edge(
            subject=self.id_list[int(rel.subjects[position])],
            relation=relation,
            object=self.id_list[int(rel.objects[position])],
            properties=rel.properties(position),
        )

    def neighbor_rows(self, row: int, relation: str, direction: Direction) -> np.ndarray:
        rel = self.relation(relation)
        parts = []
        if direction in (Direction.OUT, Direction.BOTH):
            parts.append(rel.objects[rel.indptr[row] : rel.indptr[row + 1]])
        if direction in (Direction.IN, Direction.BOTH):
            incoming = rel.in_edges[rel.in_indptr[row] : rel.in_indptr[row + 1]]
            parts.append(rel.subjects[incoming])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)

    def counts(self) -> GraphCounts:
        codes, sizes = np.unique(self.types, return_counts=True)
        return GraphCounts(
            nodes_by_type={self.type_names[c]: int(k) for c, k in zip(codes, sizes)},
            edges_by_relation={name: len(rel) for name, rel in sorted(self.relations.items())},
        )

    # --- traversal -----------------------------------------------------------------------------

    def undirected(self, relations: Sequence[str] | None = None) -> sp.csr_matrix:
        """Boolean adjacency with every edge of the given relations followed either way."""
        names = tuple(sorted(relations) if relations is not None else sorted(self.relations))
        return self._undirected(names)

    def _undirected(self, names: tuple[str, ...]) -> sp.csr_matrix:
        cache = self.__dict__.setdefault("_undirected_cache", {})
        if names not in cache:
            n = len(self)
            total = sp.csr_matrix((n, n), dtype=np.float32)
            for name in names:
                a = self.adjacency(name)
                total = total + a + a.T
            total = total.tocsr()
            total.data[:] = 1
            cache[names] = total
        return cache[names]

    def bfs_distances(
        self, sources: Sequence[int], max_hops: int, relations: Sequence[str] | None = None
    ) -> np.ndarray:
        """Hops from the nearest source to each row (-1 beyond ``max_hops``)."""
        adjacency = self.undirected(relations)
        distance = np.full(len(self), -1, dtype=np.int64)
        frontier = np.unique(np.asarray(sources, dtype=np.int64))
        distance[frontier] = 0
        for hop in range(1, max_hops + 1):
            if frontier.size == 0:
                break
            reached = _row_neighbours(adjacency, frontier)
            frontier = reached[distance[reached] < 0]
            distance[frontier] = hop
        return distance

    def subgraph_rows(
        self, seeds: Sequence[int], hops: int, relations: Sequence[str] | None, max_nodes: int
    ) -> tuple[np.ndarray, list[tuple[str, int]]]:
        """Rows within ``hops`` of the seeds and the (relation, position) of edges among them."""
        distance = self.bfs_distances(seeds, hops, relations)
        rows = np.flatnonzero(distance >= 0)
        if len(rows) > max_nodes:
            raise InvalidQuery(
                "hops", f"the subgraph has {len(rows)} nodes, more than max_nodes={max_nodes}; "
                "use fewer hops, fewer seeds or a relation filter"
            )
        inside = np.zeros(len(self), dtype=bool)
        inside[rows] = True
        edges: list[tuple[str, int]] = []
        for name in relations if relations is not None else sorted(self.relations):
            rel = self.relation(name)
            keep = np.flatnonzero(inside[rel.subjects] & inside[rel.objects])
            edges.extend((name, int(p)) for p in keep)
        return rows, edges

    def shortest_path_rows(
        self,
        source: int,
        target: int,
        max_hops: int,
        relations: Sequence[str] | None,
        limit: int,
    ) -> list[Path]:
        """All shortest paths (edges followed either way, parallel edges giving separate paths),
        at most ``limit``, in a stable order."""
        from_source = self.bfs_distances([source], max_hops, relations)
        length = int(from_source[target])
        if length < 0:
            return []
        from_target = self.bfs_distances([target], length, relations)
        on_path = (from_source >= 0) & (from_target >= 0) & (from_source + from_target == length)
        names = sorted(relations) if relations is not None else sorted(self.relations)
        paths: list[Path] = []

        def extend(row: int, nodes: list[int], steps: list[tuple[str, bool]]) -> None:
            if len(paths) >= limit:
                return
            if row == target:
                paths.append(
                    Path(
                        nodes=tuple(self.id_list[r] for r in nodes),
                        relations=tuple(s[0] for s in steps),
                        forward=tuple(s[1] for s in steps),
                    )
                )
                return
            next_layer = on_path & (from_source == from_source[row] + 1)
            for name, nxt, forward in self._steps(row, names, next_layer):
                extend(nxt, nodes + [nxt], steps + [(name, forward)])

        extend(source, [source], [])
        return paths

    def _steps(
        self, row: int, names: Sequence[str], keep: np.ndarray
    ) -> list[tuple[str, int, bool]]:
        """Edges from ``row`` (either way) to rows where ``keep`` is set, as (relation, other row,
        forward), sorted. Filtering with arrays first keeps hub nodes with thousands of edges
        from costing a Python step each."""
        steps = []
        for name in names:
            rel = self.relations[name]
            objects = rel.objects[rel.indptr[row] : rel.indptr[row + 1]]
            steps += [(name, int(o), True) for o in objects[keep[objects]].tolist()]
            incoming = rel.in_edges[rel.in_indptr[row] : rel.in_indptr[row + 1]]
            subjects = rel.subjects[incoming]
            steps += [(name, int(s), False) for s in subjects[keep[subjects]].tolist()]
        return sorted(steps, key=lambda s: (s[1], s[0], not s[2]))

    # --- whole graph ---------------------------------------------------------------------------

    def iter_nodes(self, node_type: str | None = None) -> Iterator[Node]:
        rows = range(len(self)) if node_type is None else self.rows_of_type(node_type).tolist()
        for row in rows:
            yield self.node(row)

    def iter_edges(self, relation: str | None = None) -> Iterator[Edge]:
        for name in self._relation_names(relation):
            for position in range(len(self.relations[name])):
                yield self.edge(name, position)

    def subgraph(self, rows: np.ndarray, edges: list[tuple[str, int]]) -> Subgraph:
        return Subgraph(
            nodes=tuple(self.node(int(r)) for r in rows),
            edges=tuple(self.edge(name, p) for name, p in edges),
        )


def _row_neighbours(adjacency: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
    """Sorted unique column indices of the given rows of a CSR matrix."""
    starts, ends = adjacency.indptr[rows], adjacency.indptr[rows + 1]
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    if total > adjacency.nnz // 16:
        # A frontier touching hubs reaches much of the graph: one sparse product over all edges
        # beats gathering millions of indices.
        frontier = np.zeros(adjacency.shape[0], dtype=np.float32)
        frontier[rows] = 1
        return np.flatnonzero(adjacency.T @ frontier)
    within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    reached = np.zeros(adjacency.shape[1], dtype=bool)
    reached[adjacency.indices[np.repeat(starts, lengths) + within]] = True
    return np.flatnonzero(reached)


def properties_at(columns: Mapping[str, Column], row: int) -> dict[str, PropertyValue]:
    """The present values of every column at ``row``."""
    values = {key: col.get(row) for key, col in columns.items()}
    return {key: value for key, value in values.items() if value is not None}


def content_version(g: ArrayGraph) -> str:
    """``name/source_version/hash`` for a graph that was never written as a snapshot."""
    digest = hashlib.sha256()
    for node in g.iter_nodes():
        digest.update(repr((node.id, node.type, node.label, node.synonyms, sorted(node.properties.items()))).encode())
    for edge in g.iter_edges():
        digest.update(repr((edge.subject, edge.relation, edge.object, sorted(edge.properties.items()))).encode())
    return f"{g.meta.get('name', 'graph')}/{g.meta.get('source_version', 'unversioned')}/{digest.hexdigest()[:12]}"
