"""Explanations are faithful: deleting what they point at moves the score as they say."""

from __future__ import annotations

import numpy as np
import pytest

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.pipeline import Ranker, decide
from kgdecide.score import Scorer, create_scorer
from kgdecide.score.attention import AttentionScorer, AttentionWeights
from kgdecide.score.toy import TOY_SPEC, toy_graph
from kgdecide.types import Finding, FindingStatus, Query
from tests.unit.score.graphs import random_graph, trained_attention

FINDINGS = ("S:12", "S:31", "S:47", "S:58")


@pytest.fixture(scope="module")
def graph() -> ArrayGraph:
    return random_graph(21, findings=70, targets=120, per_target=6)


@pytest.fixture(scope="module")
def weights(graph: ArrayGraph) -> AttentionWeights:
    return trained_attention(graph)


def _scorer(name: str, graph: ArrayGraph, weights: AttentionWeights) -> Scorer:
    scorer = create_scorer(name, TOY_SPEC)
    if isinstance(scorer, AttentionScorer):
        scorer.with_weights(graph, weights)
    return scorer


def _without_edge(graph: ArrayGraph, subject: str, relation: str, obj: str) -> ArrayGraph:
    """The same graph rebuilt without one edge."""
    b = GraphBuilder("edited", "edited")
    for node in graph.iter_nodes():
        b.add_node(node.id, node.type, node.label, node.synonyms, dict(node.properties))
    for edge in graph.iter_edges():
        if (edge.subject, edge.relation, edge.object) != (subject, relation, obj):
            b.add_edge(edge.subject, edge.relation, edge.object, dict(edge.properties) or None)
    edited = b.build()
    edited.meta["version"] = f"{graph.version}/without/{subject}/{relation}/{obj}"  # cache key
    return edited


def _query() -> Query:
    return Query(tuple(Finding(f) for f in FINDINGS) + (Finding("S:3", FindingStatus.EXCLUDED),),
                 top_k=5)


@pytest.mark.parametrize("name", ["resnik", "lr", "attention"])
def test_deleting_the_top_path_moves_the_score_by_its_share(
        name: str, graph: ArrayGraph, weights: AttentionWeights) -> None:
    decision = decide(Ranker(graph, TOY_SPEC, _scorer(name, graph, weights)), _query())
    checked = 0
    for candidate, evidence in zip(decision.candidates, decision.evidence):
        if not evidence.paths:
            continue
        top = evidence.paths[0]
        total = sum(abs(c.value) for c in evidence.contributions)
        stated = top.share * total
        target, annotation = top.path.nodes[-1], top.path.nodes[-2]
        assert target == candidate.id and top.path.relations[-1] == TOY_SPEC.finding_relation
        edited = _without_edge(graph, target, TOY_SPEC.finding_relation, annotation)
        rows = [edited.row(f.id) for f in _query().findings]
        rescored = _scorer(name, edited, weights).score(edited, rows, [f.present for f in _query().findings])
        new = float(rescored.scores[list(rescored.targets).index(edited.row(target))])
        moved = candidate.score - new
        assert moved == pytest.approx(stated, rel=0.10), (candidate.id, moved, stated)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("name", ["resnik", "lr", "ppr", "attention"])
def test_deleting_a_finding_moves_the_score_by_its_contribution(
        name: str, graph: ArrayGraph, weights: AttentionWeights) -> None:
    scorer = _scorer(name, graph, weights)
    rows = [graph.row(f) for f in FINDINGS]
    full = scorer.score(graph, rows, [True] * 4)
    np.testing.assert_allclose(full.scores, full.bias + full.contributions.sum(axis=0))
    if name == "attention":
        # Its finding attention is a softmax over the findings: deleting one re-weighs the
        # others, so only the decomposition above is exact (paths are checked per annotation).
        return
    for i in range(4):
        rest = scorer.score(graph, rows[:i] + rows[i + 1:], [True] * 3)
        expected = full.scores - full.contributions[i]
        if name in ("resnik", "ppr"):  # averages: the rest is re-weighted by n / (n - 1)
            expected = expected * 4 / 3
        np.testing.assert_allclose(rest.scores, expected, rtol=1e-5, atol=1e-12)  # ppr: float32


def test_evidence_lists_unexplained_and_excluded_against() -> None:
    g = toy_graph()
    ranker = Ranker.create(EmbeddedStore(g), TOY_SPEC, "lr",
                           settings=__import__("kgdecide.score.lr", fromlist=["LRSettings"]).LRSettings(excluded_weight=1.0))
    query = Query((Finding("S:focal"), Finding("S:eczema"), Finding("S:tonic", "excluded")), top_k=4)
    decision = decide(ranker, query)
    epilepsy = decision.evidence[[c.id for c in decision.candidates].index("T:epilepsy")]
    assert "S:eczema" in epilepsy.unexplained and "S:focal" not in epilepsy.unexplained
    assert epilepsy.against == ("S:tonic",)
    focal = epilepsy.contributions[0]
    assert focal.value > 0 and focal.matched == "S:focal"
    assert epilepsy.paths[0].path.nodes == ("S:focal", "T:epilepsy")
    assert decision.provenance.scorer == "lr" and decision.provenance.kg_version == g.version


def test_attention_weights_travel_in_the_evidence(graph: ArrayGraph, weights: AttentionWeights) -> None:
    decision = decide(Ranker(graph, TOY_SPEC, _scorer("attention", graph, weights)), _query())
    for evidence in decision.evidence:
        values = [c.attention for c in evidence.contributions]
        assert all(0 <= v <= 1 for v in values) and sum(values) == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["resnik", "lr", "attention"])
def test_recomputing_only_dependent_findings_changes_no_share(
        name: str, graph: ArrayGraph, weights: AttentionWeights, monkeypatch: pytest.MonkeyPatch) -> None:
    """Explanations recompute a finding only when the scorer says the deleted annotation can
    change it: every path's share must equal the one found by recomputing every finding."""
    ranker = Ranker(graph, TOY_SPEC, _scorer(name, graph, weights))
    queries = [Query(tuple(Finding(f"S:{k}") for k in range(start, 70, step)), top_k=10)
               for start, step in ((1, 9), (4, 7), (10, 5))]
    pruned = [decide(ranker, q).evidence for q in queries]
    monkeypatch.setattr(type(ranker.scorer), "dependencies", lambda *args: None)
    full = [decide(ranker, q).evidence for q in queries]
    compared = 0
    for got, expected in zip(pruned, full):
        for a, b in zip(got, expected):
            assert [(p.finding, p.path.nodes) for p in a.paths] == \
                [(p.finding, p.path.nodes) for p in b.paths]
            assert [p.share for p in a.paths] == pytest.approx([p.share for p in b.paths], abs=1e-12)
            compared += len(a.paths)
    assert compared >= 20
