"""Ranking and calibration metrics used by ``eval/``, ``kgdecide train`` and the smoke test."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def rank_of(scores: np.ndarray, answers: Sequence[int]) -> float:
    """Pessimistic rank (1 = best) of the best-placed answer: ties count against it; ``inf`` when
    no answer is among the candidates.

    >>> rank_of(np.array([0.1, 0.5, 0.5, 0.2]), [2])
    2.0
    >>> rank_of(np.array([0.1, 0.5]), [])
    inf
    """
    if len(answers) == 0:
        return float("inf")
    best = max(scores[a] for a in answers)
    return float((scores >= best).sum())


def summarise(ranks: Sequence[float]) -> dict[str, float]:
    """top-1/3/10 (fractions) and mean reciprocal rank.

    >>> summarise([1, 2, 20, float("inf")])["top3"]
    0.5
    """
    r = np.asarray(ranks, dtype=np.float64)
    if len(r) == 0:
        return {"n": 0, "top1": float("nan"), "top3": float("nan"), "top10": float("nan"),
                "mrr": float("nan")}
    return {"n": len(r), "top1": float((r <= 1).mean()), "top3": float((r <= 3).mean()),
            "top10": float((r <= 10).mean()), "mrr": float((1.0 / r).mean())}


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool],
                               bins: int = 10) -> float:
    """ECE: the bin-size-weighted gap between mean confidence and accuracy, equal-width bins.

    >>> expected_calibration_error([0.9, 0.9, 0.1, 0.1], [True, True, False, False])
    0.1
    """
    c = np.asarray(confidence, dtype=np.float64)
    y = np.asarray(correct, dtype=np.float64)
    if len(c) == 0:
        return float("nan")
    which = np.minimum((c * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(c[inside].mean() - y[inside].mean())
    return round(float(total), 12)
