"""The learned temporal scorer for FinDKG's link-prediction protocol (torch; imported lazily).

A query is ``(s, r, ?, t)``: score every entity ``o`` as the object, from facts strictly before
week ``t``. Each candidate is described by typed temporal path features (:data:`FEATURES`): how
often ``(s, r, o)``, ``(s, ., o)``, ``(o, ., s)`` and ``(o, r, s)`` were reported (all time, in
the last 1, 4 and 12 weeks, recency-decayed, and how long ago the last report was), two-hop paths
``s - x - o`` and ``s - x -r-> o`` through non-hub entities, how popular ``o`` is under ``r`` and
in the news (all time and in the same windows) and under ``r`` among subjects of ``s``'s type, how
well ``o``'s entity type fits ``r`` and ``s``'s type, plus
``(s, r2, o)`` and ``(o, r2, s)`` counts for every relation ``r2`` (length-1 rules "r2 then r").

Every entity gets a per-relation linear score of its :data:`DENSE` features; each candidate that
``s``'s history reaches also gets the output of a small ReLU network over all its inputs and the
query's :data:`CONTEXT` (how much history ``s`` has), shifted per relation: an attention over
``s``'s typed temporal paths that can weigh repeats against neighbours differently for each
relation and history length. One softmax over *all* entities; training minimises its
cross-entropy for the true object, with early stopping on the validation split's MRR. There are
no entity embeddings (round 1's DistMult term overfitted: training loss fell, valid MRR did not).

Most features are non-zero on few candidates (:data:`SPARSE`, kept as a COO list); the rest
depend only on the relation, ``s``'s type and the week (:data:`DENSE`, weighted once per relation
and gathered per query), so a batch never materialises a (queries x entities x features) array.

Nothing here is finance-specific: it works on any integer quadruple arrays
``(subject, relation, object, week)`` with entity types; it lives in the finance pack because
FinDKG is its only user so far.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from kgdecide.errors import ConfigError
from kgdecide.packs.finance.build import FinDKG
from kgdecide.packs.finance.predict import metrics, raw_ranks

logger = logging.getLogger(__name__)

MODEL_FORMAT = 2
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


@dataclass(frozen=True, slots=True)
class LearnSettings:
    """Training settings (defaults: the FinDKG run in docs/EVALUATION.md)."""

    epochs: int = 6
    patience: int = 2  #: epochs without validation gain before stopping
    batch: int = 128  #: queries (s, r, t) per step
    learning_rate: float = 0.003
    dim: int = 64  #: hidden units of the candidate network
    #: Share of the training weeks used only as history, not as queries: the first weeks have
    #: little history, unlike the weeks scored later (0.4 of FinDKG's 100: from week 40).
    warmup: float = 0.4
    max_minutes: float = 20.0  #: stop training (keep the best epoch) after this long
    seed: int = 0
    threads: int = 1  #: torch threads (1 was 2-3x faster than 2 on a shared 2-core machine)


@dataclass(frozen=True, slots=True)
class EpochReport:
    epoch: int
    train_loss: float
    valid: dict[str, float]
    seconds: float


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


def kg_fingerprint(kg: FinDKG) -> str:
    """A version of a FinDKG folder's content: entities, relations and the training split."""
    digest = hashlib.sha256()
    digest.update("\n".join(kg.names).encode())
    digest.update("\n".join(kg.types).encode())
    digest.update("\n".join(kg.relations).encode())
    digest.update(np.ascontiguousarray(kg.quads["train"]).tobytes())
    return f"findkg-{digest.hexdigest()[:12]}"


# --- model ------------------------------------------------------------------------------------------


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


