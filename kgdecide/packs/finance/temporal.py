"""Time in the finance graph: FinDKG weeks, edge validity, and the graph as of a date.

FinDKG numbers weeks from 0; its ``time2id.txt`` (FinDKG-full) labels week 0 by its last day,
Sunday 2018-01-07, so week ``t`` runs from Monday ``2018-01-01 + 7t`` to the Sunday after. An
edge's ``valid_from`` is the Monday of the first week it was reported, ``time_id`` that week's
number; ``valid_to`` (exclusive), where a source gives one, ends it (index membership). Edges
without ``valid_from`` are timeless (a listing's sector) and belong to every date.

:class:`AsOfView` is the graph as of one date with every relation in one edge list: built with
numpy masks over the edge property columns, never a loop over edges. Its walk and path helpers are
generic (nothing here knows about finance) and could move to ``kgdecide/graph`` or ``score``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from kgdecide.errors import InvalidQuery
from kgdecide.graph.arrays import ArrayGraph, RelationArrays
from kgdecide.graph.columns import FLOAT, STR, Column

#: Monday of FinDKG week 0.
FIRST_WEEK = dt.date(2018, 1, 1)
_NAT = np.datetime64("NaT", "D")


def week_start(time_id: int, first_week: dt.date = FIRST_WEEK) -> dt.date:
    """The Monday that starts FinDKG week ``time_id``.

    >>> week_start(0).isoformat(), week_start(113).isoformat()
    ('2018-01-01', '2020-03-02')
    """
    return first_week + dt.timedelta(weeks=int(time_id))


def week_of(day: dt.date, first_week: dt.date = FIRST_WEEK) -> int:
    """The FinDKG week a date falls in (negative before week 0).

    >>> week_of(dt.date(2020, 3, 8)), week_of(dt.date(2020, 3, 9))
    (113, 114)
    """
    return (day - first_week).days // 7


def parse_date(value: str | dt.date | None, field: str = "as_of") -> dt.date | None:
    """An ISO date from a request; ``InvalidQuery`` naming ``field`` when it is not one.

    >>> parse_date("2020-03-08")
    datetime.date(2020, 3, 8)
    >>> parse_date("08/03/2020")
    Traceback (most recent call last):
    ...
    kgdecide.errors.InvalidQuery: as_of: '08/03/2020' is not an ISO date (YYYY-MM-DD)
    """
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidQuery(field, f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


def date_column(column: Column | None, size: int) -> np.ndarray:
    """A STR column of ISO dates as ``datetime64[D]`` (NaT where absent), decoding each distinct
    value once.

    >>> from kgdecide.graph.columns import column_from_values
    >>> date_column(column_from_values(["2020-01-06", None]), 2).astype(str).tolist()
    ['2020-01-06', 'NaT']
    """
    if column is None:
        return np.full(size, _NAT)
    if column.kind != STR or column.vocab is None:
        raise ValueError("a date column holds ISO date strings")
    vocab = np.array(column.vocab.to_list() + ["NaT"], dtype="datetime64[D]")
    return vocab[column.values]  # code -1 picks the trailing NaT


def valid_mask(rel: RelationArrays, day: dt.date | None) -> np.ndarray:
    """Edges of ``rel`` valid on ``day``: ``valid_from <= day < valid_to``; every edge when
    ``day`` is None. Missing bounds do not restrict."""
    m = len(rel)
    if day is None:
        return np.ones(m, dtype=bool)
    when = np.datetime64(day, "D")
    start = date_column(rel.columns.get("valid_from"), m)
    end = date_column(rel.columns.get("valid_to"), m)
    return (np.isnat(start) | (start <= when)) & (np.isnat(end) | (when < end))


def float_column(rel: RelationArrays, key: str, default: float = np.nan) -> np.ndarray:
    """A numeric edge property as float64 (``default`` where the relation lacks it)."""
    column = rel.columns.get(key)
    if column is None or column.kind != FLOAT:
        return np.full(len(rel), default)
    return column.values


@dataclass(eq=False)
class AsOfView:
    """Every edge valid on ``day`` in one list, with a symmetric weighted adjacency for walks.

    Edge ``k`` joins ``src[k]`` to ``dst[k]`` through relation ``relation_names[rel[k]]`` at
    position ``position[k]`` of that relation; walks follow it both ways.
    """

    graph: ArrayGraph
    day: dt.date | None
    relation_names: tuple[str, ...]
    src: np.ndarray  #: int64 subject row per edge
    dst: np.ndarray  #: int64 object row per edge
    rel: np.ndarray  #: int16 index into relation_names
    position: np.ndarray  #: int64 edge position within its relation
    weight: np.ndarray  #: float64 weight per edge (relation weight)

    @classmethod
    def build(cls, graph: ArrayGraph, day: dt.date | None,
              relations: Sequence[str] | None = None,
              relation_weights: Mapping[str, float] | None = None) -> AsOfView:
        """The view of ``graph`` on ``day`` over ``relations`` (default: all)."""
        names = tuple(sorted(relations if relations is not None else graph.relations))
        weights = relation_weights or {}
        parts = []
        for code, name in enumerate(names):
            rel = graph.relation(name)
            keep = np.flatnonzero(valid_mask(rel, day))
            parts.append((rel.subjects[keep].astype(np.int64), rel.objects[keep].astype(np.int64),
                          np.full(len(keep), code, np.int16), keep.astype(np.int64),
                          np.full(len(keep), float(weights.get(name, 1.0)))))
        if not parts:
            parts = [(np.zeros(0, np.int64),) * 2 + (np.zeros(0, np.int16), np.zeros(0, np.int64),
                                                      np.zeros(0))]
        src, dst, rel, position, weight = (np.concatenate(p) for p in zip(*parts))
        return cls(graph, day, names, src, dst, rel, position, weight)

    def __len__(self) -> int:
        return len(self.src)

    @cached_property
    def adjacency(self) -> sp.csr_matrix:
        """Symmetric weighted adjacency (parallel edges add up)."""
        n = len(self.graph)
        a = sp.coo_matrix((self.weight, (self.src, self.dst)), shape=(n, n))
        return (a + a.T).tocsr()

    @cached_property
    def degree(self) -> np.ndarray:
        """Distinct neighbours per row in this view."""
        a = self.adjacency.copy()
        a.data[:] = 1.0
        return np.asarray(a.sum(axis=1)).ravel()

    @cached_property
    def incidence(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indptr, edge, forward): edges at row ``i`` are ``edge[indptr[i]:indptr[i+1]]``,
        ``forward`` False where row ``i`` is the edge's object."""
        n = len(self.graph)
        ends = np.concatenate([self.src, self.dst])
        edge = np.concatenate([np.arange(len(self)), np.arange(len(self))])
        forward = np.concatenate([np.ones(len(self), bool), np.zeros(len(self), bool)])
        order = np.argsort(ends, kind="stable")
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(ends, minlength=n), out=indptr[1:])
        return indptr, edge[order], forward[order]

    def edge_properties(self, k: int) -> dict[str, object]:
        rel = self.graph.relations[self.relation_names[self.rel[k]]]
        return rel.properties(int(self.position[k]))

    def transition(self, hub_exponent: float, blocked: np.ndarray | None = None) -> sp.csr_matrix:
        """Column-stochastic transpose of a random walk that prefers low-degree neighbours
        (weight ``deg(j) ** -hub_exponent``) and never passes through ``blocked`` rows: the walk
        may reach them (a hub can still be an answer) but does not leave them."""
        degree = self.degree
        node_weight = np.where(degree > 0, np.maximum(degree, 1.0) ** -hub_exponent, 0.0)
        weighted = (self.adjacency @ sp.diags(node_weight)).tocsr()
        out = np.asarray(weighted.sum(axis=1)).ravel()
        inverse = np.where(out > 0, 1.0 / np.where(out > 0, out, 1.0), 0.0)
        if blocked is not None:
            inverse = np.where(blocked, 0.0, inverse)
        return (sp.diags(inverse) @ weighted).T.tocsr()


