"""Split-conformal prediction sets: coverage on simulated cases is what was asked for."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kgdecide.score.conformal import (
    ConformalSets, load_conformal, nonconformity, save_conformal, set_sizes,
)

LEVELS = (0.8, 0.9, 0.95)


def simulated_cases(n: int, rng: np.random.Generator, candidates: int = 60
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Cases whose diagnosis is drawn from a true distribution the model only approximates
    (overconfident: its probabilities are the true ones sharpened); returns the model's
    probabilities sorted best first and the 1-based rank of each case's diagnosis."""
    logits = rng.normal(0.0, 1.5, size=(n, candidates))
    true = np.exp(logits)
    true /= true.sum(axis=1, keepdims=True)
    model = np.exp(2.0 * logits)
    model /= model.sum(axis=1, keepdims=True)
    answer = (true.cumsum(axis=1) > rng.uniform(size=(n, 1))).argmax(axis=1)
    order = np.argsort(-model, axis=1, kind="stable")
    ranks = (order == answer[:, None]).argmax(axis=1) + 1
    return np.take_along_axis(model, order, axis=1), ranks


@pytest.mark.parametrize("penalty,free_ranks", [(0.0, 0), (0.01, 3)])
def test_coverage_on_simulated_cases_is_within_tolerance_of_nominal(penalty: float,
                                                                    free_ranks: int) -> None:
    rng = np.random.default_rng(7)
    cal_p, cal_r = simulated_cases(2000, rng)
    test_p, test_r = simulated_cases(6000, rng)
    sets = ConformalSets.fit([nonconformity(p, r, penalty, free_ranks) for p, r in zip(cal_p, cal_r)],
                             penalty, free_ranks)
    raw_top10 = float((test_r <= 10).mean())
    for level in LEVELS:
        sizes = set_sizes(test_p, sets.threshold(level), penalty, free_ranks)
        coverage = float((test_r <= sizes).mean())
        # finite-sample guarantee: at least the level; with 2,000 calibration cases, at most
        # about level + 1/(n+1) on average; 0.02 leaves room for this draw's noise (sd ~0.007)
        assert level - 0.02 <= coverage <= level + 0.02, (level, coverage)
        assert 1 <= sizes.min() and sizes.max() <= test_p.shape[1]
    # the sets adapt: a confident case gets a smaller set than an uncertain one
    sizes = set_sizes(test_p, sets.threshold(0.9), penalty, free_ranks)
    confident = test_p[:, 0] > np.quantile(test_p[:, 0], 0.9)
    uncertain = test_p[:, 0] < np.quantile(test_p[:, 0], 0.1)
    assert sizes[confident].mean() < sizes[uncertain].mean()
    assert raw_top10 < 0.9  # a fixed top-10 list would not have covered 90 %


def test_the_overconfident_model_alone_would_undercover() -> None:
    """The test above is not trivially met: taking the model's own mass at face value (the
    smallest prefix holding 90 % of its probability) covers far less than 90 %."""
    rng = np.random.default_rng(7)
    test_p, test_r = simulated_cases(4000, rng)
    naive = set_sizes(test_p, 0.9)
    assert float((test_r <= naive).mean()) < 0.85


def test_a_missed_case_counts_and_too_few_cases_promise_nothing() -> None:
    assert nonconformity(np.array([0.6, 0.4]), None) == math.inf
    sets = ConformalSets.fit([0.5] * 8 + [math.inf] * 2)
    assert sets.threshold(0.7) == 0.5
    assert sets.threshold(0.9) == math.inf  # 2 of 10 never ranked: 90 % cannot be promised
    assert sets.prediction_set(np.array([0.7, 0.2, 0.1]), 0.9) == 3
    assert ConformalSets.fit([0.5, 0.6]).threshold(0.9) == math.inf
    with pytest.raises(ValueError, match="coverage"):
        sets.threshold(1.0)


def test_sets_are_never_empty_and_are_prefixes() -> None:
    p = np.array([[0.95, 0.03, 0.02], [0.4, 0.35, 0.25]])
    assert set_sizes(p, 0.1).tolist() == [1, 1]
    assert set_sizes(p, 0.76).tolist() == [1, 2]


def test_saved_scores_round_trip(tmp_path) -> None:  # noqa: ANN001
    sets = {"lr": ConformalSets.fit([0.3, math.inf, 0.1], 0.01, 2, "aps-x")}
    save_conformal(tmp_path / "conformal.json", sets)
    loaded = load_conformal(tmp_path / "conformal.json", "lr")
    assert loaded == sets["lr"]
    assert load_conformal(tmp_path / "conformal.json", "resnik") is None
    assert load_conformal(tmp_path / "missing.json", "lr") is None
