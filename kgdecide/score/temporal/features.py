"""Features of the learned temporal link predictor (:mod:`kgdecide.score.temporal.model`).

A query is ``(s, r, ?, t)``: score every entity ``o`` as the object, from facts strictly before
week ``t``. Each candidate is described by typed temporal path features (:data:`FEATURES`): how
often ``(s, r, o)``, ``(s, ., o)``, ``(o, ., s)`` and ``(o, r, s)`` were reported (all time, in
the last 1, 4 and 12 weeks, recency-decayed, and how long ago the last report was), two-hop paths
``s - x - o`` and ``s - x -r-> o`` through non-hub entities, how popular ``o`` is under ``r`` and
in the news (all time and in the same windows) and under ``r`` among subjects of ``s``'s type, how
well ``o``'s entity type fits ``r`` and ``s``'s type, plus ``(s, r2, o)`` and ``(o, r2, s)`` counts
for every relation ``r2`` (length-1 rules "r2 then r").

Most features are non-zero on few candidates (:data:`SPARSE`, kept as a COO list); the rest
depend only on the relation, ``s``'s type and the week (:data:`DENSE`, gathered per query), so a
batch never materialises a (queries x entities x features) array.

Works on any integer quadruple arrays ``(subject, relation, object, week)`` with entity types.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from kgdecide.score.temporal.base import TemporalGraph

#: Decay (weeks) of the "recent" features: weight ``exp(-(t - 1 - week) / TAU)``.
TAU = 2.0
#: Sliding windows (weeks before t) of the windowed counts.
WINDOWS = (1, 4, 12)
#: Two-hop paths s - x - o count only through x with at most this many neighbours.
HUB_DEGREE = 50
_PAIRS = ("sro", "so", "os", "ors")  # (s, r, o), (s, ., o), (o, ., s), (o, r, s)
#: Features of (s, r, t) that are non-zero on few candidates: counts along typed paths from s.
SPARSE = tuple(f"{pair}{suffix}" for pair in _PAIRS
               for suffix in ("", "_recent", "_last", *(f"_{w}w" for w in WINDOWS))) + (
    "two_hop", "two_hop_r", "self")
#: Features of a candidate that depend on r, s's type and the week only (shared by many queries).
DENSE = ("pop", "pop_recent", *(f"pop_{w}w" for w in WINDOWS), "activity", "activity_recent",
         *(f"activity_{w}w" for w in WINDOWS), "type_r", "type_rs", "pop_rs", "pop_rs_recent")
#: The :data:`DENSE` features that depend on the subject's type too (tables of r * T rows).
BY_SUBJECT_TYPE = ("type_rs", "pop_rs", "pop_rs_recent")
FEATURES = SPARSE + DENSE
#: Query context, an input of the candidate network (a subject with a long history in r is better
#: predicted by its repeats; one without, by its type and neighbours).
CONTEXT = ("s_activity", "s_activity_recent", "sr_count", "sr_recent")


# --- features -------------------------------------------------------------------------------------


@dataclass(eq=False)
class WeekHistory:
    """Everything known before one week, ready to turn queries into candidate features.

    Counts are ``log1p`` of: all time, the last :data:`WINDOWS` weeks, and a recency-decayed sum
    (``exp(-(t - 1 - week) / TAU)``); ``*_last`` is ``1 / (1 + weeks since the last report)``.
    """

    n: int
    r: int
    entity_type: np.ndarray  #: int64[n] type code per entity
    blocks: dict[str, sp.csr_matrix]  #: per :data:`SPARSE` name but ``self`` and ``two_hop*``
    neighbours: sp.csr_matrix  #: (n, n) 0/1 undirected adjacency
    step: sp.csr_matrix  #: (n, n) adjacency with rows divided by degree, hub rows empty
    dense: dict[str, np.ndarray]  #: per relation (r, n) or per entity (n,) tables
    sr_total: np.ndarray  #: (2, n * r) log1p count of (s, r, any), all time and recent
    type_r: np.ndarray  #: (r, T) log P(object type | r)
    type_rs: np.ndarray  #: (r, T, T) log P(object type | r, subject type)

    @classmethod
    def before(cls, quads: np.ndarray, week: int, n: int, r: int, types: np.ndarray) -> WeekHistory:
        """The history of ``quads`` (int[k, 4]: s, r, o, week) before ``week``; ``types`` codes
        each entity (0..T-1)."""
        q = quads[quads[:, 3] < week]
        s, rel, o, when = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
        age = week - 1 - when  # 0 = last week
        ones = np.ones(len(q))
        recent = np.exp(-age / TAU)
        keys = {"sro": (s * r + rel, o, n * r), "so": (s, o, n), "os": (o, s, n),
                "ors": (o * r + rel, s, n * r)}
        blocks: dict[str, sp.csr_matrix] = {}
        for name, (rows, cols, height) in keys.items():
            blocks[name] = _counts(ones, rows, cols, height, n)
            blocks[name + "_recent"] = _counts(recent, rows, cols, height, n)
            blocks[name + "_last"] = _latest(age, rows, cols, height, n)
            for window in WINDOWS:
                inside = age < window
                blocks[f"{name}_{window}w"] = _counts(ones[inside], rows[inside], cols[inside],
                                                      height, n)
        adjacency = sp.csr_matrix((ones, (s, o)), shape=(n, n))
        adjacency = ((adjacency + adjacency.T) > 0).astype(np.float64).tocsr()
        degree = np.asarray(adjacency.sum(axis=1)).ravel()
        # Two-hop paths only through entities of low degree: a path via a hub ("United States")
        # says little and would make the feature dense.
        through = np.where((degree > 0) & (degree <= HUB_DEGREE), 1.0 / np.maximum(degree, 1.0), 0.0)
        step = (sp.diags(through) @ adjacency).tocsr()
        step.eliminate_zeros()
        both = np.concatenate([s, o])
        dense = {"pop": _log_bincount2(rel, o, ones, r, n),
                 "pop_recent": _log_bincount2(rel, o, recent, r, n),
                 "activity": np.log1p(np.bincount(both, minlength=n).astype(np.float64)),
                 "activity_recent": np.log1p(np.bincount(both, np.tile(recent, 2), n))}
        for window in WINDOWS:
            inside = age < window
            dense[f"pop_{window}w"] = _log_bincount2(rel[inside], o[inside], ones[inside], r, n)
            dense[f"activity_{window}w"] = np.log1p(np.bincount(
                both[np.tile(inside, 2)], minlength=n).astype(np.float64))
        t_count = int(types.max()) + 1 if len(types) else 1
        # Popularity of o under r among subjects of each type ("what do companies operate in").
        typed = rel * t_count + types[s]
        dense["pop_rs"] = _log_bincount2(typed, o, ones, r * t_count, n)
        dense["pop_rs_recent"] = _log_bincount2(typed, o, recent, r * t_count, n)
        return cls(
            n, r, types, blocks, adjacency, step, dense,
            np.log1p(np.stack([np.bincount(s * r + rel, ones, n * r),
                               np.bincount(s * r + rel, recent, n * r)])),
            _type_log_prob(rel, types[o], r, t_count),
            _type_log_prob(rel * t_count + types[s], types[o], r * t_count, t_count).reshape(
                r, t_count, t_count),
        )

    def sparse(self, subjects: np.ndarray, relations: np.ndarray) -> SparseFeatures:
        """The :data:`SPARSE` features of queries ``(subjects[i], relations[i], ?)``."""
        keys = subjects * self.r + relations
        two = (self.neighbours[subjects] @ self.step).tocoo()
        two.data = np.log1p(4.0 * two.data)  # paths through low-degree neighbours count most
        two_r = self._two_hop_r(subjects, relations)
        rows, cols, feats, vals = [], [], [], []
        for f, name in enumerate(SPARSE):
            if name == "two_hop":
                block = two
            elif name == "two_hop_r":
                block = two_r
            elif name == "self":
                block = sp.coo_matrix((np.ones(len(subjects)), (np.arange(len(subjects)), subjects)),
                                      shape=(len(subjects), self.n))
            else:
                by_relation = name.startswith(("sro", "ors"))
                block = self.blocks[name][keys if by_relation else subjects].tocoo()
            rows.append(block.row)
            cols.append(block.col)
            feats.append(np.full(block.nnz, f))
            vals.append(block.data)
        return SparseFeatures(*(np.concatenate(x).astype(t) for x, t in
                                zip((rows, cols, feats, vals), (np.int64,) * 3 + (np.float32,))))

    def _two_hop_r(self, subjects: np.ndarray, relations: np.ndarray) -> sp.coo_matrix:
        """Paths ``s - x -r-> o`` through non-hub neighbours ``x`` of ``s`` (what ``s``'s
        neighbours were reported to ``r``), each weighted ``1 / degree(x)``."""
        degree = np.diff(self.neighbours.indptr).astype(np.float64)
        through = (degree > 0) & (degree <= HUB_DEGREE)
        reach = (self.neighbours[subjects] @ sp.diags(through.astype(np.float64))).tocoo()
        picked = self.blocks["sro"][reach.col * self.r + relations[reach.row]]
        weights = sp.csr_matrix((reach.data / np.maximum(degree[reach.col], 1.0),
                                 (reach.row, np.arange(reach.nnz))), shape=(len(subjects), reach.nnz))
        out = (weights @ picked).tocoo()
        out.data = np.log1p(4.0 * out.data)
        return out

    def context(self, subjects: np.ndarray, relations: np.ndarray) -> np.ndarray:
        """float32 (queries, :data:`CONTEXT`): how much history each query's subject has, all
        time and recently, in any relation and in the query's relation."""
        keys = subjects * self.r + relations
        return np.stack([self.dense["activity"][subjects], self.dense["activity_recent"][subjects],
                         self.sr_total[0, keys], self.sr_total[1, keys]], axis=1).astype(np.float32)

    def tables(self) -> dict[str, np.ndarray]:
        """The :data:`DENSE` features as float32 lookup tables: per relation ([r, n]: ``pop*``,
        ``type_r``), per (relation, subject type) (:data:`BY_SUBJECT_TYPE`: [r * T, n]) or per entity
        (``activity*``: [n])."""
        t = self.type_rs.shape[1]
        out = {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in self.dense.items()}
        out["type_r"] = np.ascontiguousarray(self.type_r[:, self.entity_type], dtype=np.float32)
        out["type_rs"] = np.ascontiguousarray(
            self.type_rs.reshape(self.r * t, t)[:, self.entity_type], dtype=np.float32)
        return out

    def features(self, subjects: np.ndarray, relations: np.ndarray) -> np.ndarray:
        """float32 (F, queries, n): every feature of every entity as each query's object (a
        dense, readable view of :meth:`sparse` and :meth:`tables`, for tests and explanations)."""
        b = len(subjects)
        out = np.zeros((len(FEATURES), b, self.n), dtype=np.float32)
        sparse = self.sparse(subjects, relations)
        np.add.at(out, (sparse.feature, sparse.row, sparse.col), sparse.value)
        tables = self.tables()
        t = self.type_rs.shape[1]
        for name in DENSE:
            table = tables[name]
            if name in BY_SUBJECT_TYPE:
                table = table[relations * t + self.entity_type[subjects]]
            elif table.ndim == 2:
                table = table[relations]
            out[FEATURES.index(name)] = table
        return out


