"""``resnik`` against a slow oracle, and its defined behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from kgdecide.errors import InvalidQuery
from kgdecide.score import create_scorer
from kgdecide.score.toy import TOY_SPEC, toy_graph
from tests.unit.score import oracle
from tests.unit.score.graphs import random_graph


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_the_oracle_on_random_graphs(seed: int) -> None:
    g = random_graph(seed)
    rng = np.random.default_rng(seed)
    findings = [f"S:{i}" for i in rng.choice(np.arange(1, 40), 4, replace=False).tolist()]
    result = create_scorer("resnik", TOY_SPEC).score(g, [g.row(f) for f in findings], [True] * 4)
    for j, row in enumerate(result.targets.tolist()):
        expected = oracle.resnik(g, TOY_SPEC, findings, g.id_list[row])
        assert result.scores[j] == pytest.approx(expected, abs=1e-9)


def test_contributions_add_up_and_excluded_findings_are_ignored() -> None:
    g = toy_graph()
    rows = [g.row("S:focal"), g.row("S:eczema"), g.row("S:murmur")]
    result = create_scorer("resnik", TOY_SPEC).score(g, rows, [True, True, False])
    np.testing.assert_allclose(result.scores, result.bias + result.contributions.sum(axis=0))
    assert not result.contributions[2].any()
    assert result.probabilities.sum() == pytest.approx(1.0)


def test_more_specific_shared_findings_score_higher() -> None:
    g = toy_graph()
    scorer = create_scorer("resnik", TOY_SPEC)
    focal = scorer.score(g, [g.row("S:focal")], [True])
    neuro = scorer.score(g, [g.row("S:neuro")], [True])
    epilepsy = list(focal.targets).index(g.row("T:epilepsy"))
    assert focal.scores[epilepsy] > neuro.scores[epilepsy]


def test_no_present_finding_is_an_invalid_query() -> None:
    g = toy_graph()
    with pytest.raises(InvalidQuery, match="present"):
        create_scorer("resnik", TOY_SPEC).score(g, [g.row("S:focal")], [False])


def test_a_non_finding_row_is_an_invalid_query() -> None:
    g = toy_graph()
    with pytest.raises(InvalidQuery, match="finding type"):
        create_scorer("resnik", TOY_SPEC).score(g, [g.row("T:cardiac")], [True])
