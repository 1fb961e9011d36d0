"""The one value a store keeps for its current version (a projection, a view), rebuilt once when
the version changes. Shared by the stores that project a database into arrays (Neo4j, RDF)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Versioned(Generic[T]):
    """The value built for the latest key; a changed key rebuilds it, once, under a lock (the
    web workers' threads asking together wait for one build).

    >>> builds = []
    >>> v = Versioned()
    >>> v.get(1, lambda: builds.append(1) or "a"), v.get(1, lambda: "never"), v.get(2, lambda: "b")
    ('a', 'a', 'b')
    >>> v.clear(); v.get(2, lambda: "c")
    'c'
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entry: tuple[Hashable, T] | None = None

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        entry = self._entry
        if entry is not None and entry[0] == key:
            return entry[1]
        with self._lock:
            entry = self._entry
            if entry is not None and entry[0] == key:  # built by another thread meanwhile
                return entry[1]
            value = build()
            self._entry = (key, value)
            return value

    def clear(self) -> None:
        with self._lock:
            self._entry = None
