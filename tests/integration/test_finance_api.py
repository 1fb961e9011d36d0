"""POST /api/v1/finance/exposure, /related, /predict on the fixture finance graph, through the
real app (auth, strict bodies, the one error handler) with the finance blueprint registered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.packs.finance.build import FinanceSources, build_finance_graph
from kgdecide.settings import Settings

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "fixtures" / "finance"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    graph = build_finance_graph(FinanceSources(FIXTURES / "findkg", FIXTURES / "us-stock-symbols",
                                               FIXTURES / "sec-form13", indices=False))
    return EmbeddedStore.write(graph, tmp_path_factory.mktemp("finance-store"))


@pytest.fixture
def app(tmp_path: Path, store: EmbeddedStore) -> Flask:
    from kgdecide.link import LinkerConfig
    from kgdecide.web import create_app

    return create_app({"SETTINGS": Settings(tmp_path), "STORE": store, "FINANCE_STORE": store,
                       "TESTING": True, "LINKER_CONFIG": LinkerConfig(multilingual=False),
                       "DECIDE": None})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def key(app: Flask) -> dict[str, str]:
    return {"X-API-Key": app.extensions["kgdecide"].keys.create("analyst", "finance test")[1]}


def _post(client: FlaskClient, route: str, body: Any, headers: dict[str, str]) -> Any:
    return client.post(f"/api/v1/finance/{route}", json=body, headers=headers)


PORTFOLIO = {"id": "demo", "holdings": [{"id": "ACME", "weight": 0.5}, {"id": "GLBX", "weight": 0.5}]}


def test_exposure_answers_each_portfolio(client: FlaskClient, key: dict[str, str], store: EmbeddedStore) -> None:
    body = {"event": "Virus Outbreak", "as_of": "2018-02-12",
            "portfolios": [PORTFOLIO, {"id": "empty", "holdings": []}]}
    response = _post(client, "exposure", body, key)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["graph_version"] == store.version and data["as_of"] == "2018-02-12"
    first, second = data["results"]
    top = first["result"]["holdings"][0]
    assert top["company"]["ticker"] == "ACME" and top["company"]["exchange"] == "NASDAQ"
    assert top["paths"] and top["paths"][0]["steps"][0]["valid_from"]
    assert second["result"] is None and second["error"]["field"] == "portfolios.1.holdings"


def test_exposure_shows_shares_of_the_total_and_percentiles_among_listed_companies(
        client: FlaskClient, key: dict[str, str], store: EmbeddedStore) -> None:
    import datetime as dt

    from kgdecide.packs.finance.analysis import FinanceGraph

    body = {"event": "Virus Outbreak", "as_of": "2018-02-12", "portfolios": [
        {"id": "three", "holdings": [{"id": "ACME", "weight": 2}, {"id": "GLBX", "weight": 1},
                                     {"id": "Initech", "weight": 1}]}]}
    result = _post(client, "exposure", body, key).get_json()["results"][0]["result"]
    holdings = result["holdings"]
    assert sum(h["share"] for h in holdings) == pytest.approx(1.0)
    for h in holdings:
        assert h["share"] == pytest.approx(h["weighted_exposure"] / result["total_exposure"])
    # The percentile, recomputed here node by node: listed companies strictly less exposed.
    fg = FinanceGraph.from_store(store)
    view, hubs = fg.view(dt.date(2018, 2, 12))
    scores = fg.walk(view, hubs, [fg.graph.index["FINDKG:0"]])
    ticker = fg.graph.node_columns["ticker"]
    listed = [int(r) for r in fg.company_rows() if ticker.get(int(r)) is not None]
    exposures = [float(scores[fg.company_aliases(r)].sum()) for r in listed]
    assert result["listed_companies"] == {"count": len(listed),
                                          "reached": sum(e > 0 for e in exposures)}
    for h in holdings:
        below = sum(e < h["exposure"] * (1 - 1e-9) for e in exposures)
        assert h["percentile"] == round(100 * below / len(listed), 1)
    by_exposure = sorted(holdings, key=lambda h: h["exposure"])
    assert [h["percentile"] for h in by_exposure] == sorted(h["percentile"] for h in holdings)
    assert by_exposure[-1]["percentile"] > 0 and result["listed_companies"]["reached"] > 1
    assert all(h["percentile"] == 0 for h in holdings if h["exposure"] == 0)


def test_a_date_after_the_news_is_answered_with_a_note(client: FlaskClient, key: dict[str, str]) -> None:
    body = {"event": "Virus Outbreak", "as_of": "2030-01-01", "portfolios": [PORTFOLIO]}
    result = _post(client, "exposure", body, key).get_json()["results"][0]["result"]
    assert any("news ends" in note for note in result["notes"])


def test_unknown_identifiers_are_named(client: FlaskClient, key: dict[str, str]) -> None:
    body = {"event": "Virus Outbreak", "portfolios": [
        {"id": "some", "holdings": [{"id": "ACME"}, {"id": "NOPE1"}]},
        {"id": "none", "holdings": [{"id": "NOPE2"}, {"id": "NOPE3"}]}]}
    some, none = _post(client, "exposure", body, key).get_json()["results"]
    assert [u["identifier"] for u in some["result"]["unresolved"]] == ["NOPE1"]
    isins = {"id": "isins", "holdings": [{"id": "ACME"}, {"id": "US0378331006"},
                                         {"id": "US0378331005"}, {"id": "BBG000B9XRY4"}]}
    problems = [u["problem"] for u in _post(client, "exposure", {**body, "portfolios": [isins]},
                                            key).get_json()["results"][0]["result"]["unresolved"]]
    assert "check digit should be 5" in problems[0]  # Apple's ISIN with a typo
    assert "valid ISIN this graph does not know" in problems[1]
    assert "FIGI this graph does not know" in problems[2]
    assert "NOPE2" in none["error"]["message"] and "NOPE3" in none["error"]["message"]
    assert none["error"]["field"] == "portfolios.1.holdings"


def test_exposure_cursor_pages(client: FlaskClient, key: dict[str, str]) -> None:
    body = {"event": "Virus Outbreak", "as_of": "2018-02-12", "portfolios": [PORTFOLIO], "limit": 1}
    page1 = _post(client, "exposure", body, key).get_json()["results"][0]["result"]
    cursor = page1["next_cursor"]
    assert cursor
    page2 = _post(client, "exposure", {**body, "cursor": cursor}, key).get_json()["results"][0]["result"]
    assert page2["holdings"][0]["rank"] == 2 and page2["next_cursor"] is None
    two = _post(client, "exposure", {**body, "cursor": cursor, "portfolios": [PORTFOLIO, PORTFOLIO]}, key)
    assert two.status_code == 400 and two.get_json()["error"]["field"] == "cursor"


@pytest.mark.parametrize(("body", "field"), [
    ({"event": "Virus Outbreak", "portfolios": [PORTFOLIO], "limt": 3}, "limt"),
    ({"event": "Virus Outbreak", "portfolios": []}, "portfolios"),
    ({"event": "Virus Outbreak", "portfolios": [PORTFOLIO], "as_of": "2010-01-01"}, "as_of"),
    ({"event": "Virus Outbreak", "portfolios": [PORTFOLIO], "as_of": "March"}, "as_of"),
    ({"event": "Umbrella Corp", "portfolios": [PORTFOLIO]}, "event"),
    ({"event": "Virus Outbreak", "portfolios": [PORTFOLIO] * 101}, "portfolios"),
])
def test_bad_requests_name_the_field(client: FlaskClient, key: dict[str, str], body: Any, field: str) -> None:
    response = _post(client, "exposure", body, key)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field


def test_related_and_predict(client: FlaskClient, key: dict[str, str]) -> None:
    related = _post(client, "related", {"entity": "GLBX", "as_of": "2018-02-12", "types": ["Product"]}, key)
    assert related.status_code == 200
    assert [i["entity"]["id"] for i in related.get_json()["items"]] == ["FINDKG:7"]
    predicted = _post(client, "predict", {"entity": "FINDKG:12", "as_of": "2018-03-04"}, key)
    assert predicted.status_code == 200
    assert all(i["prediction"] is True and "paths" in i for i in predicted.get_json()["items"])


def test_keys_and_roles_are_enforced(app: Flask, client: FlaskClient) -> None:
    body = {"event": "Virus Outbreak", "portfolios": [PORTFOLIO]}
    assert _post(client, "exposure", body, {}).status_code == 401
    clinician = {"X-API-Key": app.extensions["kgdecide"].keys.create("clinician", "c")[1]}
    assert _post(client, "exposure", body, clinician).status_code == 403


def test_endpoints_make_a_valid_openapi_document(client: FlaskClient) -> None:
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    for route in ("exposure", "related", "predict"):
        operation = document["paths"][f"/finance/{route}"]["post"]
        assert operation["security"] == [{"ApiKey": []}] and "requestBody" in operation
    entities = document["paths"]["/finance/entities"]["get"]
    assert {p["name"] for p in entities["parameters"]} == {"q", "type", "limit"}
    assert entities["x-permission"] == "finance"
    # the page and its calls (below /finance/, signed-in) are not API operations
    assert {p for p in document["paths"] if "finance" in p} == \
        {"/finance/exposure", "/finance/related", "/finance/predict", "/finance/entities"}


def test_without_a_finance_graph_the_app_starts_and_finance_answers_503(
        tmp_path: Path, store: EmbeddedStore) -> None:
    from kgdecide.link import LinkerConfig
    from kgdecide.web import create_app

    app = create_app({"SETTINGS": Settings(tmp_path), "STORE": store, "TESTING": True,
                      "FINANCE_STORE": str(tmp_path / "no-finance-here"),
                      "LINKER_CONFIG": LinkerConfig(multilingual=False), "DECIDE": None})
    key = {"X-API-Key": app.extensions["kgdecide"].keys.create("analyst", "t")[1]}
    response = app.test_client().post("/api/v1/finance/related", json={"entity": "x"}, headers=key)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "kgdecide build finance" in response.get_data(as_text=True)
    assert str(tmp_path) not in response.get_data(as_text=True)  # no server path leaks


def test_entities_are_found_by_identifier_and_by_the_start_of_a_word(
        client: FlaskClient, key: dict[str, str]) -> None:
    def found(query: str) -> list[str]:
        response = client.get(f"/api/v1/finance/entities?{query}", headers=key)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert found("q=acme")[0] == "TICKER:ACME"  # the ticker first, then the names
    assert found("q=outbr") == ["FINDKG:0"]  # "Virus Outbreak": a word starts with it
    assert found("q=utbreak") == []  # not from the middle of a word
    assert found("q=FINDKG:12") == ["FINDKG:12"]
    assert found("q=o&type=Event") and all(i.startswith("FINDKG:") for i in found("q=o&type=Event"))
    bad = client.get("/api/v1/finance/entities?q=o&type=Spaceship", headers=key)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "type"


def test_each_predicted_link_says_why(client: FlaskClient, key: dict[str, str]) -> None:
    items = _post(client, "predict", {"entity": "FINDKG:0", "as_of": "2018-02-12"}, key).get_json()["items"]
    assert items
    for item in items:
        features = [r for r in item["reasons"] if r["kind"] == "feature"]
        assert features and sum(r["share"] for r in features) == pytest.approx(1.0, abs=0.01)
        assert {r["name"] for r in features} == {n for n, v in item["features"].items() if v > 0}


def _signed_in(app: Flask, role: str) -> tuple[FlaskClient, str]:
    """A client signed in through the form (with its CSRF token) and the page's CSRF token."""
    import re

    app.extensions["kgdecide"].users.create(f"u-{role}", role, "a long enough password")
    client = app.test_client()
    form = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    signed = client.post("/sign-in", data={"username": f"u-{role}", "password": "a long enough password",
                                           "csrf_token": token})
    assert signed.status_code == 303
    page = client.get("/finance/")
    meta = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))
    return client, meta.group(1) if meta else ""


def test_the_analyst_page_and_its_calls_need_a_signed_in_analyst(app: Flask) -> None:
    assert app.test_client().get("/finance/").status_code == 303  # to the sign-in form
    analyst, token = _signed_in(app, "analyst")
    page = analyst.get("/finance/")
    assert page.status_code == 200 and 'id="exposure-form"' in page.get_data(as_text=True)
    assert 'min="2018-01-01"' in page.get_data(as_text=True)  # the graph's first week
    body = {"event": "Virus Outbreak", "portfolios": [PORTFOLIO]}
    assert analyst.post("/finance/exposure", json=body).status_code == 400  # no CSRF token
    answered = analyst.post("/finance/exposure", json=body, headers={"X-CSRFToken": token})
    assert answered.status_code == 200 and answered.get_json()["results"][0]["result"]["holdings"]
    clinician, _ = _signed_in(app, "clinician")
    assert clinician.get("/finance/").status_code == 403
    assert 'href="/finance/"' in clinician.get("/").get_data(as_text=True)  # the header links it
