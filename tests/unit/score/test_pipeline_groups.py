"""One candidate per entity: the ranking over groups of the spec's equivalence relation (toy graph)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.pipeline import CandidateGroups, Ranker, decide, evaluate
from kgdecide.score.toy import TOY_SPEC, toy_builder
from kgdecide.types import Finding, Query

GROUPED = dataclasses.replace(TOY_SPEC, equivalence_relation="same_as")


def _graph() -> ArrayGraph:
    """The toy graph plus ``U:cardiac``, the cardiac disorder under a second id scheme (weaker
    annotations), joined to ``T:cardiac``; ``U:lone`` has no partner."""
    b = toy_builder()
    b.add_node("U:cardiac", "Target", "cardiac disorder (second source)")
    b.add_edge("U:cardiac", "has_finding", "S:murmur", {"frequency": 0.5})
    b.add_node("U:lone", "Target", "lone disorder")
    b.add_edge("U:lone", "has_finding", "S:eczema", {"frequency": 0.5})
    b.add_edge("U:cardiac", "same_as", "T:cardiac")
    graph = b.build()
    graph.meta["version"] = "toy-groups/v1"
    return graph


def _ranker(spec=GROUPED, prefixes: tuple[str, ...] = ()) -> Ranker:
    return Ranker.create(EmbeddedStore(_graph()), spec, "lr", candidate_prefixes=prefixes)


def test_a_group_is_one_candidate_with_its_best_member_and_other_ids() -> None:
    apart, _ = _ranker(TOY_SPEC).rank(["S:murmur"], top=10)
    together, _ = _ranker().rank(["S:murmur"], top=10)
    by_id = {c.id: c for c in apart}
    assert len(together) == len(apart) - 1
    first = together[0]
    assert (first.id, first.equivalent) == ("T:cardiac", ("U:cardiac",))
    assert first.score == max(by_id["T:cardiac"].score, by_id["U:cardiac"].score)
    # The best member's probability, renormalised without the hidden duplicate: no double prior.
    others = sum(c.probability for c in apart if c.id != "U:cardiac")
    assert first.probability == pytest.approx(by_id["T:cardiac"].probability / others)
    assert sum(c.probability for c in together) == pytest.approx(1.0)
    probabilities = [c.probability for c in together]
    assert probabilities == sorted(probabilities, reverse=True)  # they fall with the rank
    assert all(c.equivalent == () for c in together[1:])
    assert [c.rank for c in together] == list(range(1, len(together) + 1))


def test_prefixes_choose_the_id_shown_and_hide_groups_without_one() -> None:
    candidates, _ = _ranker(prefixes=("U:",)).rank(["S:murmur"], top=10)
    assert [c.id for c in candidates] == ["U:cardiac", "U:lone"]
    cardiac = candidates[0]
    assert cardiac.equivalent == ("T:cardiac",)
    # The score is the group's best member's (T:cardiac's stronger annotation), not U:cardiac's.
    apart, _ = _ranker(TOY_SPEC).rank(["S:murmur"], top=10)
    assert cardiac.score == max(c.score for c in apart if c.id in ("T:cardiac", "U:cardiac"))
    assert sum(c.probability for c in candidates) == pytest.approx(1.0)


def test_evaluation_finds_the_answer_under_any_id_of_its_group() -> None:
    # U:cardiac alone ranks behind T:cardiac and T:atopic; as one disease it is found first.
    assert evaluate(_ranker(TOY_SPEC), ["S:murmur"], [], ["U:cardiac"]).rank == 3
    grouped = evaluate(_ranker(), ["S:murmur"], [], ["U:cardiac"])
    assert grouped.rank == 1 and grouped.hits[0] and not any(grouped.hits[1:])
    assert sum(grouped.probabilities) == pytest.approx(1.0)


def test_decide_explains_the_member_whose_score_the_candidate_carries() -> None:
    decision = decide(_ranker(prefixes=("U:",)), Query((Finding("S:murmur"),), top_k=2))
    candidate, evidence = decision.candidates[0], decision.evidence[0]
    assert candidate.id == "U:cardiac" and evidence.candidate == "T:cardiac"
    assert sum(c.value for c in evidence.contributions) == pytest.approx(
        candidate.score - _bias(decision, "T:cardiac"), abs=1e-9)


def _bias(decision, target: str) -> float:
    ranker = _ranker(prefixes=("U:",))
    _, result, _ = ranker.score(["S:murmur"])
    position = int(np.flatnonzero(result.targets == ranker.graph.index[target])[0])
    return float(result.bias[position])


def test_groups_are_connected_components_either_way() -> None:
    b = toy_builder()
    b.add_edge("T:atopic", "same_as", "T:cardiac")
    b.add_edge("T:epilepsy", "same_as", "T:cardiac")  # a chain joins all three
    graph = b.build()
    targets = graph.rows_of_type("Target")
    groups = CandidateGroups.of_targets(graph, "same_as", targets)
    ids = graph.id_list
    position = {ids[int(t)]: p for p, t in enumerate(targets.tolist())}
    assert {ids[int(targets[m])] for m in groups.members_of(position["T:atopic"])} == {
        "T:atopic", "T:cardiac", "T:epilepsy"}
    assert groups.members_of(position["T:ataxia"]) == (position["T:ataxia"],)
    assert len(set(groups.of.tolist())) == 2
    # A graph without the relation leaves every target alone.
    alone = CandidateGroups.of_targets(graph, "not_there", targets)
    assert alone.of.tolist() == list(range(len(targets))) and not alone.members
