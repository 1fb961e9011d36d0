"""The learned temporal scorer's network, its saved form, and scoring a split (torch; imported
lazily).

Every entity gets a per-relation linear score of its :data:`~kgdecide.score.temporal.features.DENSE`
features; each candidate that ``s``'s history reaches also gets the output of a small ReLU network
over all its inputs and the query's context (how much history ``s`` has), shifted per relation.
One softmax over *all* entities. There are no entity embeddings (round 1's DistMult term
overfitted: training loss fell, valid MRR did not).

A saved model may also hold temporal rules (:mod:`kgdecide.score.temporal.rules`) and the fusion
weights chosen on the validation split (:class:`Fusion`): ``fused = log p(o) + w * evidence(o)``,
with one weight for candidates already linked to ``s`` and another for the rest.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from kgdecide.errors import ConfigError
from kgdecide.score.temporal.base import TemporalGraph, TemporalPredictor, raw_ranks
from kgdecide.score.temporal.features import (
    BY_SUBJECT_TYPE, DENSE, INPUTS, WeekHistory, WeekQueries, candidates, kg_fingerprint, type_codes,
    week_queries,
)
from kgdecide.score.temporal.rules import Adjacency, RuleSet

logger = logging.getLogger(__name__)

MODEL_FORMAT = 3
#: Answer groups of a row ``(s, r, o, t)``: ``o`` linked to ``s`` before ``t`` (any relation,
#: either direction); ``o`` in some fact before ``t`` but never with ``s``; ``o`` in no fact before.
GROUPS = ("repeat", "seen-unlinked", "new")
#: Candidate weights of the rules' evidence in the fusion, tried on the validation split.
FUSION_GRID = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)


@dataclass(frozen=True, slots=True)
class Fusion:
    """``fused(o) = log p_learned(o) + w * evidence_rules(o)``, ``w = linked`` when ``o`` was
    linked to the subject before (any relation, either direction), else ``unlinked``: a gate on
    what the history says about the candidate, chosen on the validation split."""

    linked: float
    unlinked: float

    @classmethod
    def grid(cls, weights: Sequence[float] = FUSION_GRID) -> list[Fusion]:
        return [cls(a, b) for a in weights for b in weights]


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
    #: stop the network's training after this long (wall time; the best epoch so far is kept;
    #: learning the rules before and choosing the fusion after come on top)
    max_minutes: float = 20.0
    seed: int = 0
    threads: int = 1  #: torch threads (1 was 2-3x faster than 2 on a shared 2-core machine)


@dataclass(frozen=True, slots=True)
class EpochReport:
    epoch: int
    train_loss: float
    valid: dict[str, float]
    seconds: float


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
    rules: RuleSet | None = None  #: temporal rules learned from train
    fusion: Fusion | None = None  #: how learned scores and rules combine (chosen on valid)

    def module(self) -> Any:
        import torch

        net = _net(self.n, self.r, self.settings.dim, self.t)
        net.load_state_dict({k: torch.from_numpy(v) for k, v in self.arrays.items()})
        net.eval()
        return net

    def save(self, path: Path) -> None:
        meta = {"format": MODEL_FORMAT, "version": self.version, "kg_version": self.kg_version,
                "n": self.n, "r": self.r, "t": self.t, "settings": asdict(self.settings),
                "features": INPUTS, **self.extra,
                "rules": self.rules.to_json() if self.rules is not None else None,
                "fusion": asdict(self.fusion) if self.fusion is not None else None}
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
        own = ("format", "version", "kg_version", "n", "r", "t", "settings", "features", "rules",
               "fusion")
        extra = {k: v for k, v in meta.items() if k not in own}
        rules = RuleSet.from_json(meta["rules"]) if meta.get("rules") else None
        fusion = Fusion(**meta["fusion"]) if meta.get("fusion") else None
        # Settings are provenance only (scoring needs just ``dim``): keep the ones still known.
        known = {k: v for k, v in meta["settings"].items() if k in LearnSettings.__dataclass_fields__}
        return cls(arrays, meta["n"], meta["r"], meta["t"], LearnSettings(**known), meta["version"],
                   meta["kg_version"], extra, rules, fusion)

    def check(self, kg: TemporalGraph, path: object = "the model") -> None:
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


@dataclass(frozen=True, slots=True)
class SplitScores:
    """Raw ranks (ties at the average rank) of every row of a split, in file order, under the
    learned network, the rules alone and each fusion tried; and each row's answer group."""

    learned: np.ndarray  #: float64[rows]
    rules: np.ndarray | None  #: float64[rows]; None without rules
    fused: np.ndarray  #: float64[fusions, rows]
    fusions: tuple[Fusion, ...]
    groups: np.ndarray  #: int8[rows], index into :data:`GROUPS`


