"""Training the attention scorer (torch; imported only by ``kgdecide train`` and tests).

Examples are (a) simulated cases from the graph (:mod:`kgdecide.score.simulate`) and (b) labelled
development cases, split *by publication* into train / validation / test by the caller. Each
example keeps a fixed-size candidate list: the answer(s), the likelihood-ratio scorer's top
candidates (the hard negatives) and random others. The loss is listwise: softmax cross-entropy of
the answer over the candidate list. The model starts as the ``lr`` scorer (log LR weight 1, gates
1) and early stopping on validation mean reciprocal rank keeps the best epoch.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from kgdecide.score.annotations import AnnotationIndex
from kgdecide.score.attention import (
    EXCLUDED_FEATURES, GATE_FEATURES, PAIR_FEATURES, PATH_TYPES, AttentionWeights,
    excluded_features, gate_features, pair_features,
)
from kgdecide.score.lr import LRScorer

logger = logging.getLogger(__name__)

P, F, E, G = len(PATH_TYPES), len(PAIR_FEATURES), len(EXCLUDED_FEATURES), len(GATE_FEATURES)


@dataclass(frozen=True, slots=True)
class TrainSettings:
    candidates: int = 128  #: list length per example
    hard: int = 96  #: of which the lr scorer's top ones
    hidden: int = 8  #: MLP width
    epochs: int = 30
    patience: int = 4  #: epochs without validation gain before stopping
    batch: int = 32
    learning_rate: float = 0.01
    max_findings: int = 40  #: longer cases are subsampled (per example, fixed seed)
    max_minutes: float = 8.0  #: stop training (keep the best epoch) after this long
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Example:
    """One case's tensors over its candidate list (numpy, float32)."""

    pairs: np.ndarray  #: [n_present, C, P + F]
    gates: np.ndarray  #: [n_present, G]
    excluded: np.ndarray  #: [n_excluded, C, E]
    excluded_gates: np.ndarray  #: [n_excluded, G]
    answer: np.ndarray  #: bool[C]
    leaky: bool = False


@dataclass(frozen=True, slots=True)
class EpochReport:
    epoch: int
    train_loss: float
    validation_mrr: float
    validation_top1: float
    seconds: float


def make_example(index: AnnotationIndex, lr: LRScorer, observed: Sequence[int],
                 excluded: Sequence[int], answers: Sequence[int], rng: np.random.Generator,
                 settings: TrainSettings, leaky: bool = False) -> Example | None:
    """Tensors for one case (terms and target indices); None when there is nothing to learn."""
    if not observed or not answers:
        return None
    observed = list(observed)
    if len(observed) > settings.max_findings:
        observed = rng.choice(observed, settings.max_findings, replace=False).tolist()
    excluded = list(excluded)[: settings.max_findings]
    pairs = np.stack([pair_features(index, lr, t) for t in observed])  # [n, K, D]
    log_lr = pairs[:, :, P + 1].sum(axis=0)
    hard = np.argsort(-log_lr, kind="stable")[: settings.hard]
    size = min(settings.candidates, index.n_targets)  # small graphs: every target
    chosen = list(dict.fromkeys([*answers, *hard.tolist()]))[:size]
    others = np.setdiff1d(np.arange(index.n_targets), chosen)
    chosen += rng.choice(others, size - len(chosen), replace=False).tolist()
    chosen_arr = np.asarray(chosen)
    answer = np.isin(chosen_arr, answers)
    ex = (np.stack([excluded_features(index, t)[chosen_arr] for t in excluded])
          if excluded else np.zeros((0, size, E), dtype=np.float32))
    return Example(
        pairs=pairs[:, chosen_arr], gates=np.stack([gate_features(index, t) for t in observed]),
        excluded=ex, excluded_gates=np.stack([gate_features(index, t) for t in excluded])
        if excluded else np.zeros((0, G), dtype=np.float32),
        answer=answer, leaky=leaky,
    )