def _net(n: int, r: int, dim: int, t: int) -> Any:
    """The torch module (``t`` entity types); its forward returns log-probabilities (b, n).

    Every entity ``o`` gets a per-relation linear score of its :data:`DENSE` features (how
    popular and active it is, all time and in the last weeks, and how its type fits ``r`` and
    ``s``'s type). Each candidate that ``s``'s history reaches also gets the output of a small
    network (``dim`` hidden ReLU units, shifted per relation) over all its :data:`INPUTS`: the
    network weighs the typed temporal paths from ``s`` to ``o`` against each other, per relation
    and given how much history ``s`` has. One softmax over all entities.
    """
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            generate = torch.zeros(r, len(DENSE))
            generate[:, DENSE.index("pop")] = 1.0  # starts as relation popularity
            self.generate = nn.Parameter(generate)
            self.hidden = nn.Linear(len(INPUTS) + 2 * r, dim)
            self.relation = nn.Embedding(r, dim)
            self.out = nn.Linear(dim, 1)
            nn.init.zeros_(self.relation.weight)
            nn.init.normal_(self.out.weight, std=0.1)
            nn.init.zeros_(self.out.bias)

        def forward(self, rel: torch.Tensor, subject_type: torch.Tensor,
                    cand: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
                    tables: dict[str, torch.Tensor]) -> torch.Tensor:
            row, col, x = cand
            scores = _dense_scores(self.generate, rel, subject_type, tables)
            h = torch.relu(self.hidden(x) + self.relation(rel[row]))
            scores = scores.index_put((row, col), self.out(h).squeeze(1), accumulate=True)
            return torch.log_softmax(scores, dim=1)

    def _dense_scores(weights: torch.Tensor, rel: torch.Tensor, subject_type: torch.Tensor,
                      tables: dict[str, torch.Tensor]) -> torch.Tensor:
        """sum_f weights[rel, f] * dense feature f, weighted once per relation then gathered."""
        per_relation = sum(weights[:, DENSE.index(name), None] * tables[name]
                           for name in DENSE if name not in BY_SUBJECT_TYPE)
        fit = sum(weights[:, DENSE.index(name)].repeat_interleave(t)[:, None] * tables[name]
                  for name in BY_SUBJECT_TYPE)
        return per_relation[rel] + fit[rel * t + subject_type]

    return Net()


@dataclass(eq=False)
class LearnedScorer:
    """A trained scorer: its weights as numpy arrays plus provenance."""

    arrays: dict[str, np.ndarray]  #: the torch state dict as numpy
    n: int  #: entities
    r: int  #: relations
    t: int  #: entity types
    settings: LearnSettings
    version: str  #: model version (hash of weights and settings)
    kg_version: str  #: :func:`kg_fingerprint` of the data it was trained on
    extra: dict[str, Any] = field(default_factory=dict)  #: training report (metrics, seconds)

    def module(self) -> Any:
        import torch

        net = _net(self.n, self.r, self.settings.dim, self.t)
        net.load_state_dict({k: torch.from_numpy(v) for k, v in self.arrays.items()})
        net.eval()
        return net

    def save(self, path: Path) -> None:
        meta = {"format": MODEL_FORMAT, "version": self.version, "kg_version": self.kg_version,
                "n": self.n, "r": self.r, "t": self.t, "settings": asdict(self.settings),
                "features": INPUTS, **self.extra}
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, meta=np.array(json.dumps(meta)), **self.arrays)
        tmp.replace(path)  # atomic: a reader never sees half a model

    @classmethod
    def from_path(cls, path: Path) -> LearnedScorer:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"no learned finance model at {path}; run `kgdecide finance train "
                              "DIR --out MODEL` first")
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(str(arrays.pop("meta")))
        if meta.get("format") != MODEL_FORMAT or tuple(meta.get("features", ())) != INPUTS:
            raise ConfigError(f"the model at {path} was written by another version of kgdecide; "
                              "run `kgdecide finance train` again")
        own = ("format", "version", "kg_version", "n", "r", "t", "settings", "features")
        extra = {k: v for k, v in meta.items() if k not in own}
        # Settings are provenance only (scoring needs just ``dim``): keep the ones still known.
        known = {k: v for k, v in meta["settings"].items() if k in LearnSettings.__dataclass_fields__}
        return cls(arrays, meta["n"], meta["r"], meta["t"], LearnSettings(**known), meta["version"],
                   meta["kg_version"], extra)

    def check(self, kg: FinDKG, path: object = "the model") -> None:
        """ConfigError unless ``kg`` has the entities and relations this model was trained on."""
        shape = (len(kg.names), len(kg.relations), len(set(kg.types)))
        if shape != (self.n, self.r, self.t):
            raise ConfigError(f"{path} was trained on {self.n} entities / {self.r} relations / "
                              f"{self.t} entity types, the folder has {shape[0]} / {shape[1]} / "
                              f"{shape[2]}; run `kgdecide finance train` on it first")
        if kg_fingerprint(kg) != self.kg_version:
            logger.warning("model trained on %s, scoring %s", self.kg_version, kg_fingerprint(kg))


