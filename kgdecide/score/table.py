"""Each target's annotations as one table: terms, frequencies, and which come from evidence.

The annotation index (:mod:`kgdecide.score.annotations`) merges the domain's finding relation
and its evidence relations into one frequency matrix; scorers that weigh the two kinds apart (the
attention scorer) read this table, which keeps the kind beside each annotation. Its rows are
exactly the index's direct rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.annotations import AnnotationIndex
from kgdecide.score.base import DomainSpec, TargetAnnotations


@dataclass(eq=False)
class AnnotationTable:
    """CSR by target over the index's numbering (see the module docstring)."""

    indptr: np.ndarray  #: int64[K + 1]: target k's annotations are positions indptr[k]:indptr[k+1]
    terms: np.ndarray  #: int64[nnz] term indices, increasing within a target
    frequencies: np.ndarray  #: float64[nnz]
    evidence: np.ndarray  #: bool[nnz]: from an evidence relation, not the finding relation
    targets: np.ndarray  #: int64[nnz] the target of each position
    n_terms: int  #: finding terms in the index (columns)

    @classmethod
    def build(cls, graph: ArrayGraph, spec: DomainSpec, index: AnnotationIndex) -> AnnotationTable:
        direct = index.direct_rows
        rel = graph.relation(spec.finding_relation)
        target_of_row = np.full(len(graph), -1, dtype=np.int64)
        target_of_row[index.target_rows] = np.arange(index.n_targets)
        target, term = target_of_row[rel.subjects], index.term_of_row[rel.objects]
        keep = (target >= 0) & (term >= 0)
        own = sp.csr_matrix((np.ones(int(keep.sum())), (target[keep], term[keep])),
                            shape=direct.shape)
        own.sum_duplicates()
        targets = np.repeat(np.arange(direct.shape[0], dtype=np.int64), np.diff(direct.indptr))
        terms = direct.indices.astype(np.int64)
        # A direct entry with no finding-relation edge behind it came from an evidence relation.
        evidence = np.asarray(own[targets, terms]).ravel() == 0
        return cls(direct.indptr.astype(np.int64), terms, direct.data.astype(np.float64),
                   evidence, targets, direct.shape[1])

    @property
    def n_targets(self) -> int:
        return len(self.indptr) - 1

    def row(self, target: int) -> TargetAnnotations:
        a, b = self.indptr[target], self.indptr[target + 1]
        return TargetAnnotations(target, self.terms[a:b], self.frequencies[a:b], self.evidence[a:b])
