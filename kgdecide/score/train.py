"""Training the attention scorer (torch; imported only by ``kgdecide train`` and tests).

An example is one case (real or simulated) over a candidate list: the answer(s), the hardest
negatives of the two untrained scorers (the ``resnik`` and ``lr`` top candidates, scored with the
same annotation overrides the case is evaluated with) and random others. The loss is listwise:
softmax cross-entropy of the answer over the list. The torch model computes exactly what
:class:`~kgdecide.score.attention.AttentionScorer` computes in numpy (a test holds them equal), so
the weights move from one to the other unchanged. Early stopping keeps the epoch with the best
validation metric, which the caller computes with the real scorer over every candidate.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np

from kgdecide.score.attention import (
    COSINE_KNOTS, FREQUENCY_KNOTS, IC_KNOTS, AttentionScorer, AttentionWeights,
)
from kgdecide.score.base import TargetAnnotations
from kgdecide.score.lr import LRScorer
from kgdecide.score.resnik import ResnikScorer

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TrainSettings:
    hard: int = 100  #: hardest negatives taken from each of resnik and lr
    random: int = 56  #: random negatives per example
    epochs: int = 12
    patience: int = 3  #: epochs without validation gain before stopping
    batch: int = 32
    learning_rate: float = 0.02
    max_findings: int = 30  #: longer cases are subsampled (per example, fixed seed)
    max_minutes: float = 10.0  #: stop training (keep the best epoch) after this long
    seed: int = 0
    #: the ablations of docs/EVALUATION.md: without either attention the model falls back to
    #: the best single annotation (annotations) or a plain gated sum (findings)
    annotation_attention: bool = True
    finding_attention: bool = True
    #: weight of a simulated patient in the loss, a real case's being 1
    simulated_weight: float = 1.0
    #: term embeddings in the compatibility, learned from these targets' annotations (None: the
    #: ablation without embeddings)
    embedding_prefixes: tuple[str, ...] | None = ()


@dataclass(frozen=True, slots=True)
class Example:
    """One case's arrays over its candidate list (float32 / int)."""

    finding_ic: np.ndarray  #: [n] IC of each present finding
    common_ic: np.ndarray  #: float16 [n, U] IC of the finding's common ancestor with each term
    kind: np.ndarray  #: int8 [n, U] path kind (attention.PATH_KINDS)
    term_ic: np.ndarray  #: [U] IC of the annotation terms U met in the candidates
    cosine: np.ndarray  #: float16 [n, U] cosine of the finding's embedding with each term's
    entry_candidate: np.ndarray  #: int64 [E] candidate of each annotation entry
    entry_term: np.ndarray  #: int64 [E] its term, as an index into U
    entry_frequency: np.ndarray  #: [E]
    entry_evidence: np.ndarray  #: [E] 1.0 where case-derived
    excluded_ic: np.ndarray  #: [x] IC of each excluded finding
    excluded_frequency: np.ndarray  #: [x, C] how often each candidate shows it (or a descendant)
    answer: np.ndarray  #: bool [C]
    candidates: np.ndarray  #: int64 [C] target indices
    weight: float = 1.0  #: the example's weight in the loss


@dataclass(frozen=True, slots=True)
class EpochReport:
    epoch: int
    train_loss: float
    validation: float
    seconds: float


