"""The explanation helpers of kgdecide.score.matching against their obvious twins."""

from __future__ import annotations

import numpy as np
import pytest

from kgdecide.score.annotations import annotation_index
from kgdecide.score.matching import (
    closure_sources, match_source, match_sources, target_closure, target_closure_reference,
)
from kgdecide.score.toy import TOY_SPEC
from tests.unit.score.graphs import random_graph


@pytest.fixture(scope="module")
def index():
    return annotation_index(random_graph(5, findings=60, targets=40, per_target=7), TOY_SPEC)


def test_target_closure_equals_the_loop_for_every_target_and_dropped_annotation(index) -> None:
    for target in range(index.n_targets):
        row = index.direct_rows[target]
        for drop in [-1, *row.indices.tolist()]:
            assert target_closure(index, target, drop) == target_closure_reference(index, target, drop)
        # Nothing dropped: the same as the vectorised closure the scorers read.
        column = index.closure[target].tocsr()
        assert target_closure(index, target) == pytest.approx(dict(zip(column.indices.tolist(),
                                                                      column.data.tolist())))


@pytest.mark.parametrize("weighted", [False, True])
def test_match_sources_equal_one_target_at_a_time(index, weighted: bool) -> None:
    scale = 1.0 / index.background if weighted else index.ic
    targets = np.arange(index.n_targets)
    for term in range(0, len(index.term_rows), 3):
        ancestors, annotations = match_sources(index, term, targets, scale, weighted)
        expected = [match_source(index, term, int(t), scale, weighted) for t in targets]
        assert list(zip(ancestors.tolist(), annotations.tolist())) == expected


def test_closure_sources_name_the_annotation_behind_each_closure_entry(index) -> None:
    targets = np.arange(index.n_targets)
    for term in range(len(index.term_rows)):
        sources = closure_sources(index, term, targets)
        rows, freq, _ = index.column(term)
        assert set(np.flatnonzero(sources >= 0).tolist()) == set(rows.tolist())
        for target, source in zip(rows.tolist(), sources[rows].tolist()):
            # The source is one of the target's annotations at or below the term, with the
            # frequency the closure holds there.
            assert term in index.ancestors_of(source).tolist()
            assert index.direct_rows[target, source] == pytest.approx(
                freq[rows.tolist().index(target)])
