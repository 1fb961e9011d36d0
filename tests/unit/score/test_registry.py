"""The scorer registry: names and errors. What every registered scorer must do is checked by the
shared contract suite, tests/contract/test_scorers.py, parametrised over the registry."""

from __future__ import annotations

import pytest

from kgdecide.errors import ConfigError
from kgdecide.score import SCORERS, Scorer, create_scorer, scorer_class
from kgdecide.score.toy import TOY_SPEC


def test_the_four_scorers_are_registered() -> None:
    assert {"resnik", "lr", "ppr", "attention"} <= set(SCORERS)
    for name, cls in SCORERS.items():
        assert issubclass(cls, Scorer) and cls.name == name


def test_unknown_scorer_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as raised:
        scorer_class("bm25")
    for name in SCORERS:
        assert name in str(raised.value)


def test_create_scorer_builds_with_default_settings() -> None:
    scorer = create_scorer("lr", TOY_SPEC)
    assert scorer.spec == TOY_SPEC and scorer.settings == scorer.default_settings()
    assert len(scorer.settings_hash) == 12
