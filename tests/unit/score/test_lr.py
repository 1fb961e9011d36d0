"""``lr`` against a slow oracle, and how it treats excluded and lacked findings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kgdecide.score import create_scorer
from kgdecide.score.lr import LRSettings
from kgdecide.score.toy import TOY_SPEC, toy_graph
from tests.unit.score import oracle
from tests.unit.score.graphs import random_graph


@pytest.mark.parametrize("seed", [4, 5])
def test_matches_the_oracle_on_random_graphs(seed: int) -> None:
    g = random_graph(seed)
    findings = ["S:1", "S:7", "S:22"]
    result = create_scorer("lr", TOY_SPEC).score(g, [g.row(f) for f in findings], [True] * 3)
    for j, row in enumerate(result.targets.tolist()):
        for i, f in enumerate(findings):
            expected = oracle.log_lr(g, TOY_SPEC, f, g.id_list[row])
            assert result.contributions[i, j] == pytest.approx(expected, abs=1e-9)


def test_score_is_the_sum_of_log_lrs_and_posterior_its_softmax() -> None:
    g = toy_graph()
    result = create_scorer("lr", TOY_SPEC).score(g, [g.row("S:focal"), g.row("S:rash")], [True, True])
    np.testing.assert_allclose(result.scores, result.contributions.sum(axis=0))
    expected = np.exp(result.scores) / np.exp(result.scores).sum()
    np.testing.assert_allclose(result.probabilities, expected)


def test_a_target_that_lacks_the_finding_gets_the_noise_floor() -> None:
    g = toy_graph()  # T:atopic lacks S:seizure, so also S:focal
    settings = LRSettings(epsilon=0.05)
    result = create_scorer("lr", TOY_SPEC, settings).score(g, [g.row("S:focal")], [True])
    atopic = list(result.targets).index(g.row("T:atopic"))
    assert result.contributions[0, atopic] == pytest.approx(math.log(0.05))


def test_excluded_findings_are_ignored_by_default_and_penalise_when_weighted() -> None:
    g = toy_graph()
    rows, present = [g.row("S:rash"), g.row("S:murmur")], [True, False]
    off = create_scorer("lr", TOY_SPEC).score(g, rows, present)
    on = create_scorer("lr", TOY_SPEC, LRSettings(excluded_weight=1.0)).score(g, rows, present)
    assert not off.contributions[1].any()
    cardiac = list(on.targets).index(g.row("T:cardiac"))  # murmur 0.9: its absence counts against
    epilepsy = list(on.targets).index(g.row("T:epilepsy"))  # no murmur: its absence is expected
    assert on.contributions[1, cardiac] < 0 < on.contributions[1, epilepsy]


def test_unstated_frequency_uses_the_default() -> None:
    g = toy_graph()  # T:atopic has S:murmur without a frequency
    low = create_scorer("lr", TOY_SPEC, LRSettings(default_frequency=0.1)).score(g, [g.row("S:murmur")], [True])
    high = create_scorer("lr", TOY_SPEC, LRSettings(default_frequency=0.9)).score(g, [g.row("S:murmur")], [True])
    atopic = list(low.targets).index(g.row("T:atopic"))
    assert high.scores[atopic] > low.scores[atopic]
