"""API keys (stored hashed), roles and per-key rate limits.

A key reads ``kgd_<key id>_<secret>``. Only the SHA-256 of the whole key is stored: the secret is
32 random bytes, so a plain hash is enough (a slow password hash protects *guessable* secrets; a
256-bit random one cannot be guessed). The key id is not secret; it names the key in logs and in
the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kgdecide.errors import ConfigError
from kgdecide.web.sqlite import LocalConnection

#: What each role may do. ``graph``: node, neighbour and path reads; ``search``: the prefix search;
#: ``decide``/``link``/``rank``: the decision loop; ``audit``: read any stored decision (without it
#: a key reads only decisions made with itself).
ROLES: Mapping[str, frozenset[str]] = {
    "clinician": frozenset({"decide", "link", "search"}),
    "analyst": frozenset({"graph", "search", "decide", "link", "rank", "audit", "finance"}),
    "explorer": frozenset({"graph", "search"}),
    "admin": frozenset({"graph", "search", "decide", "link", "rank", "audit", "finance", "admin"}),
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    revoked TEXT
);
"""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key, without its secret."""

    id: str  #: public key id, e.g. ``3f9a1c2e``
    role: str  #: one of :data:`ROLES`
    name: str  #: what the operator called it
    created: str  #: ISO time
    revoked: str | None = None  #: ISO time, or None while valid

    def allows(self, permission: str) -> bool:
        """Whether this key's role grants ``permission``.

        >>> ApiKey("k1", "explorer", "", "").allows("graph"), ApiKey("k1", "explorer", "", "").allows("decide")
        (True, False)
        """
        return permission in ROLES.get(self.role, frozenset())


def check_role(role: str) -> str:
    """``role`` if it is known; otherwise ``ConfigError`` listing the roles."""
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}; valid roles: {', '.join(ROLES)}")
    return role


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class KeyStore:
    """API keys in a small SQLite file. Connections are per thread and per process, so the store
    survives gunicorn's fork and threaded servers."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._connection = LocalConnection(self.path, timeout=10)

    @classmethod
    def open(cls, path: Path | str) -> KeyStore:
        """Open (creating if needed) the key database at ``path``."""
        store = cls(Path(path))
        store.path.parent.mkdir(parents=True, exist_ok=True)
        with store._connection() as db:
            db.executescript(_SCHEMA)
        return store

    def create(self, role: str, name: str = "") -> tuple[ApiKey, str]:
        """A new key for ``role``: the record and the secret key string, shown once."""
        key_id = secrets.token_hex(4)
        secret = f"kgd_{key_id}_{secrets.token_urlsafe(32)}"
        record = ApiKey(key_id, check_role(role), name, _now())
        with self._connection() as db:
            db.execute("INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, NULL)",
                       (record.id, record.role, record.name, _digest(secret), record.created))
        return record, secret

    def verify(self, secret: str) -> ApiKey | None:
        """The valid key for this secret, or None (unknown, malformed or revoked)."""
        parts = secret.split("_", 2)
        if len(parts) != 3 or parts[0] != "kgd":
            return None
        row = self._connection().execute(
            "SELECT id, role, name, created, revoked, sha256 FROM api_keys WHERE id = ?",
            (parts[1],)).fetchone()
        # compare_digest: the time taken must not say how much of the hash matched
        if row is None or row[4] is not None or not hmac.compare_digest(row[5], _digest(secret)):
            return None
        return ApiKey(*row[:5])

    def revoke(self, key_id: str) -> bool:
        """Revoke a key; False when no valid key has that id."""
        with self._connection() as db:
            cursor = db.execute("UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked IS NULL",
                                (_now(), key_id))
        return cursor.rowcount == 1

    def list(self) -> tuple[ApiKey, ...]:
        rows = self._connection().execute(
            "SELECT id, role, name, created, revoked FROM api_keys ORDER BY created, id").fetchall()
        return tuple(ApiKey(*row) for row in rows)



class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute, bursts up to the same number.

    Buckets live in process memory, so under gunicorn each worker counts on its own and a key may
    get up to ``workers x per_minute``; the operator sets the limit per worker.

    >>> limiter = RateLimiter(per_minute=2, clock=lambda: 0.0)
    >>> limiter.acquire("k"), limiter.acquire("k"), limiter.acquire("k")
    (0, 0, 30)
    """

    def __init__(self, per_minute: int, clock: object = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key_id: str) -> int:
        """Take one token: 0 when allowed, else the seconds to wait before the next try."""
        if self.per_minute <= 0:
            return 0
        rate = self.per_minute / 60.0
        with self._lock:
            now = self._clock()  # type: ignore[operator]
            tokens, last = self._buckets.get(key_id, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key_id] = (tokens - 1.0, now)
                return 0
            self._buckets[key_id] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / rate))


def authorize(permission: str) -> ApiKey:
    """The request's API key, checked: known, not revoked, under its rate limit, and allowed
    ``permission``. Raises the matching 401/403/429 :class:`~kgdecide.web.errors.ApiError`."""
    from flask import g, request

    from kgdecide.web import state
    from kgdecide.web.errors import ApiError

    web = state()
    secret = request.headers.get("X-API-Key", "")
    create = "an admin creates one with `kgdecide keys create --role ROLE`"
    if not secret:
        raise ApiError(401, "missing_key", "no API key was sent",
                       f"Send your key in the X-API-Key header; {create}.", "X-API-Key")
    key = web.keys.verify(secret)
    if key is None:
        web.metrics.count("auth_failures")
        raise ApiError(401, "invalid_key", "the API key is unknown or was revoked",
                       f"Check the key you send in X-API-Key; {create}.", "X-API-Key")
    g.key_id = key.id
    throttle(key.id)
    if not key.allows(permission):
        roles = ", ".join(r for r, allowed in ROLES.items() if permission in allowed)
        raise ApiError(403, "forbidden", f"a {key.role} key may not use this route ({permission})",
                       f"Use a key with one of these roles: {roles}.", "X-API-Key")
    return key


def throttle(bucket: str) -> None:
    """Count one request against ``bucket``'s rate limit; 429 with Retry-After when over it."""
    from kgdecide.web import state
    from kgdecide.web.errors import ApiError

    web = state()
    wait = web.limiter.acquire(bucket)
    if wait:
        web.metrics.count("rate_limited")
        raise ApiError(429, "rate_limited",
                       f"more than {web.limiter.per_minute} requests a minute from this key",
                       f"Wait {wait} s (Retry-After) and slow down, or ask the operator for a "
                       "higher KGDECIDE_RATE_LIMIT_PER_MINUTE.", headers={"Retry-After": str(wait)})
