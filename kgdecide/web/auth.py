"""Who may do what: the role table, API keys (stored hashed), the request's principal (an API key
or a signed-in user), per-principal rate limits and the client address.

A key reads ``kgd_<key id>_<secret>``. Only the SHA-256 of the whole key is stored: the secret is
32 random bytes, so a plain hash is enough (a slow password hash protects *guessable* secrets; a
256-bit random one cannot be guessed). The key id is not secret; it names the key in logs and in
the audit log. Users (people signing in to the pages) have the same roles; see
:mod:`kgdecide.web.users`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kgdecide.errors import ConfigError
from kgdecide.web.sqlite import LocalConnection

#: What each role may do: the one table that the routes enforce, the OpenAPI document describes
#: and docs/SECURITY.md lists. ``graph``: node, neighbour, path and SPARQL reads; ``search``: the
#: prefix search; ``decide``/``link``/``rank``: the decision loop; ``audit``: read any stored
#: decision (without it a principal reads only its own); ``finance``: the finance API;
#: ``metrics``: ``/metrics`` when the operator restricts it; ``admin``: everything.
ROLES: Mapping[str, frozenset[str]] = {
    "clinician": frozenset({"decide", "link", "search"}),
    "analyst": frozenset({"graph", "search", "decide", "link", "rank", "audit", "finance"}),
    "explorer": frozenset({"graph", "search"}),
    "admin": frozenset({"graph", "search", "decide", "link", "rank", "audit", "finance",
                        "metrics", "admin"}),
}


def roles_allowing(permission: str) -> tuple[str, ...]:
    """The roles whose permissions include ``permission``.

    >>> roles_allowing("graph")
    ('analyst', 'explorer', 'admin')
    """
    return tuple(role for role, allowed in ROLES.items() if permission in allowed)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts for: an API key or a signed-in user."""

    id: str  #: the key id, or ``user:NAME``; the audit log and the rate limiter use it
    role: str  #: one of :data:`ROLES`
    kind: str  #: ``key`` or ``user``

    def allows(self, permission: str) -> bool:
        """Whether this principal's role grants ``permission``.

        >>> Principal("user:ada", "explorer", "user").allows("decide")
        False
        """
        return permission in ROLES.get(self.role, frozenset())


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
    get up to ``workers x per_minute``; the operator sets the limit per worker (or sets
    ``KGDECIDE_REDIS_URL`` for :class:`~kgdecide.web.redis_state.RedisRateLimiter`, one count
    for every server).

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


def key_principal() -> Principal:
    """The request's API key (``X-API-Key``) as a principal: 401 when missing, unknown or revoked."""
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
    return Principal(key.id, key.role, "key")


def check_permission(who: Principal, permission: str) -> None:
    """Count the request against ``who``'s rate limit, then 403 unless its role allows
    ``permission``."""
    from kgdecide.web.errors import ApiError

    throttle(who.id)
    if not who.allows(permission):
        what = "key" if who.kind == "key" else "user"
        raise ApiError(403, "forbidden", f"a {who.role} {what} may not use this route ({permission})",
                       f"Use a {what} with one of these roles: {', '.join(roles_allowing(permission))}.",
                       "X-API-Key" if who.kind == "key" else None)


def throttle(bucket: str) -> None:
    """Count one request against ``bucket``'s rate limit; 429 with Retry-After when over it."""
    from kgdecide.web import state
    from kgdecide.web.errors import ApiError

    web = state()
    wait = web.limiter.acquire(bucket)
    if wait:
        web.metrics.count("rate_limited")
        raise ApiError(429, "rate_limited",
                       f"more than {web.limiter.per_minute} requests a minute from this key or user",
                       f"Wait {wait} s (Retry-After) and slow down, or ask the operator for a "
                       "higher KGDECIDE_RATE_LIMIT_PER_MINUTE.", headers={"Retry-After": str(wait)})


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR networks (``KGDECIDE_TRUSTED_PROXIES``).

    >>> [str(n) for n in parse_networks("127.0.0.1, 10.0.0.0/8")]
    ['127.0.0.1/32', '10.0.0.0/8']
    """
    out = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"KGDECIDE_TRUSTED_PROXIES: {item!r} is not an IP address or "
                              "network; give e.g. 127.0.0.1 or 10.0.0.0/8") from None
    return tuple(out)


def client_address(remote: str | None, forwarded_for: str | None,
                   trusted: Sequence[Network]) -> str:
    """The client's address: the peer's, unless the peer is a configured trusted proxy; then the
    right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy. A client cannot
    choose its bucket by sending the header to a server that trusts no proxy.

    >>> client_address("10.0.0.5", "6.6.6.6, 1.2.3.4", parse_networks("10.0.0.0/8"))
    '1.2.3.4'
    >>> client_address("1.2.3.4", "6.6.6.6", ())
    '1.2.3.4'
    """
    peer = remote or "-"
    if not trusted or not _within(peer, trusted) or not forwarded_for:
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if not _within(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:  # a malformed hop: trust nothing to its left
                return peer
    return peer


def _within(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
