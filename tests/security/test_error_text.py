"""No store's own words reach a client: when the graph store, its snapshot or the audit database
fails, the response carries a fixed message and a request id, and the log carries the store's
message under that id (the operator's way back from the one to the other)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from kgdecide.errors import AuditUnavailable, SnapshotError, StoreUnavailable

#: What a store's message may quote: a server's address, a user name, a path on the server.
SECRET = "bolt://db.internal.example:7687 user 'kg_ops' /srv/private/kg"


def _down(*_: Any, **__: Any) -> None:
    raise StoreUnavailable(f"Neo4j at {SECRET} cannot be reached (connection refused)",
                           retry_after=7)


def _corrupt(*_: Any, **__: Any) -> None:
    raise SnapshotError("/srv/private/kg/edges.npy", f"unreadable ({SECRET})",
                        "rebuild it with kgdecide build")


def _unwritable(*_: Any, **__: Any) -> None:
    raise AuditUnavailable(f"the audit log cannot be written (disk I/O error at {SECRET})",
                           retry_after=30)


def _request_id(message: str) -> str:
    assert "request id " in message, message
    return message.rsplit("request id ", 1)[1].split(")")[0].strip()


@pytest.mark.parametrize(("target", "failure", "code", "retry_after"), [
    ("store.get_node", _down, "store_unavailable", "7"),
    ("store.get_node", _corrupt, "store_unavailable", "30"),
    ("audit.append", _unwritable, "audit_unavailable", "30"),
])
def test_store_failures_answer_a_fixed_message_and_log_the_cause(
        make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, target: str, failure: Callable[..., None], code: str,
        retry_after: str) -> None:
    app = make_app()
    engine = app.extensions["kgdecide"].engine
    owner, attribute = target.split(".")
    monkeypatch.setattr(getattr(engine, owner), attribute, failure)
    key = {"X-API-Key": app.extensions["kgdecide"].keys.create("admin", "errors")[1]}
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        if owner == "audit":
            response = client.post("/api/v1/decide", json={"findings": [{"id": "HP:0001250"}]},
                                   headers=key)
        else:
            response = client.get("/api/v1/nodes/HP:0001250", headers=key)
    text = response.get_data(as_text=True)
    assert response.status_code == 503, text
    assert response.get_json()["error"]["code"] == code
    assert response.headers["Retry-After"] == retry_after
    for part in ("db.internal", "kg_ops", "/srv/private", "7687", "edges.npy"):
        assert part not in text, (part, text)
    request_id = _request_id(response.get_json()["error"]["message"])
    logged = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
    assert len(logged) == 1 and SECRET in logged[0]


def test_a_real_unwritable_audit_database_names_no_path(make_app: Callable[..., Flask],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own error text (here: a read-only database) stays in the log."""
    app = make_app()
    audit = app.extensions["kgdecide"].engine.audit
    read_only = sqlite3.connect(f"file:{app.config['AUDIT_DB']}?mode=ro", uri=True)
    monkeypatch.setattr(audit, "_connection", lambda: read_only)
    key = {"X-API-Key": app.extensions["kgdecide"].keys.create("clinician", "errors")[1]}
    response = app.test_client().post("/api/v1/decide", headers=key,
                                      json={"findings": [{"id": "HP:0001250"}]})
    message = response.get_json()["error"]["message"]
    assert response.status_code == 503 and "readonly" not in message.replace(" ", "").lower()
    assert _request_id(message)


@pytest.mark.parametrize("refusal", ["credentials", "database"])
def test_a_neo4j_server_that_refuses_names_no_server_or_user(
        make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, refusal: str) -> None:
    """A Neo4j server that refuses the credentials (or has no such database) while serving is
    the server's problem, not the request's: 503 with a request id, the address and user only
    in the log."""
    import neo4j.exceptions as ne

    from kgdecide.graph.neo4j import Neo4jStore

    class NoDatabase(ne.ClientError):
        code = "Neo.ClientError.Database.DatabaseNotFound"  # the driver's error for it

    class Refusing:
        def session(self, **_: Any) -> Any:
            if refusal == "credentials":
                raise ne.AuthError("The client is unauthorized due to authentication failure.")
            raise NoDatabase("Graph not found: kg")

    store = Neo4jStore("bolt://db.internal.example:7687", ("kg_ops", "pw"), "kg")
    monkeypatch.setattr(store, "_connect", lambda: Refusing())
    app = make_app()
    monkeypatch.setattr(app.extensions["kgdecide"].engine, "store", store)
    key = {"X-API-Key": app.extensions["kgdecide"].keys.create("explorer", "errors")[1]}
    with caplog.at_level(logging.WARNING):
        response = app.test_client().get("/api/v1/nodes/HP:0001250", headers=key)
    text = response.get_data(as_text=True)
    assert response.status_code == 503 and response.get_json()["error"]["code"] == \
        "store_unavailable", text
    assert "db.internal" not in text and "kg_ops" not in text
    request_id = _request_id(response.get_json()["error"]["message"])
    assert any(request_id in r.getMessage() and "db.internal" in r.getMessage()
               for r in caplog.records)
