"""SPARQL: SERVICE in any spelling or nesting never leaves the server, a query that would run
for minutes is answered within the time limit, and no store's message reaches a client."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from kgdecide.graph.rdf import RdfStore
from kgdecide.web import sparql
from tests.conftest import REPO
from tests.contract.graphs import contract_graph
from tests.security.conftest import Listener

BYPASSES = [
    "SELECT * WHERE {{ ?s ?p ?o .SERVICE <{url}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p ?o.SERVICE <{url}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p 1.SERVICE <{url}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p ?o .SERVICE SILENT <{url}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p ?o . service <{url}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ OPTIONAL {{ SERVICE <{url}> {{ ?a ?b ?c }} }} }}",
    "ASK {{ FILTER EXISTS {{ SERVICE <{url}> {{ ?a ?b ?c }} }} }}",
    "SELECT * WHERE {{ {{ SELECT ?a WHERE {{ SERVICE <{url}> {{ ?a ?b ?c }} }} }} }}",
    "CONSTRUCT {{ ?a ?b ?c }} WHERE {{ ?s ?p ?o MINUS {{ SERVICE <{url}> {{ ?a ?b ?c }} }} }}",
    "PREFIX e: <{url}#> SELECT * WHERE {{ SERVICE e:x {{ ?a ?b ?c }} }}",
    "BASE <{url}> SELECT * WHERE {{ SERVICE <> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p ?o #\n .SERVICE <{url}> {{ ?a ?b ?c }} }}",
]


@pytest.fixture(scope="module")
def rdf_store(tmp_path_factory: pytest.TempPathFactory) -> RdfStore:
    store = RdfStore.from_path(tmp_path_factory.mktemp("sec-sparql") / "rdf")
    store.write_graph(contract_graph())
    return store


@pytest.fixture
def rdf_app(make_app: Callable[..., Flask], rdf_store: RdfStore) -> Flask:
    # generous: a first rdflib parse builds its grammar, seconds on a loaded machine
    return make_app(STORE=rdf_store, SPARQL_TIMEOUT=20)


def _key(app: Flask, role: str = "explorer") -> dict[str, str]:
    return {"X-API-Key": app.extensions["kgdecide"].keys.create(role, "sparql attacker")[1]}


@pytest.fixture(params=["native", "rdflib"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with the spargebra parse tree and with the rdflib fallback."""
    if request.param == "rdflib":
        monkeypatch.setattr(sparql, "_native_shape", lambda: None, raising=False)
    return str(request.param)


@pytest.mark.parametrize("template", BYPASSES)
def test_service_never_reaches_the_network(rdf_app: Flask, listener: Listener, parser: str,
                                           template: str) -> None:
    client, headers = rdf_app.test_client(), _key(rdf_app)
    query = template.format(url=listener.url)
    for response in (client.get("/api/v1/sparql", query_string={"query": query}, headers=headers),
                     client.post("/api/v1/sparql", json={"query": query}, headers=headers)):
        assert response.status_code == 400, response.get_data(as_text=True)
        assert response.get_json()["error"]["code"] in ("service_refused", "invalid_sparql")
        assert Listener.MARKER not in response.get_data(as_text=True)
    time.sleep(0.3)  # a connection would have been accepted by now
    assert listener.connections == 0


def test_the_word_service_in_data_is_not_a_service_call(rdf_app: Flask, parser: str) -> None:
    client, headers = rdf_app.test_client(), _key(rdf_app)
    for query in ('SELECT ?s WHERE { ?s ?p "SERVICE <http://127.0.0.1:9/>" } # SERVICE',
                  "SELECT ?service WHERE { ?service ?p ?o } LIMIT 1",
                  "SELECT * WHERE { ?s <urn:SERVICE> ?o }"):
        response = client.get("/api/v1/sparql", query_string={"query": query}, headers=headers)
        assert response.status_code == 200, (query, response.get_data(as_text=True))


def values_bomb(size: int = 55, blocks: int = 4) -> str:
    """An ASK over a cross product of VALUES blocks that no row satisfies: seconds to minutes
    of evaluation from well under a kilobyte (``size ** blocks`` combinations)."""
    tables = " ".join(f"VALUES ?v{i} {{ {' '.join(map(str, range(size)))} }}" for i in range(blocks))
    total = " + ".join(f"?v{i}" for i in range(blocks))
    return f"ASK {{ {tables} FILTER({total} < 0) }}"


