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
    both = _entropy(p) - _expected_entropy(p, yes, 1.0 - yes, absent_counts=True)[0]
    present_only = _entropy(p) - _expected_entropy(p, yes, 1.0 - yes, absent_counts=False)[0]
    assert both == pytest.approx(np.log(2))
    # "absent" (half the time) leaves the ranking as it was: half the information.
    assert present_only == pytest.approx(np.log(2) / 2)


def test_no_candidates_no_questions() -> None:
    import numpy as np

    g = toy_graph()
    result = create_scorer("lr", TOY_SPEC).score(g, [g.row("S:neuro")], [True])
    assert next_questions(g, TOY_SPEC, result, np.zeros(0, dtype=np.int64), {"S:neuro"}) == ()


def test_a_not_known_answer_changes_no_score_and_is_not_asked_again() -> None:
    ranker = Ranker.create(EmbeddedStore(toy_graph()), TOY_SPEC, "lr")
    before = decide(ranker, Query((Finding("S:neuro"),)), questions=3)
    asked = before.next_questions[0]
    after = decide(ranker, Query((Finding("S:neuro"),), not_known=(asked,)), questions=3)
    assert [(c.id, c.score, c.probability) for c in after.candidates] == \
        [(c.id, c.score, c.probability) for c in before.candidates]
    assert [e.contributions for e in after.evidence] == [e.contributions for e in before.evidence]
    assert asked not in after.next_questions
    # a "yes" to the same question does change the scores
    answered = decide(ranker, Query((Finding("S:neuro"), Finding(asked))), questions=3)
    assert [c.score for c in answered.candidates] != [c.score for c in before.candidates]


def test_record_answers_follow_the_ontology() -> None:
    from kgdecide.explain.questions import record_answers
    from kgdecide.score.annotations import annotation_index

    g = toy_graph()
    ix = annotation_index(g, TOY_SPEC)
    t = lambda i: int(ix.term_of_row[g.row(i)])  # noqa: E731
    yes, no = record_answers(ix, [t("S:focal")], [t("S:neuro")])
    # observed focal seizures answer "yes" for seizures (an ancestor) but not for ataxia
    assert yes[t("S:seizure")] and yes[t("S:focal")] and not yes[t("S:ataxia")]
    # "no neurological finding" answers "no" for ataxia (a descendant), not for focal (observed)
    assert no[t("S:ataxia")] and not no[t("S:focal")]


def test_how_often_records_answer_weighs_the_gain() -> None:
    import numpy as np

    from kgdecide.explain.questions import AnswerModel, question_gain
    from kgdecide.score.annotations import annotation_index

    g = toy_graph()
    ix = annotation_index(g, TOY_SPEC)
    targets = np.arange(ix.n_targets)
    p = np.full(len(targets), 1 / len(targets))
    terms = np.unique(ix.direct.tocsr().indices)
    always = question_gain(ix, targets, p, terms)
    # records that mostly answer about their own disease's findings: the rates depend on the
    # candidate, so the gains are not a rescaling of the default's
    skewed = question_gain(ix, targets, p, terms, answers=AnswerModel((0.0, np.inf), (0.9,), (0.1,)))
    assert not np.allclose(skewed / skewed.max(), always / always.max())
    assert (skewed >= -1e-12).all()
    half = question_gain(ix, targets, p, terms, answers=AnswerModel((0.0, np.inf), (0.5,), (0.5,)))
    np.testing.assert_allclose(half, always / 2, atol=1e-12)  # a fixed rate scales every gain


def test_the_answer_model_is_learned_from_labelled_records() -> None:
    import numpy as np

    from kgdecide.explain.questions import AnswerModel
    from kgdecide.score.annotations import annotation_index

    g = toy_graph()
    ix = annotation_index(g, TOY_SPEC)
    direct = ix.direct.tocsr()
    cases = []
    for target in range(ix.n_targets):
        own = direct.indices[direct.indptr[target]:direct.indptr[target + 1]].tolist()
        if own:
            cases.append((own, [], target))  # every own annotation recorded as observed
    model = AnswerModel.fit(ix, cases, np.random.default_rng(1))
    assert model.cases == len(cases)
    # every own annotation was recorded; their ancestors too ("yes" to a broader finding)
    assert all(r == 1.0 for r in model.annotated)
    assert all(0.0 <= r <= 1.0 for r in model.other) and min(model.other) < 1.0


def test_a_target_scored_with_other_annotations_is_asked_about_with_them() -> None:
    import numpy as np

    from kgdecide.explain.questions import candidate_terms, closure_block
    from kgdecide.score.annotations import annotation_index
    from kgdecide.score.base import TargetAnnotations

    g = toy_graph()
    ix = annotation_index(g, TOY_SPEC)
    direct = ix.direct_rows
    targets = np.arange(ix.n_targets)
    terms = np.arange(ix.ancestors.shape[0])
    t = int(np.argmax(np.diff(direct.indptr)))  # a target with annotations
    own = direct.indices[direct.indptr[t]:direct.indptr[t + 1]]
    same = TargetAnnotations(t, own.astype(np.int64), direct.data[direct.indptr[t]:direct.indptr[t + 1]],
                             np.zeros(len(own), dtype=bool))
    # its own annotations as an override: the same block as the index's
    np.testing.assert_allclose(closure_block(ix, targets, terms, [same]),
                               ix.closure[targets][:, terms].toarray())
    # with none left, it is annotated with nothing, and raises no question of its own
    empty = TargetAnnotations(t, np.zeros(0, np.int64), np.zeros(0), np.zeros(0, dtype=bool))
    assert not closure_block(ix, targets, terms, [empty])[t].any()
    assert set(candidate_terms(ix, np.array([t]), [empty]).tolist()) == set()
