"""Keys, users and the audit log in a real PostgreSQL: the same rules as the SQLite backend,
migrations applied once, append-only decisions, clear errors when the database is away."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from kgdecide.errors import AuditUnavailable, ConfigError, StoreUnavailable
from kgdecide.settings import Settings
from kgdecide.web.audit import AuditRecord
from kgdecide.web.postgres import PgAuditLog, PgKeyStore, PgUserStore, migrate, migrations
from kgdecide.web.storage import Storage, open_storage

pytestmark = pytest.mark.postgres

#: Nothing listens here: the refused-connection cases.
UNREACHABLE = "postgresql://kgdecide:not-the-password@127.0.0.1:9/kgdecide"


def record(decision_id: str, free_text: str | None = None) -> AuditRecord:
    return AuditRecord(decision_id, "2026-12-08T00:00:00+00:00", "k1", "kg1", "m1", "lr", "h1",
                       {"observed": ["HP:0001250"], "top_k": 5},
                       json.dumps({"id": decision_id, "ranking": []}), free_text)


def test_migrations_apply_once_even_when_replicas_start_together(pg_url: str) -> None:
    names = [name for _, name, _ in migrations()]
    assert names and names[0].startswith("0001_")
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda: results.append(migrate(pg_url))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(len, results)) == [0, 0, 0, len(names)]  # one of the four applied them
    assert migrate(pg_url) == []
    with psycopg.connect(pg_url) as db:
        applied = [row[0] for row in db.execute("SELECT name FROM schema_migrations ORDER BY version")]
    assert applied == names


def test_keys_create_verify_revoke(pg_url: str) -> None:
    migrate(pg_url)
    keys = PgKeyStore(pg_url)
    record_, secret = keys.create("clinician", "ward 4")
    assert keys.verify(secret) == record_
    assert keys.verify(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert keys.verify("kgd_nope") is None
    assert [k.id for k in keys.list()] == [record_.id]
    assert keys.revoke(record_.id) and not keys.revoke(record_.id)
    assert keys.verify(secret) is None
    with psycopg.connect(pg_url) as db:
        stored = db.execute("SELECT sha256 FROM api_keys").fetchone()[0]
    assert secret not in stored and len(stored) == 64  # only the digest is kept
    with pytest.raises(ConfigError, match="unknown role"):
        keys.create("janitor")


def test_users_sign_in_back_off_sessions_and_disable(pg_url: str) -> None:
    migrate(pg_url)
    now = [1_000_000.0]
    users = PgUserStore(pg_url, clock=lambda: now[0])
    ada = users.create("ada", "analyst", "correct horse battery")
    with pytest.raises(ConfigError, match="exists already"):
        users.create("ada", "admin", "another long password")
    assert users.any_active() and [u.name for u in users.list()] == ["ada"]
    assert users.sign_in("ada", "correct horse battery").user == ada
    for _ in range(6):
        assert users.sign_in("ada", "wrong password!!").user is None
    backing_off = users.sign_in("ada", "correct horse battery")
    assert backing_off.user is None and backing_off.retry_after >= 1
    now[0] += 3
    assert users.sign_in("ada", "correct horse battery").user == ada  # and failures reset
    token = users.start_session(ada)
    assert users.session_user(token, idle_seconds=60) == ada
    now[0] += 61
    assert users.session_user(token, idle_seconds=60) is None  # idle too long: ended
    token = users.start_session(ada)
    assert users.disable("ada") and not users.disable("ada")
    assert users.session_user(token, idle_seconds=60) is None
    assert not users.any_active()


def test_audit_is_append_only_and_keeps_free_text_only_when_asked(pg_url: str) -> None:
    migrate(pg_url)
    log = PgAuditLog(pg_url, keep_free_text=False)
    log.append([record("d1", "seizures since May"), record("d2")])
    assert log.count() == 2
    got = log.get("d1")
    assert got is not None and got.response == record("d1").response
    assert got.inputs == record("d1").inputs and got.free_text is None
    assert log.get("nope") is None
    kept = PgAuditLog(pg_url, keep_free_text=True)
    kept.append([record("d3", "seizures since May")])
    assert kept.get("d3").free_text == "seizures since May"  # type: ignore[union-attr]
    with psycopg.connect(pg_url, autocommit=True) as db:
        for statement in ("UPDATE decisions SET response = '{}'", "DELETE FROM decisions",
                          "TRUNCATE decisions"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                db.execute(statement)  # type: ignore[arg-type]
    with pytest.raises(psycopg.errors.UniqueViolation):
        log.append([record("d1")])  # a decision id is stored once
    assert log.count() == 3


def test_open_storage_selects_postgres_by_the_url_setting(pg_url: str, tmp_path: Path) -> None:
    storage = open_storage(Settings(tmp_path, database_url=pg_url))
    assert isinstance(storage.audit, PgAuditLog) and isinstance(storage.keys, PgKeyStore)
    assert not (tmp_path / "keys.sqlite3").exists() and not (tmp_path / "audit.sqlite3").exists()
    sqlite = open_storage(Settings(tmp_path))
    assert type(sqlite.audit).__name__ == "AuditLog" and (tmp_path / "audit.sqlite3").exists()


def test_cli_keys_and_users_use_postgres_when_set(pg_url: str, tmp_path: Path) -> None:
    from kgdecide.cli import main

    env = {"KGDECIDE_DATABASE_URL": pg_url}
    runner = CliRunner()
    made = runner.invoke(main, ["--home", str(tmp_path), "keys", "create", "--role", "explorer"],
                         env=env)
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[0]
    migrate(pg_url)
    assert PgKeyStore(pg_url).verify(secret) is not None
    user = runner.invoke(main, ["--home", str(tmp_path), "users", "create", "bob", "--role",
                                "admin", "--password-stdin"], input="a long password here\n",
                         env=env)
    assert user.exit_code == 0, user.output
    assert [u.name for u in PgUserStore(pg_url).list()] == ["bob"]
    assert not (tmp_path / "keys.sqlite3").exists()


def test_unreachable_database_gives_clear_errors_without_the_password() -> None:
    with pytest.raises(ConfigError, match="KGDECIDE_DATABASE_URL") as refused:
        migrate(UNREACHABLE)
    assert "not-the-password" not in str(refused.value)
    with pytest.raises(StoreUnavailable, match="key database"):
        PgKeyStore(UNREACHABLE).verify("kgd_abc_def")
    with pytest.raises(AuditUnavailable, match="not answered"):
        PgAuditLog(UNREACHABLE).append([record("d1")])


def test_a_url_that_is_not_postgresql_is_refused_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KGDECIDE_DATABASE_URL must be a PostgreSQL URL"):
        Storage.postgres("mysql://db/kg", keep_free_text=False)
    with pytest.raises(ConfigError, match="KGDECIDE_DATABASE_URL"):
        open_storage(Settings(tmp_path, database_url="sqlite:///x.db"))


def test_a_dropped_connection_is_replaced_on_the_next_call(pg_url: str) -> None:
    """PostgreSQL restarted or a connection killed: that call answers 503 (StoreUnavailable or
    AuditUnavailable), the next one opens a new connection and works."""
    migrate(pg_url)
    log = PgAuditLog(pg_url)
    keys = PgKeyStore(pg_url)
    try:
        log.append([record("before")])
        secret = keys.create("explorer")[1]
        with psycopg.connect(pg_url, autocommit=True) as admin:
            killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                                   ).fetchone()[0]
        assert killed == 2  # the log's and the key store's connections
        with pytest.raises(AuditUnavailable):
            log.append([record("during")])
        log.append([record("after")])
        with pytest.raises(StoreUnavailable):
            keys.verify(secret)
        assert keys.verify(secret) is not None
        assert log.get("before") and log.get("after") and log.get("during") is None
    finally:
        log.close()
        keys.close()
