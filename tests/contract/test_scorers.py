"""One contract every registered scorer passes, on the toy graph (kgdecide/score/toy.py).

Parametrised over :data:`kgdecide.score.SCORERS`: a scorer that is registered is tested, with no
test module of its own needed. The contract: the result's shapes; determinism; explanations that
say what recomputation finds (the score decomposes into the contributions, deleting a finding or a
path's last edge moves the score as the explanation states); excluded findings; empty and unknown
input refused with ``InvalidQuery``.
"""

from __future__ import annotations

import numpy as np
import pytest

from kgdecide.errors import InvalidQuery
from kgdecide.explain.evidence import explain_candidates
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.pipeline import Ranker, decide
from kgdecide.score import SCORERS, Scorer, ScoreResult, scorer_class
from kgdecide.score.annotations import annotation_index
from kgdecide.score.toy import TOY_SPEC, toy_graph
from kgdecide.types import Finding, FindingStatus, Query
from tests.contract.scorers import deletion_rule, ready_scorer, twin_graphs

NAMES = sorted(SCORERS)

#: Queries on the toy graph: (present findings, excluded findings).
QUERIES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("S:focal", "S:eczema", "S:murmur"), ("S:rash",)),
    (("S:tonic", "S:ataxia"), ("S:murmur",)),
    (("S:neuro", "S:heart", "S:rash"), ()),
    (("S:seizure",), ("S:eczema", "S:ataxia")),
)


@pytest.fixture(scope="module")
def graph() -> ArrayGraph:
    return toy_graph()


def _score(scorer: Scorer, graph: ArrayGraph, present: tuple[str, ...],
           excluded: tuple[str, ...] = ()) -> ScoreResult:
    rows = [graph.row(f) for f in (*present, *excluded)]
    return scorer.score(graph, rows, [True] * len(present) + [False] * len(excluded))


def _assert_same(a: ScoreResult, b: ScoreResult) -> None:
    for name in ("targets", "scores", "contributions", "bias", "probabilities"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert (a.attention is None) == (b.attention is None)
    if a.attention is not None:
        assert np.array_equal(a.attention, b.attention)
    assert (a.findings, a.present) == (b.findings, b.present)


# --- shapes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_the_result_has_one_column_per_candidate_and_one_row_per_finding(
        name: str, graph: ArrayGraph) -> None:
    assert scorer_class(name).name == name
    candidates = graph.rows_of_type(TOY_SPEC.target_type)
    for present, excluded in QUERIES:
        result = _score(ready_scorer(name, graph), graph, present, excluded)
        n, m = len(present) + len(excluded), len(candidates)
        assert sorted(result.targets.tolist()) == sorted(candidates.tolist())
        assert result.targets.dtype == np.int64
        assert result.findings == tuple(graph.row(f) for f in (*present, *excluded))
        assert result.present == (True,) * len(present) + (False,) * len(excluded)
        for field, shape in (("scores", (m,)), ("bias", (m,)), ("probabilities", (m,)),
                             ("contributions", (n, m))):
            value = getattr(result, field)
            assert value.shape == shape and value.dtype == np.float64, field
            assert np.isfinite(value).all(), field
        assert (result.probabilities >= 0).all()
        assert result.probabilities.sum() == pytest.approx(1.0)
        # a higher score never gets a lower probability
        order = np.argsort(-result.scores, kind="stable")
        assert (np.diff(result.probabilities[order]) <= 1e-12).all()
        if result.attention is not None:
            assert result.attention.shape == (n, m)
            assert ((result.attention >= 0) & (result.attention <= 1 + 1e-12)).all()


# --- determinism --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_the_same_query_gives_the_same_result(name: str, graph: ArrayGraph) -> None:
    scorer = ready_scorer(name, graph)
    for present, excluded in QUERIES:
        first = _score(scorer, graph, present, excluded)
        _assert_same(first, _score(scorer, graph, present, excluded))
        _assert_same(first, _score(ready_scorer(name, graph), graph, present, excluded))


@pytest.mark.parametrize("name", NAMES)
def test_the_order_of_findings_does_not_matter(name: str, graph: ArrayGraph) -> None:
    scorer = ready_scorer(name, graph)
    for present, excluded in QUERIES:
        forward = _score(scorer, graph, present, excluded)
        backward = _score(scorer, graph, present[::-1], excluded[::-1])
        np.testing.assert_allclose(backward.scores, forward.scores, rtol=1e-9, atol=1e-12)
        flip = [*range(len(present))][::-1] + [len(present) + i for i in range(len(excluded))][::-1]
        np.testing.assert_allclose(backward.contributions, forward.contributions[flip],
                                   rtol=1e-9, atol=1e-12)


