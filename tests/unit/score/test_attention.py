"""The learned ``attention`` scorer: numpy inference equals the torch model it was trained as,
the one-target path equals the vectorised one, the attentions are distributions, excluded
findings only count against, model files are checked, and training learns."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from kgdecide.errors import ConfigError
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.annotations import annotation_index
from kgdecide.score.attention import AttentionScorer, AttentionSettings, AttentionWeights
from kgdecide.score.base import TargetAnnotations
from kgdecide.score.simulate import parents_of, simulate
from kgdecide.score.toy import TOY_SPEC
from tests.unit.score.graphs import random_graph

torch = pytest.importorskip("torch")

from kgdecide.score.train import ExampleMaker, TrainSettings, _Model, train  # noqa: E402


def _random_weights(graph: ArrayGraph, seed: int, **changes: float) -> AttentionWeights:
    """The initial weights moved at random, so every parameter matters in the comparisons."""
    rng = np.random.default_rng(seed)
    w = AttentionWeights.initial(graph.version)
    moved = {name: value + rng.normal(0, 0.5, np.shape(value))
             for name, value in w.arrays().items() if name not in ("gamma", "hard_match")}
    moved["gamma"] = np.asarray(rng.uniform(0.1, 0.9))
    moved["focus"] = np.asarray(rng.uniform(-1.0, 1.0))
    moved.update({k: np.asarray(v) for k, v in changes.items()})
    return dataclasses.replace(w, **moved)


def _torch_model(weights: AttentionWeights, settings: TrainSettings):  # noqa: ANN202
    model = _Model(settings)
    with torch.no_grad():
        for name, value in weights.arrays().items():
            if name == "gamma":
                model.gamma_logit.copy_(torch.tensor(np.log(value / (1 - value))))
            elif name != "hard_match":
                getattr(model, name).copy_(torch.tensor(value))
    return model


@pytest.fixture(scope="module")
def graph() -> ArrayGraph:
    return random_graph(11, findings=60, targets=40, per_target=6)


def _rows(graph: ArrayGraph, names: list[str]) -> list[int]:
    return [graph.row(f"S:{n}") for n in names]


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numpy_inference_equals_the_torch_model(graph: ArrayGraph, seed: int, hard: bool) -> None:
    weights = _random_weights(graph, seed, hard_match=float(hard))
    settings = TrainSettings(hard=5, random=10, annotation_attention=not hard)
    scorer = AttentionScorer(TOY_SPEC).with_weights(graph, weights)
    index = annotation_index(graph, TOY_SPEC)
    observed, excluded = [5, 17, 23, 40], [9, 31]
    rows = _rows(graph, [str(i) for i in observed + excluded])
    result = scorer.score(graph, rows, [True] * 4 + [False] * 2)
    maker = ExampleMaker(scorer, graph, settings)
    example = maker.make([int(t) for t in index.terms(rows[:4])], [int(t) for t in index.terms(rows[4:])],
                         [3], (), np.random.default_rng(seed))
    expected = result.scores[example.candidates]
    got = _torch_model(weights, settings)(example).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3)  # float16 IC in examples


@pytest.mark.parametrize("seed", [0, 3])
def test_the_one_target_path_equals_the_vectorised_one(graph: ArrayGraph, seed: int) -> None:
    scorer = AttentionScorer(TOY_SPEC).with_weights(graph, _random_weights(graph, seed))
    rows = _rows(graph, ["5", "17", "23", "9"])
    present = [True, True, True, False]
    result = scorer.score(graph, rows, present)
    state = scorer.prepare(graph)
    for target in range(len(result.targets)):
        bias, column = scorer._target_score(state, rows, present, state.table.row(target))
        np.testing.assert_allclose(column, result.contributions[:, target], atol=1e-10)
        assert bias == pytest.approx(result.bias[target])
    np.testing.assert_allclose(result.scores, result.bias + result.contributions.sum(axis=0))


def test_attentions_are_distributions_and_deleting_an_annotation_is_exact(graph: ArrayGraph) -> None:
    scorer = AttentionScorer(TOY_SPEC).with_weights(graph, _random_weights(graph, 4))
    rows = _rows(graph, ["5", "17", "23"])
    result = scorer.score(graph, rows, [True] * 3)
    np.testing.assert_allclose(result.attention.sum(axis=0), 1.0)
    state = scorer.prepare(graph)
    for target in (0, 7, 19):
        annotations, alpha, none = scorer.attention_over_annotations(graph, rows[0], target)
        assert alpha.sum() + none == pytest.approx(1.0) and (alpha >= 0).all()
        # the path's claim: deleting the annotation changes the scores as re-scoring without it
        drop = int(annotations.terms[int(np.argmax(alpha))])
        keep = annotations.terms != drop
        without = TargetAnnotations(target, annotations.terms[keep],
                                    annotations.frequencies[keep], annotations.evidence[keep])
        rescored = scorer.score(graph, rows, [True] * 3, [without])
        for i in range(3):
            assert scorer.pair_contribution(graph, result, i, target,
                                            int(state.index.term_rows[drop])) == \
                pytest.approx(rescored.contributions[i, target])


def test_an_excluded_finding_only_counts_against_targets_that_have_it(graph: ArrayGraph) -> None:
    scorer = AttentionScorer(TOY_SPEC).with_weights(graph, _random_weights(graph, 5))
    index = annotation_index(graph, TOY_SPEC)
    excluded = graph.row("S:9")
    result = scorer.score(graph, [graph.row("S:5"), excluded], [True, False])
    against = result.contributions[1]
    has = np.zeros(index.n_targets, dtype=bool)
    has[index.column(int(index.term_of_row[excluded]))[0]] = True
    assert (against[has] < 0).all() and (against[~has] == 0).all()


def test_model_file_round_trip_and_graph_version_check(graph: ArrayGraph, tmp_path: Path) -> None:
    weights = dataclasses.replace(_random_weights(graph, 6), version="attention-test")
    path = tmp_path / "attention.npz"
    weights.save(path)
    loaded = AttentionWeights.from_path(path)
    for name, value in weights.arrays().items():
        np.testing.assert_array_equal(getattr(loaded, name), value)
    scorer = AttentionScorer(TOY_SPEC, AttentionSettings(path))
    rows = _rows(graph, ["5"])
    assert scorer.score(graph, rows, [True]).scores.shape == (40,)
    assert scorer.model_version == "attention-test"
    other = random_graph(12, findings=60, targets=40, per_target=6)
    with pytest.raises(ConfigError, match="trained on graph"):
        AttentionScorer(TOY_SPEC, AttentionSettings(path)).score(other, [other.row("S:5")], [True])
    with pytest.raises(ConfigError, match="kgdecide train"):
        AttentionScorer(TOY_SPEC).score(graph, rows, [True])


def test_training_on_simulated_patients_beats_the_starting_point(graph: ArrayGraph) -> None:
    index = annotation_index(graph, TOY_SPEC)
    parents = parents_of(graph, TOY_SPEC, index)
    settings = TrainSettings(hard=8, random=8, epochs=8, patience=8, batch=16, learning_rate=0.05)
    maker = ExampleMaker(AttentionScorer(TOY_SPEC).with_weights(graph, None), graph, settings)
    rng = np.random.default_rng(0)

    def examples(n: int, seed: int) -> list:
        return [maker.make(list(c.observed), list(c.excluded), [c.target], (), rng)
                for c in simulate(index, parents, n, seed)]

    held_out = simulate(index, parents, 200, 3)

    def mrr(weights: AttentionWeights) -> float:
        scorer = AttentionScorer(TOY_SPEC).with_weights(graph, weights)
        ranks = []
        for c in held_out:
            rows = [int(index.term_rows[t]) for t in (*c.observed, *c.excluded)]
            s = scorer.score(graph, rows, [True] * len(c.observed) + [False] * len(c.excluded)).scores
            ranks.append((s >= s[c.target]).sum())
        return float(np.mean(1.0 / np.asarray(ranks)))

    trained = train(examples(300, 1), mrr, graph.version, settings)
    assert mrr(trained) > mrr(AttentionWeights.initial(graph.version)) + 0.02
