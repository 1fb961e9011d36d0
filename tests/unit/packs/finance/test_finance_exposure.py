"""Exposure, related and predict answers on the fixture graph."""

from __future__ import annotations

import datetime as dt

import pytest

from kgdecide.errors import InvalidQuery
from kgdecide.packs.finance.analysis import FinanceGraph
from kgdecide.packs.finance.exposure import Holding, Portfolio, Target, exposure, exposure_batch
from kgdecide.packs.finance.hypotheses import hypotheses
from kgdecide.packs.finance.related import related

DAY = dt.date(2018, 2, 12)  # week 6


def _target(fg: FinanceGraph, text: str = "Virus Outbreak") -> Target:
    from kgdecide.packs.finance.exposure import resolve_target

    return resolve_target(fg, text)


def test_exposed_holding_ranks_first_with_a_dated_path(fg: FinanceGraph) -> None:
    p = Portfolio("p", (Holding("GLBX", 0.5), Holding("ACME", 0.5)))
    answer = exposure(fg, p, _target(fg), DAY)
    first = answer["holdings"][0]
    assert first["company"]["ticker"] == "ACME" and first["company"]["exchange"] == "NASDAQ"
    assert first["weighted_exposure"] > answer["holdings"][1]["weighted_exposure"]
    path = first["paths"][0]
    assert path["nodes"][0]["id"] == "FINDKG:0" and path["nodes"][-1]["id"] in ("FINDKG:1", "TICKER:ACME")
    assert all(s["valid_from"] is None or s["valid_from"] <= DAY.isoformat() for s in path["steps"])
    assert answer["graph_version"] == fg.version and answer["as_of"] == DAY.isoformat()


def test_paths_never_cross_a_hub(fg: FinanceGraph) -> None:
    p = Portfolio("p", (Holding("INIT"), Holding("ACME")))
    answer = exposure(fg, p, _target(fg), DAY)
    for item in answer["holdings"]:
        for path in item["paths"]:
            assert "FINDKG:3" not in [n["id"] for n in path["nodes"][1:-1]]


def test_nothing_is_known_before_the_news(fg: FinanceGraph) -> None:
    p = Portfolio("p", (Holding("ACME"),))
    early = exposure(fg, p, _target(fg), dt.date(2018, 1, 2))
    assert early["holdings"][0]["exposure"] == 0 and early["notes"]


def test_weights_are_rescaled_with_a_note_and_unknown_tickers_reported(fg: FinanceGraph) -> None:
    p = Portfolio("p", (Holding("ACME", 2.0), Holding("GLBX", 2.0), Holding("NOPE", 1.0)))
    answer = exposure(fg, p, _target(fg), DAY)
    assert sum(h["weight"] for h in answer["holdings"]) == pytest.approx(1.0)
    assert any("rescaled" in n for n in answer["notes"])
    assert [u["identifier"] for u in answer["unresolved"]] == ["NOPE"]


@pytest.mark.parametrize(("holdings", "field"), [
    ((), "holdings"),
    ((Holding("ACME", -0.5),), "holdings.weight"),
    ((Holding("ACME", 0.5), Holding("GLBX")), "holdings.weight"),
    ((Holding("NOPE"),), "holdings"),
    (tuple(Holding("ACME") for _ in range(2_001)), "holdings"),
])
def test_bad_portfolios_are_refused_naming_the_field(fg: FinanceGraph, holdings: tuple, field: str) -> None:
    with pytest.raises(InvalidQuery) as info:
        exposure(fg, Portfolio("p", holdings), _target(fg), DAY)
    assert info.value.field == field


def test_a_bad_portfolio_does_not_fail_the_batch(fg: FinanceGraph) -> None:
    results = exposure_batch(fg, [Portfolio("good", (Holding("ACME"),)), Portfolio("bad", ())],
                             _target(fg), DAY)
    assert results[0]["result"] is not None and results[0]["error"] is None
    assert results[1]["result"] is None and results[1]["error"]["field"] == "portfolios.1.holdings"
    with pytest.raises(InvalidQuery):
        exposure_batch(fg, [Portfolio(str(i), (Holding("ACME"),)) for i in range(101)], _target(fg), DAY)


def test_dates_before_the_graph_are_refused(fg: FinanceGraph) -> None:
    with pytest.raises(InvalidQuery, match="before the graph"):
        exposure(fg, Portfolio("p", (Holding("ACME"),)), _target(fg), dt.date(2010, 1, 1))


def test_cursor_pages_through_every_holding_once(fg: FinanceGraph) -> None:
    p = Portfolio("p", (Holding("ACME"), Holding("GLBX"), Holding("INIT")))
    seen, cursor = [], None
    while True:
        answer = exposure(fg, p, _target(fg), DAY, limit=1, cursor=cursor)
        seen += [h["company"]["id"] for h in answer["holdings"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == ["TICKER:ACME", "TICKER:GLBX", "TICKER:INIT"]
    with pytest.raises(InvalidQuery, match="different question"):
        exposure(fg, Portfolio("q", p.holdings), _target(fg), DAY, limit=1,
                 cursor=exposure(fg, p, _target(fg), DAY, limit=1)["next_cursor"])


def test_ambiguous_and_unknown_names(fg: FinanceGraph) -> None:
    with pytest.raises(InvalidQuery, match="not a known"):
        fg.resolve("Umbrella Corp", "event")
    # The FinDKG company and its listing are one answer: the listing.
    assert fg.graph.id_list[fg.resolve("Acme Airlines Inc.")] == "TICKER:ACME"
    assert fg.graph.id_list[fg.resolve("US37000A1048")] == "TICKER:GLBX"


def test_related_ranks_neighbours_with_paths(fg: FinanceGraph) -> None:
    answer = related(fg, "GLBX", DAY, limit=20)
    ids = [item["entity"]["id"] for item in answer["items"]]
    assert "FINDKG:7" in ids and "FINDKG:5" in ids  # Widget (produced), Jane Doe (controls)
    assert "FINDKG:3" not in ids and "FINDKG:2" not in ids  # hub, own alias
    assert all(item["paths"] for item in answer["items"][:3])
    people = related(fg, "GLBX", DAY, types=("Person",))
    assert {i["entity"]["type"] for i in people["items"]} == {"Person"}
    with pytest.raises(InvalidQuery, match="unknown node type"):
        related(fg, "GLBX", DAY, types=("Planet",))


def test_predictions_are_flagged_and_new(fg: FinanceGraph) -> None:
    answer = hypotheses(fg, "FINDKG:12", dt.date(2018, 3, 4), limit=5)
    assert answer["predicted_week"] == "2018-03-05"
    assert answer["items"] and all(item["prediction"] is True for item in answer["items"])
    for item in answer["items"]:
        assert (item["relation"], item["object"]["id"]) not in {("impact", "FINDKG:9"), ("impact", "FINDKG:2")}
