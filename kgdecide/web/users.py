"""People who sign in to the pages: accounts, passwords, sessions and the back-off after failures.

Passwords are hashed with Argon2id (argon2-cffi, its default parameters); a session is a random
token whose SHA-256 is stored with the time it was last used, so signing out, disabling a user or
an idle timeout ends it on the server, whatever the browser keeps. After
:data:`FREE_FAILURES` wrong passwords in a row an account refuses every sign-in (the right password
too) for a time that doubles with each further failure, up to :data:`MAX_BACKOFF` seconds.

:class:`UserStore` keeps all of it in SQLite (the same file as the API keys); the shared rules
(hashing, back-off, token digests) are plain functions here so that another backend reuses them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kgdecide.errors import ConfigError
from kgdecide.web.auth import Principal, check_role
from kgdecide.web.sqlite import LocalConnection

#: Wrong passwords in a row an account takes before the back-off starts.
FREE_FAILURES = 5
#: Longest wait (seconds) the back-off asks for.
MAX_BACKOFF = 15 * 60
#: A session ends this long after it started, however active (seconds).
MAX_SESSION_AGE = 12 * 3600
MIN_PASSWORD = 10
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password TEXT NOT NULL,
    created TEXT NOT NULL,
    disabled TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    last_failure REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    sha256 TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name),
    started REAL NOT NULL,
    seen REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class User:
    """A stored account, without its password hash."""

    name: str  #: what the person types to sign in
    role: str  #: one of :data:`kgdecide.web.auth.ROLES`
    created: str  #: ISO time
    disabled: str | None = None  #: ISO time, or None while the account may sign in

    @property
    def principal(self) -> Principal:
        return Principal(f"user:{self.name}", self.role, "user")


@dataclass(frozen=True, slots=True)
class SignIn:
    """How a sign-in attempt ended: ``user`` when it succeeded, else ``retry_after`` > 0 when the
    account is backing off, else a wrong name or password."""

    user: User | None
    retry_after: int = 0


def _hasher():  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password``; ``ConfigError`` when it is too short to keep."""
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"a password needs at least {MIN_PASSWORD} characters")
    return str(_hasher().hash(password))


