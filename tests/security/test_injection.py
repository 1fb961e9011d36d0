"""Injection through every parameter of every route (API and page twins), on the embedded store
and on a real Neo4j server; path traversal in node ids and store names; oversized and deeply
nested bodies; header injection. Every answer is a normal answer or a JSON error (never a 5xx),
leaks nothing, and changes nothing."""

from __future__ import annotations

import json
import re
from urllib.parse import quote
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from pydantic import BaseModel

from kgdecide.web.routes import KEY, Route, app_routes
from tests.security.conftest import payload_graph, sign_in

PAYLOADS = [
    "x'}) MATCH (n) DETACH DELETE n //",
    'HP:0001250"}) WITH 1 AS x CALL db.labels() YIELD label RETURN label //',
    "HP:0001250' OR 1=1 RETURN n //",
    "$id",
    "} ; DROP ALL ; SELECT * WHERE { ?s ?p ?o",
    "> . } INSERT DATA { <urn:a> <urn:b> <urn:c> } #",
    "'; DROP TABLE decisions; --",
    "../../../../../../etc/passwd",
    "..%2f..%2f..%2fkeys.sqlite3",
    "x\r\nSet-Cookie: pwned=1\r\nX-Injected: 1",
]
LEAKS = re.compile(r"Traceback|File \"/|sqlite3\.|neo4j\.exceptions|CypherSyntaxError|root:x:0:0|"
                   r"kgd_[0-9a-f]{8}_|\$argon2")


def _string_fields(model: type[BaseModel]) -> list[str]:
    """Top-level fields of ``model`` that take a string (directly or as Optional)."""
    out = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        options = typing.get_args(annotation) or (annotation,)
        if str in options:
            out.append(name)
    return out


def _cases(app: Flask) -> list[tuple[Route, str, str]]:
    """(route, where, field) for every string parameter of every route that reads the graph or
    the linker (the sign-in form has its own tests)."""
    cases = []
    for route in app_routes(app):
        if route.form is not None or route.path.startswith(("/sign-", "/api/v1/finance")):
            continue
        if "<path:" in route.path:
            cases.append((route, "path", "node_id"))
        if route.query is not None:
            cases += [(route, "query", f) for f in _string_fields(route.query)]
        if route.body is not None:
            cases += [(route, "body", f) for f in _string_fields(route.body)]
            if "findings" in route.body.model_fields:
                cases.append((route, "body", "findings.id"))
    return cases


def _request(route: Route, where: str, field: str, payload: str) -> tuple[str, dict[str, Any]]:
    url = route.path.replace("<path:node_id>", "HP:0001250")
    base_query = {"q": "seiz"} if route.query is not None and "q" in route.query.model_fields else {}
    if route.query is not None and "source" in route.query.model_fields:
        base_query = {"source": "HP:0001250", "target": "OMIM:666666"}
    if route.query is not None and "query" in route.query.model_fields:
        base_query = {"query": "ASK { ?s ?p ?o }"}
    kwargs: dict[str, Any] = {"query_string": base_query}
    if where == "path":
        url = route.path.replace("<path:node_id>", quote(payload, safe=""))
    elif where == "query":
        kwargs["query_string"] = {**base_query, field: payload}
    elif field == "findings.id":
        kwargs["json"] = {"findings": [{"id": payload}]}
    else:
        body: dict[str, Any] = {"findings": [{"id": "HP:0001250"}]} \
            if "findings" in (route.body.model_fields if route.body else {}) else {}
        if "cases" in (route.body.model_fields if route.body else {}):
            body = {"cases": [{"id": "c", "findings": [{"id": "HP:0001250"}]}]}
        if route.body is not None and "text" in route.body.model_fields and not body:
            body = {"text": "Seizures"}
        if route.body is not None and "query" in route.body.model_fields:
            body = {"query": "ASK { ?s ?p ?o }"}
        kwargs["json"] = {**body, field: payload}
    return url, kwargs


def _fingerprint(app: Flask) -> tuple[Any, ...]:
    web = app.extensions["kgdecide"]
    store = web.engine.store
    counts = store.counts()
    return (counts.nodes, counts.edges, tuple(store.edges("HP:0001250")),
            len(web.keys.list()), len(web.users.list()))