def _export(net: Any, n: int, r: int, t: int, settings: LearnSettings, kg_version: str) -> LearnedScorer:
    arrays = {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}
    digest = hashlib.sha256(json.dumps(asdict(settings), sort_keys=True).encode())
    for k in sorted(arrays):
        digest.update(arrays[k].tobytes())
    return LearnedScorer(arrays, n, r, t, settings, f"learned-{digest.hexdigest()[:12]}", kg_version)


# --- scoring and training ------------------------------------------------------------------------


def _batches(q: WeekQueries, size: int, rng: np.random.Generator | None = None) -> Iterator[np.ndarray]:
    order = np.arange(len(q.subjects))
    if rng is not None:
        rng.shuffle(order)
    for start in range(0, len(order), size):
        yield order[start:start + size]


def _log_probs(net: Any, past: WeekHistory, tables: dict[str, Any], subjects: np.ndarray,
               relations: np.ndarray) -> Any:
    """(queries, n) log-probability of every entity as the object of each query."""
    import torch

    cand = candidates(past, subjects, relations)
    return net(torch.from_numpy(relations), torch.from_numpy(past.entity_type[subjects]),
               (torch.from_numpy(cand.row), torch.from_numpy(cand.col), torch.from_numpy(cand.x)),
               tables)


def _tables(past: WeekHistory) -> dict[str, Any]:
    import torch

    return {k: torch.from_numpy(v) for k, v in past.tables().items()}


