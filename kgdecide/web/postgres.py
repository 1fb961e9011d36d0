"""Keys, users and the audit log in PostgreSQL, for several app servers sharing one state.

Selected by ``KGDECIDE_DATABASE_URL`` (``postgresql://USER:PASSWORD@HOST:PORT/DB``); without it the
web app keeps them in SQLite files in its home (:mod:`kgdecide.web.storage`). The three classes
implement the protocols of :mod:`kgdecide.web.storage` and reuse the backend-free rules of
:mod:`kgdecide.web.auth` and :mod:`kgdecide.web.users` (key digests, password hashes, back-off).

The schema comes from the numbered SQL files in ``kgdecide/web/migrations`` (``0001_*.sql``, ...),
applied by :func:`migrate` in order, each once, each in its own transaction, and recorded in
``schema_migrations``; an advisory lock makes replicas starting together apply them once.

The audit guarantees of the SQLite log hold here too: :meth:`PgAuditLog.append` returns only after
PostgreSQL has committed the rows with ``synchronous_commit=on`` (flushed to its write-ahead log),
so an answered decision survives a kill -9 of the app or of the database server; triggers refuse
any UPDATE, DELETE or TRUNCATE of ``decisions``.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from kgdecide.errors import AuditUnavailable, ConfigError, StoreUnavailable
from kgdecide.web.audit import AuditRecord
from kgdecide.web.auth import ApiKey, _digest, _now, check_role
from kgdecide.web.users import (
    MAX_SESSION_AGE, SignIn, User, _iso, check_name, check_sign_in, hash_password, token_digest,
)

logger = logging.getLogger(__name__)

#: The setting that selects PostgreSQL, named in every error about it.
SETTING = "KGDECIDE_DATABASE_URL"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
#: Any number: the advisory lock key under which replicas apply migrations one at a time.
_MIGRATION_LOCK = 0x6B67_6463  # "kgdc"


def check_url(url: str) -> str:
    """``url`` if it names a PostgreSQL database; otherwise ``ConfigError`` naming the setting.

    >>> check_url("postgresql://kg:pw@db:5432/kgdecide")
    'postgresql://kg:pw@db:5432/kgdecide'
    """
    if not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(f"{SETTING} must be a PostgreSQL URL such as "
                          "postgresql://USER:PASSWORD@HOST:5432/DATABASE (or unset for SQLite "
                          "files in the home directory)")
    return url


def _safe(url: str) -> str:
    """The URL without its password, for messages.

    >>> _safe("postgresql://kg:secret@db:5432/x")
    'postgresql://kg:***@db:5432/x'
    """
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


class PgConnection:
    """One autocommit connection per thread and per process (a connection must not cross a
    gunicorn fork); a broken or closed one is replaced on the next call. :meth:`close` (also run
    when the object is collected) closes the connections this process opened, never those a
    forked child inherited."""

    def __init__(self, url: str, connect_timeout: int = 5) -> None:
        self.url = check_url(url)
        self.connect_timeout = connect_timeout
        self._local = threading.local()
        self._opened: list[tuple[int, Any]] = []
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        import psycopg

        local = self._local
        db = getattr(local, "db", None)
        pid = os.getpid()
        if getattr(local, "pid", None) != pid or db is None or db.closed or db.broken:
            if db is not None and getattr(local, "pid", None) == pid:
                db.close()  # broken: let the server know we are gone
            # synchronous_commit=on whatever the server's default: a commit is on disk when it
            # returns. The statement timeout keeps a stuck database from holding a request forever.
            local.db = psycopg.connect(
                self.url, autocommit=True, connect_timeout=self.connect_timeout,
                options="-c synchronous_commit=on -c statement_timeout=30000")
            local.pid = pid
            with self._lock:
                self._opened = [(p, c) for p, c in self._opened if not c.closed]
                self._opened.append((pid, local.db))
        return local.db

    def close(self) -> None:
        pid = os.getpid()
        with self._lock:
            mine = [c for p, c in self._opened if p == pid]
            self._opened = [(p, c) for p, c in self._opened if p != pid]
        for db in mine:
            db.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001  (interpreter shutdown: nothing left to tell)
            pass

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        db = self()
        with db.transaction():
            yield db


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a lost or refused database connection into ``StoreUnavailable`` (a 503 with
    Retry-After) naming the store; the password never reaches the log."""
    import functools

    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        import psycopg

        try:
            return method(self, *args, **kwargs)
        except psycopg.OperationalError as e:
            logger.warning("PostgreSQL (%s) failed: %s", _safe(self._db.url), type(e).__name__)
            raise StoreUnavailable(f"the {self.what} database is unreachable or failing; try "
                                   "again shortly", retry_after=10) from None
    return guarded