@pytest.fixture(params=["embedded", "rdf", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def target(request: pytest.FixtureRequest, make_app: Callable[..., Flask],
           tmp_path: Path) -> Iterator[Flask]:
    """The app over each kind of store: Cypher reaches Neo4j, SPARQL (``/sparql`` answers only
    over an RDF store) reaches Oxigraph."""
    if request.param == "neo4j":
        from tests.contract.factory_neo4j import make_store

        store = make_store(payload_graph(), tmp_path)
        yield make_app(STORE=store)
    elif request.param == "rdf":
        from kgdecide.graph.rdf import RdfStore

        rdf = RdfStore.from_path(tmp_path / "rdf")
        rdf.write_graph(payload_graph(odd_id=False))
        yield make_app(STORE=rdf, SPARQL_TIMEOUT=20)
    else:
        yield make_app()


def test_injection_through_every_parameter(target: Flask) -> None:
    app = target
    key = {"X-API-Key": app.extensions["kgdecide"].keys.create("admin", "attacker")[1]}
    page = sign_in(app, "admin")
    cases = _cases(app)
    assert len({(r.method, r.path) for r, _, _ in cases}) >= 16  # API routes and page twins
    before = _fingerprint(app)
    neighbors_before = app.test_client().get("/api/v1/nodes/HP:0001250/neighbors",
                                             headers=key).get_json()
    assert neighbors_before["total"] >= 2
    for route, where, field in cases:
        for payload in PAYLOADS:
            url, kwargs = _request(route, where, field, payload)
            client = app.test_client() if route.auth == KEY else page
            headers = key if route.auth == KEY else {}
            response = client.open(url, method=route.method, headers=headers,
                                   follow_redirects=True, **kwargs)
            text = response.get_data(as_text=True)
            where_ = f"{route.method} {route.path} {where}:{field}={payload!r}"
            assert response.status_code < 500 or response.status_code in (501, 503), (where_, text)
            assert not LEAKS.search(text), (where_, text[:500])
            assert "X-Injected" not in response.headers and "pwned" not in str(response.headers)
            if response.status_code != 200:
                json.loads(text)["error"]["code"]  # a JSON error, never an HTML trace
    assert _fingerprint(app) == before
    # the graph still answers as before: nothing was deleted or added by any payload
    ok = app.test_client().get("/api/v1/nodes/HP:0001250/neighbors", headers=key)
    assert ok.status_code == 200 and ok.get_json() == neighbors_before


@pytest.mark.parametrize("node_id", ["../../../../etc/passwd", "..%2F..%2Fkeys.sqlite3",
                                     "/etc/passwd", "HP:0001250/../../secret_key",
                                     "....//....//audit.sqlite3"])
def test_node_ids_are_looked_up_never_opened(app: Flask, node_id: str) -> None:
    key = {"X-API-Key": app.extensions["kgdecide"].keys.create("explorer")[1]}
    page = sign_in(app, "explorer", "trav")
    for client, url, headers in ((app.test_client(), f"/api/v1/nodes/{node_id}", key),
                                 (page, f"/explore/nodes/{node_id}", {})):
        # a doubled slash is merged by a redirect to this server's own route (308): follow it
        response = client.get(url, headers=headers, follow_redirects=True)
        assert response.status_code == 404, (url, response.get_data(as_text=True))
        assert all(r.headers["Location"].startswith(("http://localhost/api/v1/nodes/",
                                                     "http://localhost/explore/nodes/"))
                   for r in response.history)
        text = response.get_data(as_text=True)
        assert "root:" not in text and "SECRET" not in text.upper().replace("SECRET_KEY", "")


@pytest.mark.parametrize("store", ["../../../../etc", "/etc/passwd", "../" * 12 + "tmp",
                                   "clinical/../../../../etc"])
def test_store_names_cannot_reach_out_of_a_request(app: Flask, store: str,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    """No request names a store: the server opens its one store at start. The operator's own
    command line gets a clear error, never a stack trace, for a path that holds no store."""
    import kgdecide.graph as graph_module

    monkeypatch.setattr(graph_module, "open_store",
                        lambda *a, **k: pytest.fail("a request opened a store"))
    key = {"X-API-Key": app.extensions["kgdecide"].keys.create("admin")[1]}
    for url in (f"/api/v1/search?q={store}", f"/api/v1/nodes/{store}",
                f"/api/v1/paths?source=HP:0001250&target=HP:0001250&relations={store}"):
        assert app.test_client().get(url, headers=key, follow_redirects=True).status_code \
            in (200, 400, 404)
    monkeypatch.undo()
    from kgdecide.cli import main

    result = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "info", "--store", store])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Error" in result.output


def test_oversized_and_deeply_nested_bodies(app: Flask) -> None:
    key = {"X-API-Key": app.extensions["kgdecide"].keys.create("admin")[1]}
    page = sign_in(app, "admin", "big")
    huge = b'{"text": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    deep = b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    wide = json.dumps({"cases": [{"id": str(i), "findings": [{"id": "HP:0001250"}]}
                                 for i in range(1000)]}).encode()
    for client, url, headers in ((app.test_client(), "/api/v1/decide", key),
                                 (page, "/ui/decide", {})):
        sent = client.post(url, data=huge, headers={**headers, "Content-Type": "application/json"})
        assert sent.status_code == 413 and sent.get_json()["error"]["code"] == "payload_too_large"
        nested = client.post(url, data=deep, headers={**headers, "Content-Type": "application/json"})
        assert nested.status_code == 400 and nested.get_json()["error"]["field"] == "body"
    many = app.test_client().post("/api/v1/rank", data=wide,
                                  headers={**key, "Content-Type": "application/json"})
    assert many.status_code == 400 and many.get_json()["error"]["field"] == "cases"


@pytest.mark.parametrize("header", ["X-API-Key", "X-Forwarded-For", "Cookie", "Referer"])
def test_header_injection_is_inert(app: Flask, header: str) -> None:
    value = "kgd_00000000_x\r\nX-Injected: 1"
    # werkzeug's test client refuses CR/LF in a header, as a server's parser would: send the
    # closest a client can, a value with the injected text after an obs-fold-like tab
    response = app.test_client().get("/api/v1/nodes/HP:0001250",
                                     headers={header: value.replace("\r\n", "\t")})
    assert "X-Injected" not in response.headers
    assert response.status_code in (401, 400)


def test_nothing_a_client_sends_reaches_a_response_header_raw(app: Flask) -> None:
    """The one place request text enters a response header is the sign-in redirect (the page to
    come back to): it is percent-encoded there, and refused as a target after sign-in."""
    client = app.test_client()
    response = client.get("/explore/?q=%0d%0aX-Injected:%201%0d%0aSet-Cookie:%20pwned=1")
    location = response.headers["Location"]
    assert response.status_code == 303 and "\r" not in location and "\n" not in location
    assert "X-Injected" not in response.headers and "pwned" not in response.headers.get("Set-Cookie", "")
