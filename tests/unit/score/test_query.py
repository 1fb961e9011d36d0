"""Bad input gets a defined answer: an error naming the problem, or documented behaviour."""

from __future__ import annotations

import pytest

from kgdecide.errors import InvalidQuery
from kgdecide.score.query import MAX_FINDINGS, resolve
from kgdecide.score.toy import TOY_SPEC, toy_graph
from kgdecide.types import Finding, FindingStatus, Query


def test_empty_findings_are_an_error_naming_the_field() -> None:
    with pytest.raises(InvalidQuery) as raised:
        resolve(toy_graph(), TOY_SPEC, [], [])
    assert raised.value.field == "findings"


def test_only_excluded_findings_are_an_error() -> None:
    with pytest.raises(InvalidQuery, match="present"):
        resolve(toy_graph(), TOY_SPEC, [], ["S:focal"])


def test_unknown_ids_raise_when_strict_and_are_reported_when_lenient() -> None:
    g = toy_graph()
    with pytest.raises(InvalidQuery, match="S:nope"):
        resolve(g, TOY_SPEC, ["S:focal", "S:nope"])
    with pytest.raises(InvalidQuery, match="T:cardiac"):  # a node, but not a finding
        resolve(g, TOY_SPEC, ["T:cardiac"])
    lenient = resolve(g, TOY_SPEC, ["S:focal", "S:nope", "T:cardiac"], strict=False)
    assert lenient.ids == ("S:focal",) and lenient.unknown == ("S:nope", "T:cardiac")


def test_obsolete_ids_are_mapped_and_noted() -> None:
    r = resolve(toy_graph(), TOY_SPEC, ["S:old"])
    assert r.ids == ("S:seizure",) and r.mapped == (("S:old", "S:seizure"),)
    assert any("obsolete" in note for note in r.notes())


def test_duplicates_merge_also_after_mapping() -> None:
    r = resolve(toy_graph(), TOY_SPEC, ["S:focal", "S:focal", "S:old", "S:seizure"])
    assert r.ids == ("S:focal", "S:seizure")


def test_contradictory_findings_raise_when_strict_and_drop_when_lenient() -> None:
    g = toy_graph()
    with pytest.raises(InvalidQuery, match="both present and excluded"):
        resolve(g, TOY_SPEC, ["S:focal", "S:rash"], ["S:focal"])
    r = resolve(g, TOY_SPEC, ["S:focal", "S:rash"], ["S:focal"], strict=False)
    assert r.ids == ("S:rash",) and r.contradictory == ("S:focal",)


def test_thousands_of_findings_are_refused_with_a_reason() -> None:
    with pytest.raises(InvalidQuery, match=str(MAX_FINDINGS)):
        resolve(toy_graph(), TOY_SPEC, [f"S:{i}" for i in range(MAX_FINDINGS + 1)])


def test_query_record_rejects_duplicates_and_splits_by_status() -> None:
    with pytest.raises(ValueError, match="more than once"):
        Query((Finding("S:a"), Finding("S:a", FindingStatus.EXCLUDED)))
    q = Query((Finding("S:a"), Finding("S:b", "excluded")))
    assert [f.id for f in q.excluded] == ["S:b"]
