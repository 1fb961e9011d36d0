"""The learned temporal scorer for FinDKG's link-prediction protocol (torch; imported lazily).

A query is ``(s, r, ?, t)``: score every entity ``o`` as the object, from facts strictly before
week ``t``. The scorer is an attention over ``s``'s temporal neighbourhood written as typed
relational features of each candidate (:data:`FEATURES`): how often and how recently ``(s, r, o)``,
``(s, ., o)``, ``(o, ., s)`` and ``(o, r, s)`` were reported, two-hop paths ``s - x - o``, how
popular ``o`` is under ``r`` and in the news (all time and recently), and how well ``o``'s entity
type fits ``r`` and ``s``'s type.

Two modes are mixed per query, as in copy-generation models (CyGNet): *copy* is a softmax over
the candidates ``s``'s history reaches, with per-relation weights over the features (``W[r]``: how
much attention a query of relation ``r`` pays to each kind of path) shifted by the query's
:data:`CONTEXT` (how much history ``s`` has); *generate* is a softmax over all entities from the
dense features plus a DistMult term ``<e_s, w_r, e_o>`` (what the history cannot show). A gate
from ``r`` and the context mixes them. Training minimises cross-entropy of the true object over
*all* entities, with early stopping on the validation split's MRR.

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

MODEL_FORMAT = 1
#: Decay (weeks) of the "recent" features: weight ``exp(-(t - 1 - week) / TAU)``.
TAU = 2.0
#: Two-hop paths s - x - o count only through x with at most this many neighbours.
HUB_DEGREE = 50
#: Features of (s, r, t) that are non-zero on few candidates: counts along typed paths from s.
SPARSE = ("sro", "sro_recent", "so", "so_recent", "os", "os_recent", "ors", "two_hop", "self")
#: Features of a candidate that depend on r, s's type and the week only (shared by many queries).
DENSE = ("pop", "pop_recent", "activity", "activity_recent", "type_r", "type_rs")
FEATURES = SPARSE + DENSE
#: Query context that shifts the attention over sparse features (a subject with a long history
#: in r is better predicted by its repeats; one without, by its type and neighbours).
CONTEXT = ("s_activity", "s_activity_recent", "sr_count", "sr_recent")


@dataclass(frozen=True, slots=True)
class LearnSettings:
    """Training settings (defaults: the FinDKG run in docs/EVALUATION.md)."""

    epochs: int = 4
    patience: int = 2  #: epochs without validation gain before stopping
    batch: int = 128  #: queries (s, r, t) per step
    learning_rate: float = 0.005
    dim: int = 32  #: DistMult embedding size
    #: Share of the training weeks used only as history, not as queries: the first weeks have
    #: little history, unlike the weeks scored later (0.4 of FinDKG's 100: from week 40).
    warmup: float = 0.4
    max_minutes: float = 25.0  #: stop training (keep the best epoch) after this long
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
    """Everything known before one week, ready to turn queries into candidate features."""

    n: int
    r: int
    entity_type: np.ndarray  #: int64[n] type code per entity
    sro: sp.csr_matrix  #: (n * r, n) log1p count of (s, r, o), row s * r + rel
    sro_recent: sp.csr_matrix
    so: sp.csr_matrix  #: (n, n) log1p count of (s, any, o)
    so_recent: sp.csr_matrix
    os: sp.csr_matrix  #: (n, n) log1p count of (o, any, s), row s
    os_recent: sp.csr_matrix
    ors: sp.csr_matrix  #: (n * r, n) log1p count of (o, r, s), row s * r + rel
    neighbours: sp.csr_matrix  #: (n, n) 0/1 undirected adjacency
    step: sp.csr_matrix  #: (n, n) adjacency with rows divided by degree, hub rows empty
    pop: np.ndarray  #: (r, n) log1p count of o as object of r
    pop_recent: np.ndarray
    activity: np.ndarray  #: (n,) log1p count of facts naming the entity
    activity_recent: np.ndarray
    sr_total: np.ndarray  #: (2, n * r) log1p count of (s, r, any), all time and recent
    type_r: np.ndarray  #: (r, T) log P(object type | r)
    type_rs: np.ndarray  #: (r, T, T) log P(object type | r, subject type)

    @classmethod
    def before(cls, quads: np.ndarray, week: int, n: int, r: int, types: np.ndarray) -> WeekHistory:
        """The history of ``quads`` (int[k, 4]: s, r, o, week) before ``week``; ``types`` codes
        each entity (0..T-1)."""
        q = quads[quads[:, 3] < week]
        s, rel, o = q[:, 0], q[:, 1], q[:, 2]
        ones = np.ones(len(q))
        recent = np.exp(-(week - 1 - q[:, 3]) / TAU)

        def counts(weights: np.ndarray, rows: np.ndarray, cols: np.ndarray, height: int) -> sp.csr_matrix:
            m = sp.csr_matrix((weights, (rows, cols)), shape=(height, n))
            m.sum_duplicates()
            m.data = np.log1p(m.data)
            return m

        adjacency = sp.csr_matrix((ones, (s, o)), shape=(n, n))
        adjacency = ((adjacency + adjacency.T) > 0).astype(np.float64).tocsr()
        degree = np.asarray(adjacency.sum(axis=1)).ravel()
        # Two-hop paths only through entities of low degree: a path via a hub ("United States")
        # says little and would make the feature dense.
        through = np.where((degree > 0) & (degree <= HUB_DEGREE), 1.0 / np.maximum(degree, 1.0), 0.0)
        step = (sp.diags(through) @ adjacency).tocsr()
        step.eliminate_zeros()
        t_count = int(types.max()) + 1 if len(types) else 1
        return cls(
            n, r, types,
            counts(ones, s * r + rel, o, n * r), counts(recent, s * r + rel, o, n * r),
            counts(ones, s, o, n), counts(recent, s, o, n), counts(ones, o, s, n),
            counts(recent, o, s, n),
            counts(ones, o * r + rel, s, n * r), adjacency, step,
            _log_bincount2(rel, o, ones, r, n), _log_bincount2(rel, o, recent, r, n),
            np.log1p(np.bincount(np.concatenate([s, o]), minlength=n).astype(np.float64)),
            np.log1p(np.bincount(np.concatenate([s, o]), np.concatenate([recent, recent]), n)),
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
        blocks = (self.sro[keys], self.sro_recent[keys], self.so[subjects], self.so_recent[subjects],
                  self.os[subjects], self.os_recent[subjects], self.ors[keys], two,
                  sp.coo_matrix((np.ones(len(subjects)), (np.arange(len(subjects)), subjects)),
                                shape=(len(subjects), self.n)))
        rows, cols, feats, vals = [], [], [], []
        for f, block in enumerate(blocks):
            coo = block.tocoo()
            rows.append(coo.row)
            cols.append(coo.col)
            feats.append(np.full(coo.nnz, f))
            vals.append(coo.data)
        return SparseFeatures(*(np.concatenate(x).astype(t) for x, t in
                                zip((rows, cols, feats, vals), (np.int64,) * 3 + (np.float32,))))

    def context(self, subjects: np.ndarray, relations: np.ndarray) -> np.ndarray:
        """float32 (queries, :data:`CONTEXT`): how much history each query's subject has, all
        time and recently, in any relation and in the query's relation."""
        keys = subjects * self.r + relations
        return np.stack([self.activity[subjects], self.activity_recent[subjects],
                         self.sr_total[0, keys], self.sr_total[1, keys]], axis=1).astype(np.float32)

    def tables(self) -> dict[str, np.ndarray]:
        """The :data:`DENSE` features as float32 lookup tables: per relation (``pop``,
        ``pop_recent``, ``type_r``: [r, n]), per (relation, subject type) (``type_rs``:
        [r * T, n]) or per entity (``activity``, ``activity_recent``: [n])."""
        t = self.type_rs.shape[1]
        return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in (
            ("pop", self.pop), ("pop_recent", self.pop_recent), ("activity", self.activity),
            ("activity_recent", self.activity_recent), ("type_r", self.type_r[:, self.entity_type]),
            ("type_rs", self.type_rs.reshape(self.r * t, t)[:, self.entity_type]))}

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
            if name == "type_rs":
                table = table[relations * t + self.entity_type[subjects]]
            elif table.ndim == 2:
                table = table[relations]
            out[FEATURES.index(name)] = table
        return out


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


