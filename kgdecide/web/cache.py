"""A bounded cache of decision bodies, keyed by what a decision depends on.

A coded decision is a function of the graph version, the scorer and its model (weights,
settings, calibration) and the coded query; :func:`decision_key` hashes exactly these into the
key, so a new graph or model never serves an old answer. What is stored is the response body
without its per-request ``id`` and ``created``; a hit gets fresh ones and is audited like any
decision (:class:`kgdecide.web.engine.Engine`). Requests with free text are never cached: the
key holds no text and the value no mention. Only single decisions (``/decide``) are cached, not
the cases of a ``/rank`` batch.

:class:`ResponseCache` is the interface; :class:`MemoryCache` (in-process, thread-safe LRU) is
the default. A cache shared by several processes implements the same two methods.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol


class ResponseCache(Protocol):
    """Bytes by key; ``get`` answers None for a key it does not hold (never raises for that)."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, value: bytes) -> None: ...


class MemoryCache:
    """An in-process LRU of at most ``max_entries`` values, safe to share between threads.

    >>> cache = MemoryCache(2)
    >>> cache.put("a", b"1"); cache.put("b", b"2"); _ = cache.get("a"); cache.put("c", b"3")
    >>> cache.get("b") is None, cache.get("a"), cache.get("c")
    (True, b'1', b'3')
    """

    def __init__(self, max_entries: int) -> None:
        if not isinstance(max_entries, int) or isinstance(max_entries, bool) or max_entries < 1:
            raise ValueError(f"max_entries must be a positive integer, got {max_entries!r}")
        self.max_entries = max_entries
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: bytes) -> None:
        if not isinstance(value, bytes):
            raise TypeError("a cached value is bytes")
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def decision_key(kg_version: str, scorer: str, model_version: str, settings_hash: str,
                 findings: Sequence[tuple[str, str]], target: str | None, top_k: int,
                 coverage: float = 0.9) -> str:
    """The cache key of a coded decision: a hash of the graph version, the scorer, its model
    version (weights and calibration) and settings, and the canonical coded query (the findings
    as (id, status) pairs in the order they are scored, "not known" answers among them, the
    target prefix, ``top_k`` and the prediction set's ``coverage``).

    >>> k = decision_key("g1", "lr", "none+identity", "abc", [("HP:1", "present")], None, 10)
    >>> k == decision_key("g2", "lr", "none+identity", "abc", [("HP:1", "present")], None, 10)
    False
    >>> k == decision_key("g1", "lr", "none+identity", "abc", [("HP:1", "present")], None, 10, 0.8)
    False
    """
    canonical = json.dumps([2, kg_version, scorer, model_version, settings_hash,
                            [list(f) for f in findings], target, top_k, coverage],
                           ensure_ascii=True, separators=(",", ":"))
    return "decision:" + hashlib.sha256(canonical.encode()).hexdigest()