# --- explanations say what recomputation finds --------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_scores_are_the_bias_plus_the_contributions(name: str, graph: ArrayGraph) -> None:
    for present, excluded in QUERIES:
        result = _score(ready_scorer(name, graph), graph, present, excluded)
        np.testing.assert_allclose(result.scores, result.bias + result.contributions.sum(axis=0),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_deleting_a_finding_moves_the_scores_as_the_contributions_claim(
        name: str, graph: ArrayGraph) -> None:
    rule = deletion_rule(name)
    scorer = ready_scorer(name, graph)
    checked = 0
    for present, excluded in QUERIES:
        if len(present) < 2 or rule not in ("sum", "mean"):
            continue
        full = _score(scorer, graph, present, excluded)
        n = len(present)
        for i in range(n):
            rest = _score(scorer, graph, present[:i] + present[i + 1:], excluded)
            expected = full.scores - full.contributions[i]
            if rule == "mean":
                expected = (expected - full.bias) * n / (n - 1) + full.bias
            np.testing.assert_allclose(rest.scores, expected, rtol=1e-5, atol=1e-9)  # ppr: float32
            checked += 1
    assert checked >= 5 or rule not in ("sum", "mean")


@pytest.mark.parametrize("name", NAMES)
def test_the_evidence_reports_the_result(name: str, graph: ArrayGraph) -> None:
    scorer = ready_scorer(name, graph)
    for present, excluded in QUERIES:
        result = _score(scorer, graph, present, excluded)
        everyone = np.arange(len(result.targets))
        for j, evidence in zip(everyone, explain_candidates(graph, TOY_SPEC, scorer, result, everyone)):
            assert evidence.candidate == graph.id_list[int(result.targets[j])]
            ids = [c.finding for c in evidence.contributions]
            assert ids == [*present, *excluded]
            for i, c in enumerate(evidence.contributions):
                assert c.value == result.contributions[i, j]
                assert c.status is (FindingStatus.PRESENT if result.present[i] else FindingStatus.EXCLUDED)
                if result.attention is not None:
                    assert c.attention == result.attention[i, j]
            assert set(evidence.unexplained) == {c.finding for c in evidence.contributions
                                                 if c.status is FindingStatus.PRESENT and c.value <= 0}
            assert set(evidence.against) == {c.finding for c in evidence.contributions
                                             if c.status is FindingStatus.EXCLUDED and c.value < 0}


def _has_edge(graph: ArrayGraph, subject: str, relation: str, obj: str) -> bool:
    from kgdecide.types import Direction

    return graph.row(obj) in graph.neighbor_rows(graph.row(subject), relation, Direction.OUT)


#: Scorers whose path shares leave something out today, each a strict xfail (a fix fails the run
#: until its entry goes).
PATH_SHARE_DEFECTS = {
    # Deleting an annotation also ends the penalty of an excluded finding above it (S:rash above
    # S:eczema for T:atopic), which pair_contribution and the explanation's edge delta skip.
    "attention": "the share leaves out what deleting the edge does to excluded findings",
}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=PATH_SHARE_DEFECTS[n]))
    if n in PATH_SHARE_DEFECTS else n for n in NAMES])
