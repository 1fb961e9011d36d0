"""Client mistakes get a JSON error with a stable code, the field, a fix, and a 4xx: never a 5xx."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from kgdecide.web import schemas
from tests.web.conftest import auth


def error(response) -> dict:  # type: ignore[no-untyped-def]
    body = response.get_json()
    schemas.ErrorOut.model_validate(body)
    assert "Traceback" not in response.get_data(as_text=True)
    return body["error"]


@pytest.mark.parametrize(("body", "field"), [
    ({"findings": [{"id": "HP:0001250"}], "topk": 3}, "topk"),
    ({"findings": [{"id": "HP:0001250", "state": "present"}]}, "findings.0.state"),
    ({"findings": [{"id": "HP:0001250"}], "top_k": "3"}, "top_k"),
    ({"findings": [{"id": "HP:0001250"}], "top_k": 0}, "top_k"),
    ({"findings": [{"id": "HP:0001250"}], "top_k": 2.5}, "top_k"),
    ({"findings": [{"id": "HP:0001250"}], "top_k": True}, "top_k"),
    ({"findings": [{"id": "not a curie"}]}, "findings.0.id"),
    ({"findings": [{"id": "HP:0001250", "status": "maybe"}]}, "findings.0.status"),
    ({"findings": "HP:0001250"}, "findings"),
    ({}, "findings"),
    ({"findings": [{"id": "HP:0001250", "status": "excluded"}]}, "findings"),
])
def test_bad_decide_bodies_name_the_field(client: FlaskClient, keys: dict[str, str], body: dict,
                                          field: str) -> None:
    response = client.post("/api/v1/decide", json=body, headers=auth(keys["clinician"]))
    assert response.status_code == 400
    err = error(response)
    assert err["field"] == field and err["fix"]


def test_unknown_field_lists_the_allowed_ones(client: FlaskClient, keys: dict[str, str]) -> None:
    response = client.post("/api/v1/link", json={"txt": "fits"}, headers=auth(keys["clinician"]))
    assert response.status_code == 400 and "allowed: text" in error(response)["message"]


def test_bad_json_is_400(client: FlaskClient, keys: dict[str, str]) -> None:
    response = client.post("/api/v1/decide", data=b'{"findings": [', headers=auth(keys["clinician"]),
                           content_type="application/json")
    assert response.status_code == 400 and error(response)["field"] == "body"
    response = client.post("/api/v1/decide", data=b"[1, 2]", headers=auth(keys["clinician"]),
                           content_type="application/json")
    assert response.status_code == 400 and "object" in error(response)["message"]
    response = client.post("/api/v1/decide", data=b"\xff\xfe", headers=auth(keys["clinician"]),
                           content_type="application/json")
    assert response.status_code == 400


def test_wrong_content_type_is_415(client: FlaskClient, keys: dict[str, str]) -> None:
    response = client.post("/api/v1/decide", data="findings=HP:0001250", headers=auth(keys["clinician"]),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and error(response)["field"] == "Content-Type"


def test_oversized_body_is_413(client: FlaskClient, keys: dict[str, str]) -> None:
    big = b'{"text": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    response = client.post("/api/v1/decide", data=big, headers=auth(keys["clinician"]),
                           content_type="application/json")
    assert response.status_code == 413 and error(response)["code"] == "payload_too_large"


def test_text_over_the_limit_is_400(client: FlaskClient, keys: dict[str, str]) -> None:
    response = client.post("/api/v1/link", json={"text": "a" * (schemas.MAX_TEXT_CHARS + 1)},
                           headers=auth(keys["clinician"]))
    assert response.status_code == 400 and error(response)["field"] == "text"


def test_batch_over_100_is_400(client: FlaskClient, keys: dict[str, str]) -> None:
    cases = [{"id": str(i), "findings": [{"id": "HP:0001250"}]} for i in range(101)]
    response = client.post("/api/v1/rank", json={"cases": cases}, headers=auth(keys["analyst"]))
    assert response.status_code == 400 and error(response)["field"] == "cases"


@pytest.mark.parametrize(("url", "field"), [
    ("/api/v1/nodes/HP:0001250/neighbors?limit=0", "limit"),
    ("/api/v1/nodes/HP:0001250/neighbors?limit=x", "limit"),
    ("/api/v1/nodes/HP:0001250/neighbors?direction=up", "direction"),
    ("/api/v1/nodes/HP:0001250/neighbors?colour=red", "colour"),
    ("/api/v1/paths?source=HP:0001250", "target"),
    ("/api/v1/paths?source=HP:0001250&target=NCBIGene:1&max_hops=99", "max_hops"),
    ("/api/v1/search", "q"),
    ("/api/v1/nodes/HP:0001250?expand=1", "expand"),
])
def test_bad_query_parameters_name_the_field(client: FlaskClient, keys: dict[str, str], url: str,
                                             field: str) -> None:
    response = client.get(url, headers=auth(keys["admin"]))
    assert response.status_code == 400 and error(response)["field"] == field


def test_unknown_route_and_wrong_method_are_json(client: FlaskClient, keys: dict[str, str]) -> None:
    response = client.get("/api/v1/nope", headers=auth(keys["admin"]))
    assert response.status_code == 404 and error(response)["code"] == "not_found"
    response = client.get("/api/v1/decide", headers=auth(keys["admin"]))
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def test_store_unavailable_is_503_with_retry_after(app, client: FlaskClient,  # type: ignore[no-untyped-def]
                                                   keys: dict[str, str], monkeypatch) -> None:
    from kgdecide.errors import StoreUnavailable

    def down(*_: object, **__: object) -> None:
        raise StoreUnavailable("the graph database does not answer", retry_after=7)
    monkeypatch.setattr(app.extensions["kgdecide"].engine.store, "get_node", down)
    response = client.get("/api/v1/nodes/HP:0001250", headers=auth(keys["explorer"]))
    assert response.status_code == 503 and response.headers["Retry-After"] == "7"
    assert error(response)["code"] == "store_unavailable"


def test_a_bug_is_500_without_details(app, client: FlaskClient, keys: dict[str, str],  # type: ignore[no-untyped-def]
                                      monkeypatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals HP:0001250")
    monkeypatch.setattr(app.extensions["kgdecide"].engine.store, "get_node", broken)
    response = client.get("/api/v1/nodes/HP:0001250", headers=auth(keys["explorer"]))
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)
    assert error(response)["code"] == "internal_error"
