"""One contract every registered temporal link predictor passes (kgdecide/score/temporal/registry.py).

Why these are not held to tests/contract/test_scorers.py: kgdecide/score/temporal/base.py. The
contract here: one float64 row per query and one column per entity, all finite; determinism; no
look-ahead (facts of the query's week or later never change its scores, earlier ones may); an
empty history; bad input refused with ``InvalidQuery`` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from kgdecide.errors import InvalidQuery
from kgdecide.score.temporal.base import TemporalPredictor
from kgdecide.score.temporal.model import LearnSettings
from kgdecide.score.temporal.registry import PREDICTOR_TABLE, predictor_class
from kgdecide.score.temporal.rules import RuleSettings

N, R, WEEKS = 24, 3, 20
NAMES = sorted(PREDICTOR_TABLE)


@dataclass(frozen=True)
class Toy:
    names: tuple[str, ...]
    types: tuple[str, ...]
    relations: tuple[str, ...]
    quads: dict[str, np.ndarray]

    @property
    def all_quads(self) -> np.ndarray:
        return np.concatenate([self.quads[s] for s in ("train", "valid", "test")])


def toy() -> Toy:
    """Random facts with a pattern: (a, 0, b) in week t is followed by (b, 1, a) in week t + 1."""
    rng = np.random.default_rng(3)
    rows = []
    for week in range(WEEKS):
        for _ in range(6):
            a, b = rng.choice(N, 2, replace=False)
            rows.append((a, 0, b, week))
            rows.append((b, 1, a, week + 1))
            rows.append((a, 2, rng.integers(N), week))
    quads = np.array([q for q in rows if q[3] < WEEKS], dtype=np.int64)
    week = quads[:, 3]
    split = {"train": quads[week < 14], "valid": quads[(week >= 14) & (week < 17)],
             "test": quads[week >= 17]}
    return Toy(tuple(f"e{i}" for i in range(N)), tuple("A" if i % 3 else "B" for i in range(N)),
               ("ask", "answer", "other"), split)


@pytest.fixture(scope="module")
def graph() -> Toy:
    return toy()


@pytest.fixture(scope="module")
def ready(graph: Toy) -> dict[str, TemporalPredictor]:
    """Each registered predictor ready to score: fitted on the toy graph where it learns."""
    from kgdecide.score.temporal.history import HistoryPredictor
    from kgdecide.score.temporal.model import LearnedPredictor
    from kgdecide.score.temporal.training import train

    out: dict[str, TemporalPredictor] = {}
    for name in NAMES:
        cls = predictor_class(name)
        if cls is HistoryPredictor:
            out[name] = HistoryPredictor(N, R)
        elif cls is LearnedPredictor:
            model = train(graph, LearnSettings(epochs=1, batch=16, dim=4, warmup=0.1),
                          rule_settings=RuleSettings(walks=500, per_head=4, warmup=0.1))
            out[name] = LearnedPredictor(model, graph.types)
        else:  # a new predictor: add how to make it ready here
            raise AssertionError(f"the contract does not know how to make {name!r} ready")
    return out


QUERIES = (np.array([0, 5, 5, 23]), np.array([1, 0, 1, 2]))


@pytest.mark.parametrize("name", NAMES)
def test_one_finite_float_row_per_query_and_deterministic(name: str, graph: Toy,
                                                          ready: dict[str, TemporalPredictor]) -> None:
    predictor = ready[name]
    assert predictor.name == name
    got = predictor.scores(graph.all_quads, 17, *QUERIES)
    assert got.shape == (4, N) and got.dtype == np.float64 and np.isfinite(got).all()
    np.testing.assert_array_equal(got, predictor.scores(graph.all_quads, 17, *QUERIES))


@pytest.mark.parametrize("name", NAMES)
def test_facts_of_the_week_or_later_never_change_the_scores(name: str, graph: Toy,
                                                            ready: dict[str, TemporalPredictor]) -> None:
    history = graph.all_quads
    before = history[history[:, 3] < 15]
    a = ready[name].scores(history, 15, *QUERIES)
    b = ready[name].scores(before, 15, *QUERIES)
    np.testing.assert_array_equal(a, b)
    # and earlier facts are read: dropping week 14 changes something
    c = ready[name].scores(history[history[:, 3] < 14], 15, *QUERIES)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", NAMES)
def test_an_empty_history_scores_without_error(name: str, ready: dict[str, TemporalPredictor]) -> None:
    got = ready[name].scores(np.zeros((0, 4), np.int64), 0, *QUERIES)
    assert got.shape == (4, N) and np.isfinite(got).all()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("subjects, relations, field", [
    ([N], [0], "subjects"), ([-1], [0], "subjects"), ([0], [R], "relations"),
    ([0, 1], [0], "relations"),
])
def test_unknown_ids_and_mismatched_queries_are_refused_naming_the_field(
        name: str, subjects: list[int], relations: list[int], field: str, graph: Toy,
        ready: dict[str, TemporalPredictor]) -> None:
    with pytest.raises(InvalidQuery) as info:
        ready[name].scores(graph.all_quads, 17, subjects, relations)
    assert info.value.field == field


@pytest.mark.parametrize("name", NAMES)
def test_a_history_that_is_not_quadruples_is_refused(name: str, ready: dict[str, TemporalPredictor]) -> None:
    with pytest.raises(InvalidQuery) as info:
        ready[name].scores(np.zeros((3, 3), np.int64), 1, [0], [0])
    assert info.value.field == "history"
