"""Scoring targets with replaced annotations (``Scorer.score(..., overrides=...)``): the one-target
path must agree with the vectorised one on the graph's own annotations, and deleting an
annotation through an override must move a target exactly as the graph without it would."""

from __future__ import annotations

import numpy as np
import pytest

from kgdecide.errors import ConfigError
from kgdecide.score import SCORERS, create_scorer
from kgdecide.score.annotations import annotation_index
from kgdecide.score.base import TargetAnnotations
from kgdecide.score.lr import LRScorer, LRSettings

from tests.unit.score.graphs import SPEC, random_graph

OVERRIDABLE = [n for n in sorted(SCORERS) if SCORERS[n].supports_overrides and not SCORERS[n].needs_training]


def own_annotations(graph, target: int) -> TargetAnnotations:
    index = annotation_index(graph, SPEC)
    direct = index.direct_rows
    a, b = direct.indptr[target], direct.indptr[target + 1]
    return TargetAnnotations(target, direct.indices[a:b].astype(np.int64), direct.data[a:b].copy(),
                             np.zeros(b - a, dtype=bool))


def scorers(name: str):
    if name == "lr":  # also exercise excluded findings
        return [create_scorer(name, SPEC), LRScorer(SPEC, LRSettings(excluded_weight=1.0))]
    return [create_scorer(name, SPEC)]


@pytest.mark.parametrize("name", OVERRIDABLE)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_own_annotations_change_nothing(name: str, seed: int) -> None:
    graph = random_graph(seed)
    rows = [graph.row(f"S:{i}") for i in (3, 7, 11, 19, 30)]
    present = [True, True, True, False, True]
    for scorer in scorers(name):
        plain = scorer.score(graph, rows, present)
        targets = range(len(plain.targets))
        same = scorer.score(graph, rows, present, [own_annotations(graph, t) for t in targets])
        np.testing.assert_allclose(same.contributions, plain.contributions, atol=1e-12)
        np.testing.assert_allclose(same.scores, plain.scores, atol=1e-12)
        np.testing.assert_allclose(same.probabilities, plain.probabilities, atol=1e-12)


@pytest.mark.parametrize("name", OVERRIDABLE)
@pytest.mark.parametrize("seed", [3, 4])
def test_an_override_without_an_annotation_moves_a_target_as_deleting_it_would(name: str,
                                                                              seed: int) -> None:
    # pair_contribution(..., drop) is the explanations' deletion oracle (tests/unit/explain).
    graph = random_graph(seed)
    index = annotation_index(graph, SPEC)
    rows = [graph.row(f"S:{i}") for i in (2, 9, 17, 25, 33)]
    for scorer in scorers(name):
        plain = scorer.score(graph, rows, [True] * len(rows))
        moved = 0
        for target in range(len(plain.targets)):
            own = own_annotations(graph, target)
            for k in range(len(own.terms)):
                keep = np.arange(len(own.terms)) != k
                override = TargetAnnotations(target, own.terms[keep], own.frequencies[keep],
                                             own.evidence[keep])
                masked = scorer.score(graph, rows, [True] * len(rows), [override])
                drop = int(index.term_rows[own.terms[k]])
                expected = [scorer.pair_contribution(graph, plain, i, target, drop)
                            for i in range(len(rows))]
                np.testing.assert_allclose(masked.contributions[:, target], expected, atol=1e-12)
                others = np.arange(len(plain.targets)) != target
                np.testing.assert_array_equal(masked.scores[others], plain.scores[others])
                moved += not np.isclose(masked.scores[target], plain.scores[target])
        assert moved > 0  # some deletion mattered, so the comparison had something to see


def test_scorers_without_override_support_refuse_them() -> None:
    graph = random_graph(0)
    scorer = create_scorer("ppr", SPEC)
    with pytest.raises(ConfigError):
        scorer.score(graph, [graph.row("S:3")], [True], [own_annotations(graph, 0)])