def test_each_path_is_in_the_graph_and_deleting_its_last_edge_removes_its_share(
        name: str, graph: ArrayGraph) -> None:
    """A path's share is what the candidate loses were the path's last edge (its annotation)
    deleted, over the candidate's total absolute evidence. Checked by scoring a graph in which the
    edge has moved to a twin of the candidate (so no count over candidates changes)."""
    scorer = ready_scorer(name, graph)
    explains_paths = type(scorer).match is not Scorer.match
    checked = 0
    for present, excluded in QUERIES:
        result = _score(scorer, graph, present, excluded)
        everyone = np.arange(len(result.targets))
        edges = {(p.path.nodes[-1], p.path.relations[-1], p.path.nodes[-2])
                 for e in explain_candidates(graph, TOY_SPEC, scorer, result, everyone)
                 for p in e.paths}
        for target, relation, annotation in sorted(edges):
            before, after = twin_graphs(graph, target, relation, annotation)
            scored = _score(ready_scorer(name, before), before, present, excluded)
            j = list(scored.targets).index(before.row(target))
            [evidence] = explain_candidates(before, TOY_SPEC, ready_scorer(name, before), scored,
                                            np.array([j]))
            total = float(np.abs(scored.contributions[:, j]).sum())
            moved = float(scored.scores[j]) - float(
                _score(ready_scorer(name, after), after, present, excluded).scores[j])
            for path in evidence.paths:
                nodes = path.path.nodes
                assert nodes[0] == path.finding and nodes[-1] == target
                for a, b, rel, forward in zip(nodes, nodes[1:], path.path.relations, path.path.forward):
                    assert _has_edge(before, *((a, rel, b) if forward else (b, rel, a))), (nodes, a, b)
                if (path.path.relations[-1], nodes[-2]) == (relation, annotation):
                    assert moved == pytest.approx(path.share * total, rel=1e-6, abs=1e-9), nodes
                    checked += 1
    assert checked > 0 or not explains_paths, f"{name} explains paths but showed none on the toy graph"


# --- excluded findings ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_excluded_findings_change_nothing_unless_the_scorer_uses_them(
        name: str, graph: ArrayGraph) -> None:
    scorer = ready_scorer(name, graph)
    index = annotation_index(graph, TOY_SPEC)
    used = 0
    for present, excluded in QUERIES:
        if not excluded:
            continue
        result = _score(scorer, graph, present, excluded)
        without = _score(scorer, graph, present)
        rows = slice(len(present), None)
        if not scorer.uses_excluded:
            assert not result.contributions[rows].any()
            np.testing.assert_allclose(result.scores, without.scores, rtol=1e-12, atol=1e-12)
            continue
        for i, finding in enumerate(excluded, start=len(present)):
            # A candidate annotated with the finding (or something below it) is never helped by
            # the patient's lacking it.
            term = int(index.term_of_row[graph.row(finding)])
            has_it = np.zeros(len(result.targets), dtype=bool)
            has_it[index.column(term)[0]] = True
            order = np.argsort(index.target_rows)
            position = order[np.searchsorted(index.target_rows[order], result.targets)]
            assert (result.contributions[i][has_it[position]] <= 0).all(), finding
            used += int(has_it.any())
    assert not scorer.uses_excluded or used > 0


@pytest.mark.parametrize("name", NAMES)
def test_a_query_with_only_excluded_findings_is_refused(name: str, graph: ArrayGraph) -> None:
    with pytest.raises(InvalidQuery, match="present"):
        _score(ready_scorer(name, graph), graph, (), ("S:focal", "S:eczema"))


# --- empty and unknown input ---------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_empty_input_is_refused(name: str, graph: ArrayGraph) -> None:
    scorer = ready_scorer(name, graph)
    with pytest.raises(InvalidQuery, match="findings"):
        scorer.score(graph, [], [])
    with pytest.raises(InvalidQuery, match="findings"):
        scorer.score(graph, [graph.row("S:focal"), graph.row("S:rash")], [True])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("node", ["T:cardiac", "X:gene", "S:old"])
def test_a_row_that_is_not_a_finding_is_refused(name: str, node: str, graph: ArrayGraph) -> None:
    with pytest.raises(InvalidQuery, match="finding"):
        ready_scorer(name, graph).score(graph, [graph.row(node)], [True])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("row", [-1, 10**6])
def test_a_row_outside_the_graph_is_refused(name: str, row: int, graph: ArrayGraph) -> None:
    with pytest.raises(InvalidQuery, match="finding"):
        ready_scorer(name, graph).score(graph, [row], [True])


@pytest.mark.parametrize("name", NAMES)
def test_an_unknown_id_is_named_and_an_obsolete_one_mapped(name: str, graph: ArrayGraph) -> None:
    ranker = Ranker(graph, TOY_SPEC, ready_scorer(name, graph))
    with pytest.raises(InvalidQuery, match="S:nope"):
        decide(ranker, Query((Finding("S:focal"), Finding("S:nope"))))
    mapped = decide(ranker, Query((Finding("S:old"),), top_k=4))
    direct = decide(ranker, Query((Finding("S:seizure"),), top_k=4))
    assert [c.id for c in mapped.candidates] == [c.id for c in direct.candidates]
    assert [c.score for c in mapped.candidates] == [c.score for c in direct.candidates]
