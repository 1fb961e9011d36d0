"""The learned ``attention`` scorer: features, training, model files, additivity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kgdecide.errors import ConfigError
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score import create_scorer
from kgdecide.score.annotations import annotation_index
from kgdecide.score.attention import (
    AttentionScorer, AttentionSettings, AttentionWeights, pair_features, pair_features_single,
)
from kgdecide.score.lr import LRScorer
from kgdecide.score.simulate import parents_of, simulate
from kgdecide.score.toy import TOY_SPEC
from kgdecide.score.train import TrainSettings, evaluate_ranks, make_example, train
from tests.unit.score.graphs import random_graph


def _examples(g: ArrayGraph, n: int, seed: int) -> list:
    index = annotation_index(g, TOY_SPEC)
    lr = LRScorer(TOY_SPEC)
    settings = TrainSettings(candidates=20, hard=10)
    rng = np.random.default_rng(seed)
    cases = simulate(index, parents_of(g, TOY_SPEC, index), n, seed)
    return [make_example(index, lr, c.observed, c.excluded, [c.target], rng, settings) for c in cases]


@pytest.fixture(scope="module")
def graph() -> ArrayGraph:
    return random_graph(11, findings=60, targets=40, per_target=6)


@pytest.fixture(scope="module")
def weights(graph: ArrayGraph) -> AttentionWeights:
    return train(_examples(graph, 300, 1), _examples(graph, 80, 2), graph.version,
                 TrainSettings(candidates=20, hard=10, epochs=6, patience=6, batch=16))


def test_single_target_features_match_the_vectorised_ones(graph: ArrayGraph) -> None:
    index = annotation_index(graph, TOY_SPEC)
    lr = LRScorer(TOY_SPEC)
    for finding in ("S:5", "S:17", "S:40"):
        term = int(index.term_of_row[graph.row(finding)])
        block = pair_features(index, lr, term)
        for target in range(0, index.n_targets, 7):
            np.testing.assert_allclose(pair_features_single(index, lr, term, target), block[target],
                                       rtol=1e-5, atol=1e-6)


def test_training_beats_its_lr_starting_point_on_held_out_simulations(
        graph: ArrayGraph, weights: AttentionWeights) -> None:
    untrained = train([], [], graph.version, TrainSettings(epochs=0))
    held_out = _examples(graph, 150, 3)
    before = np.mean(1 / evaluate_ranks(untrained, held_out))
    after = np.mean(1 / evaluate_ranks(weights, held_out))
    assert after >= before - 0.01, (before, after)


def test_score_is_additive_over_findings_with_attention_weights(
        graph: ArrayGraph, weights: AttentionWeights) -> None:
    scorer = AttentionScorer(TOY_SPEC).with_weights(graph, weights)
    rows = [graph.row("S:5"), graph.row("S:17"), graph.row("S:40")]
    result = scorer.score(graph, rows, [True, True, False])
    np.testing.assert_allclose(result.scores, result.contributions.sum(axis=0))
    assert result.attention is not None
    np.testing.assert_allclose(result.attention.sum(axis=0)[np.abs(result.contributions).sum(0) > 0], 1.0)
    fewer = scorer.score(graph, rows[:2], [True, True])
    np.testing.assert_allclose(fewer.scores, result.scores - result.contributions[2], atol=1e-9)


def test_model_file_round_trip_and_graph_version_check(
        graph: ArrayGraph, weights: AttentionWeights, tmp_path: Path) -> None:
    path = tmp_path / "attention.npz"
    weights.save(path)
    loaded = AttentionWeights.from_path(path)
    assert loaded.version == weights.version and loaded.kg_version == graph.version
    scorer = create_scorer("attention", TOY_SPEC, AttentionSettings(path))
    rows = [graph.row("S:5")]
    expected = AttentionScorer(TOY_SPEC).with_weights(graph, weights).score(graph, rows, [True])
    np.testing.assert_allclose(scorer.score(graph, rows, [True]).scores, expected.scores)
    assert scorer.model_version == weights.version
    other = random_graph(12)
    with pytest.raises(ConfigError, match="kgdecide train"):
        create_scorer("attention", TOY_SPEC, AttentionSettings(path)).score(other, [other.row("S:5")], [True])


def test_missing_model_says_to_train(graph: ArrayGraph, tmp_path: Path) -> None:
    for settings in (AttentionSettings(), AttentionSettings(tmp_path / "none.npz")):
        with pytest.raises(ConfigError, match="kgdecide train"):
            create_scorer("attention", TOY_SPEC, settings).score(graph, [graph.row("S:5")], [True])


def test_an_excluded_finding_only_counts_against_targets_that_have_it(
        graph: ArrayGraph, weights: AttentionWeights) -> None:
    scorer = AttentionScorer(TOY_SPEC).with_weights(graph, weights)
    index = annotation_index(graph, TOY_SPEC)
    result = scorer.score(graph, [graph.row("S:5"), graph.row("S:17")], [True, False])
    excluded = result.contributions[1]
    assert (excluded <= 0).all()
    has_it = np.zeros(index.n_targets, dtype=bool)
    has_it[index.column(int(index.term_of_row[graph.row("S:17")]))[0]] = True
    assert not excluded[~has_it].any() and has_it.any()


def test_model_files_of_an_older_format_are_refused(
        graph: ArrayGraph, weights: AttentionWeights, tmp_path: Path) -> None:
    path = tmp_path / "old.npz"
    arrays = {k: getattr(weights, k) for k in weights.__dataclass_fields__ if k not in ("version", "kg_version")}
    np.savez(path, meta=np.array('{"version": "v", "kg_version": "k"}'), **arrays)
    with pytest.raises(ConfigError, match="older format"):
        AttentionWeights.from_path(path)
