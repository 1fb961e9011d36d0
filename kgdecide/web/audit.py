"""The audit log: every decision, stored before its response is sent, never changed afterwards.

SQLite in WAL mode (readers do not block the writer; the gunicorn workers share the file). The
``decisions`` table is append-only by construction: triggers abort any UPDATE or DELETE. Inputs
are kept as linked ids and statuses; the free text only when the operator turns
``KGDECIDE_AUDIT_FREE_TEXT`` on.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgdecide.errors import AuditUnavailable
from kgdecide.web.sqlite import LocalConnection

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    key_id TEXT NOT NULL,
    kg_version TEXT NOT NULL,
    model_version TEXT NOT NULL,
    scorer TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    inputs TEXT NOT NULL,
    response TEXT NOT NULL,
    free_text TEXT
);
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: decisions cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: decisions cannot be deleted'); END;
"""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One stored decision."""

    id: str  #: decision id, also in the response body
    created: str  #: ISO time
    key_id: str  #: the API key that asked (``ui`` for the clinician page)
    kg_version: str
    model_version: str
    scorer: str
    settings_hash: str
    inputs: dict[str, Any]  #: linked ids and statuses, target, top_k; no free text
    response: str  #: the response body exactly as sent (JSON text)
    free_text: str | None = None  #: only when the operator keeps free text

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "created": self.created, "key_id": self.key_id,
                "kg_version": self.kg_version, "model_version": self.model_version,
                "scorer": self.scorer, "settings_hash": self.settings_hash,
                "inputs": self.inputs, "free_text": self.free_text,
                "response": json.loads(self.response)}


class AuditLog:
    """Append-only decision records in SQLite."""

    def __init__(self, path: Path, keep_free_text: bool = False) -> None:
        self.path = Path(path)
        self.keep_free_text = keep_free_text
        # synchronous=FULL: a stored decision survives a crash of the machine, not only of us.
        self._connection = LocalConnection(self.path, timeout=30, pragmas=("synchronous=FULL",))

    @classmethod
    def open(cls, path: Path | str, keep_free_text: bool = False) -> AuditLog:
        """Open (creating if needed) the audit database at ``path``."""
        log = cls(Path(path), keep_free_text)
        log.path.parent.mkdir(parents=True, exist_ok=True)
        with log._connection() as db:
            db.executescript(_SCHEMA)
        return log

    def append(self, records: list[AuditRecord]) -> None:
        """Store records in one transaction; returns only once they are committed."""
        rows = [(r.id, r.created, r.key_id, r.kg_version, r.model_version, r.scorer,
                 r.settings_hash, json.dumps(r.inputs, sort_keys=True), r.response,
                 r.free_text if self.keep_free_text else None) for r in records]
        try:
            with self._connection() as db:
                db.executemany(
                    "INSERT INTO decisions (id, created, key_id, kg_version, model_version, scorer, "
                    "settings_hash, inputs, response, free_text) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        except sqlite3.OperationalError as e:  # disk full, read-only, I/O error: not the request's fault
            raise AuditUnavailable(f"the audit log cannot be written ({e}); the decision was not "
                                   "answered so that none goes unrecorded", retry_after=30) from None

    def get(self, decision_id: str) -> AuditRecord | None:
        row = self._connection().execute(
            "SELECT id, created, key_id, kg_version, model_version, scorer, settings_hash, inputs, "
            "response, free_text FROM decisions WHERE id = ?", (decision_id,)).fetchone()
        if row is None:
            return None
        return AuditRecord(*row[:7], json.loads(row[7]), row[8], row[9])  # type: ignore[arg-type]

    def count(self) -> int:
        return int(self._connection().execute("SELECT count(*) FROM decisions").fetchone()[0])
