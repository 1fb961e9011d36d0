"""The annotation index propagated a block of targets at a time equals the obvious propagation,
whatever the block size; the dense block stays within its bound."""

from __future__ import annotations

import numpy as np
import pytest

import kgdecide.score.annotations as index_module
from kgdecide.score.annotations import AnnotationIndex
from kgdecide.score.matching import target_closure_reference
from kgdecide.score.toy import TOY_SPEC
from tests.unit.score.graphs import random_graph


@pytest.mark.parametrize("block", [1, 7, 1000, 10**9])
def test_blocked_propagation_equals_each_targets_own_closure(monkeypatch: pytest.MonkeyPatch,
                                                             block: int) -> None:
    graph = random_graph(5, findings=60, targets=90, per_target=7)
    monkeypatch.setattr(index_module, "_PROPAGATE_BLOCK", block)
    index = AnnotationIndex.build(graph, TOY_SPEC)
    closure = index.closure.tocsr()
    for target in range(index.n_targets):
        a, b = closure.indptr[target], closure.indptr[target + 1]
        got = dict(zip(closure.indices[a:b].tolist(), closure.data[a:b].tolist()))
        assert got == target_closure_reference(index, target)
    # Columns keep their targets in increasing order, and each entry names the annotation that
    # gave it: the target's highest-frequency annotation under the term, the lowest term on ties.
    direct = index.direct_rows
    for term in range(index.closure.shape[1]):
        rows, freq, best = index.column(term)
        assert (np.diff(rows) > 0).all()
        for target, f, source in zip(rows.tolist(), freq.tolist(), best.tolist()):
            own = direct.indices[direct.indptr[target]:direct.indptr[target + 1]]
            values = direct.data[direct.indptr[target]:direct.indptr[target + 1]]
            under = [(-v, t) for t, v in zip(own.tolist(), values.tolist())
                     if term in index.ancestors_of(t).tolist()]
            assert min(under) == (-f, source)


def test_dense_block_holds_at_most_k_over_min_size_cells_per_closure_entry() -> None:
    graph = random_graph(9, findings=80, targets=200, per_target=6)
    index = AnnotationIndex.build(graph, TOY_SPEC)
    k = index.n_targets
    assert index.dense_freq.size <= (k / max(k // 8, 1)) * index.closure.nnz
    for term in np.flatnonzero(index.dense_pos >= 0).tolist():
        rows, freq, _ = index.column(term)
        dense = np.zeros(k)
        dense[rows] = freq
        assert np.array_equal(index.dense_freq[index.dense_pos[term]], dense)
