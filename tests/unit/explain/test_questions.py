"""Next questions: the most informative unasked finding first."""

from __future__ import annotations

import pytest

from kgdecide.explain.questions import next_questions
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.pipeline import Ranker, decide
from kgdecide.score import create_scorer
from kgdecide.score.toy import TOY_SPEC, toy_graph
from kgdecide.types import Finding, Query


def test_the_question_that_splits_the_leading_candidates_comes_first() -> None:
    g = toy_graph()
    result = create_scorer("lr", TOY_SPEC).score(g, [g.row("S:neuro")], [True])
    order = result.scores.argsort()[::-1]
    questions = next_questions(g, TOY_SPEC, result, order, {"S:neuro"}, k=3)
    # epilepsy and ataxia lead; ataxia (1.0 vs 0.2) separates them best, seizure-type terms next
    assert questions[0] == "S:ataxia"
    assert "S:neuro" not in questions and "S:root" not in questions


def test_asked_findings_and_their_parents_are_not_asked_again() -> None:
    g = toy_graph()
    result = create_scorer("lr", TOY_SPEC).score(g, [g.row("S:focal")], [True])
    questions = next_questions(g, TOY_SPEC, result, result.scores.argsort()[::-1], {"S:focal"}, k=10)
    assert not {"S:focal", "S:seizure", "S:neuro", "S:root"} & set(questions)


def test_decide_returns_next_questions() -> None:
    ranker = Ranker.create(EmbeddedStore(toy_graph()), TOY_SPEC, "lr")
    decision = decide(ranker, Query((Finding("S:neuro"),)), questions=2)
    assert 1 <= len(decision.next_questions) <= 2


def test_a_scorer_that_ignores_absent_answers_gains_only_from_present_ones() -> None:
    import numpy as np

    from kgdecide.explain.questions import _entropy, _expected_entropy

    p = np.array([0.5, 0.5])
    yes = np.array([[0.0], [1.0]])  # the answer tells the two candidates apart either way
    both = _entropy(p) - _expected_entropy(p, yes, absent_counts=True)[0]
    present_only = _entropy(p) - _expected_entropy(p, yes, absent_counts=False)[0]
    assert both == pytest.approx(np.log(2))
    # "absent" (half the time) leaves the ranking as it was: half the information.
    assert present_only == pytest.approx(np.log(2) / 2)


def test_no_candidates_no_questions() -> None:
    import numpy as np

    g = toy_graph()
    result = create_scorer("lr", TOY_SPEC).score(g, [g.row("S:neuro")], [True])
    assert next_questions(g, TOY_SPEC, result, np.zeros(0, dtype=np.int64), {"S:neuro"}) == ()