class ExampleMaker:
    """Builds examples over one graph: the scorer's per-graph arrays and the two scorers that
    pick hard negatives."""

    def __init__(self, scorer: AttentionScorer, graph, settings: TrainSettings) -> None:  # noqa: ANN001
        self.state = scorer.prepare(graph)
        if settings.embedding_prefixes is not None and self.state.embeddings is None:
            from kgdecide.score.embeddings import term_embeddings

            self.state.embeddings = term_embeddings(graph, self.state.index, self.state.table,
                                                    settings.embedding_prefixes)
        self.graph = graph
        self.settings = settings
        self.resnik = ResnikScorer(scorer.spec)
        self.lr = LRScorer(scorer.spec)
        self.allowed: np.ndarray | None = None  #: target indices candidates may come from
        self._path_cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()

    def _paths(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """(common ancestor IC float16 [T], path kind [T]) of a finding term, kept for the
        findings met most recently: cases share most of their findings."""
        cached = self._path_cache.get(term)
        if cached is None:
            _, ic, kind = self.state.paths.of(term)
            cached = self._path_cache[term] = (ic.astype(np.float16), kind)
            if len(self._path_cache) > 4096:
                self._path_cache.popitem(last=False)
        return cached

    def make(self, observed: Sequence[int], excluded: Sequence[int], answers: Sequence[int],
             overrides: Sequence[TargetAnnotations], rng: np.random.Generator) -> Example | None:
        """An example from term indices and target indices; None when nothing can be learned."""
        if not observed or not answers:
            return None
        observed = list(dict.fromkeys(observed))
        if len(observed) > self.settings.max_findings:
            observed = rng.choice(observed, self.settings.max_findings, replace=False).tolist()
        candidates = self._candidates(observed, answers, overrides, rng)
        replaced = {o.target: o for o in overrides}
        rows = [replaced.get(int(t)) or self.state.table.row(int(t)) for t in candidates]
        entry_candidate = np.concatenate([np.full(len(r.terms), i) for i, r in enumerate(rows)])
        entry_terms = np.concatenate([r.terms for r in rows]).astype(np.int64)
        terms, entry_term = np.unique(entry_terms, return_inverse=True)
        index = self.state.index
        common_ic = np.zeros((len(observed), len(terms)), dtype=np.float16)
        kind = np.zeros((len(observed), len(terms)), dtype=np.int8)
        cosine = np.zeros((len(observed), len(terms)), dtype=np.float16)
        for i, q in enumerate(observed):
            ic, k = self._paths(int(q))
            common_ic[i], kind[i] = ic[terms], k[terms]
            if self.settings.embedding_prefixes is not None:
                cosine[i] = self.state.cosines(int(q))[terms]
        excluded_frequency = np.zeros((len(excluded), len(candidates)), dtype=np.float32)
        frequencies = np.concatenate([r.frequencies for r in rows])
        for j, x in enumerate(excluded):
            below = np.zeros(len(index.ic), dtype=bool)
            below[self.state.paths.below(int(x))] = True
            hit = below[entry_terms]
            np.maximum.at(excluded_frequency[j], entry_candidate[hit], frequencies[hit])
        return Example(
            finding_ic=index.ic[observed].astype(np.float32), common_ic=common_ic, kind=kind,
            term_ic=index.ic[terms].astype(np.float32), cosine=cosine, entry_candidate=entry_candidate,
            entry_term=entry_term.astype(np.int64), entry_frequency=frequencies.astype(np.float32),
            entry_evidence=np.concatenate([r.evidence for r in rows]).astype(np.float32),
            excluded_ic=index.ic[list(excluded)].astype(np.float32),
            excluded_frequency=excluded_frequency, answer=np.isin(candidates, answers),
            candidates=candidates)

    def _candidates(self, observed: list[int], answers: Sequence[int],
                    overrides: Sequence[TargetAnnotations], rng: np.random.Generator) -> np.ndarray:
        index = self.state.index
        rows = [int(index.term_rows[t]) for t in observed]
        allowed = self.allowed if self.allowed is not None else np.arange(index.n_targets)
        picked: list[int] = list(answers)
        for scorer in (self.resnik, self.lr):
            scores = scorer.score(self.graph, rows, [True] * len(rows), overrides).scores[allowed]
            picked += allowed[np.argsort(-scores, kind="stable")[: self.settings.hard]].tolist()
        chosen = list(dict.fromkeys(int(c) for c in picked))
        others = np.setdiff1d(allowed, chosen)
        chosen += rng.choice(others, min(self.settings.random, len(others)), replace=False).tolist()
        return np.asarray(chosen, dtype=np.int64)


def train(examples: list[Example], validate: Callable[[AttentionWeights], float], kg_version: str,
          settings: TrainSettings = TrainSettings(),
          report: Callable[[EpochReport], None] = lambda r: None) -> AttentionWeights:
    """Fit the weights; returns the best epoch's by ``validate`` (higher is better)."""
    import torch

    torch.manual_seed(settings.seed)
    torch.set_num_threads(1)  # small tensors: one thread was faster than two on 2 cores
    model = _Model(settings)
    optimiser = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    rng = np.random.default_rng(settings.seed)
    best = model.export(kg_version)
    best_value, stale = validate(best), 0
    report(EpochReport(0, float("nan"), best_value, 0.0))
    started = time.monotonic()
    for epoch in range(1, settings.epochs + 1):
        t0 = time.monotonic()
        losses = []
        order = rng.permutation(len(examples))
        for s in range(0, len(order), settings.batch):
            optimiser.zero_grad()
            batch = [examples[i] for i in order[s:s + settings.batch]]
            weights = torch.tensor([e.weight for e in batch], dtype=torch.float64)
            loss = (torch.stack([model.loss(e) for e in batch]) * weights).sum() / weights.sum()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
        weights = model.export(kg_version)
        value = validate(weights)
        report(EpochReport(epoch, float(np.mean(losses)) if losses else float("nan"), value,
                           time.monotonic() - t0))
        if value > best_value + 1e-4:
            best, best_value, stale = weights, value, 0
        else:
            stale += 1
        if stale >= settings.patience or time.monotonic() - started > settings.max_minutes * 60:
            break
    return best


def _Model(settings: TrainSettings):  # noqa: N802, ANN202 - a factory, so torch stays a lazy import
    import torch
    from torch import nn

    ic_knots = torch.tensor(IC_KNOTS)
    frequency_knots = torch.tensor(FREQUENCY_KNOTS)
    cosine_knots = torch.tensor(COSINE_KNOTS)
    embedded = settings.embedding_prefixes is not None
    initial = AttentionWeights.initial()
    log2 = float(np.log(2.0))

    def interp(x, knots, values):  # noqa: ANN001, ANN202 - np.interp in torch (clamped ends)
        x = x.clamp(float(knots[0]), float(knots[-1]))
        i = torch.bucketize(x, knots[1:-1])
        x0, x1 = knots[i], knots[i + 1]
        return values[i] + (x - x0) / (x1 - x0) * (values[i + 1] - values[i])

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            for f in fields(AttentionWeights):
                if f.name in ("version", "kg_version", "gamma", "hard_match", "embedded",
                              "embedding_prefixes"):
                    continue
                value = torch.tensor(np.asarray(getattr(initial, f.name), dtype=np.float64))
                setattr(self, f.name, nn.Parameter(value))
            g = float(initial.gamma)
            self.gamma_logit = nn.Parameter(torch.tensor(np.log(g / (1 - g))))

        def forward(self, e: Example):  # noqa: ANN202
            common = torch.from_numpy(e.common_ic.astype(np.float64))
            finding_ic = torch.from_numpy(e.finding_ic.astype(np.float64))
            term_ic = torch.from_numpy(e.term_ic.astype(np.float64))
            c = (interp(common, ic_knots, self.common)
                 + interp((finding_ic[:, None] - common).clamp(min=0), ic_knots, self.finding_gap)
                 + interp((term_ic[None, :] - common).clamp(min=0), ic_knots, self.annotation_gap)
                 + self.path[torch.from_numpy(e.kind.astype(np.int64))])
            if embedded:
                c = c + interp(torch.from_numpy(e.cosine.astype(np.float64)), cosine_knots,
                               self.similarity)
            h = (interp(torch.from_numpy(e.entry_frequency.astype(np.float64)), frequency_knots,
                        self.frequency)
                 + self.evidence * torch.from_numpy(e.entry_evidence.astype(np.float64)))
            cand = torch.from_numpy(e.entry_candidate)
            n, size = len(e.finding_ic), len(e.candidates)
            logits = c[:, torch.from_numpy(e.entry_term)] + h[None, :]  # [n, E]
            if settings.annotation_attention:
                top = logits.max(dim=1, keepdim=True).values.detach()
                z = torch.zeros(n, size, dtype=logits.dtype).index_add_(1, cand, torch.exp(logits - top))
                log_z = torch.log(z.clamp(min=1e-300)) + top
            else:
                log_z = torch.full((n, size), -1e30, dtype=logits.dtype).scatter_reduce(
                    1, cand.expand(n, -1), logits, reduce="amax")
            norm = torch.zeros(size, dtype=h.dtype).index_add_(0, cand, torch.exp(h))
            gamma = torch.sigmoid(self.gamma_logit)
            log_z = log_z - gamma * torch.log(norm.clamp(min=1e-300))[None, :]
            null = interp(finding_ic, ic_knots, self.null)[:, None]
            values = torch.logaddexp(null, log_z) - null
            gate = nn.functional.softplus(interp(finding_ic, ic_knots, self.gate))[:, None]
            focus = self.focus if settings.finding_attention else self.focus * 0.0
            beta = torch.softmax(torch.log(gate) + focus * values, dim=0)
            score = n * log2 + (n * beta * (values - log2)).sum(0)
            if len(e.excluded_ic):
                x_ic = torch.from_numpy(e.excluded_ic.astype(np.float64))
                w = nn.functional.softplus(interp(x_ic, ic_knots, self.excluded))[:, None]
                score = score - (w * torch.from_numpy(e.excluded_frequency.astype(np.float64))).sum(0)
            return score

        def loss(self, e: Example):  # noqa: ANN202
            score = self(e)
            answer = torch.from_numpy(e.answer)
            return torch.logsumexp(score, 0) - torch.logsumexp(score[answer], 0)

        def export(self, kg_version: str) -> AttentionWeights:
            arrays = {name: p.detach().numpy().astype(np.float64).copy()
                      for name, p in self.named_parameters() if name != "gamma_logit"}
            arrays["gamma"] = np.asarray(float(torch.sigmoid(self.gamma_logit.detach())))
            if not settings.finding_attention:
                arrays["focus"] = np.asarray(0.0)
            arrays["hard_match"] = np.asarray(0.0 if settings.annotation_attention else 1.0)
            arrays["embedded"] = np.asarray(1.0 if embedded else 0.0)
            digest = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes()
                                             for a in arrays.values())).hexdigest()
            return AttentionWeights(**arrays, version=f"attention-{digest[:12]}",
                                    kg_version=kg_version,
                                    embedding_prefixes=tuple(settings.embedding_prefixes or ()))

    return Model()
