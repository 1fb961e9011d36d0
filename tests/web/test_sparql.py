"""/api/v1/sparql: read-only SPARQL over an RDF store, by role, with time and size limits."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kgdecide.graph.rdf import RdfStore
from kgdecide.web import schemas
from tests.contract.graphs import contract_graph
from tests.web.conftest import auth
from tests.web.doubles import CountingDecider

SEIZURE = "http://purl.obolibrary.org/obo/HP_0001250"
KGD = "https://w3id.org/kgdecide/schema#"


@pytest.fixture(scope="module")
def rdf_store(tmp_path_factory: pytest.TempPathFactory) -> RdfStore:
    store = RdfStore.from_path(tmp_path_factory.mktemp("sparql") / "rdf")
    store.write_graph(contract_graph())
    return store


@pytest.fixture
def rdf_app(make_app: Callable[..., Flask], rdf_store: RdfStore) -> Flask:
    return make_app(STORE=rdf_store, DECIDE=CountingDecider(rdf_store), SPARQL_TIMEOUT=5)


@pytest.fixture
def rdf_client(rdf_app: Flask) -> FlaskClient:
    return rdf_app.test_client()


@pytest.fixture
def rdf_keys(rdf_app: Flask) -> dict[str, str]:
    keys = rdf_app.extensions["kgdecide"].keys
    return {role: keys.create(role, role)[1] for role in ("clinician", "analyst", "explorer", "admin")}


def sparql(client: FlaskClient, key: str, query: str, **extra: Any) -> Any:
    return client.get("/api/v1/sparql", query_string={"query": query, **extra}, headers=auth(key))


def test_select_answers_sparql_json_results(rdf_client: FlaskClient, rdf_keys: dict[str, str]) -> None:
    query = f"SELECT ?label WHERE {{ <{SEIZURE}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
    response = sparql(rdf_client, rdf_keys["explorer"], query)
    assert response.status_code == 200, response.get_json()
    body = schemas.SparqlOut.model_validate(response.get_json())
    assert body.head == {"vars": ["label"]}
    assert body.results == {"bindings": [{"label": {"type": "literal", "value": "Seizure"}}]}
    assert body.truncated is False


def test_edge_properties_are_queryable_through_reifiers(rdf_client: FlaskClient,
                                                        rdf_keys: dict[str, str]) -> None:
    query = f"""SELECT ?d ?f WHERE {{
        ?r <http://www.w3.org/1999/02/22-rdf-syntax-ns#reifies> <<( ?d <{KGD}has_phenotype> <{SEIZURE}> )>> ;
           <{KGD}frequency> ?f }} ORDER BY ?f"""
    body = sparql(rdf_client, rdf_keys["analyst"], query).get_json()
    rows = [(b["d"]["value"].rsplit("/", 1)[-1], float(b["f"]["value"])) for b in body["results"]["bindings"]]
    assert rows == [("Orphanet_300", 0.17), ("OMIM_100100", 0.9)]


def test_ask_construct_and_post(rdf_client: FlaskClient, rdf_keys: dict[str, str]) -> None:
    key = rdf_keys["admin"]
    assert sparql(rdf_client, key, f"ASK {{ <{SEIZURE}> ?p ?o }}").get_json() == {"head": {}, "boolean": True}
    assert sparql(rdf_client, key, "ASK { <urn:nothing> ?p ?o }").get_json()["boolean"] is False
    built = sparql(rdf_client, key, f"CONSTRUCT {{ <{SEIZURE}> ?p ?o }} WHERE {{ <{SEIZURE}> ?p ?o }}")
    triples = built.get_json()["triples"]
    assert {"type": "literal", "value": "Fits"} in [t["object"] for t in triples]
    posted = rdf_client.post("/api/v1/sparql", json={"query": f"DESCRIBE <{SEIZURE}>", "limit": 2},
                             headers=auth(key))
    assert posted.status_code == 200
    assert len(posted.get_json()["triples"]) == 2 and posted.get_json()["truncated"] is True


def test_limit_truncates(rdf_client: FlaskClient, rdf_keys: dict[str, str]) -> None:
    body = sparql(rdf_client, rdf_keys["explorer"], "SELECT * WHERE { ?s ?p ?o }", limit=3).get_json()
    assert len(body["results"]["bindings"]) == 3 and body["truncated"] is True


@pytest.mark.parametrize("update", [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "CLEAR ALL",
    "LOAD <http://example.org/x.ttl>",
    "DROP GRAPH <urn:g>",
    "PREFIX x: <urn:x#> DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
])
def test_updates_are_refused_and_leave_the_store_alone(rdf_client: FlaskClient, rdf_keys: dict[str, str],
                                                       rdf_store: RdfStore, update: str) -> None:
    before = len(rdf_store.oxigraph)
    response = sparql(rdf_client, rdf_keys["admin"], update)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_sparql"
    posted = rdf_client.post("/api/v1/sparql", json={"query": update}, headers=auth(rdf_keys["admin"]))
    assert posted.status_code == 400
    assert len(rdf_store.oxigraph) == before


def test_service_is_refused_but_the_word_in_a_string_is_not(rdf_client: FlaskClient,
                                                            rdf_keys: dict[str, str]) -> None:
    key = rdf_keys["admin"]
    refused = sparql(rdf_client, key, "SELECT * WHERE { service <http://127.0.0.1:1/> { ?s ?p ?o } }")
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "service_refused"
    fine = sparql(rdf_client, key, 'SELECT ?s WHERE { ?s ?p "SERVICE" } # SERVICE')
    assert fine.status_code == 200


def test_roles(rdf_client: FlaskClient, rdf_keys: dict[str, str]) -> None:
    query = "ASK { ?s ?p ?o }"
    assert sparql(rdf_client, rdf_keys["clinician"], query).status_code == 403
    assert rdf_client.get("/api/v1/sparql", query_string={"query": query}).status_code == 401
    for role in ("explorer", "analyst", "admin"):
        assert sparql(rdf_client, rdf_keys[role], query).status_code == 200


def test_bad_parameters_are_400(rdf_client: FlaskClient, rdf_keys: dict[str, str]) -> None:
    key = rdf_keys["admin"]
    assert sparql(rdf_client, key, "SELECT * WHERE { ?s ?p ?o }", limit=0).status_code == 400
    assert sparql(rdf_client, key, "SELECT * WHERE { ?s ?p ?o ").status_code == 400
    assert rdf_client.get("/api/v1/sparql", headers=auth(key)).status_code == 400


def test_time_limit_answers_503(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    store = RdfStore.from_path(tmp_path / "big")
    from kgdecide.graph.builder import GraphBuilder

    b = GraphBuilder("big", "v1")
    for i in range(1000):
        b.add_edge(f"HP:{i}", "is_a", f"HP:{i + 1}")
    store.write_graph(b.build())
    app = make_app(STORE=store, DECIDE=CountingDecider(store), SPARQL_TIMEOUT=0.3, SPARQL_WORKERS=1)
    client = app.test_client()
    key = app.extensions["kgdecide"].keys.create("explorer", "x")[1]
    started = time.perf_counter()
    # 3000 triples squared: seconds of joining, well past the limit.
    response = sparql(client, key, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d }")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "query_timeout"
    assert response.headers["Retry-After"]
    assert time.perf_counter() - started < 3
    # The one worker still runs the aggregate: the next query is turned away at once.
    assert sparql(client, key, "ASK { ?s ?p ?o }").get_json()["error"]["code"] == "sparql_busy"
    del store, app
    gc.collect()


def test_not_an_rdf_store_is_501(client: FlaskClient, keys: dict[str, str]) -> None:
    response = sparql(client, keys["explorer"], "ASK { ?s ?p ?o }")
    assert response.status_code == 501
    error = response.get_json()["error"]
    assert error["code"] == "not_rdf" and "rdf:DIR" in error["fix"]
