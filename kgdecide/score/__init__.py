"""Scorers: rank the candidates of a target type for a set of findings.

One registry, ``SCORERS``; ``create_scorer(name, spec)`` builds one by name. The names below are
loaded on first use (numpy, scipy and the scorer modules are not imported by ``import
kgdecide.score``), so the CLI can import its commands from here and stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kgdecide.score.registry import (  # noqa: F401
        SCORERS, SCORER_TABLE, DomainSpec, Scorer, ScoreResult, create_scorer, scorer_class,
    )

__all__ = ["SCORERS", "SCORER_TABLE", "DomainSpec", "ScoreResult", "Scorer", "create_scorer", "scorer_class"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from kgdecide.score import registry

        return getattr(registry, name)
    raise AttributeError(f"module 'kgdecide.score' has no attribute {name!r}")
