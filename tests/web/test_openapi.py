"""The OpenAPI document: valid 3.1, in step with the app's routes, and honoured by the server
under property-based requests (no 5xx; every body matches the schema its status promises)."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from kgdecide.web import schemas
from tests.web.conftest import auth


def test_document_is_valid_openapi_31(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_document_lists_exactly_the_api_routes(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?node_id>|<decision_id>", "{id}", rule.rule[len("/api/v1"):])
        served |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}  # type: ignore[operator]
    assert documented == served


def test_request_models_forbid_unknown_fields(app: Flask) -> None:
    from kgdecide.web.routes import app_routes

    for endpoint in app_routes(app):
        for model in (endpoint.body, endpoint.query, endpoint.form):
            if model is not None:
                assert model.model_json_schema().get("additionalProperties") is False, model


# --- property-based: random requests never give a 5xx or an off-schema body ---------------------

ids = st.sampled_from(["HP:0001250", "HP:0000252", "HP:0001263", "OMIM:100100", "HP:9999999",
                       "HP:0000000", "X:1", "nonsense", ""])
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) |
                           st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
findings = st.lists(st.fixed_dictionaries({"id": ids}, optional={
    "status": st.sampled_from(["present", "excluded", "maybe"])}), max_size=5)
decide_bodies = st.fixed_dictionaries({}, optional={
    "text": st.none() | st.text(max_size=60) | st.sampled_from(["Seizures, no fits", "小头畸形"]),
    "findings": findings | json_values,
    "top_k": st.integers(-2, 120) | json_values,
    "target": st.none() | st.sampled_from(["OMIM:", "ORPHA:", "X"]),
    "scorer": st.none() | st.text(max_size=10),
    "extra": json_values,
})
rank_bodies = st.fixed_dictionaries({"cases": st.lists(st.fixed_dictionaries(
    {"id": st.text(max_size=5)}, optional={"findings": findings, "text": st.text(max_size=30)}),
    max_size=4)}, optional={"top_k": st.integers(0, 5)})
queries = st.dictionaries(st.sampled_from(["relation", "type", "direction", "limit", "cursor", "q",
                                           "source", "target", "max_hops", "relations", "zzz"]),
                          st.text(max_size=12) | ids | st.integers(-3, 600).map(str), max_size=4)


def check(response, model) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code < 500, response.get_data(as_text=True)
    body = json.loads(response.get_data(as_text=True))  # strict JSON: no NaN, no Infinity
    if response.status_code == 200:
        model.model_validate(body)
    else:
        schemas.ErrorOut.model_validate(body)


FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(body=decide_bodies)
def test_decide_fuzz(client: FlaskClient, keys: dict[str, str], body: dict) -> None:
    check(client.post("/api/v1/decide", json=body, headers=auth(keys["admin"])), schemas.DecideOut)


@FUZZ
@given(body=rank_bodies)
def test_rank_fuzz(client: FlaskClient, keys: dict[str, str], body: dict) -> None:
    check(client.post("/api/v1/rank", json=body, headers=auth(keys["admin"])), schemas.RankOut)


@FUZZ
@given(body=st.fixed_dictionaries({}, optional={"text": st.text(max_size=80) | json_values,
                                                "lang": st.text(max_size=3)}))
def test_link_fuzz(client: FlaskClient, keys: dict[str, str], body: dict) -> None:
    check(client.post("/api/v1/link", json=body, headers=auth(keys["admin"])), schemas.LinkOut)


@FUZZ
@given(node=ids, args=queries, which=st.sampled_from(["node", "neighbors", "paths", "search"]))
def test_graph_reads_fuzz(client: FlaskClient, keys: dict[str, str], node: str, args: dict,
                          which: str) -> None:
    url, model = {"node": (f"/api/v1/nodes/{node or 'x'}", schemas.NodeOut),
                  "neighbors": (f"/api/v1/nodes/{node or 'x'}/neighbors", schemas.NeighborsOut),
                  "paths": ("/api/v1/paths", schemas.PathsOut),
                  "search": ("/api/v1/search", schemas.SearchOut)}[which]
    check(client.get(url, query_string=args, headers=auth(keys["admin"])), model)


@pytest.mark.parametrize("path", ["/api/v1/healthz", "/api/v1/openapi.json"])
def test_open_routes_need_no_key(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    if path.endswith("healthz"):
        schemas.HealthOut.model_validate(response.get_json())


def test_metrics_are_prometheus_text(client: FlaskClient, keys: dict[str, str]) -> None:
    client.get("/api/v1/nodes/HP:0001250", headers=auth(keys["admin"]))
    client.post("/api/v1/decide", json={"findings": [{"id": "HP:0001250"}]}, headers=auth(keys["admin"]))
    response = client.get("/api/v1/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    line = re.compile(r'^[a-z_]+(\{([a-z_]+="[^"]*",?)*\})? -?[0-9.e+]+$')
    samples = [x for x in text.splitlines() if x and not x.startswith("#")]
    assert samples and all(line.match(x) for x in samples), [x for x in samples if not line.match(x)]
    assert re.search(r'kgdecide_http_requests_total\{method="GET",route="/api/v1/nodes/<path:node_id>",'
                     r'status="200",pid="\d+"\} 1', text)
    assert re.search(r"kgdecide_decisions_total\{pid=\"\d+\"\} 1", text)
    assert "kgdecide_graph_nodes 11" in text and "kgdecide_audit_decisions 1" in text
