"""Rate limits and the decision cache in Redis, shared by every app server that names the same Redis.

Selected by ``KGDECIDE_REDIS_URL`` (``redis://[:PASSWORD@]HOST:PORT/DB``); without it each process
counts and caches on its own (:class:`kgdecide.web.auth.RateLimiter`, the in-process cache).

:class:`RedisRateLimiter` is the same token bucket as :class:`~kgdecide.web.auth.RateLimiter`
(``per_minute`` requests a minute, bursts up to the same number), kept in one Redis hash per
bucket and updated by a Lua script, so that the check and the take are one atomic step whichever
server runs it; the time is Redis's own, so servers with skewed clocks count alike. The limit is
therefore for the whole deployment, not per process.

:class:`RedisCache` implements the decision cache's two methods (``get``, ``put``) with an expiry.

When Redis cannot be reached, both let the request through: the limiter allows it and the cache
misses (a warning is logged, at most once a minute per process). Rate limits protect capacity;
refusing every request because the counter store is down would turn a Redis outage into a full
outage. Sign-in attempts stay bounded by each account's back-off, which lives in the database.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

from kgdecide.errors import ConfigError

logger = logging.getLogger(__name__)

#: The setting that selects Redis, named in every error about it.
SETTING = "KGDECIDE_REDIS_URL"
#: Prefix of every key kgdecide writes, so that one Redis can serve other users too.
PREFIX = "kgdecide:"

# KEYS[1]: the bucket's hash; ARGV: capacity (tokens), rate (tokens a second).
# Returns 0 when a token was taken, else the milliseconds until one will be there.
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens = tonumber(state[1]) or capacity
local last = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - last) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return wait
"""


def check_url(url: str) -> str:
    """``url`` if it names a Redis server; otherwise ``ConfigError`` naming the setting.

    >>> check_url("redis://127.0.0.1:6379/0")
    'redis://127.0.0.1:6379/0'
    """
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"{SETTING} must be a Redis URL such as redis://:PASSWORD@HOST:6379/0 "
                          "(or unset to keep rate limits and the cache in each process)")
    return url


def connect(url: str) -> Any:
    """A Redis client (a connection pool, safe across threads; reconnects after a fork)."""
    import redis

    return redis.Redis.from_url(check_url(url), socket_timeout=2, socket_connect_timeout=2,
                                health_check_interval=30)


class _Warner:
    """Logs Redis failures at most once a minute (a down Redis must not flood the log)."""

    def __init__(self) -> None:
        self._last = -math.inf
        self._lock = threading.Lock()

    def __call__(self, what: str, error: Exception) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._last < 60:
                return
            self._last = now
        logger.warning("Redis unavailable, %s: %s", what, type(error).__name__)


class RedisRateLimiter:
    """A token bucket per key in Redis: ``per_minute`` requests a minute across every server.

    ``name`` separates limiters sharing one Redis (``api``: per key or user; ``sign-in``: per
    client address). Same interface as :class:`kgdecide.web.auth.RateLimiter`.
    """

    def __init__(self, client: Any, per_minute: int, name: str) -> None:
        self.per_minute = per_minute
        self._client = client
        self._name = name
        self._take = client.register_script(_TAKE)
        self._warn = _Warner()

    def acquire(self, key_id: str) -> int:
        """Take one token: 0 when allowed, else the seconds to wait before the next try."""
        if self.per_minute <= 0:
            return 0
        import redis

        try:
            wait_ms = int(self._take(keys=[f"{PREFIX}rate:{self._name}:{key_id}"],
                                     args=[self.per_minute, self.per_minute / 60.0]))
        except redis.RedisError as e:
            self._warn("rate limit not applied", e)
            return 0
        return 0 if wait_ms <= 0 else max(1, math.ceil(wait_ms / 1000))


class RedisCache:
    """Cached decision responses in Redis, each kept for ``ttl_seconds``.

    Implements ``ResponseCache`` (``get``, ``put``) of :mod:`kgdecide.web.cache`. Values are the
    response bytes as the app made them; Redis evicts under its own ``maxmemory`` policy too.
    """

    def __init__(self, client: Any, ttl_seconds: int = 24 * 3600) -> None:
        if ttl_seconds <= 0:
            raise ConfigError("the decision cache's time to live must be a positive number of "
                              "seconds")
        self._client = client
        self.ttl_seconds = ttl_seconds
        self._warn = _Warner()

    @classmethod
    def from_url(cls, url: str, ttl_seconds: int = 24 * 3600) -> RedisCache:
        return cls(connect(url), ttl_seconds)

    def get(self, key: str) -> bytes | None:
        import redis

        try:
            value = self._client.get(f"{PREFIX}cache:{key}")
        except redis.RedisError as e:
            self._warn("cache lookups miss", e)
            return None
        return None if value is None else bytes(value)

    def put(self, key: str, value: bytes) -> None:
        import redis

        try:
            self._client.set(f"{PREFIX}cache:{key}", value, ex=self.ttl_seconds)
        except redis.RedisError as e:
            self._warn("cache entries not stored", e)


def rate_limiters(redis_url: str, per_minute: int, sign_ins_per_minute: int) -> tuple[Any, Any]:
    """The request and sign-in limiters: in Redis when ``redis_url`` is set, else in process."""
    if not redis_url:
        from kgdecide.web.auth import RateLimiter

        return RateLimiter(per_minute), RateLimiter(sign_ins_per_minute)
    client = connect(redis_url)
    return (RedisRateLimiter(client, per_minute, "api"),
            RedisRateLimiter(client, sign_ins_per_minute, "sign-in"))


def response_cache(settings: Any) -> Any:
    """The decision cache the settings ask for: shared in Redis when ``redis_url`` is set, else
    an in-process LRU of ``response_cache_entries``; None when that is 0 (caching off)."""
    from kgdecide.web.cache import MemoryCache

    if settings.response_cache_entries <= 0:
        return None
    if settings.redis_url:
        return RedisCache.from_url(settings.redis_url)
    return MemoryCache(settings.response_cache_entries)
