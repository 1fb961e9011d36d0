"""Split-conformal prediction sets over ranked candidates (APS, with the RAPS rank penalty).

A case's candidates come as probabilities sorted best first (one per disease group, summing to
one over the groups ranked). The nonconformity of the right answer is the probability mass
ranked at or above it (APS, not randomised) plus ``penalty * max(0, rank - free_ranks)`` (RAPS;
``penalty=0`` is plain APS); a case whose answer is not ranked at all scores infinity. Given the
scores of ``n`` calibration cases, the threshold for coverage ``1 - alpha`` is their
``ceil((n + 1)(1 - alpha))``-th smallest; a new case's set is every candidate whose own score is
within the threshold: the shortest prefix of its ranking that reaches it. When calibration and
new cases are exchangeable, the set holds the answer with probability at least ``1 - alpha``.

Saved as JSON beside the trained model (``conformal.json``), one entry per scorer holding the
sorted calibration scores, so any coverage level is answered at query time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CONFORMAL_FILE = "conformal.json"
#: The coverage a set is built for when none is asked for.
DEFAULT_COVERAGE = 0.9


def nonconformity(probabilities: np.ndarray, answer_rank: int | None, penalty: float = 0.0,
                  free_ranks: int = 0) -> float:
    """The score of one calibration case: ``probabilities`` sorted best first, ``answer_rank``
    the 1-based rank of its answer (None: not ranked).

    >>> nonconformity(np.array([0.5, 0.3, 0.2]), 2)
    0.8
    >>> nonconformity(np.array([0.5, 0.3, 0.2]), 3, penalty=0.1, free_ranks=1)
    1.2
    """
    if answer_rank is None or answer_rank > len(probabilities):
        return math.inf
    mass = float(np.asarray(probabilities, dtype=np.float64)[:answer_rank].sum())
    return round(mass + penalty * max(0, answer_rank - free_ranks), 12)


@dataclass(frozen=True, slots=True)
class ConformalSets:
    """Calibration scores of one scorer and the rule that turns them into sets.

    >>> c = ConformalSets.fit([0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99])
    >>> c.threshold(0.8)
    0.98
    >>> c.prediction_set(np.array([0.6, 0.3, 0.05, 0.05]), 0.8)
    3
    """

    scores: tuple[float, ...]  #: sorted nonconformity scores of the calibration cases
    penalty: float = 0.0  #: RAPS penalty per rank beyond ``free_ranks`` (0: APS)
    free_ranks: int = 0
    version: str = "fitted"

    @classmethod
    def fit(cls, scores: Sequence[float], penalty: float = 0.0, free_ranks: int = 0,
            version: str = "fitted") -> ConformalSets:
        return cls(tuple(sorted(float(s) for s in scores)), penalty, free_ranks, version)

    @property
    def n(self) -> int:
        return len(self.scores)

    def threshold(self, coverage: float = DEFAULT_COVERAGE) -> float:
        """The score a set reaches for ``coverage``: infinity (every candidate) when there are
        too few calibration cases to promise it."""
        if not 0.0 < coverage < 1.0:
            raise ValueError(f"coverage must be between 0 and 1 (exclusive), got {coverage}")
        k = math.ceil((self.n + 1) * coverage)
        return math.inf if k > self.n else self.scores[k - 1]

    def prediction_set(self, probabilities: np.ndarray, coverage: float = DEFAULT_COVERAGE) -> int:
        """How many of the best-first ``probabilities`` are in the set (at least one)."""
        return int(set_sizes(np.asarray(probabilities, dtype=np.float64)[None, :],
                             self.threshold(coverage), self.penalty, self.free_ranks)[0])


def set_sizes(probabilities: np.ndarray, threshold: float, penalty: float = 0.0,
              free_ranks: int = 0) -> np.ndarray:
    """Set sizes for a batch: ``probabilities`` [cases x ranks] sorted best first per row. A
    candidate is in the set when the score it would have as the answer is within ``threshold``;
    the scores rise with the rank, so the set is a prefix; never empty.

    >>> set_sizes(np.array([[0.5, 0.3, 0.2], [0.9, 0.05, 0.05]]), 0.8).tolist()
    [2, 1]
    """
    p = np.asarray(probabilities, dtype=np.float64)
    ranks = np.arange(1, p.shape[1] + 1)
    score = np.cumsum(p, axis=1) + penalty * np.maximum(0, ranks - free_ranks)[None, :]
    inside = score <= threshold + 1e-12
    return np.maximum(inside.sum(axis=1), 1)


def save_conformal(path: Path, sets: dict[str, ConformalSets]) -> None:
    payload = {name: {"scores": [s if math.isfinite(s) else None for s in c.scores],
                      "penalty": c.penalty, "free_ranks": c.free_ranks, "version": c.version}
               for name, c in sets.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, separators=(",", ":")))
    tmp.replace(path)


def load_conformal(path: Path, scorer: str) -> ConformalSets | None:
    """The scorer's calibration scores from ``path``; None when the file or the scorer is
    missing (no set can then be promised)."""
    if not path.is_file():
        return None
    entry = json.loads(path.read_text()).get(scorer)
    if entry is None:
        return None
    scores = tuple(math.inf if s is None else float(s) for s in entry["scores"])
    return ConformalSets(scores, float(entry.get("penalty", 0.0)), int(entry.get("free_ranks", 0)),
                         entry.get("version", "fitted"))