def test_values_bomb_is_answered_within_the_time_limit(make_app: Callable[..., Flask],
                                                       rdf_store: RdfStore) -> None:
    app = make_app(STORE=rdf_store, SPARQL_TIMEOUT=0.5, SPARQL_WORKERS=1)
    client, headers = app.test_client(), _key(app)
    answered: list[Any] = []
    started = time.monotonic()
    # In a thread: if the request thread itself evaluated the query, this test still ends.
    thread = threading.Thread(target=lambda: answered.append(client.get(
        "/api/v1/sparql", query_string={"query": values_bomb()}, headers=headers)), daemon=True)
    thread.start()
    thread.join(3.0)
    assert answered, "the request was still running 3 s after it was sent (time limit 0.5 s)"
    response = answered[0]
    assert time.monotonic() - started < 2.5
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "query_timeout"
    assert response.headers["Retry-After"]


def test_store_errors_are_logged_under_an_id_never_sent(rdf_app: Flask, rdf_store: RdfStore,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    secret = f"connection refused by upstream: {Listener.MARKER} at /srv/private/db"

    class Failing:
        def query(self, *args: Any, **kwargs: Any) -> Any:
            raise OSError(secret)

    monkeypatch.setattr(rdf_store, "oxigraph", Failing())
    client, headers = rdf_app.test_client(), _key(rdf_app)
    with caplog.at_level(logging.WARNING):
        response = client.get("/api/v1/sparql", query_string={"query": "ASK { ?s ?p ?o }"},
                              headers=headers)
    text = response.get_data(as_text=True)
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "store_unavailable"
    assert Listener.MARKER not in text and "/srv/private" not in text
    request_id = response.get_json()["error"]["message"].rsplit("request id ", 1)[1].rstrip(")")
    logged = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
    assert logged and Listener.MARKER in logged[0]


def test_syntax_errors_and_updates_name_no_store_state(rdf_app: Flask, parser: str) -> None:
    client, headers = rdf_app.test_client(), _key(rdf_app)
    for query in ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "LOAD <http://127.0.0.1:9/x>",
                  "SELECT * WHERE { ?s ?p ?o ", "DROP ALL"):
        response = client.get("/api/v1/sparql", query_string={"query": query}, headers=headers)
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "invalid_sparql"


def test_the_rdflib_fallback_survives_parses_at_once() -> None:
    """rdflib's grammar breaks for good when two threads parse at once; the pool has several
    workers, so the fallback must take turns."""
    query = "SELECT * WHERE { ?s ?p ?o OPTIONAL { ?o ?q ?r } FILTER(?o != 3) } ORDER BY ?s LIMIT 5"
    failures: list[str] = []

    def parse() -> None:
        for _ in range(20):
            try:
                assert sparql.rdflib_shape(query) == ("select", False)
            except Exception as e:  # noqa: BLE001 - any failure is the finding
                failures.append(repr(e))

    threads = [threading.Thread(target=parse) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures[:3]
    assert sparql.rdflib_shape(query) == ("select", False)


#: Queries nested as deep as the 20,000 characters a query may have allow: the parsers recurse
#: once per level, and on a thread's default 8 MiB stack this overflowed it and killed the
#: whole server process (a segmentation fault, not an error).
DEEP = {
    "groups": "SELECT * WHERE " + "{" * 9_990 + "}" * 9_990,
    "expressions": "ASK { FILTER(" + "(" * 9_980 + "1" + ")" * 9_980 + ") }",
    "optional": "ASK { " + "OPTIONAL { " * 1_500 + "?s ?p ?o " + "} " * 1_500 + "}",
}

_SERVE_DEEP = """
import json, sys
from pathlib import Path
from kgdecide.graph.rdf import RdfStore
from kgdecide.link import LinkerConfig
from kgdecide.settings import Settings
from kgdecide.web import create_app
from tests.contract.graphs import contract_graph

home, queries = Path(sys.argv[1]), json.loads(sys.stdin.read())
store = RdfStore.from_path(home / "rdf")
store.write_graph(contract_graph())
app = create_app({"SETTINGS": Settings(home), "STORE": store, "TESTING": True,
                  "LINKER_CONFIG": LinkerConfig(multilingual=False), "DECIDE": None,
                  "SPARQL_TIMEOUT": 20, "RATE_LIMIT_PER_MINUTE": 0})
key = {"X-API-Key": app.extensions["kgdecide"].keys.create("explorer", "deep")[1]}
client = app.test_client()
for name, query in queries.items():
    response = client.post("/api/v1/sparql", json={"query": query}, headers=key)
    print(name, response.status_code, flush=True)
"""


def test_queries_nested_to_the_length_limit_do_not_kill_the_server(tmp_path: Any) -> None:
    assert all(len(q) <= 20_000 for q in DEEP.values())
    # in a process of its own: a stack overflow ends the process, and must not end this run
    done = subprocess.run([sys.executable, "-c", _SERVE_DEEP, str(tmp_path)],
                          input=json.dumps(DEEP), capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr[-2000:])
    answered = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert set(answered) == set(DEEP)
    assert all(status in ("200", "400", "503") for status in answered.values()), answered