def password_matches(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


_decoy: list[str] = []


def _decoy_hash() -> str:
    """A hash to verify against when the name is unknown, so that the answer takes as long as
    for a known one (made once per process)."""
    if not _decoy:
        _decoy.append(str(_hasher().hash(secrets.token_urlsafe(16))))
    return _decoy[0]


def backoff(failures: int) -> int:
    """Seconds an account waits after ``failures`` wrong passwords in a row.

    >>> [backoff(n) for n in (0, 5, 6, 7, 30)]
    [0, 0, 2, 4, 900]
    """
    if failures <= FREE_FAILURES:
        return 0
    return min(MAX_BACKOFF, 2 ** min(failures - FREE_FAILURES, 20))


def check_sign_in(row: tuple | None, password: str, now: float) -> tuple[SignIn, str | None]:
    """The sign-in policy every user store applies to its row ``(name, role, created, disabled,
    password hash, failures, last failure)`` (None: no such user): the answer, and what the store
    must record: ``"failure"`` (count it, at ``now``), ``"reset"`` (clear the count) or None.

    An unknown name costs the same hashing as a real one; while the back-off of earlier failures
    runs, nothing is checked and the answer says how long to wait.
    """
    if row is None:
        password_matches(_decoy_hash(), password)  # the same work as for a real account
        return SignIn(None), None
    user, stored, failures, last_failure = User(*row[:4]), row[4], row[5], row[6]
    wait = backoff(failures) - (now - last_failure)
    if wait > 0:
        return SignIn(None, max(1, int(wait + 0.999))), None
    if not password_matches(stored, password) or user.disabled is not None:
        return SignIn(None), "failure"
    return SignIn(user), "reset" if failures else None


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise ConfigError(f"{name!r} is not a user name: use 1-64 letters, digits and _ . @ -, "
                          "starting with a letter or digit")
    return name


def _iso(seconds: float | None = None) -> str:
    moment = datetime.fromtimestamp(seconds if seconds is not None else time.time(), timezone.utc)
    return moment.isoformat(timespec="seconds")


class UserStore:
    """Accounts and sessions in SQLite (per-thread, per-process connections, WAL)."""

    def __init__(self, path: Path, clock: object = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._connection = LocalConnection(self.path, timeout=10)

    @classmethod
    def open(cls, path: Path | str) -> UserStore:
        """Open (creating if needed) the account database at ``path``."""
        store = cls(Path(path))
        store.path.parent.mkdir(parents=True, exist_ok=True)
        with store._connection() as db:
            db.executescript(_SCHEMA)
        return store

    def _now(self) -> float:
        return float(self._clock())  # type: ignore[operator]

    def create(self, name: str, role: str, password: str) -> User:
        """A new account; ``ConfigError`` for a taken or malformed name, a short password or an
        unknown role."""
        user = User(check_name(name), check_role(role), _iso(self._now()))
        hashed = hash_password(password)
        import sqlite3

        try:
            with self._connection() as db:
                db.execute("INSERT INTO users (name, role, password, created) VALUES (?, ?, ?, ?)",
                           (user.name, user.role, hashed, user.created))
        except sqlite3.IntegrityError:
            raise ConfigError(f"a user named {name!r} exists already") from None
        return user

    def list(self) -> tuple[User, ...]:
        rows = self._connection().execute(
            "SELECT name, role, created, disabled FROM users ORDER BY created, name").fetchall()
        return tuple(User(*row) for row in rows)

    def any_active(self) -> bool:
        """Whether at least one account may sign in."""
        return self._connection().execute(
            "SELECT 1 FROM users WHERE disabled IS NULL LIMIT 1").fetchone() is not None

    def disable(self, name: str) -> bool:
        """Disable an account and end its sessions; False when no enabled account has that name."""
        with self._connection() as db:
            cursor = db.execute("UPDATE users SET disabled = ? WHERE name = ? AND disabled IS NULL",
                                (_iso(self._now()), name))
            db.execute("DELETE FROM sessions WHERE user = ?", (name,))
        return cursor.rowcount == 1

    def sign_in(self, name: str, password: str) -> SignIn:
        """Check a name and password, applying the back-off (:func:`check_sign_in`)."""
        row = self._connection().execute(
            "SELECT name, role, created, disabled, password, failures, last_failure FROM users "
            "WHERE name = ?", (name,)).fetchone()
        answer, record = check_sign_in(row, password, self._now())
        if record == "failure":
            with self._connection() as db:
                db.execute("UPDATE users SET failures = failures + 1, last_failure = ? "
                           "WHERE name = ?", (self._now(), name))
        elif record == "reset":
            with self._connection() as db:
                db.execute("UPDATE users SET failures = 0 WHERE name = ?", (name,))
        return answer

    def start_session(self, user: User) -> str:
        """A new session token for ``user`` (only its digest is stored)."""
        token = secrets.token_urlsafe(32)
        now = self._now()
        with self._connection() as db:
            db.execute("DELETE FROM sessions WHERE seen < ?", (now - MAX_SESSION_AGE,))
            db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                       (token_digest(token), user.name, now, now))
        return token

    def session_user(self, token: str, idle_seconds: float) -> User | None:
        """The enabled user of a live session, marking it used; None when the token is unknown,
        idle for longer than ``idle_seconds``, too old, or its user was disabled."""
        digest = token_digest(token)
        now = self._now()
        row = self._connection().execute(
            "SELECT u.name, u.role, u.created, u.disabled, s.started, s.seen FROM sessions s "
            "JOIN users u ON u.name = s.user WHERE s.sha256 = ?", (digest,)).fetchone()
        if row is None:
            return None
        user, started, seen = User(*row[:4]), row[4], row[5]
        if user.disabled is not None or now - seen > idle_seconds or now - started > MAX_SESSION_AGE:
            self.end_session(token)
            return None
        if now - seen > 15:  # one write per quarter minute at most, not one per request
            with self._connection() as db:
                db.execute("UPDATE sessions SET seen = ? WHERE sha256 = ?", (now, digest))
        return user

    def end_session(self, token: str) -> None:
        with self._connection() as db:
            db.execute("DELETE FROM sessions WHERE sha256 = ?", (token_digest(token),))
