"""With KGDECIDE_AUDIT_FREE_TEXT off, no text a person typed reaches the audit database: not the
free text, not a mention's span. Searched in the raw bytes of the database and its WAL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from kgdecide.graph.embedded import EmbeddedStore
from tests.security.conftest import sign_in

# Linked to "Seizures" (the linker folds case); written so that no graph label, id or other
# stored string has these bytes. The unlinked word stands for a name in a note.
SPAN = "sEiZuReS"
NOTE = f"Quillbrookia had {SPAN} since birth."


def _raw(database: Path) -> bytes:
    parts = [database, database.with_name(database.name + "-wal"),
             database.with_name(database.name + "-shm")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


@pytest.fixture(params=["stand-in", "pipeline"])
def decider(request: pytest.FixtureRequest, payload_store: EmbeddedStore,
            tmp_path: Path) -> dict[str, Any]:
    """The web tests' stand-in decider, and the real pipeline (whose explanations and evidence
    could carry a mention's text where the stand-in does not)."""
    if request.param == "stand-in":
        return {}
    from kgdecide.web.decider import PipelineDecider, pipeline_available

    if not pipeline_available():
        pytest.skip("this build has no decision pipeline")
    return {"DECIDE": PipelineDecider.from_store(payload_store, tmp_path / "models", "lr")}


def test_no_span_text_in_the_audit_database(make_app: Callable[..., Flask], tmp_path: Path,
                                            decider: dict[str, Any]) -> None:
    audit_db = tmp_path / "audit-off.sqlite3"
    app = make_app(AUDIT_FREE_TEXT=False, AUDIT_DB=audit_db, **decider)
    client = app.test_client()
    headers = {"X-API-Key": app.extensions["kgdecide"].keys.create("analyst")[1]}
    sent = client.post("/api/v1/decide", json={"text": NOTE}, headers=headers)
    assert sent.status_code == 200, sent.get_json()
    # the client gets the spans it sent; the audit log must not keep them
    assert [m["text"] for m in sent.get_json()["mentions"]] == [SPAN]
    ranked = client.post("/api/v1/rank", json={"cases": [{"id": "c1", "text": NOTE}]},
                         headers=headers)
    assert ranked.status_code == 200 and ranked.get_json()["results"][0]["result"] is not None
    page = sign_in(app, "clinician", "audited")  # the clinician page's decisions are audited too
    shown = page.post("/ui/decide", json={"text": NOTE})
    assert shown.status_code == 200 and SPAN in shown.get_data(as_text=True)
    assert app.extensions["kgdecide"].engine.audit.count() == 3
    raw = _raw(audit_db)
    assert (audit_db.with_name(audit_db.name + "-wal")).exists()
    assert b"HP:0001250" in raw  # the linked id is kept
    for word in (SPAN, "Quillbrookia", NOTE):
        assert word.encode() not in raw, f"{word!r} reached the audit database"
    stored = client.get(f"/api/v1/decisions/{sent.get_json()['id']}", headers=headers).get_json()
    mention = stored["response"]["mentions"][0]
    assert "text" not in mention and (mention["start"], mention["end"]) == (NOTE.index(SPAN), NOTE.index(SPAN) + len(SPAN))
    assert stored["free_text"] is None


def test_spans_and_text_kept_when_switched_on(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    audit_db = tmp_path / "audit-on.sqlite3"
    app = make_app(AUDIT_FREE_TEXT=True, AUDIT_DB=audit_db)
    client = app.test_client()
    headers = {"X-API-Key": app.extensions["kgdecide"].keys.create("clinician")[1]}
    sent = client.post("/api/v1/decide", json={"text": NOTE}, headers=headers).get_json()
    stored = client.get(f"/api/v1/decisions/{sent['id']}", headers=headers).get_json()
    assert stored["response"] == sent and stored["free_text"] == NOTE
    assert SPAN.encode() in _raw(audit_db)
