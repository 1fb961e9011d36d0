"""Intervals of the diagnosis evaluation: a gain that one publication makes is not called real."""

from __future__ import annotations

import numpy as np

from kgdecide.packs.clinical.evaluation import bootstrap


def _one_publication_gain() -> tuple[np.ndarray, list[str]]:
    """Paired top-1 differences of 200 cases from 10 publications: one publication of 40 cases
    gains on every case, the nine others gain nothing (half up, half down)."""
    values = np.r_[np.ones(40), np.tile([1.0, -1.0], 80)]
    clusters = ["big"] * 40 + [f"p{i % 9}" for i in range(160)]
    return values, clusters


def test_resampling_cases_calls_a_one_publication_gain_real() -> None:
    values, _ = _one_publication_gain()
    assert bootstrap(values).low > 0


def test_resampling_publications_does_not() -> None:
    values, clusters = _one_publication_gain()
    estimate = bootstrap(values, clusters=clusters)
    assert estimate.value == values.mean()
    assert estimate.low <= 0 < estimate.high


def test_clusters_of_one_case_each_match_the_case_bootstrap() -> None:
    values = np.random.default_rng(1).integers(0, 2, 300).astype(float)
    by_case = bootstrap(values, resamples=4000)
    by_singletons = bootstrap(values, resamples=4000, clusters=[str(i) for i in range(300)])
    assert abs(by_case.low - by_singletons.low) < 0.02
    assert abs(by_case.high - by_singletons.high) < 0.02


def test_cluster_labels_must_match_the_values() -> None:
    import pytest

    with pytest.raises(ValueError, match="3 cluster labels for 2 values"):
        bootstrap(np.array([1.0, 0.0]), clusters=["a", "b", "c"])