def rank_split(scorer: LearnedScorer | Any, kg: FinDKG, split: str, batch: int = 128,
               progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Raw ranks (ties at the average rank) of every row of ``split``, in file order."""
    import torch

    net = scorer.module() if isinstance(scorer, LearnedScorer) else scorer
    rows = kg.quads[split]
    n, r = len(kg.names), len(kg.relations)
    types = type_codes(kg.types)
    history = kg.all_quads
    ranks = np.zeros(len(rows))
    with torch.no_grad():
        for q in week_queries(rows, r):
            past = WeekHistory.before(history, q.week, n, r, types)
            tables = _tables(past)
            for pick in _batches(q, batch):
                scores = _log_probs(net, past, tables, q.subjects[pick], q.relations[pick]).numpy()
                local = np.full(len(q.subjects), -1)
                local[pick] = np.arange(len(pick))
                mine = np.flatnonzero(local[q.pair_of_row] >= 0)
                ranks[q.rows[mine]] = raw_ranks(scores[local[q.pair_of_row[mine]]], q.answers[mine])
            if progress is not None:
                progress(len(q.rows))
    return ranks


def train(kg: FinDKG, settings: LearnSettings = LearnSettings(),
          report: Callable[[EpochReport], None] | None = None) -> LearnedScorer:
    """Train on the ``train`` split, early-stop on ``valid`` MRR, return the best epoch's model."""
    import torch

    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    n, r = len(kg.names), len(kg.relations)
    types = type_codes(kg.types)
    t = int(types.max()) + 1
    kg_version = kg_fingerprint(kg)
    net = _net(n, r, settings.dim, t)
    optimiser = _Adam(list(net.parameters()), settings.learning_rate)
    history = kg.all_quads
    train_weeks = np.unique(kg.quads["train"][:, 3])
    skip = min(int(round(settings.warmup * len(train_weeks))), len(train_weeks) - 1)
    first = int(train_weeks[skip]) if len(train_weeks) else 0
    weeks = list(week_queries(kg.quads["train"], r, first))
    if not weeks:
        raise ConfigError("the train split has no rows to learn from; check train.txt")
    started, cpu = time.perf_counter(), time.process_time()
    best, best_mrr, stale, reports = _export(net, n, r, t, settings, kg_version), -1.0, 0, []
    for epoch in range(1, settings.epochs + 1):
        t0 = time.perf_counter()
        net.train()
        losses = []
        for i in rng.permutation(len(weeks)).tolist():
            q = weeks[i]
            past = WeekHistory.before(history, q.week, n, r, types)
            tables = _tables(past)
            losses += [_step(net, optimiser, past, tables, q, pick)
                       for pick in _batches(q, settings.batch, rng)]
            if (time.perf_counter() - started) / 60 > settings.max_minutes:
                break
        net.eval()
        valid = metrics(rank_split(net, kg, "valid", settings.batch))
        epoch_report = EpochReport(epoch, float(np.mean(losses)), valid, time.perf_counter() - t0)
        reports.append(epoch_report)
        if report is not None:
            report(epoch_report)
        if valid["mrr"] > best_mrr:
            best, best_mrr, stale = _export(net, n, r, t, settings, kg_version), valid["mrr"], 0
        else:
            stale += 1
        if stale >= settings.patience or (time.perf_counter() - started) / 60 > settings.max_minutes:
            break
    best.extra = {"valid": metrics_of(reports, best_mrr), "epochs": [asdict(e) for e in reports],
                  "train_seconds": round(time.perf_counter() - started, 1),
                  "train_cpu_seconds": round(time.process_time() - cpu, 1)}
    return best


def _step(net: Any, optimiser: _Adam, past: WeekHistory, tables: dict[str, Any], q: WeekQueries,
          pick: np.ndarray) -> float:
    """One gradient step on the queries ``pick`` of week ``q``; returns the mean loss of its rows."""
    import torch

    pick = np.sort(pick)
    rows = np.flatnonzero(np.isin(q.pair_of_row, pick))
    log_p = _log_probs(net, past, tables, q.subjects[pick], q.relations[pick])
    query_of_row = torch.from_numpy(np.searchsorted(pick, q.pair_of_row[rows]))
    loss = torch.nn.functional.nll_loss(log_p[query_of_row], torch.from_numpy(q.answers[rows]))
    loss.backward()
    optimiser.step()
    return float(loss.detach())


class _Adam:
    """Adam (Kingma & Ba) in a few lines: ``torch.optim`` imports torch._dynamo on first use,
    which costs seconds of start-up on every ``train`` call and test."""

    def __init__(self, params: list[Any], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        import torch

        self.params, self.lr, self.betas, self.eps, self.t = params, lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def step(self) -> None:
        """Apply and clear the accumulated gradients."""
        import torch

        self.t += 1
        b1, b2 = self.betas
        with torch.no_grad():
            for p, m, v in zip(self.params, self.m, self.v):
                if p.grad is None:
                    continue
                m.mul_(b1).add_(p.grad, alpha=1 - b1)
                v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                denom = (v / (1 - b2 ** self.t)).sqrt_().add_(self.eps)
                p.addcdiv_(m, denom, value=-self.lr / (1 - b1 ** self.t))
                p.grad = None


def metrics_of(reports: Sequence[EpochReport], mrr: float) -> dict[str, float]:
    """The validation metrics of the epoch whose MRR is ``mrr``."""
    return next(e.valid for e in reports if e.valid["mrr"] == mrr)
