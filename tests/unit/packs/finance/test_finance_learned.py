"""The learned temporal scorer on a small synthetic temporal graph with a pattern to learn.

The pattern: whenever ``(a, ask, b)`` is reported in week ``t``, ``(b, answer, a)`` follows in week
``t + 1``; and in the first weeks every entity was reported, three times, as ``(e, answer,
favourite(e))``, which never happens again. The history baseline repeats past ``(s, r, o)`` facts
first, so it answers with the favourite; a scorer that learns per-relation weights learns that
``answer`` reverses last week's ``ask`` and that repeats of ``answer`` mean nothing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kgdecide.errors import ConfigError
from kgdecide.packs.finance.build import FinDKG
from kgdecide.packs.finance.evaluate import evaluate, tune
from kgdecide.packs.finance.learned import (
    FEATURES, HUB_DEGREE, SPARSE, LearnedScorer, LearnSettings, WeekHistory, rank_split, train, type_codes,
    week_queries,
)
from kgdecide.packs.finance.predict import metrics

N, WEEKS, ASKS = 40, 32, 5
ASK, ANSWER = 0, 1


def synthetic(seed: int = 7) -> FinDKG:
    """Weeks 0-21 train, 22-26 valid, 27-31 test (FinDKG's chronological split)."""
    rng = np.random.default_rng(seed)
    favourite = (np.arange(N) + 1 + rng.integers(0, N - 1, N)) % N
    favourite[favourite == np.arange(N)] = (favourite[favourite == np.arange(N)] + 1) % N
    rows = [(e, ANSWER, int(favourite[e]), w) for w in range(3) for e in range(N)]
    previous: list[tuple[int, int]] = []
    for week in range(3, WEEKS):
        rows += [(b, ANSWER, a, week) for a, b in previous]
        pairs = rng.choice(N * N, ASKS, replace=False)
        previous = [(int(p // N), int(p % N)) for p in pairs if p // N != p % N]
        rows += [(a, ASK, b, week) for a, b in previous]
    quads = np.array(rows, dtype=np.int64)
    week = quads[:, 3]
    split = {"train": quads[week < 22], "valid": quads[(week >= 22) & (week < 27)],
             "test": quads[week >= 27]}
    names = tuple(f"entity {i}" for i in range(N))
    types = tuple("ORG" if i % 2 else "COMP" for i in range(N))
    return FinDKG(names, types, ("Ask", "Answer"), split)


SETTINGS = LearnSettings(epochs=6, patience=3, batch=16, learning_rate=0.1, dim=8, warmup=0.05)


@pytest.fixture(scope="module")
def kg() -> FinDKG:
    return synthetic()


@pytest.fixture(scope="module")
def model(kg: FinDKG) -> LearnedScorer:
    return train(kg, SETTINGS)


def _answers_only(kg: FinDKG, ranks: np.ndarray, split: str) -> np.ndarray:
    return ranks[kg.quads[split][:, 1] == ANSWER]


def test_learned_beats_the_history_baseline_on_the_pattern(kg: FinDKG, model: LearnedScorer) -> None:
    learned = rank_split(model, kg, "test")
    weights, _, _ = tune(kg, "valid")
    baseline = evaluate(kg, "test", [weights]).ranks[0]
    learned_answer = metrics(_answers_only(kg, learned, "test"))
    baseline_answer = metrics(_answers_only(kg, baseline, "test"))
    # The answer relation is fully determined by last week's asks: the model must find it.
    assert learned_answer["mrr"] > 0.75
    assert baseline_answer["mrr"] < 0.6
    assert metrics(learned)["mrr"] > metrics(baseline)["mrr"] + 0.1


def test_training_keeps_the_best_valid_epoch_and_versions_the_model(kg: FinDKG, model: LearnedScorer) -> None:
    epochs = model.extra["epochs"]
    assert 1 <= len(epochs) <= SETTINGS.epochs
    assert model.extra["valid"]["mrr"] == max(e["valid"]["mrr"] for e in epochs)
    assert model.version.startswith("learned-") and model.kg_version.startswith("findkg-")
    again = train(kg, replace(SETTINGS, epochs=1))
    assert again.kg_version == model.kg_version and again.version != model.version


def test_saved_model_scores_the_same(kg: FinDKG, model: LearnedScorer, tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = LearnedScorer.from_path(path)
    assert loaded.version == model.version
    np.testing.assert_array_equal(rank_split(loaded, kg, "valid"), rank_split(model, kg, "valid"))


def test_missing_or_mismatched_model_is_a_config_error(kg: FinDKG, model: LearnedScorer,
                                                       tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="kgdecide finance train"):
        LearnedScorer.from_path(tmp_path / "none.npz")
    bigger = FinDKG(kg.names + ("extra",), kg.types + ("ORG",), kg.relations, kg.quads)
    with pytest.raises(ConfigError, match="41 / 2 / 2"):
        model.check(bigger)


@pytest.fixture(scope="module")
def history(kg: FinDKG) -> dict[int, WeekHistory]:
    types = type_codes(kg.types)
    return {t: WeekHistory.before(kg.all_quads, t, N, 2, types) for t in range(22, WEEKS)}


def test_ties_take_the_average_rank(kg: FinDKG, model: LearnedScorer,
                                    history: dict[int, WeekHistory]) -> None:
    # Only the network's output bias set: each of the k candidates s's history reaches scores 1,
    # every other entity 0. An answer among them ranks (k + 1) / 2, else k + (N - k + 1) / 2.
    arrays = {k: np.zeros_like(v) for k, v in model.arrays.items()}
    arrays["out.bias"] = np.ones_like(arrays["out.bias"])
    blank = LearnedScorer(arrays, model.n, model.r, model.t, model.settings, "blank", model.kg_version)
    ranks = rank_split(blank, kg, "test")
    for i, (s, r, o, t) in enumerate(kg.quads["test"].tolist()):
        x = history[t].features(np.array([s]), np.array([r]))
        reached = (x[:len(SPARSE), 0] > 0).any(axis=0)
        k = int(reached.sum())
        assert ranks[i] == ((k + 1) / 2 if reached[o] else k + (N - k + 1) / 2)


def _oracle_log_probs(model: LearnedScorer, past: WeekHistory, s: int, r: int) -> np.ndarray:
    """The scorer written out for one query from the dense feature view, in float64: a linear
    score of the dense features for every entity, plus the network's output on the candidates
    s's history reaches (inputs: features, context, then (s, r2, o) and (o, r2, s) per r2)."""
    a = {k: v.astype(np.float64) for k, v in model.arrays.items()}
    x = past.features(np.array([s]), np.array([r]))[:, 0].astype(np.float64)
    context = past.context(np.array([s]), np.array([r]))[0].astype(np.float64)
    per_relation = [past.features(np.array([s]), np.array([r2]))[:, 0] for r2 in range(model.r)]
    sro = np.stack([f[FEATURES.index("sro")] for f in per_relation])
    ors = np.stack([f[FEATURES.index("ors")] for f in per_relation])
    inputs = np.concatenate([x, np.repeat(context[:, None], N, axis=1), sro, ors])  # (in, N)
    shift = a["hidden.bias"] + a["relation.weight"][r]
    hidden = np.maximum(a["hidden.weight"] @ inputs + shift[:, None], 0)
    network = a["out.weight"][0] @ hidden + a["out.bias"][0]
    reached = (x[:len(SPARSE)] > 0).any(axis=0)
    scores = a["generate"][r] @ x[len(SPARSE):] + np.where(reached, network, 0.0)
    return scores - np.log(np.exp(scores - scores.max()).sum()) - scores.max()


def test_ranks_match_a_row_by_row_oracle(kg: FinDKG, model: LearnedScorer,
                                         history: dict[int, WeekHistory]) -> None:
    ranks = rank_split(model, kg, "valid", batch=3)
    for i, (s, r, o, t) in enumerate(kg.quads["valid"].tolist()):
        scores = _oracle_log_probs(model, history[t], s, r)
        # raw: other true objects of the same week are not filtered out
        higher = np.sum(scores > scores[o] + 1e-4)
        equal = np.sum(np.abs(scores - scores[o]) <= 1e-4) - 1
        assert ranks[i] == pytest.approx(1 + higher + equal / 2)


def test_features_see_only_earlier_weeks(kg: FinDKG) -> None:
    types = type_codes(kg.types)
    s, r, o, t = (int(v) for v in kg.quads["test"][0])
    before = WeekHistory.before(kg.all_quads, t, N, 2, types).features(np.array([s]), np.array([r]))
    prior = kg.all_quads[kg.all_quads[:, 3] < t]
    sro = np.sum((prior[:, 0] == s) & (prior[:, 1] == r) & (prior[:, 2] == o))
    assert before[FEATURES.index("sro"), 0, o] == pytest.approx(np.log1p(sro))
    # A fact of week t itself is not history for week t but is for week t + 1.
    after = WeekHistory.before(kg.all_quads, t + 1, N, 2, types).features(np.array([s]), np.array([r]))
    assert after[FEATURES.index("sro"), 0, o] == pytest.approx(np.log1p(sro + 1))
    assert after[FEATURES.index("sro_recent"), 0, o] > before[FEATURES.index("sro_recent"), 0, o]


def _brute_force(prior: np.ndarray, s: int, r: int, o: int, t: int, types: np.ndarray) -> dict[str, float]:
    """Some features of (s, r, o) at week t counted row by row from the earlier facts."""
    sro = prior[(prior[:, 0] == s) & (prior[:, 1] == r) & (prior[:, 2] == o)]
    ors = prior[(prior[:, 0] == o) & (prior[:, 1] == r) & (prior[:, 2] == s)]
    typed = prior[(prior[:, 1] == r) & (types[prior[:, 0]] == types[s]) & (prior[:, 2] == o)]
    degree = {e: len({*prior[prior[:, 0] == e, 2], *prior[prior[:, 2] == e, 0]}) for e in range(N)}
    neighbours = {*prior[prior[:, 0] == s, 2], *prior[prior[:, 2] == s, 0]}
    # s - x -r-> o through neighbours x of at most HUB_DEGREE neighbours, weighted 1 / degree(x)
    two_hop_r = sum(np.log1p(np.sum((prior[:, 0] == x) & (prior[:, 1] == r) & (prior[:, 2] == o)))
                    / degree[x] for x in neighbours if degree[x] <= HUB_DEGREE)
    return {
        "sro_1w": np.log1p(np.sum(sro[:, 3] == t - 1)),
        "sro_4w": np.log1p(np.sum(sro[:, 3] >= t - 4)),
        "sro_last": 1 / (1 + t - 1 - sro[:, 3].max()) if len(sro) else 0.0,
        "ors_last": 1 / (1 + t - 1 - ors[:, 3].max()) if len(ors) else 0.0,
        "pop_rs": np.log1p(len(typed)),
        "two_hop_r": np.log1p(4 * two_hop_r),
    }


def test_windowed_recency_typed_and_relation_two_hop_features_match_a_brute_force_count(
        kg: FinDKG) -> None:
    types = type_codes(kg.types)
    checked = 0
    for t in (12, 25):
        past = WeekHistory.before(kg.all_quads, t, N, 2, types)
        prior = kg.all_quads[kg.all_quads[:, 3] < t]
        for s, r in ((0, ANSWER), (5, ASK), (11, ANSWER)):
            x = past.features(np.array([s]), np.array([r]))[:, 0]
            for o in range(N):
                for name, value in _brute_force(prior, s, r, o, t, types).items():
                    assert x[FEATURES.index(name), o] == pytest.approx(value, abs=1e-5), (name, s, r, o, t)
                    checked += value > 0
    assert checked > 20  # the pattern makes most of these features non-zero somewhere


def test_week_queries_group_rows_by_week_and_pair() -> None:
    quads = np.array([[0, 1, 2, 5], [0, 1, 3, 5], [1, 0, 2, 5], [0, 1, 2, 6]])
    weeks = list(week_queries(quads, 2))
    assert [w.week for w in weeks] == [5, 6]
    first = weeks[0]
    assert first.subjects[first.pair_of_row].tolist() == [0, 0, 1]
    assert first.relations[first.pair_of_row].tolist() == [1, 1, 0]
    assert first.answers.tolist() == [2, 3, 2]
