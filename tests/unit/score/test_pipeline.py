"""The orchestrator's evaluation helper and ranking contract on the toy graph."""

from __future__ import annotations

import math

from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.pipeline import Ranker, evaluate
from kgdecide.score.calibration import Calibration
from kgdecide.score.toy import TOY_SPEC, toy_graph


def _ranker(**kwargs: object) -> Ranker:
    return Ranker.create(EmbeddedStore(toy_graph()), TOY_SPEC, "lr", **kwargs)  # type: ignore[arg-type]


def test_evaluate_places_the_answer_and_reports_top_candidates() -> None:
    outcome = evaluate(_ranker(), ["S:murmur"], [], ["T:cardiac"])
    assert outcome.rank == 1 and outcome.hits[0] and not any(outcome.hits[1:])
    assert abs(sum(outcome.probabilities) - 1.0) < 1e-9  # all four targets fit in the top 10
    assert evaluate(_ranker(), ["S:murmur"], [], ["T:atopic"]).rank == 2


def test_unrankable_cases_and_unknown_answers_rank_at_infinity() -> None:
    assert math.isinf(evaluate(_ranker(), ["S:nope"], [], ["T:cardiac"]).rank)
    assert math.isinf(evaluate(_ranker(), ["S:murmur"], [], ["T:unknown"]).rank)


def test_candidate_prefixes_and_calibration_shape_the_ranking() -> None:
    calibration = Calibration((0.0, 1.0), (0.0, 0.5))
    ranker = _ranker(calibration=calibration, candidate_prefixes=("T:a",))
    candidates, _ = ranker.rank(["S:eczema"], top=5)
    assert [c.id for c in candidates] == ["T:atopic", "T:ataxia"]
    assert all(c.probability <= 0.5 for c in candidates)
    assert [c.rank for c in candidates] == [1, 2]


def test_decide_from_text_links_then_scores() -> None:
    import pytest

    from kgdecide.errors import InvalidQuery, LinkerUnavailable
    from kgdecide.link import Linker, LinkerConfig
    from kgdecide.pipeline import decide
    from kgdecide.types import Finding, FindingStatus, Query

    store = EmbeddedStore(toy_graph())
    ranker = Ranker.create(store, TOY_SPEC, "lr")
    linker = Linker.from_store(store, LinkerConfig(node_types=("Finding",), multilingual=False))
    from_text = decide(ranker, text="The child has eczema. No murmur.", linker=linker)
    assert {(f.id, f.status) for f in from_text.query.findings} == {
        ("S:eczema", FindingStatus.PRESENT), ("S:murmur", FindingStatus.EXCLUDED)}
    coded = decide(ranker, Query((Finding("S:eczema"), Finding("S:murmur", FindingStatus.EXCLUDED))))
    assert [c.id for c in from_text.candidates] == [c.id for c in coded.candidates]
    # A coded finding wins over what the text says about the same node.
    mixed = decide(ranker, Query((Finding("S:murmur"),)), text="no murmur, eczema", linker=linker)
    assert ("S:murmur", FindingStatus.PRESENT) in {(f.id, f.status) for f in mixed.query.findings}
    with pytest.raises(InvalidQuery, match="text"):
        decide(ranker, text="nothing medical here", linker=linker)
    # one set of errors for text and codes: no linker is the linker's absence, not a bad query
    with pytest.raises(LinkerUnavailable, match="linker"):
        decide(ranker, text="eczema")
    # the decision says what was read and where each finding came from
    assert [m.text for m in mixed.mentions] == ["murmur", "eczema"]
    assert dict(zip((f.id for f in mixed.query.findings), mixed.sources)) == {
        "S:murmur": "coded", "S:eczema": "text"}
