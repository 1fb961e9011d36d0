"""Injection and key handling, in process: Cypher/SPARQL/SQL-looking strings and path traversal in
every string field, header and path parameter; keys missing, malformed, revoked or of the wrong
role. Every answer must be a JSON error or a normal answer (never a 500), leak nothing (no stack
trace, no SQL, no key material, no file contents) and change nothing (graph, keys, audit log).

tests/web/test_auth.py already covers a missing and an unknown key, the role table, revocation and
hashed storage; tests/web/test_api_errors.py malformed JSON, 413, 415 and a 500 without details.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from kgdecide.graph.embedded import EmbeddedStore

PAYLOADS = [
    "' OR 1=1 //",
    "x'}) MATCH (n) DETACH DELETE n //",
    "HP:0001250\"}) WITH 1 AS x CALL db.labels() YIELD label RETURN label //",
    "$id",
    "} ; DROP ALL ; SELECT * WHERE { ?s ?p ?o",
    "DELETE WHERE { ?s ?p ?o }",
    "'; DROP TABLE decisions; --",
    "\" UNION SELECT sha256 FROM api_keys --",
    "../../../../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "/etc/passwd",
    "....//....//keys.sqlite3",
    "HP:0001250\x00.json",
    "x\r\nSet-Cookie: pwned=1",
    "%s%n%x{0}{__class__}",
    "${jndi:ldap://127.0.0.1/a}",
    "<script>alert(1)</script>",
    "\u202e\ufeff\U0001f9e0" * 50,
]

#: Strings that would show a leak: a stack trace, SQL, a file's contents or a secret. (An error
#: may quote the client's own input back: a pattern the payload itself matches is not checked.)
LEAK_PATTERNS = [r"Traceback", r"File \"/", r"sqlite3\.", r"INSERT INTO", r"SELECT .* FROM",
                 r"root:x:0:0", r"kgd_[0-9a-f]{8}_"]
LEAKS = re.compile("|".join(LEAK_PATTERNS))


@pytest.fixture(scope="module")
def api(small_store: Path, tmp_path_factory: pytest.TempPathFactory
        ) -> tuple[Any, Any, dict[str, str]]:
    """One app for the module (building one takes ~1 s); each test compares counts before and
    after itself, and only the key-state test revokes a key (the clinician's, used nowhere else)."""
    from kgdecide.link import LinkerConfig
    from kgdecide.settings import Settings
    from kgdecide.web import create_app

    app = create_app({"SETTINGS": Settings(tmp_path_factory.mktemp("injection-home")), "STORE": EmbeddedStore.from_path(small_store),
                      "TESTING": True, "LINKER_CONFIG": LinkerConfig(multilingual=False),
                      "RATE_LIMIT_PER_MINUTE": 0, "DEFAULT_SCORER": "lr", "FINANCE": False})
    keys = {role: app.extensions["kgdecide"].keys.create(role)[1]
            for role in ("clinician", "analyst", "explorer", "admin")}
    return app, app.test_client(), keys


def requests_with(payload: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, url, request kwargs) putting ``payload`` into every string the API reads."""
    finding = {"id": payload}
    return [
        ("post", "/api/v1/decide", {"json": {"text": payload}}),
        ("post", "/api/v1/decide", {"json": {"findings": [finding]}}),
        ("post", "/api/v1/decide", {"json": {"findings": [{"id": "HP:0001250"}], "target": payload[:100]}}),
        ("post", "/api/v1/decide", {"json": {"findings": [{"id": "HP:0001250"}], "scorer": payload[:50]}}),
        ("post", "/api/v1/rank", {"json": {"cases": [{"id": payload[:200], "text": payload}]}}),
        ("post", "/api/v1/rank", {"json": {"cases": [{"id": "a", "findings": [finding]}]}}),
        ("post", "/api/v1/link", {"json": {"text": payload}}),
        ("get", "/api/v1/search", {"query_string": {"q": payload}}),
        ("get", "/api/v1/search", {"query_string": {"q": "sei", "type": payload}}),
        ("get", "/api/v1/nodes/" + payload, {}),
        ("get", "/api/v1/nodes/HP:0001250/neighbors", {"query_string": {"relation": payload}}),
        ("get", "/api/v1/nodes/HP:0001250/neighbors", {"query_string": {"cursor": payload}}),
        ("get", "/api/v1/paths", {"query_string": {"source": payload, "target": "HP:0000118"}}),
        ("get", "/api/v1/paths", {"query_string": {"source": "HP:0001250", "target": "HP:0000118",
                                                   "relations": payload}}),
        ("get", "/api/v1/decisions/" + payload, {}),
        ("get", "/api/v1/sparql", {"query_string": {"query": payload}}),
        ("post", "/api/v1/sparql", {"json": {"query": payload}}),
    ]


def assert_safe(response: Any, what: str, payload: str) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code < 500 or response.status_code == 501, (what, response.status_code, text[:300])
    for pattern in LEAK_PATTERNS:
        if not re.search(pattern, payload):
            assert not re.search(pattern, text), (what, text[:300])
    assert "pwned" not in str(response.headers.get("Set-Cookie", "")), what
    if response.status_code >= 400:
        error = json.loads(text)["error"]
        assert error["code"] and error["fix"], what


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_injection_in_every_field_is_refused_or_harmless(api: tuple[Any, Any, dict[str, str]],
                                                         payload: str) -> None:
    app, client, keys = api
    web = app.extensions["kgdecide"]
    nodes, audited, stored_keys = web.engine.store.counts().nodes, web.engine.audit.count(), \
        len(web.keys.list())
    decided = 0
    for method, url, kwargs in requests_with(payload):
        response = getattr(client, method)(url, headers={"X-API-Key": keys["admin"]}, **kwargs)
        assert_safe(response, f"{method} {url} {kwargs}", payload)
        if response.status_code == 200 and url.endswith(("/decide", "/rank")):
            body = response.get_json()
            decided += 1 if "results" not in body else sum(r["result"] is not None
                                                           for r in body["results"])
    assert web.engine.store.counts().nodes == nodes
    assert web.engine.audit.count() == audited + decided  # only real decisions were written
    assert len(web.keys.list()) == stored_keys


@pytest.mark.parametrize("payload", PAYLOADS[:12], ids=range(12))
def test_hostile_key_headers_are_401_and_never_echoed(api: tuple[Any, Any, dict[str, str]],
                                                      payload: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    _, client, keys = api
    admin_secret = keys["admin"].split("_", 2)[2]
    for secret in (payload, f"kgd_{payload}_x", f"kgd_{keys['admin'].split('_')[1]}_{payload}",
                   keys["admin"] + payload[:3], keys["admin"].upper()):
        if "\r" in secret or "\n" in secret or "\x00" in secret:
            continue  # not a legal header value: werkzeug's client refuses to send it
        with caplog.at_level(logging.DEBUG):
            response = client.get("/api/v1/nodes/HP:0001250", headers={"X-API-Key": secret})
        assert response.status_code == 401, (secret, response.get_data(as_text=True))
        assert response.get_json()["error"]["code"] == "invalid_key"
        text = response.get_data(as_text=True)
        assert secret not in text and admin_secret not in text
        assert admin_secret not in caplog.text and payload not in caplog.text


def test_key_states_get_the_right_status_and_leak_nothing(api: tuple[Any, Any, dict[str, str]],
                                                          caplog: pytest.LogCaptureFixture) -> None:
    app, client, keys = api
    store = app.extensions["kgdecide"].keys
    decide = {"findings": [{"id": "HP:0001250"}]}
    cases = {
        "no key": ({}, 401, "missing_key"),
        "empty key": ({"X-API-Key": ""}, 401, "missing_key"),
        "bad key": ({"X-API-Key": "kgd_deadbeef_" + "A" * 43}, 401, "invalid_key"),
        "wrong role": ({"X-API-Key": keys["explorer"]}, 403, "forbidden"),
        "key in query, not header": ({}, 401, "missing_key"),
    }
    with caplog.at_level(logging.DEBUG):
        for name, (headers, status, code) in cases.items():
            url = "/api/v1/decide" + (f"?api_key={keys['admin']}" if "query" in name else "")
            response = client.post(url, json=decide, headers=headers)
            assert (response.status_code, response.get_json()["error"]["code"]) == (status, code), name
        store.revoke(keys["clinician"].split("_")[1])
        revoked = client.post("/api/v1/decide", json=decide, headers={"X-API-Key": keys["clinician"]})
        assert revoked.status_code == 401 and revoked.get_json()["error"]["code"] == "invalid_key"
        bodies = [revoked.get_data(as_text=True)]
        # the other roles' read of a decision made by another key: looks absent (404), not 403
        made = client.post("/api/v1/decide", json=decide, headers={"X-API-Key": keys["analyst"]})
        decision_id = made.get_json()["id"]
        other = client.get(f"/api/v1/decisions/{decision_id}",
                           headers={"X-API-Key": app.extensions["kgdecide"].keys.create(
                               "clinician")[1]})
        assert other.status_code == 404
        bodies.append(other.get_data(as_text=True))
    for secret in keys.values():
        part = secret.split("_", 2)[2]
        assert part not in caplog.text and all(part not in b for b in bodies)
    assert not LEAKS.search("".join(bodies))


@pytest.mark.parametrize("target", ["ZZZ:", "' OR 1=1 //", "HP:"])
def test_target_matching_no_candidate_is_400_naming_target(api: tuple[Any, Any, dict[str, str]],
                                                           target: str) -> None:
    """Was a 500 (ZeroDivisionError explaining an empty ranking); "HP:" names phenotypes only."""
    _, client, keys = api
    response = client.post("/api/v1/decide", json={"findings": [{"id": "HP:0001250"}],
                                                   "target": target},
                           headers={"X-API-Key": keys["admin"]})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]["field"] == "target"
    ok = client.post("/api/v1/decide", json={"findings": [{"id": "HP:0001250"}],
                                             "target": "OMIM:"}, headers={"X-API-Key": keys["admin"]})
    assert ok.status_code == 200 and all(c["id"].startswith("OMIM:")
                                         for c in ok.get_json()["candidates"])


@pytest.mark.parametrize("cursor_json", [b'{"o": 1e999, "f": "x"}', b'{"o": -1, "f": "x"}',
                                         b'[1, 2]', b'{"o": "9' + b"9" * 5000 + b'", "f": 1}',
                                         b"[" * 300 + b"]" * 300])
def test_forged_cursors_are_400_naming_cursor(api: tuple[Any, Any, dict[str, str]],
                                              cursor_json: bytes) -> None:
    """{"o": 1e999} was a 500 (OverflowError converting infinity to an offset)."""
    import base64

    _, client, keys = api
    cursor = base64.urlsafe_b64encode(cursor_json).decode().rstrip("=")[:500]
    response = client.get("/api/v1/nodes/HP:0000118/neighbors", query_string={"cursor": cursor},
                          headers={"X-API-Key": keys["admin"]})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]["field"] == "cursor"
