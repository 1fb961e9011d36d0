"""Rate limits and the decision cache in a real Redis, shared by every server that names it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from kgdecide.errors import ConfigError
from kgdecide.settings import Settings
from kgdecide.web.auth import RateLimiter
from kgdecide.web.redis_state import RedisCache, RedisRateLimiter, connect, rate_limiters

pytestmark = pytest.mark.redis

#: Nothing listens here: the Redis-is-down cases.
UNREACHABLE = "redis://127.0.0.1:9/0"


def test_token_bucket_counts_across_limiters_sharing_redis(redis_url: str) -> None:
    """Two limiters (two app servers) on one Redis share each key's budget; names and keys
    are separate buckets."""
    one = RedisRateLimiter(connect(redis_url), per_minute=4, name="api")
    two = RedisRateLimiter(connect(redis_url), per_minute=4, name="api")
    assert [one.acquire("k1"), two.acquire("k1"), one.acquire("k1"), two.acquire("k1")] == [0] * 4
    wait = one.acquire("k1")
    assert 1 <= wait <= 15  # one token a quarter minute
    assert two.acquire("k1") >= 1
    assert one.acquire("k2") == 0
    assert RedisRateLimiter(connect(redis_url), per_minute=4, name="sign-in").acquire("k1") == 0
    assert RedisRateLimiter(connect(redis_url), per_minute=0, name="api").acquire("k1") == 0


def test_concurrent_takes_never_exceed_the_budget(redis_url: str) -> None:
    limiter = RedisRateLimiter(connect(redis_url), per_minute=30, name="api")
    allowed: list[int] = []

    def take() -> None:
        allowed.append(sum(limiter.acquire("busy") == 0 for _ in range(20)))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(allowed) in (30, 31)  # the burst, plus at most one token refilled meanwhile


def test_buckets_expire_and_carry_the_prefix(redis_url: str) -> None:
    RedisRateLimiter(connect(redis_url), per_minute=60, name="api").acquire("k1")
    client = redis.Redis.from_url(redis_url)
    assert client.keys("*") == [b"kgdecide:rate:api:k1"]
    assert 0 < client.pttl("kgdecide:rate:api:k1") <= 61_000


def test_cache_round_trip_with_expiry(redis_url: str) -> None:
    cache = RedisCache.from_url(redis_url, ttl_seconds=120)
    assert cache.get("abc") is None
    cache.put("abc", b'{"ranking": []}')
    assert cache.get("abc") == b'{"ranking": []}'
    assert RedisCache.from_url(redis_url).get("abc") == b'{"ranking": []}'  # another server
    assert 0 < redis.Redis.from_url(redis_url).ttl("kgdecide:cache:abc") <= 120
    with pytest.raises(ConfigError, match="time to live"):
        RedisCache(connect(redis_url), ttl_seconds=0)


def test_redis_down_lets_requests_through_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RedisRateLimiter(connect(UNREACHABLE), per_minute=1, name="api")
    cache = RedisCache.from_url(UNREACHABLE)
    with caplog.at_level(logging.WARNING, logger="kgdecide.web.redis_state"):
        assert [limiter.acquire("k") for _ in range(3)] == [0, 0, 0]
        assert cache.get("abc") is None
        cache.put("abc", b"x")
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == ["Redis unavailable, rate limit not applied: ConnectionError",
                        "Redis unavailable, cache lookups miss: ConnectionError"]


def test_settings_select_redis_or_process_memory(redis_url: str) -> None:
    api, sign_in = rate_limiters(redis_url, 10, 5)
    assert isinstance(api, RedisRateLimiter) and isinstance(sign_in, RedisRateLimiter)
    assert (api.per_minute, sign_in.per_minute) == (10, 5)
    local, _ = rate_limiters("", 10, 5)
    assert isinstance(local, RateLimiter)
    with pytest.raises(ConfigError, match="KGDECIDE_REDIS_URL must be a Redis URL"):
        rate_limiters("http://cache:6379", 10, 5)


@pytest.mark.postgres
def test_two_apps_share_keys_audit_and_rate_limit(make_scale_app: Callable[..., Flask]) -> None:
    """Two app instances on one PostgreSQL and one Redis: a key made on one works on the other,
    a decision answered by one is read back from the other, and the limit counts both."""
    first, second = make_scale_app(), make_scale_app()
    secret = first.extensions["kgdecide"].keys.create("admin", "shared")[1]
    headers = {"X-API-Key": secret}
    body = {"findings": [{"id": "HP:0001250"}]}
    answered = first.test_client().post("/api/v1/decide", json=body, headers=headers)
    assert answered.status_code == 200, answered.get_json()
    decision_id = answered.get_json()["id"]
    read = second.test_client().get(f"/api/v1/decisions/{decision_id}", headers=headers)
    assert read.status_code == 200 and read.get_json()["response"]["id"] == decision_id
    # 4 a minute: two requests made above, two more allowed, then 429 on either server
    assert second.test_client().post("/api/v1/decide", json=body, headers=headers).status_code == 200
    assert first.test_client().post("/api/v1/decide", json=body, headers=headers).status_code == 200
    refused = second.test_client().post("/api/v1/decide", json=body, headers=headers)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


@pytest.fixture
def make_scale_app(pg_url: str, redis_url: str, tmp_path: Path, store: Any) -> Callable[..., Flask]:
    from kgdecide.web import create_app
    from tests.web.conftest import linker_config
    from tests.web.doubles import CountingDecider

    apps: list[Flask] = []

    def make() -> Flask:
        home = tmp_path / f"replica-{len(apps)}"
        settings = Settings(home, database_url=pg_url, redis_url=redis_url, secret_key="s" * 32,
                            rate_limit_per_minute=4)
        app = create_app({"SETTINGS": settings, "STORE": store, "TESTING": True,
                          "LINKER_CONFIG": linker_config(), "WTF_CSRF_ENABLED": False,
                          "DECIDE": CountingDecider(store)})
        apps.append(app)
        return app

    yield make  # type: ignore[misc]
    for app in apps:
        state = app.extensions["kgdecide"]
        for part in (state.keys, state.users, state.engine.audit):
            part.close()