def migrations() -> list[tuple[int, str, str]]:
    """The numbered SQL files shipped in ``kgdecide/web/migrations``: (version, name, text), in
    order. ``ConfigError`` when two share a number or one is misnamed."""
    found: dict[int, tuple[int, str, str]] = {}
    for entry in resources.files("kgdecide.web").joinpath("migrations").iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _MIGRATION_NAME.match(entry.name)
        if match is None:
            raise ConfigError(f"migration {entry.name}: name it NNNN_words.sql (four digits)")
        version = int(match.group(1))
        if version in found:
            raise ConfigError(f"migrations {found[version][1]} and {entry.name} share number "
                              f"{version}")
        found[version] = (version, entry.name, entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def migrate(url: str) -> list[str]:
    """Bring the database at ``url`` to the newest schema; returns the names of the migrations
    applied now (none when it was up to date)."""
    import psycopg

    applied_now = []
    try:
        with psycopg.connect(check_url(url), connect_timeout=10) as db:
            with db.transaction():
                db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
                           "PRIMARY KEY, name TEXT NOT NULL, applied TIMESTAMPTZ NOT NULL "
                           "DEFAULT now())")
                done = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
                for version, name, sql in migrations():
                    if version in done:
                        continue
                    with db.transaction():  # a savepoint: a failing file leaves no half of it
                        db.execute(sql)  # type: ignore[arg-type]  # our own files, no parameters
                        db.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                                   (version, name))
                    applied_now.append(name)
    except psycopg.OperationalError as e:
        raise ConfigError(f"cannot reach the PostgreSQL database of {SETTING} ({_safe(url)}): "
                          f"{str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}"
                          "; check the host, port, user, password and database name") from None
    if applied_now:
        logger.info("PostgreSQL schema migrated: %s", ", ".join(applied_now))
    return applied_now


class PgKeyStore:
    """API keys in PostgreSQL (see :class:`kgdecide.web.auth.KeyStore` for the rules)."""

    what = "key"

    def __init__(self, url: str) -> None:
        self._db = PgConnection(url)


    def close(self) -> None:
        """Close this process's connections (the next call opens a new one)."""
        self._db.close()
    @_guarded
    def create(self, role: str, name: str = "") -> tuple[ApiKey, str]:
        key_id = secrets.token_hex(4)
        secret = f"kgd_{key_id}_{secrets.token_urlsafe(32)}"
        record = ApiKey(key_id, check_role(role), name, _now())
        self._db().execute("INSERT INTO api_keys VALUES (%s, %s, %s, %s, %s, NULL)",
                           (record.id, record.role, record.name, _digest(secret), record.created))
        return record, secret

    @_guarded
    def verify(self, secret: str) -> ApiKey | None:
        parts = secret.split("_", 2)
        if len(parts) != 3 or parts[0] != "kgd":
            return None
        row = self._db().execute(
            "SELECT id, role, name, created, revoked, sha256 FROM api_keys WHERE id = %s",
            (parts[1],)).fetchone()
        if row is None or row[4] is not None or not hmac.compare_digest(row[5], _digest(secret)):
            return None
        return ApiKey(*row[:5])

    @_guarded
    def revoke(self, key_id: str) -> bool:
        cursor = self._db().execute(
            "UPDATE api_keys SET revoked = %s WHERE id = %s AND revoked IS NULL", (_now(), key_id))
        return cursor.rowcount == 1

    @_guarded
    def list(self) -> tuple[ApiKey, ...]:
        rows = self._db().execute("SELECT id, role, name, created, revoked FROM api_keys "
                                  "ORDER BY created, id").fetchall()
        return tuple(ApiKey(*row) for row in rows)