def _net(n: int, r: int, dim: int, t: int) -> Any:
    """The torch module (``t`` entity types); its forward returns log-probabilities (b, n).

    Two modes, mixed per query as in copy-generation models (CyGNet): *copy* attends over the
    candidates ``s``'s history reaches (any non-zero :data:`SPARSE` feature but ``self``) with
    per-relation weights over all features, shifted by the query's :data:`CONTEXT`; *generate*
    scores every entity from the :data:`DENSE` features plus DistMult. A gate from the relation
    and the context mixes the two distributions. Copy then ranks inside the history without
    having to also explain the answers the history cannot reach.
    """
    import torch
    from torch import nn

    s_count = len(SPARSE)
    self_feature = SPARSE.index("self")

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            start = torch.zeros(r, len(FEATURES))
            # Copy starts as the history baseline: repeat (s, r, o), then (s, ., o), popularity.
            for name, value in (("sro", 1.0), ("so", 0.3), ("os", 0.1), ("pop", 0.1)):
                start[:, FEATURES.index(name)] = value
            self.weights = nn.Parameter(start)
            self.attention = nn.Parameter(torch.zeros(len(CONTEXT), s_count))
            generate = torch.zeros(r, len(DENSE))
            generate[:, DENSE.index("pop")] = 1.0  # generate starts as relation popularity
            self.generate = nn.Parameter(generate)
            self.gate = nn.Parameter(torch.zeros(r))
            self.gate_context = nn.Parameter(torch.zeros(len(CONTEXT)))
            self.entity = nn.Embedding(n, dim)
            self.relation = nn.Embedding(r, dim)
            nn.init.normal_(self.entity.weight, std=0.05)
            nn.init.normal_(self.relation.weight, std=0.05)

        def forward(self, s: torch.Tensor, rel: torch.Tensor, subject_type: torch.Tensor,
                    context: torch.Tensor, sparse: tuple[torch.Tensor, ...],
                    tables: dict[str, torch.Tensor]) -> torch.Tensor:
            row, col, feature, value = sparse
            copy = _dense_scores(self.weights[:, s_count:], rel, subject_type, tables)
            w = self.weights[rel, :s_count] + context @ self.attention  # (b, sparse)
            copy = copy.index_put((row, col), w[row, feature] * value, accumulate=True)
            reached = torch.zeros_like(copy, dtype=torch.bool)
            path = feature != self_feature
            reached[row[path], col[path]] = True
            copy = torch.log_softmax(copy.masked_fill(~reached, -1e4), dim=1)
            generate = _dense_scores(self.generate, rel, subject_type, tables)
            generate = generate + (self.entity(s) * self.relation(rel)) @ self.entity.weight.T
            gate = self.gate[rel] + context @ self.gate_context
            has = reached.any(dim=1)
            log_copy = torch.where(has, nn.functional.logsigmoid(gate), torch.full_like(gate, -1e4))
            log_generate = torch.where(has, nn.functional.logsigmoid(-gate), torch.zeros_like(gate))
            return torch.logaddexp(log_copy[:, None] + copy,
                                   log_generate[:, None] + torch.log_softmax(generate, dim=1))

    def _dense_scores(weights: torch.Tensor, rel: torch.Tensor, subject_type: torch.Tensor,
                      tables: dict[str, torch.Tensor]) -> torch.Tensor:
        """sum_f weights[rel, f] * dense feature f, weighted once per relation then gathered."""
        per_relation = sum(weights[:, DENSE.index(name), None] * tables[name]
                           for name in ("pop", "pop_recent", "activity", "activity_recent", "type_r"))
        fit = weights[:, DENSE.index("type_rs")].repeat_interleave(t)[:, None] * tables["type_rs"]
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
                "features": FEATURES + CONTEXT, **self.extra}
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
        if meta.get("format") != MODEL_FORMAT or tuple(meta.get("features", ())) != FEATURES + CONTEXT:
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

    sparse = past.sparse(subjects, relations)
    return net(torch.from_numpy(subjects), torch.from_numpy(relations),
               torch.from_numpy(past.entity_type[subjects]),
               torch.from_numpy(past.context(subjects, relations)),
               tuple(torch.from_numpy(a) for a in (sparse.row, sparse.col, sparse.feature,
                                                   sparse.value)), tables)


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
