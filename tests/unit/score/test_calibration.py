"""Isotonic calibration and the metrics it is judged by."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kgdecide.score.calibration import Calibration, load_calibration, save_calibrations
from kgdecide.score.metrics import expected_calibration_error, rank_of, summarise


def test_isotonic_fit_is_monotone_and_reduces_ece_on_overconfident_scores() -> None:
    rng = np.random.default_rng(0)
    truth = rng.random(4000)
    correct = rng.random(4000) < truth
    raw = np.sqrt(truth)  # overconfident
    fitted = Calibration.fit(raw[:2000], correct[:2000])
    calibrated = fitted(raw[2000:])
    assert np.all(np.diff(fitted(np.linspace(0, 1, 101))) >= -1e-12)
    before = expected_calibration_error(raw[2000:], correct[2000:])
    after = expected_calibration_error(calibrated, correct[2000:])
    assert before > 0.1 and after < 0.05


def test_calibration_file_round_trip_and_identity_fallback(tmp_path: Path) -> None:
    c = Calibration.fit([0.1, 0.5, 0.9], [False, True, True], version="v1")
    save_calibrations(tmp_path / "c.json", {"lr": c})
    assert load_calibration(tmp_path / "c.json", "lr") == c
    assert load_calibration(tmp_path / "c.json", "ppr") == Calibration.identity()
    assert load_calibration(tmp_path / "missing.json", "lr") == Calibration.identity()


def test_rank_is_pessimistic_about_ties_and_summary_counts() -> None:
    assert rank_of(np.array([1.0, 1.0, 0.5]), [1]) == 2.0
    assert rank_of(np.array([1.0, 0.2, 0.5]), [1, 2]) == 2.0  # best-placed answer counts
    s = summarise([1, 3, 11, float("inf")])
    assert (s["top1"], s["top3"], s["top10"]) == (0.25, 0.5, 0.5)
    assert s["mrr"] == (1 + 1 / 3 + 1 / 11) / 4
