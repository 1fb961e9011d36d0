"""The built-in scorers, registered on import, and :func:`create_scorer`."""

from __future__ import annotations

from typing import Any

from kgdecide.score import attention, lr, ppr, resnik  # noqa: F401 - registers the scorers
from kgdecide.score.base import SCORERS, DomainSpec, Scorer, ScoreResult, scorer_class


def create_scorer(name: str, spec: DomainSpec, settings: Any = None) -> Scorer:
    """A scorer by registered name; raises ConfigError listing the valid names.

    >>> from kgdecide.score.toy import TOY_SPEC
    >>> create_scorer("resnik", TOY_SPEC).name
    'resnik'
    """
    return scorer_class(name)(spec, settings)


__all__ = ["SCORERS", "DomainSpec", "ScoreResult", "Scorer", "create_scorer", "scorer_class"]