def train(examples: list[Example], validation: list[Example], kg_version: str,
          settings: TrainSettings = TrainSettings(),
          report: Callable[[EpochReport], None] = lambda r: None) -> AttentionWeights:
    """Fit the attention weights; returns the best epoch's (by validation MRR)."""
    import torch

    torch.manual_seed(settings.seed)
    torch.set_num_threads(1)  # small tensors: one thread was 2-3x faster than two on 2 cores
    model = _Model(settings.hidden)
    optimiser = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    rng = np.random.default_rng(settings.seed)
    best, best_mrr, stale = model.export(kg_version), -1.0, 0
    started = time.monotonic()
    for epoch in range(1, settings.epochs + 1):
        t0 = time.monotonic()
        losses = []
        for batch in _batches(examples, settings.batch, rng):
            optimiser.zero_grad()
            loss = torch.stack([_loss(model, e) for e in batch]).mean()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
        ranks = evaluate_ranks(model.export(kg_version), validation)
        mrr, top1 = float(np.mean(1.0 / ranks)), float(np.mean(ranks <= 1))
        report(EpochReport(epoch, float(np.mean(losses)), mrr, top1, time.monotonic() - t0))
        if mrr > best_mrr + 1e-4:
            best, best_mrr, stale = model.export(kg_version), mrr, 0
        else:
            stale += 1
        if stale >= settings.patience or time.monotonic() - started > settings.max_minutes * 60:
            break
    return best


def evaluate_ranks(weights: AttentionWeights, examples: list[Example]) -> np.ndarray:
    """Pessimistic rank of the answer within each example's candidate list (numpy inference)."""
    from kgdecide.score.attention import _softplus, excluded_values, pair_values

    ranks = []
    for e in examples:
        score = (_softplus(e.gates @ weights.gate_w)[:, None] * pair_values(weights, e.pairs)).sum(0)
        if len(e.excluded):
            score += (_softplus(e.excluded_gates @ weights.ex_gate_w)[:, None]
                      * excluded_values(weights, e.excluded)).sum(0)
        ranks.append(float((score >= score[e.answer].max()).sum()))
    return np.asarray(ranks)


def _batches(examples: list[Example], size: int, rng: np.random.Generator) -> list[list[Example]]:
    order = rng.permutation(len(examples))
    return [[examples[i] for i in order[s:s + size]] for s in range(0, len(order), size)]


def _loss(model: _Model, e: Example):  # noqa: ANN202 - torch tensor, torch imported lazily
    import torch

    score = model(torch.from_numpy(e.pairs), torch.from_numpy(e.gates),
                  torch.from_numpy(e.excluded), torch.from_numpy(e.excluded_gates))
    answer = torch.from_numpy(e.answer)
    return torch.logsumexp(score, 0) - torch.logsumexp(score[answer], 0)


def _Model(hidden: int):  # noqa: N802, ANN202 - a factory, so torch stays a lazy import
    import torch
    from torch import nn

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            type_w = torch.zeros(P, F)
            type_w[:, PAIR_FEATURES.index("log_lr")] = 5.0  # start as the lr scorer
            self.type_w = nn.Parameter(type_w)
            self.type_b = nn.Parameter(torch.zeros(P))
            self.mlp_w1 = nn.Parameter(torch.randn(P + F, hidden) * 0.3)
            self.mlp_b1 = nn.Parameter(torch.zeros(hidden))
            self.mlp_w2 = nn.Parameter(torch.zeros(hidden))
            gate = torch.zeros(G)
            gate[GATE_FEATURES.index("one")] = 0.5413  # softplus(0.5413) = 1
            self.gate_w = nn.Parameter(gate)
            self.ex_w = nn.Parameter(torch.zeros(E))
            self.ex_gate_w = nn.Parameter(gate.clone())

        def forward(self, pairs, gates, excluded, excluded_gates):  # noqa: ANN001, ANN202
            onehot, feats = pairs[..., :P], pairs[..., P:]
            linear = ((feats @ self.type_w.T + self.type_b) * onehot).sum(-1)
            value = linear + torch.relu(pairs @ self.mlp_w1 + self.mlp_b1) @ self.mlp_w2
            score = (nn.functional.softplus(gates @ self.gate_w)[:, None] * value).sum(0)
            if excluded.shape[0]:
                ex_gate = nn.functional.softplus(excluded_gates @ self.ex_gate_w)
                value = -excluded[..., 0] * nn.functional.softplus(excluded @ self.ex_w)
                score = score + (ex_gate[:, None] * value).sum(0)
            return score

        def export(self, kg_version: str) -> AttentionWeights:
            arrays = {name: p.detach().numpy().astype(np.float64).copy()
                      for name, p in self.named_parameters()}
            digest = hashlib.sha256(b"".join(a.tobytes() for a in arrays.values())).hexdigest()
            return AttentionWeights(**arrays, version=f"attention-{digest[:12]}",
                                    kg_version=kg_version)

    return Model()