def score_split(scorer: LearnedScorer | Any, kg: TemporalGraph, split: str,
                fusions: Sequence[Fusion] | None = None, batch: int = 128,
                progress: Callable[[int], None] | None = None,
                rules: RuleSet | None = None) -> SplitScores:
    """Score every row of ``split`` (history = all facts before its week) with the network, the
    rules (``rules``, else the scorer's) and each of ``fusions`` (default: the scorer's own), one
    batch of ``batch`` queries at a time: nothing larger than (batch x entities) is held."""
    import torch

    net = scorer.module() if isinstance(scorer, LearnedScorer) else scorer
    if rules is None and isinstance(scorer, LearnedScorer):
        rules = scorer.rules
    if fusions is None:
        own = scorer.fusion if isinstance(scorer, LearnedScorer) else None
        fusions = [own] if own is not None and rules is not None else []
    fusions = tuple(fusions)
    rows = kg.quads[split]
    n, r = len(kg.names), len(kg.relations)
    types = type_codes(kg.types)
    history = kg.all_quads
    learned = np.zeros(len(rows))
    by_rules = np.zeros(len(rows)) if rules is not None else None
    fused = np.zeros((len(fusions), len(rows)))
    groups = np.zeros(len(rows), np.int8)
    with torch.no_grad():
        for q in week_queries(rows, r):
            past = WeekHistory.before(history, q.week, n, r, types)
            tables = _tables(past)
            adj = None if rules is None else Adjacency.before(
                history, q.week, n, r, rules.settings.windows, rules.settings.hub_degree)
            linked_rows = np.asarray(past.neighbours[q.subjects[q.pair_of_row], q.answers]).ravel() > 0
            seen = past.dense["activity"][q.answers] > 0
            groups[q.rows] = np.where(linked_rows, 0, np.where(seen, 1, 2))
            for pick in _batches(q, batch):
                subjects, relations = q.subjects[pick], q.relations[pick]
                scores = _log_probs(net, past, tables, subjects, relations).numpy().astype(np.float64)
                local = np.full(len(q.subjects), -1)
                local[pick] = np.arange(len(pick))
                mine = np.flatnonzero(local[q.pair_of_row] >= 0)
                at, answers, out = local[q.pair_of_row[mine]], q.answers[mine], q.rows[mine]
                learned[out] = raw_ranks(scores[at], answers)
                if rules is None or adj is None or by_rules is None:
                    continue
                evidence = rules.evidence(adj, subjects, relations)
                linked = evidence.multiply(past.neighbours[subjects] > 0).tocsr()
                on_linked, on_unlinked = linked.toarray(), (evidence - linked).toarray()
                by_rules[out] = raw_ranks((on_linked + on_unlinked)[at], answers)
                for i, f in enumerate(fusions):
                    mixed = scores[at] + f.linked * on_linked[at] + f.unlinked * on_unlinked[at]
                    fused[i, out] = raw_ranks(mixed, answers)
            if progress is not None:
                progress(len(q.rows))
    return SplitScores(learned, by_rules, fused, fusions, groups)


def rank_split(scorer: LearnedScorer | Any, kg: TemporalGraph, split: str, batch: int = 128,
               progress: Callable[[int], None] | None = None, part: str = "learned") -> np.ndarray:
    """Raw ranks (ties at the average rank) of every row of ``split``, in file order, under the
    network alone (``part="learned"``), the rules alone (``"rules"``) or their fusion
    (``"fusion"``); a model without rules has only ``"learned"``."""
    if part == "learned":
        net = scorer.module() if isinstance(scorer, LearnedScorer) else scorer
        return score_split(net, kg, split, [], batch, progress).learned
    if not isinstance(scorer, LearnedScorer) or scorer.rules is None or scorer.fusion is None:
        raise ConfigError(f"this model has no temporal rules, so no {part!r} scores; train it "
                          "again with `kgdecide finance train`")
    got = score_split(scorer, kg, split, [scorer.fusion], batch, progress)
    if part == "rules":
        assert got.rules is not None
        return got.rules
    if part == "fusion":
        return got.fused[0]
    raise ValueError(f"part: {part!r} is not one of learned, rules, fusion")


class LearnedPredictor(TemporalPredictor):
    """A trained model as a :class:`~kgdecide.score.temporal.base.TemporalPredictor`: the
    network's log-probabilities, plus the rules' evidence weighted by the model's fusion when it
    has rules (the ``fusion`` ranks of :func:`score_split`)."""

    name: ClassVar[str] = "learned"

    def __init__(self, model: LearnedScorer, types: Sequence[str]) -> None:
        super().__init__(model.n, model.r)
        if len(types) != model.n or len(set(types)) != model.t:
            raise ConfigError(f"types: the model was trained on {model.n} entities of {model.t} "
                              f"types, got {len(types)} of {len(set(types))}")
        self.model, self.types, self.net = model, type_codes(types), model.module()

    def _scores(self, history: np.ndarray, week: int, subjects: np.ndarray,
                relations: np.ndarray) -> np.ndarray:
        import torch

        past = WeekHistory.before(history, week, self.n, self.r, self.types)
        with torch.no_grad():
            scores = _log_probs(self.net, past, _tables(past), subjects, relations).numpy()
        scores = scores.astype(np.float64)
        rules, fusion = self.model.rules, self.model.fusion
        if rules is None or fusion is None:
            return scores
        adj = Adjacency.before(history, week, self.n, self.r, rules.settings.windows,
                               rules.settings.hub_degree)
        evidence = rules.evidence(adj, subjects, relations)
        linked = evidence.multiply(past.neighbours[subjects] > 0).tocsr()
        return scores + fusion.linked * linked.toarray() + fusion.unlinked * (evidence - linked).toarray()
