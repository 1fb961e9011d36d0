"""Temporal link predictors by name: a table of names to ``"module:Class"``, resolved on first
use, like :data:`kgdecide.score.registry.SCORER_TABLE` but for
:class:`~kgdecide.score.temporal.base.TemporalPredictor` (why they are apart: that module's
docstring). Each one passes tests/contract/test_temporal_predictors.py.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from kgdecide.errors import ConfigError
from kgdecide.score.temporal.base import TemporalPredictor

#: Registered temporal link predictors: name -> "module:Class". Kept sorted by name.
PREDICTOR_TABLE: Mapping[str, str] = {
    "history": "kgdecide.score.temporal.history:HistoryPredictor",
    "learned": "kgdecide.score.temporal.model:LearnedPredictor",
}


def predictor_class(name: str) -> type[TemporalPredictor]:
    """The predictor class registered under ``name``.

    >>> predictor_class("history").__name__
    'HistoryPredictor'
    >>> predictor_class("nope")
    Traceback (most recent call last):
    ...
    kgdecide.errors.ConfigError: unknown temporal predictor 'nope'; valid: history, learned
    """
    if name not in PREDICTOR_TABLE:
        raise ConfigError(f"unknown temporal predictor {name!r}; valid: {', '.join(sorted(PREDICTOR_TABLE))}")
    module, attribute = PREDICTOR_TABLE[name].split(":")
    cls = getattr(importlib.import_module(module), attribute)
    if not (isinstance(cls, type) and issubclass(cls, TemporalPredictor)) or cls.name != name:
        raise TypeError(f"{PREDICTOR_TABLE[name]} is not a TemporalPredictor named {name!r}")
    return cls
