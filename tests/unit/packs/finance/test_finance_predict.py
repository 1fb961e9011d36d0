"""The temporal scorer and the official protocol on the fixture FinDKG folder."""

from __future__ import annotations

import datetime as dt

import numpy as np

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.packs.finance.build import read_findkg
from kgdecide.packs.finance.evaluate import evaluate
from kgdecide.packs.finance.predict import History, TemporalWeights, metrics, predict_links, raw_ranks
from tests.unit.packs.finance.conftest import FIXTURES


def test_ties_share_the_average_rank() -> None:
    scores = np.zeros((1, 10))
    assert raw_ranks(scores, np.array([3])).tolist() == [5.5]  # all ten tied: (1 + 10) / 2


def test_history_only_counts_facts_before_the_week() -> None:
    quads = np.array([[0, 0, 1, 0], [0, 0, 2, 5]])
    past = History.before(quads, 3, n=3, r=1, tau=0.0)
    f = past.features(np.array([0]), np.array([0]), ppr=False)
    assert f["sro"][0, 1] > 0 and f["sro"][0, 2] == 0


def test_decay_prefers_recent_facts() -> None:
    quads = np.array([[0, 0, 1, 0], [0, 0, 2, 8]])
    f = History.before(quads, 10, n=3, r=1, tau=2.0).features(np.array([0]), np.array([0]), ppr=False)
    assert f["sro"][0, 2] > f["sro"][0, 1] > 0


def test_repeated_facts_rank_first_on_the_fixture_test_split() -> None:
    kg = read_findkg(FIXTURES / "findkg")
    result = evaluate(kg, "test", [TemporalWeights(), TemporalWeights(ppr=1.0)])
    # Rows 0 and 1 repeat earlier facts (Central Bank raises rates; the virus hurts Acme).
    assert result.ranks[0, 0] == 1 and result.ranks[0, 1] == 1
    n = len(kg.names)
    assert ((result.ranks >= 1) & (result.ranks <= n)).all()
    m = result.metrics(0)
    assert 0 < m["mrr"] <= 1 and m["n"] == 4


def test_walk_finds_an_unseen_pair_two_hops_away() -> None:
    # Trade Talks (12) -Impact-> Initech (9) at week 5 and -Impact-> Globex (2) at 7; Initech and
    # Globex share Widget (7). A pure history scorer ties every unseen object; the walk separates.
    kg = read_findkg(FIXTURES / "findkg")
    history = History.before(kg.all_quads, 9, len(kg.names), len(kg.relations), 16.0)
    ppr = history.ppr(np.array([12]))[0]
    assert ppr[9] > 0 and ppr[7] > 0 and ppr[12] == 0


def test_predicted_links_are_new_as_of_the_day(finance_graph: ArrayGraph) -> None:
    subject = finance_graph.row("FINDKG:12")
    relations = ["impact", "relate_to", "announce"]
    found = predict_links(finance_graph, subject, dt.date(2018, 3, 11), relations,
                          TemporalWeights(ppr=0.5), 5)
    assert found
    known = {("impact", finance_graph.row("FINDKG:9")), ("impact", finance_graph.row("FINDKG:2"))}
    assert all((p.relation, p.object) not in known and p.object != subject for p in found)


def test_metrics_of_perfect_ranks() -> None:
    assert metrics(np.ones(3)) == {"mrr": 1.0, "hits@1": 1.0, "hits@3": 1.0, "hits@10": 1.0, "n": 3}
