"""The response cache: bounded, keyed by versions and the coded query, never holding free text,
and every decision it answers still audited."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from kgdecide.errors import ConfigError
from kgdecide.settings import Settings
from kgdecide.web.cache import MemoryCache, decision_key
from tests.web.conftest import auth

CASE = {"findings": [{"id": "HP:0001250"}, {"id": "HP:0001263"}], "top_k": 3}


class SpyCache(MemoryCache):
    """A MemoryCache that remembers every value stored in it."""

    def __init__(self, max_entries: int) -> None:
        super().__init__(max_entries)
        self.stored: list[bytes] = []

    def put(self, key: str, value: bytes) -> None:
        self.stored.append(value)
        super().put(key, value)


class CountingCalls:
    """Wraps a decider, counting the decisions it actually makes."""

    def __init__(self, decider: Any) -> None:
        self.decider, self.calls = decider, 0
        self.identity = decider.identity

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.decider(*args, **kwargs)


def test_memory_cache_keeps_the_most_recently_used_within_its_bound() -> None:
    cache = MemoryCache(3)
    for i in range(10):
        cache.put(f"k{i}", str(i).encode())
        assert len(cache) <= 3
    assert cache.get("k0") is None and cache.get("k9") == b"9"
    assert cache.get("k7") == b"7"  # k7 is now the most recent: k8 goes first
    cache.put("k10", b"10")
    assert cache.get("k8") is None and cache.get("k7") == b"7"


def test_memory_cache_stays_bounded_under_threads() -> None:
    cache = MemoryCache(50)

    def work(n: int) -> None:
        for i in range(2000):
            cache.put(f"{n}-{i}", b"x")
            cache.get(f"{n}-{i - 1}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 50


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_memory_cache_refuses_a_bound_that_is_not_a_positive_integer(bad: Any) -> None:
    with pytest.raises(ValueError, match="max_entries"):
        MemoryCache(bad)


def test_key_changes_with_every_version_and_the_query() -> None:
    base = ("g", "lr", "m+c", "s", [("HP:1", "present"), ("HP:2", "excluded")], None, 10)
    key = decision_key(*base)
    assert key == decision_key(*base)
    for i, other in [(0, "g2"), (1, "resnik"), (2, "m2+c"), (3, "s2"),
                     (4, [("HP:1", "present"), ("HP:2", "present")]),
                     (4, [("HP:2", "excluded"), ("HP:1", "present")]), (5, "OMIM:"), (6, 5)]:
        changed = list(base)
        changed[i] = other
        assert decision_key(*changed) != key, (i, other)


def test_a_repeated_coded_decision_is_served_from_the_cache_and_audited(
        make_app: Callable[..., Flask], real_decider: Any) -> None:
    counting = CountingCalls(real_decider)
    app = make_app(DECIDE=counting, RESPONSE_CACHE=MemoryCache(16))
    client = app.test_client()
    _, secret = app.extensions["kgdecide"].keys.create("clinician")
    first = client.post("/api/v1/decide", json=CASE, headers=auth(secret)).get_json()
    second = client.post("/api/v1/decide", json=CASE, headers=auth(secret)).get_json()
    assert counting.calls == 1  # the second came from the cache
    assert first["id"] != second["id"]
    assert {k: v for k, v in first.items() if k not in ("id", "created")} == \
        {k: v for k, v in second.items() if k not in ("id", "created")}
    engine = app.extensions["kgdecide"].engine
    assert engine.audit.count() == 2
    record = engine.audit.get(second["id"])
    assert record is not None and record.kg_version == second["provenance"]["kg_version"]
    assert record.scorer == "lr" and record.inputs["findings"][0]["source"] == "coded"
    fetched = client.get(f"/api/v1/decisions/{second['id']}", headers=auth(secret)).get_json()
    assert fetched["response"] == second
    # Another query, or the same with another status, is decided afresh.
    other = {**CASE, "findings": [{"id": "HP:0001250"}, {"id": "HP:0001263",
                                                         "status": "excluded"}]}
    client.post("/api/v1/decide", json=other, headers=auth(secret))
    assert counting.calls == 2


def test_text_is_never_cached(make_app: Callable[..., Flask], real_decider: Any) -> None:
    counting = CountingCalls(real_decider)
    cache = SpyCache(16)
    app = make_app(DECIDE=counting, RESPONSE_CACHE=cache)
    client = app.test_client()
    _, secret = app.extensions["kgdecide"].keys.create("clinician")
    note = {"text": "Seizures and global developmental delay.", "top_k": 3}
    for _ in range(2):
        response = client.post("/api/v1/decide", json=note, headers=auth(secret))
        assert response.status_code == 200, response.get_json()
    assert counting.calls == 2 and cache.stored == []
    client.post("/api/v1/decide", json=CASE, headers=auth(secret))
    assert len(cache.stored) == 1 and b"Seizures" not in cache.stored[0]
    assert b'"mentions": []' in cache.stored[0]


def test_a_new_model_version_is_a_miss(make_app: Callable[..., Flask], real_decider: Any) -> None:
    counting = CountingCalls(real_decider)
    app = make_app(DECIDE=counting, RESPONSE_CACHE=MemoryCache(16))
    client = app.test_client()
    _, secret = app.extensions["kgdecide"].keys.create("clinician")
    client.post("/api/v1/decide", json=CASE, headers=auth(secret))
    name, kg, model, settings = real_decider.identity()
    counting.identity = lambda scorer=None: (name, kg, model + "-retrained", settings)
    client.post("/api/v1/decide", json=CASE, headers=auth(secret))
    assert counting.calls == 2


def test_the_cache_can_be_turned_off(make_app: Callable[..., Flask], real_decider: Any,
                                     tmp_path: Any) -> None:
    counting = CountingCalls(real_decider)
    app = make_app(DECIDE=counting, SETTINGS=Settings(tmp_path, response_cache_entries=0))
    assert app.extensions["kgdecide"].engine.cache is None
    client = app.test_client()
    _, secret = app.extensions["kgdecide"].keys.create("clinician")
    for _ in range(2):
        client.post("/api/v1/decide", json=CASE, headers=auth(secret))
    assert counting.calls == 2


def test_a_bad_cache_size_in_the_environment_is_named() -> None:
    with pytest.raises(ConfigError, match="KGDECIDE_RESPONSE_CACHE_ENTRIES"):
        Settings.from_env({"KGDECIDE_HOME": "/tmp/h", "KGDECIDE_RESPONSE_CACHE_ENTRIES": "lots"})
    assert Settings.from_env({"KGDECIDE_HOME": "/tmp/h"}).response_cache_entries == 1024


def test_the_cases_of_a_rank_batch_are_decided_not_cached(make_app: Callable[..., Flask],
                                                          real_decider: Any) -> None:
    counting = CountingCalls(real_decider)
    cache = SpyCache(16)
    app = make_app(DECIDE=counting, RESPONSE_CACHE=cache)
    client = app.test_client()
    _, secret = app.extensions["kgdecide"].keys.create("analyst")
    batch = {"cases": [{"id": f"c{i}", "findings": CASE["findings"]} for i in range(3)], "top_k": 3}
    for _ in range(2):
        response = client.post("/api/v1/rank", json=batch, headers=auth(secret))
        assert response.status_code == 200, response.get_json()
    assert counting.calls == 6 and cache.stored == []
