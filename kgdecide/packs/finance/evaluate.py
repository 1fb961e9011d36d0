"""FinDKG's official temporal link-prediction protocol, for any folder in FinDKG's format.

For each row ``(s, r, o, t)`` of a split, predict the object of ``(s, r, ?, t)``: score every
entity, rank ``o`` raw (no filtering of other true objects) with ties at the average rank, history
= every fact of train/valid/test dated before week ``t``. Report MRR and Hits@1/3/10.

:func:`tune` picks :class:`~kgdecide.score.temporal.history.TemporalWeights` on the validation
split by grid search; :func:`evaluate` scores one split with given weights.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from kgdecide.packs.finance.build import FinDKG
from kgdecide.score.temporal.base import metrics, raw_ranks
from kgdecide.score.temporal.history import History, TemporalWeights, combine

logger = logging.getLogger(__name__)

#: Queries scored at once: bounds memory at about CHUNK x entities x 5 float64s.
CHUNK = 256


@dataclass(frozen=True, slots=True)
class SplitResult:
    """Ranks of one split under several weightings, rows in file order."""

    weights: tuple[TemporalWeights, ...]
    ranks: np.ndarray  #: float64[len(weights), rows]

    def metrics(self, i: int) -> dict[str, float]:
        return metrics(self.ranks[i])

    @property
    def best(self) -> int:
        return int(np.argmax([self.metrics(i)["mrr"] for i in range(len(self.weights))]))


def evaluate(kg: FinDKG, split: str, weights: Sequence[TemporalWeights],
             progress: Callable[[int], None] | None = None) -> SplitResult:
    """Raw ranks of every row of ``split`` under each weighting (one pass over the weeks)."""
    rows = kg.quads[split]
    history = kg.all_quads
    n, r = len(kg.names), len(kg.relations)
    ranks = np.zeros((len(weights), len(rows)))
    by_tau: dict[float, list[int]] = {}
    for i, w in enumerate(weights):
        by_tau.setdefault(w.tau, []).append(i)
    need_ppr = any(w.ppr > 0 for w in weights)
    for week in np.unique(rows[:, 3]).tolist():
        at = np.flatnonzero(rows[:, 3] == week)
        queries = rows[at]
        pairs, inverse = np.unique(queries[:, 0] * r + queries[:, 1], return_inverse=True)
        for tau, members in by_tau.items():
            past = History.before(history, week, n, r, tau)
            for start in range(0, len(pairs), CHUNK):
                chunk = pairs[start:start + CHUNK]
                feats = past.features(chunk // r, chunk % r, ppr=need_ppr)
                pick = np.flatnonzero((inverse >= start) & (inverse < start + len(chunk)))
                local = inverse[pick] - start
                for i in members:
                    scores = combine(feats, weights[i])[local]
                    ranks[i, at[pick]] = raw_ranks(scores, queries[pick, 2])
        if progress is not None:
            progress(len(at))
        logger.info("week %d: %d queries", week, len(at))
    return SplitResult(tuple(weights), ranks)


def history_grid() -> list[TemporalWeights]:
    """The history baseline's candidate weights (no walk)."""
    grid = itertools.product((4.0, 16.0, 0.0), (0.1, 0.3, 1.0), (0.03, 0.1, 0.3))
    return [TemporalWeights(tau=tau, so=so, os=round(so / 3, 4), pop=pop, ppr=0.0) for tau, so, pop in grid]


def ppr_grid(base: TemporalWeights) -> list[TemporalWeights]:
    """The walk's candidate weights on top of the chosen history weights."""
    return [base.with_(ppr=w) for w in (0.1, 0.3, 1.0, 3.0)]


def tune(kg: FinDKG, split: str = "valid",
         progress: Callable[[int], None] | None = None) -> tuple[TemporalWeights, TemporalWeights, dict]:
    """Best history weights, then best history+ppr weights, on ``split``; with the valid metrics."""
    first = evaluate(kg, split, history_grid(), progress)
    history = first.weights[first.best]
    second = evaluate(kg, split, ppr_grid(history), progress)
    walk = second.weights[second.best]
    return history, walk, {"history": first.metrics(first.best), "history+ppr": second.metrics(second.best)}


def write_ranks(path: object, kg: FinDKG, split: str, ranks: Iterable[float]) -> None:
    """One line per row of ``split``: ``head rel tail time rank``."""
    rows = kg.quads[split]
    with open(path, "w", encoding="utf-8") as handle:  # type: ignore[call-overload]
        handle.write("head\trelation\ttail\ttime_id\trank\n")
        for (h, rel, t, week), rank in zip(rows.tolist(), ranks):
            handle.write(f"{h}\t{rel}\t{t}\t{week}\t{rank:g}\n")
