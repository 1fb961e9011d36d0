"""The scorer registry: names, errors, and a meta-test that every scorer has its own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgdecide.errors import ConfigError
from kgdecide.score import SCORERS, Scorer, create_scorer, scorer_class
from kgdecide.score.toy import TOY_SPEC

HERE = Path(__file__).parent


def test_the_four_scorers_are_registered() -> None:
    assert {"resnik", "lr", "ppr", "attention"} <= set(SCORERS)
    for name, cls in SCORERS.items():
        assert issubclass(cls, Scorer) and cls.name == name


@pytest.mark.parametrize("name", sorted(SCORERS))
def test_every_registered_scorer_has_a_test_module(name: str) -> None:
    module = HERE / f"test_{name}.py"
    assert module.is_file(), f"scorer {name!r} is registered but {module.name} does not exist"
    assert "def test_" in module.read_text(), f"{module.name} has no tests"


def test_unknown_scorer_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as raised:
        scorer_class("bm25")
    for name in SCORERS:
        assert name in str(raised.value)


def test_create_scorer_builds_with_default_settings() -> None:
    scorer = create_scorer("lr", TOY_SPEC)
    assert scorer.spec == TOY_SPEC and scorer.settings == scorer.default_settings()
    assert len(scorer.settings_hash) == 12