def hub_rows(view: AsOfView, max_degree: int, always: Sequence[int] = ()) -> np.ndarray:
    """Boolean mask of hub rows: more than ``max_degree`` neighbours in the view, or listed."""
    blocked = view.degree > max_degree
    if len(always):
        blocked[np.asarray(always, dtype=np.int64)] = True
    return blocked


@dataclass(frozen=True, slots=True)
class Step:
    """One edge of a path as followed."""

    edge: int  #: index into the view's edge arrays
    forward: bool  #: followed from subject to object


def shortest_paths(view: AsOfView, source: int, target: int, max_hops: int, limit: int,
                   blocked: np.ndarray | None = None) -> list[list[Step]]:
    """Up to ``limit`` shortest paths (edges either way) from ``source`` to ``target`` that pass
    through no ``blocked`` row (the ends may be blocked), most recent edges first among equals."""
    indptr, edges, forward = view.incidence
    n = len(view.graph)
    passable = np.ones(n, bool) if blocked is None else ~blocked

    def distances(start: int, hops: int) -> np.ndarray:
        dist = np.full(n, -1, dtype=np.int64)
        dist[start] = 0
        frontier = np.array([start])
        for hop in range(1, hops + 1):
            expand = frontier[passable[frontier] | (frontier == start)]
            if expand.size == 0:
                break
            reached = _neighbours(view, indptr, edges, forward, expand)
            frontier = np.unique(reached[dist[reached] < 0])
            dist[frontier] = hop
        return dist

    from_source = distances(source, max_hops)
    length = int(from_source[target])
    if length <= 0:
        return []
    from_target = distances(target, length)
    paths: list[list[Step]] = []

    def extend(row: int, steps: list[Step]) -> None:
        if len(paths) >= limit:
            return
        if row == target:
            paths.append(steps)
            return
        if row != source and not passable[row]:
            return
        for k, fwd in zip(edges[indptr[row]:indptr[row + 1]].tolist(),
                          forward[indptr[row]:indptr[row + 1]].tolist()):
            other = int(view.dst[k] if fwd else view.src[k])
            if from_source[other] == from_source[row] + 1 and \
                    from_target[other] == length - from_source[other]:
                extend(other, steps + [Step(k, fwd)])

    extend(source, [])
    return paths


def _neighbours(view: AsOfView, indptr: np.ndarray, edges: np.ndarray, forward: np.ndarray,
                rows: np.ndarray) -> np.ndarray:
    starts, ends = indptr[rows], indptr[rows + 1]
    lengths = ends - starts
    if lengths.sum() == 0:
        return np.zeros(0, dtype=np.int64)
    within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    picked = np.repeat(starts, lengths) + within
    k, fwd = edges[picked], forward[picked]
    return np.where(fwd, view.dst[k], view.src[k])
