"""The scorer registry: a table of names to ``"module:Class"``, resolved on first use.

Nothing registers itself by being imported: the table below is the whole list, so reading it
tells which scorers exist, and looking a name up imports only that scorer's module. A new scorer
is one line here (and passes the shared scorer contract test in ``tests/contract``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from kgdecide.errors import ConfigError
from kgdecide.score.base import DomainSpec, Scorer, ScoreResult

#: Registered scorers: name -> "module:Class". Kept sorted by name.
SCORER_TABLE: Mapping[str, str] = {
    "attention": "kgdecide.score.attention:AttentionScorer",
    "lr": "kgdecide.score.lr:LRScorer",
    "ppr": "kgdecide.score.ppr:PPRScorer",
    "resnik": "kgdecide.score.resnik:ResnikScorer",
}


class _Registry(Mapping[str, type[Scorer]]):
    """Read-only mapping name -> scorer class over :data:`SCORER_TABLE`, importing lazily."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self._table = table
        self._loaded: dict[str, type[Scorer]] = {}

    def __getitem__(self, name: str) -> type[Scorer]:
        cls = self._loaded.get(name)
        if cls is None:
            module, attribute = self._table[name].split(":")
            cls = getattr(importlib.import_module(module), attribute)
            if not (isinstance(cls, type) and issubclass(cls, Scorer)) or cls.name != name:
                raise TypeError(f"{self._table[name]} is not a Scorer named {name!r}")
            self._loaded[name] = cls
        return cls

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._table))

    def __len__(self) -> int:
        return len(self._table)


#: Registered scorers by name (classes are imported when first looked up).
SCORERS: Mapping[str, type[Scorer]] = _Registry(SCORER_TABLE)


def scorer_class(name: str) -> type[Scorer]:
    """The scorer class registered under ``name``.

    >>> scorer_class("resnik").__name__
    'ResnikScorer'
    >>> scorer_class("nope")
    Traceback (most recent call last):
    ...
    kgdecide.errors.ConfigError: unknown scorer 'nope'; valid scorers: attention, lr, ppr, resnik
    """
    if name not in SCORER_TABLE:
        valid = ", ".join(sorted(SCORER_TABLE))
        raise ConfigError(f"unknown scorer {name!r}; valid scorers: {valid}")
    return SCORERS[name]


def create_scorer(name: str, spec: DomainSpec, settings: Any = None) -> Scorer:
    """A scorer by registered name; raises ConfigError listing the valid names.

    >>> from kgdecide.score.toy import TOY_SPEC
    >>> create_scorer("resnik", TOY_SPEC).name
    'resnik'
    """
    return scorer_class(name)(spec, settings)


__all__ = ["SCORERS", "SCORER_TABLE", "DomainSpec", "ScoreResult", "Scorer", "create_scorer",
           "scorer_class"]
