"""Temporal rules (TLogic-style) and their fusion with the learned scorer.

Uses the synthetic graph of test_finance_learned: ``(a, Ask, b)`` in week ``t`` is followed by
``(b, Answer, a)`` in week ``t + 1``, so the rule ``Answer(X, Y) <- Ask^-1(X, Y)`` (body code
``ASK + r``) holds, with the first body edge in the last week.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kgdecide.packs.finance.build import FinDKG
from kgdecide.score.temporal.features import WeekHistory, type_codes
from kgdecide.packs.finance.learned import GROUPS, Fusion, LearnedPredictor, LearnedScorer, score_split, train
from kgdecide.score.temporal.model import _log_probs, _tables
from kgdecide.packs.finance.predict import metrics, raw_ranks
from kgdecide.score.temporal.rules import (
    Adjacency, Rule, RuleSet, RuleSettings, learn_rules, reach, walk_bodies,
)
from tests.unit.packs.finance.test_finance_learned import ANSWER, ASK, N, SETTINGS, synthetic

R = 2
RULES = RuleSettings(walks=4000, per_head=8, windows=(0, 1), warmup=0.05, hub_degree=1000)


@pytest.fixture(scope="module")
def kg() -> FinDKG:
    return synthetic()


@pytest.fixture(scope="module")
def rules(kg: FinDKG) -> RuleSet:
    return learn_rules(kg.quads["train"], N, R, RULES)


def test_walks_find_the_planted_rule_and_it_is_the_most_confident(rules: RuleSet) -> None:
    answer = sorted(rules.by_head(ANSWER), key=lambda rule: -rule.confidence)
    assert (answer[0].body, answer[0].window) == ((ASK + R,), 1)
    # Each recent ask is answered the week after: the rule is right for nearly every pair it reaches.
    assert answer[0].confidence > 0.6
    assert answer[0].describe(["Ask", "Answer"]) == \
        "Answer(X, Y) <- Ask^-1(X, Y) [first edge in the last 1 weeks]"


def test_walks_are_cyclic_and_time_ordered() -> None:
    # One head (0, r0, 2, week 5); 0 -r1-> 1 at week 1, 1 -r0-> 2 at week 3: body (r1, r0).
    # An edge 1 -r0-> 2 at week 6 (after the head) must never be walked.
    quads = np.array([[0, 0, 2, 5], [0, 1, 1, 1], [1, 0, 2, 3], [1, 1, 2, 6]])
    found = walk_bodies(quads, 3, R, 2, 200, np.ones(3, bool), np.random.default_rng(0),
                        heads=np.array([0]))
    assert set(found) == {(0, (1, 0))}
    # Reversed times (1 -r0-> 2 before 0 -r1-> 1) are not a temporal walk.
    swapped = np.array([[0, 0, 2, 5], [0, 1, 1, 3], [1, 0, 2, 1]])
    assert not walk_bodies(swapped, 3, R, 2, 200, np.ones(3, bool), np.random.default_rng(0),
                           heads=np.array([0]))


def test_confidence_is_hits_over_reached_plus_prior(kg: FinDKG, rules: RuleSet) -> None:
    rule = next(x for x in rules.rules if x.head == ANSWER and x.body == (ASK + R,) and x.window == 0)
    train_quads = kg.quads["train"]
    weeks = np.unique(train_quads[:, 3])
    first = weeks[int(round(RULES.warmup * len(weeks)))]
    hits = reached = 0
    for week in weeks[weeks >= first].tolist():
        past = train_quads[train_quads[:, 3] < week]
        asked = {(int(b), int(a)) for a, rel, b, _ in past.tolist() if rel == ASK}  # b -Ask^-1-> a
        now = train_quads[(train_quads[:, 3] == week) & (train_quads[:, 1] == ANSWER)]
        for s in set(now[:, 0].tolist()):
            reach_s = {o for x, o in asked if x == s}
            reached += len(reach_s)
            hits += sum(1 for x, _, o, _ in now.tolist() if x == s and o in reach_s)
    assert (rule.hits, rule.reached) == (hits, reached)
    assert rule.confidence == pytest.approx(hits / (reached + RULES.prior))


def test_reach_follows_the_body_and_never_passes_through_a_hub() -> None:
    # 0 -r0-> 1 -r1-> 2 and 0 -r0-> 3 -r1-> 4; 3 is a hub (passable False).
    quads = np.array([[0, 0, 1, 0], [1, 1, 2, 0], [0, 0, 3, 0], [3, 1, 4, 0]])
    adj = Adjacency.before(quads, 1, 5, R, (0,), hub_degree=1000)
    assert reach(adj, np.array([0]), (0, 1), 0).toarray().tolist() == [[0, 0, 1, 0, 1]]
    adj.passable[3] = False
    assert reach(adj, np.array([0]), (0, 1), 0).toarray().tolist() == [[0, 0, 1, 0, 0]]
    # the inverse direction: from 2 back over r1^-1 then r0^-1 reaches 0
    assert reach(adj, np.array([2]), (1 + R, 0 + R), 0).toarray()[0, 0] == 1


def test_evidence_is_a_noisy_or_of_the_rules_that_reach_and_ignores_later_facts() -> None:
    quads = np.array([[0, 0, 1, 0], [0, 1, 1, 0], [0, 1, 2, 0], [0, 0, 3, 5]])
    rules = RuleSet(R, [Rule(0, (0,), 0, confidence=0.5), Rule(0, (1,), 0, confidence=0.2)])
    adj = Adjacency.before(quads, 1, 4, R, (0,), 1000)
    got = rules.evidence(adj, np.array([0]), np.array([0])).toarray()[0]
    # 1 is reached by both rules, 2 by the second, 3 only by a fact of week 5 (not before week 1)
    assert got == pytest.approx([0, -np.log(0.5) - np.log(0.8), -np.log(0.8), 0])


def test_rules_round_trip_through_json(rules: RuleSet) -> None:
    again = RuleSet.from_json(rules.to_json())
    assert again.rules == rules.rules and again.settings == rules.settings


@pytest.fixture(scope="module")
def model(kg: FinDKG) -> LearnedScorer:
    return train(kg, SETTINGS, rule_settings=RULES)


def test_training_chooses_the_fusion_with_the_best_valid_mrr(kg: FinDKG, model: LearnedScorer) -> None:
    assert model.rules is not None and model.fusion is not None
    tried = model.extra["fusion_tried"]
    assert len(tried) == 36
    assert tried[f"{model.fusion.linked:g}/{model.fusion.unlinked:g}"] == max(tried.values())
    assert model.extra["valid_fusion"]["mrr"] == pytest.approx(max(tried.values()), abs=1e-4)


def test_fusion_with_zero_weights_is_the_learned_scorer_and_groups_match_a_brute_force(
        kg: FinDKG, model: LearnedScorer) -> None:
    got = score_split(model, kg, "test", [Fusion(0.0, 0.0), model.fusion])
    np.testing.assert_array_equal(got.fused[0], got.learned)
    history = kg.all_quads
    for i, (s, r, o, t) in enumerate(kg.quads["test"].tolist()):
        past = history[history[:, 3] < t]
        linked = np.any(((past[:, 0] == s) & (past[:, 2] == o)) | ((past[:, 0] == o) & (past[:, 2] == s)))
        seen = np.any((past[:, 0] == o) | (past[:, 2] == o))
        assert GROUPS[got.groups[i]] == ("repeat" if linked else "seen-unlinked" if seen else "new")
    assert got.rules is not None and metrics(got.rules)["n"] == len(kg.quads["test"])


def test_fused_ranks_match_a_row_by_row_oracle(kg: FinDKG, model: LearnedScorer) -> None:
    f = Fusion(0.5, 2.0)
    got = score_split(model, kg, "valid", [f], batch=5)
    plain = score_split(replace(model, rules=None, fusion=None), kg, "valid", [], batch=5)
    np.testing.assert_array_equal(plain.learned, got.learned)
    assert model.rules is not None
    net = model.module()
    types = type_codes(kg.types)
    for i, (s, r, o, t) in enumerate(kg.quads["valid"].tolist()):
        past = WeekHistory.before(kg.all_quads, t, N, R, types)
        log_p = _log_probs(net, past, _tables(past), np.array([s]), np.array([r])).detach().numpy()[0]
        adj = Adjacency.before(kg.all_quads, t, N, R, RULES.windows, RULES.hub_degree)
        evidence = model.rules.evidence(adj, np.array([s]), np.array([r])).toarray()[0]
        linked = np.asarray(past.neighbours[s].todense()).ravel() > 0
        fused = log_p.astype(np.float64) + np.where(linked, f.linked, f.unlinked) * evidence
        assert got.fused[0, i] == pytest.approx(raw_ranks(fused[None], np.array([o]))[0])
        assert got.rules[i] == pytest.approx(raw_ranks(evidence[None], np.array([o]))[0])


def test_saved_model_keeps_rules_and_fusion(kg: FinDKG, model: LearnedScorer, tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = LearnedScorer.from_path(path)
    assert loaded.fusion == model.fusion and loaded.rules is not None and model.rules is not None
    assert loaded.rules.rules == model.rules.rules
    a, b = score_split(loaded, kg, "test"), score_split(model, kg, "test")
    np.testing.assert_array_equal(a.fused, b.fused)


def test_rules_help_the_answer_relation_alone(kg: FinDKG, model: LearnedScorer) -> None:
    got = score_split(model, kg, "test")
    answer = kg.quads["test"][:, 1] == ANSWER
    assert got.rules is not None
    assert metrics(got.rules[answer])["mrr"] > 0.75


def test_the_registered_predictor_ranks_as_the_evaluation_does(kg: FinDKG, model: LearnedScorer) -> None:
    assert model.fusion is not None
    predictor = LearnedPredictor(model, kg.types)
    got = score_split(model, kg, "test")
    rows = kg.quads["test"]
    for t in np.unique(rows[:, 3]).tolist():
        at = np.flatnonzero(rows[:, 3] == t)
        scores = predictor.scores(kg.all_quads, t, rows[at, 0], rows[at, 1])
        np.testing.assert_allclose(raw_ranks(scores, rows[at, 2]), got.fused[0, at])


def test_explain_names_the_rules_that_reach_the_object_with_a_path_along_each_body() -> None:
    # 0 -r0-> 1 -r1-> 2 and 0 -r0-> 3 -r1-> 2: the two-edge rule reaches 2; the one-edge one does not.
    quads = np.array([[0, 0, 1, 0], [1, 1, 2, 0], [0, 0, 3, 0], [3, 1, 2, 0]])
    rules = RuleSet(R, [Rule(0, (0, 1), 0, confidence=0.3), Rule(0, (0,), 0, confidence=0.6),
                        Rule(1, (0, 1), 0, confidence=0.9)])
    adj = Adjacency.before(quads, 1, 4, R, (0,), 1000)
    got = rules.explain(adj, 0, 0, 2)
    assert [(rule.body, path) for rule, path in got] == [((0, 1), [0, 1, 2])]
    adj.passable[1] = False
    assert [path for _, path in rules.explain(adj, 0, 0, 2)] == [[0, 3, 2]]
    assert [rule.body for rule, _ in rules.explain(adj, 0, 0, 1)] == [(0,)]
