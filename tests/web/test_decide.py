"""POST /decide, /rank, /link and GET /decisions/{id}: with the stand-in decision function, the
503 when the build has no pipeline, and the real pipeline when it exists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from kgdecide.web import schemas
from tests.web.conftest import auth

CASE = {"findings": [{"id": "HP:0001250"}, {"id": "HP:0001263"}], "top_k": 3}


def test_decide_without_pipeline_is_a_clear_503(make_app: Callable[..., Flask]) -> None:
    app = make_app(DECIDE=None)
    client = app.test_client()
    _, secret = app.extensions["kgdecide"].keys.create("admin")
    for url, body in (("/api/v1/decide", CASE),
                      ("/api/v1/rank", {"cases": [{"id": "a", "findings": CASE["findings"]}]})):
        response = client.post(url, json=body, headers=auth(secret))
        assert response.status_code == 503
        err = response.get_json()["error"]
        assert err["code"] == "scorer_unavailable"
        assert err["message"] == "scorer not available in this build"
        assert response.headers["Retry-After"]
    assert client.get("/api/v1/healthz").get_json()["scorer_available"] is False
    assert app.extensions["kgdecide"].engine.audit.count() == 0
    # everything else still works
    assert client.post("/api/v1/link", json={"text": "Seizures"}, headers=auth(secret)).status_code == 200
    assert client.get("/api/v1/nodes/HP:0001250", headers=auth(secret)).status_code == 200


def test_decide_response_matches_its_schema(client: FlaskClient, keys: dict[str, str]) -> None:
    response = client.post("/api/v1/decide", json=CASE, headers=auth(keys["clinician"]))
    assert response.status_code == 200, response.get_json()
    body = schemas.DecideOut.model_validate(response.get_json())
    assert body.candidates[0].id == "OMIM:100100"  # annotated with both findings
    assert [c.rank for c in body.candidates] == [1, 2, 3]
    assert len(body.evidence) == len(body.candidates)
    assert {f.id: f.source for f in body.findings} == {"HP:0001250": "coded", "HP:0001263": "coded"}
    assert body.provenance.kg_version.startswith("contract/")


def test_integral_float_is_an_integer(client: FlaskClient, keys: dict[str, str]) -> None:
    response = client.post("/api/v1/decide", json={**CASE, "top_k": 2.0},
                           headers=auth(keys["clinician"]))
    assert response.status_code == 200 and len(response.get_json()["candidates"]) == 2


def test_decision_round_trips_unchanged(client: FlaskClient, keys: dict[str, str]) -> None:
    sent = client.post("/api/v1/decide", json=CASE, headers=auth(keys["clinician"]))
    decision = sent.get_json()
    fetched = client.get(f"/api/v1/decisions/{decision['id']}", headers=auth(keys["clinician"]))
    assert fetched.status_code == 200
    record = schemas.DecisionRecordOut.model_validate(fetched.get_json())
    assert fetched.get_json()["response"] == decision
    assert record.inputs["findings"] == [{"id": "HP:0001250", "status": "present", "source": "coded"},
                                         {"id": "HP:0001263", "status": "present", "source": "coded"}]
    assert record.key_id == keys["clinician"].split("_")[1]
    assert record.free_text is None


def test_other_keys_see_only_their_decisions_unless_auditing(client: FlaskClient,
                                                              keys: dict[str, str],
                                                              app: Flask) -> None:
    decision = client.post("/api/v1/decide", json=CASE, headers=auth(keys["clinician"])).get_json()
    _, other_clinician = app.extensions["kgdecide"].keys.create("clinician")
    url = f"/api/v1/decisions/{decision['id']}"
    assert client.get(url, headers=auth(other_clinician)).status_code == 404
    assert client.get(url, headers=auth(keys["analyst"])).status_code == 200
    assert client.get("/api/v1/decisions/nope", headers=auth(keys["admin"])).status_code == 404


def test_text_is_linked_and_coded_status_wins(client: FlaskClient, keys: dict[str, str]) -> None:
    body = {"text": "Seizures and global developmental delay. No microcephaly.",
            "findings": [{"id": "HP:0001263", "status": "excluded"}]}
    response = client.post("/api/v1/decide", json=body, headers=auth(keys["clinician"]))
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    used = {f["id"]: (f["status"], f["source"]) for f in data["findings"]}
    assert used == {"HP:0001263": ("excluded", "coded"), "HP:0001250": ("present", "text"),
                    "HP:0000252": ("excluded", "text")}
    assert {m["id"] for m in data["mentions"]} >= {"HP:0001250", "HP:0001263", "HP:0000252"}
    ranked = [c["id"] for c in data["candidates"]]
    # ORPHA:300 has seizures and nothing against it; OMIM:100100 loses a point for the excluded delay
    assert ranked[:2] == ["ORPHA:300", "OMIM:100100"]


def test_rank_gives_one_result_or_error_per_case(client: FlaskClient, keys: dict[str, str],
                                                 app: Flask) -> None:
    cases = [{"id": "good", **{k: v for k, v in CASE.items() if k != "top_k"}},
             {"id": "unknown-only", "findings": [{"id": "HP:0001250", "status": "excluded"}]},
             {"id": "also-good", "findings": [{"id": "HP:0000252"}]}]
    response = client.post("/api/v1/rank", json={"cases": cases, "top_k": 2},
                           headers=auth(keys["analyst"]))
    assert response.status_code == 200
    results = schemas.RankOut.model_validate(response.get_json()).results
    assert [r.id for r in results] == ["good", "unknown-only", "also-good"]
    assert results[0].result is not None and results[0].error is None
    assert results[1].result is None and results[1].error is not None
    assert results[1].error.code == "invalid_query"
    assert results[2].result.candidates[0].id == "OMIM:100200"  # type: ignore[union-attr]
    assert app.extensions["kgdecide"].engine.audit.count() == 2


def test_link_returns_mentions_with_status(client: FlaskClient, keys: dict[str, str]) -> None:
    response = client.post("/api/v1/link", json={"text": "Fits, no microcephaly."},
                           headers=auth(keys["clinician"]))
    mentions = schemas.LinkOut.model_validate(response.get_json()).mentions
    by_text = {m.text.lower(): m for m in mentions}
    assert by_text["microcephaly"].status == "excluded" and by_text["microcephaly"].id == "HP:0000252"
    assert all("Fits, no microcephaly."[m.start:m.end] == m.text for m in mentions)


def test_real_pipeline_decides_through_the_api(make_app: Callable[..., Flask],
                                               real_decider: Any) -> None:
    app = make_app(DECIDE=real_decider)
    client = app.test_client()
    _, secret = app.extensions["kgdecide"].keys.create("clinician")
    response = client.post("/api/v1/decide", json=CASE, headers=auth(secret))
    assert response.status_code == 200, response.get_json()
    body = schemas.DecideOut.model_validate(response.get_json())
    # OMIM:100100 is the only disease annotated with both findings
    assert body.candidates[0].id == "OMIM:100100" and body.provenance.scorer == "lr"
    assert len(body.evidence) == len(body.candidates)
    assert all(0.0 <= c.probability <= 1.0 for c in body.candidates)
    fetched = client.get(f"/api/v1/decisions/{body.id}", headers=auth(secret)).get_json()
    assert fetched["response"] == response.get_json()
    # an unknown scorer name is the client's mistake, named
    bad = client.post("/api/v1/decide", json={**CASE, "scorer": "nope"}, headers=auth(secret))
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "config_error"
    assert "lr" in bad.get_json()["error"]["message"]


def test_default_app_uses_the_pipeline_when_built_in(make_app: Callable[..., Flask],
                                                     real_decider: Any) -> None:
    import kgdecide.web.decider as decider_module

    app = make_app()  # no DECIDE override: what `kgdecide serve` gets
    engine = app.extensions["kgdecide"].engine
    assert isinstance(engine.decider, decider_module.PipelineDecider)
    # A fresh home has no trained attention model: the best untrained scorer is served.
    from kgdecide.packs.clinical.commands import UNTRAINED_DEFAULT_SCORER

    assert engine.decider.default_scorer == UNTRAINED_DEFAULT_SCORER
    assert app.test_client().get("/api/v1/healthz").get_json()["scorer_available"] is True


def test_one_row_per_disease_with_its_other_ids(make_app: Callable[..., Flask],
                                                 tmp_path: Any) -> None:
    from kgdecide.graph.builder import GraphBuilder
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.web.decider import PipelineDecider
    from tests.contract.graphs import contract_graph

    # The contract graph with ORPHA:300 declared the same disease as OMIM:100100.
    source, b = contract_graph(), GraphBuilder("contract", "v1-grouped")
    for node in source.iter_nodes():
        b.add_node(node.id, node.type, node.label, node.synonyms, node.properties)
    for edge in source.iter_edges():
        b.add_edge(edge.subject, edge.relation, edge.object, edge.properties)
    b.add_edge("ORPHA:300", "same_disease_as", "OMIM:100100")
    store = EmbeddedStore(b.build())
    app = make_app(STORE=store, DECIDE=PipelineDecider.from_store(store, tmp_path, "lr"))
    _, secret = app.extensions["kgdecide"].keys.create("clinician")
    response = app.test_client().post("/api/v1/decide", json=CASE, headers=auth(secret))
    assert response.status_code == 200, response.get_json()
    body = schemas.DecideOut.model_validate(response.get_json())
    rows = {c.id: c.equivalent for c in body.candidates}
    assert rows == {"OMIM:100100": ["ORPHA:300"], "OMIM:100200": []}
