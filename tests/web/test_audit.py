"""The audit log: append-only by triggers, written before the response, free text opt-in."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kgdecide.web.audit import AuditLog
from tests.web.conftest import auth
from tests.web.doubles import CountingDecider

CASE = {"text": "Seizures", "findings": [{"id": "HP:0001263"}]}


def test_table_is_append_only(client: FlaskClient, keys: dict[str, str], app: Flask) -> None:
    client.post("/api/v1/decide", json=CASE, headers=auth(keys["clinician"]))
    path = app.extensions["kgdecide"].engine.audit.path
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE decisions SET scorer = 'other'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM decisions")
    assert db.execute("SELECT count(*) FROM decisions").fetchone()[0] == 1


def test_decision_is_stored_before_the_response(app: Flask, client: FlaskClient,
                                                keys: dict[str, str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    audit: AuditLog = app.extensions["kgdecide"].engine.audit
    before = audit.count()
    # The audit database turns unwritable (a full disk looks the same to SQLite's caller).
    read_only = sqlite3.connect(f"file:{app.config['AUDIT_DB']}?mode=ro", uri=True)
    monkeypatch.setattr(audit, "_connection", lambda: read_only)
    response = client.post("/api/v1/decide", json=CASE, headers=auth(keys["clinician"]))
    # No stored record, no answer: the ranking must not reach the client unaudited; the client
    # is told to come back (503 + Retry-After), not that it sent something wrong.
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert response.get_json()["error"]["code"] == "audit_unavailable"
    assert "candidates" not in response.get_data(as_text=True)
    monkeypatch.undo()
    assert audit.count() == before


def test_free_text_kept_only_when_turned_on(make_app: Callable[..., Flask], store,  # type: ignore[no-untyped-def]
                                            tmp_path) -> None:
    for keep in (False, True):
        app = make_app(DECIDE=CountingDecider(store), AUDIT_FREE_TEXT=keep,
                       AUDIT_DB=tmp_path / f"audit-{keep}.sqlite3")
        client = app.test_client()
        _, secret = app.extensions["kgdecide"].keys.create("clinician")
        decision = client.post("/api/v1/decide", json=CASE, headers=auth(secret)).get_json()
        record = client.get(f"/api/v1/decisions/{decision['id']}", headers=auth(secret)).get_json()
        assert record["free_text"] == ("Seizures" if keep else None)
        raw = sqlite3.connect(app.config["AUDIT_DB"]).execute(
            "SELECT inputs, free_text FROM decisions").fetchone()
        assert "Seizures" not in raw[0] and (raw[1] is not None) == keep


def test_page_decisions_are_audited_under_the_user(page_client: FlaskClient, app: Flask) -> None:
    response = page_client.post("/ui/decide", json=CASE)
    assert response.status_code == 200
    record = app.extensions["kgdecide"].engine.audit.get(response.get_json()["id"])
    assert record is not None and record.key_id == "user:admin-user"


def test_nothing_clinical_in_logs(client: FlaskClient, keys: dict[str, str],
                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    text = "Patient John Q has seizures and no microcephaly"
    client.post("/api/v1/decide", json={"text": text}, headers=auth(keys["clinician"]))
    client.post("/api/v1/link", json={"text": text}, headers=auth(keys["clinician"]))
    client.get("/api/v1/nodes/HP:0001250", headers=auth(keys["admin"]))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST /api/v1/decide 200" in logged and "/api/v1/nodes/<path:node_id>" in logged
    for secret_bit in ("John", "seizures", "microcephaly", "HP:0001250"):
        assert secret_bit not in logged