class PgUserStore:
    """Accounts and sessions in PostgreSQL (see :class:`kgdecide.web.users.UserStore` for the
    rules: Argon2id hashes, the back-off, idle and absolute session limits)."""

    what = "account"

    def __init__(self, url: str, clock: Callable[[], float] = time.time) -> None:
        self._db = PgConnection(url)
        self._clock = clock


    def close(self) -> None:
        """Close this process's connections (the next call opens a new one)."""
        self._db.close()
    @_guarded
    def create(self, name: str, role: str, password: str) -> User:
        import psycopg

        user = User(check_name(name), check_role(role), _iso(self._clock()))
        hashed = hash_password(password)
        try:
            self._db().execute("INSERT INTO users (name, role, password, created) "
                               "VALUES (%s, %s, %s, %s)", (user.name, user.role, hashed, user.created))
        except psycopg.errors.UniqueViolation:
            raise ConfigError(f"a user named {name!r} exists already") from None
        return user

    @_guarded
    def list(self) -> tuple[User, ...]:
        rows = self._db().execute(
            "SELECT name, role, created, disabled FROM users ORDER BY created, name").fetchall()
        return tuple(User(*row) for row in rows)

    @_guarded
    def any_active(self) -> bool:
        return self._db().execute(
            "SELECT 1 FROM users WHERE disabled IS NULL LIMIT 1").fetchone() is not None

    @_guarded
    def disable(self, name: str) -> bool:
        with self._db.transaction() as db:
            cursor = db.execute("UPDATE users SET disabled = %s WHERE name = %s AND disabled IS NULL",
                                (_iso(self._clock()), name))
            db.execute("DELETE FROM sessions WHERE user_name = %s", (name,))
        return cursor.rowcount == 1

    @_guarded
    def sign_in(self, name: str, password: str) -> SignIn:
        row = self._db().execute(
            "SELECT name, role, created, disabled, password, failures, last_failure FROM users "
            "WHERE name = %s", (name,)).fetchone()
        answer, record = check_sign_in(row, password, self._clock())
        if record == "failure":
            self._db().execute("UPDATE users SET failures = failures + 1, last_failure = %s "
                               "WHERE name = %s", (self._clock(), name))
        elif record == "reset":
            self._db().execute("UPDATE users SET failures = 0 WHERE name = %s", (name,))
        return answer

    @_guarded
    def start_session(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._db.transaction() as db:
            db.execute("DELETE FROM sessions WHERE seen < %s", (now - MAX_SESSION_AGE,))
            db.execute("INSERT INTO sessions VALUES (%s, %s, %s, %s)",
                       (token_digest(token), user.name, now, now))
        return token

    @_guarded
    def session_user(self, token: str, idle_seconds: float) -> User | None:
        digest = token_digest(token)
        now = self._clock()
        row = self._db().execute(
            "SELECT u.name, u.role, u.created, u.disabled, s.started, s.seen FROM sessions s "
            "JOIN users u ON u.name = s.user_name WHERE s.sha256 = %s", (digest,)).fetchone()
        if row is None:
            return None
        user, started, seen = User(*row[:4]), row[4], row[5]
        if user.disabled is not None or now - seen > idle_seconds or now - started > MAX_SESSION_AGE:
            self._db().execute("DELETE FROM sessions WHERE sha256 = %s", (digest,))
            return None
        if now - seen > 15:  # one write per quarter minute at most, not one per request
            self._db().execute("UPDATE sessions SET seen = %s WHERE sha256 = %s", (now, digest))
        return user

    @_guarded
    def end_session(self, token: str) -> None:
        self._db().execute("DELETE FROM sessions WHERE sha256 = %s", (token_digest(token),))


class PgAuditLog:
    """Append-only decision records in PostgreSQL (see :class:`kgdecide.web.audit.AuditLog`)."""

    what = "audit"

    def __init__(self, url: str, keep_free_text: bool = False) -> None:
        self.keep_free_text = keep_free_text
        self._db = PgConnection(url)

    def append(self, records: list[AuditRecord]) -> None:
        """Store records in one transaction; returns only once PostgreSQL has committed them."""
        import psycopg

        rows = [(r.id, r.created, r.key_id, r.kg_version, r.model_version, r.scorer,
                 r.settings_hash, json.dumps(r.inputs, sort_keys=True), r.response,
                 r.free_text if self.keep_free_text else None) for r in records]
        try:
            with self._db.transaction() as db, db.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO decisions (id, created, key_id, kg_version, model_version, scorer, "
                    "settings_hash, inputs, response, free_text) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
        except psycopg.OperationalError as e:
            logger.warning("the audit log cannot be written: %s", type(e).__name__)
            raise AuditUnavailable("the audit log cannot be written (its database is unreachable "
                                   "or failing); the decision was not answered so that none goes "
                                   "unrecorded", retry_after=30) from None


    def close(self) -> None:
        """Close this process's connections (the next call opens a new one)."""
        self._db.close()
    @_guarded
    def get(self, decision_id: str) -> AuditRecord | None:
        row = self._db().execute(
            "SELECT id, created, key_id, kg_version, model_version, scorer, settings_hash, inputs, "
            "response, free_text FROM decisions WHERE id = %s", (decision_id,)).fetchone()
        if row is None:
            return None
        return AuditRecord(*row[:7], json.loads(row[7]), row[8], row[9])

    @_guarded
    def count(self) -> int:
        return int(self._db().execute("SELECT count(*) FROM decisions").fetchone()[0])