def _counts(weights: np.ndarray, rows: np.ndarray, cols: np.ndarray, height: int,
            width: int) -> sp.csr_matrix:
    """log1p of the summed ``weights`` per (row, col).

    >>> _counts(np.ones(3), np.array([0, 0, 1]), np.array([1, 1, 0]), 2, 2).toarray().round(2).tolist()
    [[0.0, 1.1], [0.69, 0.0]]
    """
    m = sp.csr_matrix((weights, (rows, cols)), shape=(height, width))
    m.sum_duplicates()
    m.data = np.log1p(m.data)
    return m


def _latest(age: np.ndarray, rows: np.ndarray, cols: np.ndarray, height: int,
            width: int) -> sp.csr_matrix:
    """``1 / (1 + weeks since the last report)`` per (row, col): 1 when it was last week.

    >>> _latest(np.array([5, 0, 3]), np.array([0, 0, 1]), np.array([1, 1, 0]), 2, 2).toarray().tolist()
    [[0.0, 1.0], [0.25, 0.0]]
    """
    key = rows.astype(np.int64) * width + cols
    order = np.lexsort((age, key))  # per key, the youngest report first
    key, age = key[order], age[order]
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
    key, age = key[first], age[first]
    return sp.csr_matrix((1.0 / (1.0 + age), (key // width, key % width)), shape=(height, width))


@dataclass(frozen=True, slots=True)
class SparseFeatures:
    """COO list of a batch's non-zero sparse features."""

    row: np.ndarray  #: query index in the batch
    col: np.ndarray  #: candidate entity
    feature: np.ndarray  #: index into :data:`SPARSE`
    value: np.ndarray  #: float32


def _log_bincount2(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, height: int,
                   width: int) -> np.ndarray:
    out = np.bincount(rows * width + cols, weights, height * width).reshape(height, width)
    return np.log1p(out)


def _type_log_prob(keys: np.ndarray, object_types: np.ndarray, n_keys: int, t_count: int) -> np.ndarray:
    """log P(object type | key), add-one smoothed (a relation never seen is uniform).

    >>> _type_log_prob(np.array([0, 0]), np.array([1, 1]), 1, 2).round(2).tolist()
    [[-1.39, -0.29]]
    """
    counts = np.bincount(keys * t_count + object_types, minlength=n_keys * t_count)
    counts = counts.reshape(n_keys, t_count).astype(np.float64) + 1.0
    return np.log(counts / counts.sum(axis=1, keepdims=True))


@dataclass(frozen=True, slots=True)
class WeekQueries:
    """The queries of one week: distinct (s, r) pairs and, per row, which pair it asks."""

    week: int
    rows: np.ndarray  #: int64 row numbers in the split
    subjects: np.ndarray  #: per distinct pair
    relations: np.ndarray
    pair_of_row: np.ndarray  #: index into the pairs per row
    answers: np.ndarray  #: object per row


def week_queries(quads: np.ndarray, r: int, min_week: int = 0) -> Iterator[WeekQueries]:
    """Group a split's rows by week into distinct (s, r) queries."""
    for week in np.unique(quads[:, 3]).tolist():
        if week < min_week:
            continue
        rows = np.flatnonzero(quads[:, 3] == week)
        q = quads[rows]
        pairs, inverse = np.unique(q[:, 0] * r + q[:, 1], return_inverse=True)
        yield WeekQueries(int(week), rows, pairs // r, pairs % r, inverse.ravel(), q[:, 2])


def type_codes(types: Sequence[str]) -> np.ndarray:
    """Entity type strings as codes 0..T-1 (sorted names).

    >>> type_codes(["ORG", "COMP", "ORG"]).tolist()
    [1, 0, 1]
    """
    names = sorted(set(types))
    code = {name: i for i, name in enumerate(names)}
    return np.array([code[t] for t in types], dtype=np.int64)


def kg_fingerprint(kg: TemporalGraph) -> str:
    """A version of a FinDKG folder's content: entities, relations and the training split."""
    digest = hashlib.sha256()
    digest.update("\n".join(kg.names).encode())
    digest.update("\n".join(kg.types).encode())
    digest.update("\n".join(kg.relations).encode())
    digest.update(np.ascontiguousarray(kg.quads["train"]).tobytes())
    return f"findkg-{digest.hexdigest()[:12]}"




#: Inputs of the candidate network per (query, candidate): its sparse and dense features and
#: the query's context.
INPUTS = SPARSE + DENSE + CONTEXT


@dataclass(frozen=True, slots=True)
class Candidates:
    """The entities a batch of queries' histories reach, with the network's inputs for each."""

    row: np.ndarray  #: int64 query index in the batch
    col: np.ndarray  #: int64 candidate entity
    x: np.ndarray  #: float32 (candidates, :data:`INPUTS` + 2 relations)


def candidates(past: WeekHistory, subjects: np.ndarray, relations: np.ndarray) -> Candidates:
    """Every (query, entity) with a non-zero sparse feature, with all its :data:`INPUTS` and then
    ``2 r`` per-relation counts: log1p of (s, r2, o) for each relation r2, then of (o, r2, s)."""
    n = past.n
    sparse = past.sparse(subjects, relations)
    keys, inverse = np.unique(sparse.row * n + sparse.col, return_inverse=True)
    row, col = keys // n, keys % n
    r = past.r
    x = np.zeros((len(keys), len(INPUTS) + 2 * r), dtype=np.float32)
    x[inverse.ravel(), sparse.feature] = sparse.value
    # Per relation r2: (s, r2, o) and (o, r2, s) counts, so the network can learn rules
    # "r2 then r" (TLogic's length-1 rules) instead of one count over all relations.
    for offset, name in ((len(INPUTS), "sro"), (len(INPUTS) + r, "ors")):
        by_relation = past.blocks[name][np.repeat(subjects * r, r) + np.tile(np.arange(r), len(subjects))]
        coo = by_relation.tocoo()
        at = np.searchsorted(keys, (coo.row // r) * n + coo.col)
        x[at, offset + coo.row % r] = coo.data
    tables = past.tables()
    t = past.type_rs.shape[1]
    rel = relations[row]
    for name in DENSE:
        table = tables[name]
        if name in BY_SUBJECT_TYPE:
            x[:, INPUTS.index(name)] = table[rel * t + past.entity_type[subjects[row]], col]
        elif table.ndim == 2:
            x[:, INPUTS.index(name)] = table[rel, col]
        else:
            x[:, INPUTS.index(name)] = table[col]
    x[:, len(SPARSE) + len(DENSE):len(INPUTS)] = past.context(subjects, relations)[row]
    return Candidates(row, col, x)
