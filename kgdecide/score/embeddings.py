"""Term embeddings learned on the graph: which findings go together in the targets' annotations.

Two terms that are far apart in the hierarchy (say *seizure* and *EEG abnormality*) are often
annotated to the same targets. The embedding of a term is its row in a rank-``dim`` eigendecomposition
of the (symmetric) positive pointwise mutual information between terms over the chosen targets'
annotations (each annotation counting for its term's ancestors too), the factorisation skip-gram
word embeddings implicitly compute (Levy & Goldberg 2014). Rows are L2-normalised, so a dot product is a
cosine; a term no chosen target is annotated at or below has a zero row (cosine 0 with anything).

Which targets: a pack may restrict them (the clinical pack uses Orphanet's disease profiles, whose
annotations cite Orphanet's own curation rather than the publications evaluation hides, so the
embedding carries no case's publication back into its own scoring).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.annotations import AnnotationIndex
from kgdecide.score.table import AnnotationTable


def term_embeddings(graph: ArrayGraph, index: AnnotationIndex, table: AnnotationTable,
                    prefixes: Sequence[str] = (), dim: int = 32) -> np.ndarray:
    """float32 [T, dim] L2-normalised term embeddings (zero rows for unseen terms); targets whose
    id starts with one of ``prefixes`` (all when empty), their finding-relation annotations only.

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.score.annotations import annotation_index
    >>> g = toy_graph(); ix = annotation_index(g, TOY_SPEC)
    >>> e = term_embeddings(g, ix, AnnotationTable.build(g, TOY_SPEC, ix), dim=2)
    >>> e.shape, bool(np.allclose(np.linalg.norm(e[np.abs(e).sum(1) > 0], axis=1), 1.0))
    ((11, 2), True)
    """
    ids = graph.id_list
    chosen = np.array([not prefixes or ids[int(r)].startswith(tuple(prefixes))
                       for r in index.target_rows.tolist()], dtype=bool)
    keep = chosen[table.targets] & ~table.evidence
    annotated = sp.csr_matrix((np.ones(int(keep.sum())), (table.targets[keep], table.terms[keep])),
                              shape=(table.n_targets, table.n_terms))
    annotated = (annotated[np.flatnonzero(chosen)] @ index.ancestors.astype(np.float64)).tocsr()
    annotated.data[:] = 1.0
    n = annotated.shape[0]
    together = (annotated.T @ annotated).tocoo()
    counts = np.asarray(annotated.sum(axis=0)).ravel()
    pmi = np.log(together.data * n / (counts[together.row] * counts[together.col]))
    positive = pmi > 0
    ppmi = sp.csr_matrix((pmi[positive], (together.row[positive], together.col[positive])),
                         shape=together.shape)
    values, vectors = _top_eigen(ppmi, dim)
    if len(values) == 0:
        return np.zeros((table.n_terms, dim), dtype=np.float32)
    k = len(values)
    vectors = vectors * np.sqrt(values)
    norm = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = np.where(norm > 1e-12, vectors / np.maximum(norm, 1e-12), 0.0)
    out = np.zeros((table.n_terms, dim), dtype=np.float32)
    out[:, :k] = vectors
    return out


def _top_eigen(matrix: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest positive eigenvalues of a symmetric matrix and their vectors, the same
    on every run: dense for small matrices (ARPACK is not reproducible when ``k`` nears the
    size), ARPACK from a fixed start vector otherwise; each vector's sign fixed so that its
    largest entry is positive."""
    n = matrix.shape[0]
    if matrix.nnz == 0 or n < 2:
        return np.zeros(0), np.zeros((n, 0))
    if n <= 2000:
        values, vectors = np.linalg.eigh(matrix.toarray())
    else:
        values, vectors = eigsh(matrix, k=min(k, n - 1), which="LA", v0=np.ones(n))
    order = np.argsort(-values, kind="stable")[:k]
    values, vectors = values[order], vectors[:, order]
    positive = values > 1e-12
    values, vectors = values[positive], vectors[:, positive]
    flip = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])])
    return values, vectors * np.where(flip == 0, 1.0, flip)
