"""Calibrated probabilities: isotonic regression from a scorer's posterior to P(correct).

Fitted on development cases (validation publications), one map per scorer, saved as JSON beside
the trained model for the graph version. A map is monotone and piecewise linear between its knots.
A map may hold a second one for the first candidate of a ranking (:meth:`Calibration.ranked`):
with the same raw probability, the leader is the answer more often than a runner-up.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CALIBRATION_FILE = "calibration.json"


@dataclass(frozen=True, slots=True)
class Calibration:
    """A monotone map from raw probability to calibrated probability.

    >>> c = Calibration.fit([0.1, 0.2, 0.8, 0.9], [False, False, True, True])
    >>> c(np.array([0.05, 0.9])).tolist()
    [0.0, 1.0]
    """

    x: tuple[float, ...]  #: knots (raw probabilities), increasing
    y: tuple[float, ...]  #: calibrated value at each knot, non-decreasing
    version: str = "identity"
    #: the first candidate's own map (knots, values); empty: the first uses ``x``, ``y`` too
    first_x: tuple[float, ...] = ()
    first_y: tuple[float, ...] = ()

    @classmethod
    def identity(cls) -> Calibration:
        return cls((0.0, 1.0), (0.0, 1.0))

    @classmethod
    def fit(cls, raw: Sequence[float], correct: Sequence[bool], version: str = "fitted") -> Calibration:
        """Pool-adjacent-violators isotonic regression."""
        order = np.argsort(np.asarray(raw, dtype=np.float64), kind="stable")
        xs = np.asarray(raw, dtype=np.float64)[order]
        ys = np.asarray(correct, dtype=np.float64)[order]
        # Blocks of (sum, count, lowest x, highest x), merged while they violate monotonicity.
        blocks: list[list[float]] = []
        for x, y in zip(xs.tolist(), ys.tolist()):
            blocks.append([y, 1.0, x, x])
            while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
                s, n, _, hi = blocks.pop()
                blocks[-1][0] += s
                blocks[-1][1] += n
                blocks[-1][3] = hi
        knots_x, knots_y = [], []
        for s, n, lo, hi in blocks:
            knots_x += [lo, hi] if hi > lo else [lo]
            knots_y += [s / n] * (2 if hi > lo else 1)
        return cls(tuple(knots_x), tuple(knots_y), version)

    @classmethod
    def fit_ranked(cls, first_raw: Sequence[float], first_correct: Sequence[bool],
                   raw: Sequence[float], correct: Sequence[bool], version: str = "fitted"
                   ) -> Calibration:
        """A map for every candidate (``raw``, ``correct``: all ranks pooled) with its own map
        for the first candidate of each ranking (``first_raw``, ``first_correct``)."""
        pooled, first = cls.fit(raw, correct, version), cls.fit(first_raw, first_correct)
        return cls(pooled.x, pooled.y, version, first.x, first.y)

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        return np.clip(np.interp(raw, self.x, self.y), 0.0, 1.0)

    def ranked(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of a ranking's candidates, ``raw`` best first: the first by
        its own map when there is one; never rising down the ranking.

        >>> c = Calibration((0.0, 1.0), (0.0, 0.5), "v", (0.0, 1.0), (0.0, 1.0))
        >>> c.ranked(np.array([0.6, 0.3, 0.1])).tolist()
        [0.6, 0.15, 0.05]
        """
        out = self(np.asarray(raw, dtype=np.float64))
        if self.first_x and len(out):
            out[0] = np.clip(np.interp(raw[0], self.first_x, self.first_y), 0.0, 1.0)
        return np.minimum.accumulate(out) if len(out) else out


def save_calibrations(path: Path, calibrations: dict[str, Calibration]) -> None:
    payload = {name: {"x": c.x, "y": c.y, "version": c.version,
                      **({"first": {"x": c.first_x, "y": c.first_y}} if c.first_x else {})}
               for name, c in calibrations.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    tmp.replace(path)


def load_calibration(path: Path, scorer: str) -> Calibration:
    """The scorer's map from ``path``; the identity when the file or the scorer is missing."""
    if not path.is_file():
        return Calibration.identity()
    entry = json.loads(path.read_text()).get(scorer)
    if entry is None:
        return Calibration.identity()
    first = entry.get("first", {})
    return Calibration(tuple(entry["x"]), tuple(entry["y"]), entry.get("version", "fitted"),
                       tuple(first.get("x", ())), tuple(first.get("y", ())))
