"""Per-graph arrays every phenotype-style scorer shares, built once per graph version.

Findings form a hierarchy (``hierarchy_relation``: child -> parent). Each target is annotated with
findings, each annotation with a frequency (0..1, absent -> ``default_frequency``). From these:

* ``ancestors``: the reflexive transitive closure of the hierarchy, one CSR row per finding;
* ``closure``: for each (target, finding ``a``) the highest frequency of the target's annotations
  at or below ``a`` (a target annotated with *focal seizure* also has *seizure*), stored by column
  (CSC) so one query finding reads only the columns of its ancestors;
* ``best``: which annotation gave that frequency (for explanations);
* ``background``: the mean of the closure column over all targets, the chance a random target
  shows the finding; ``ic``: Resnik's information content, ``-log`` of the share of targets
  annotated at or below the finding.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from kgdecide.errors import InvalidQuery
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.base import DomainSpec

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class AnnotationIndex:
    """Closure arrays over one graph (see the module docstring). Terms are indexed ``0..T-1``."""

    term_rows: np.ndarray  #: int64[T] graph row of each finding term
    term_of_row: np.ndarray  #: int64[n] term index of each graph row, -1 for non-findings
    target_rows: np.ndarray  #: int64[K] graph row of each target
    ancestors: sp.csr_matrix  #: bool[T, T] reflexive ancestors of each term
    closure: sp.csc_matrix  #: float64[K, T] propagated annotation frequency (0 = absent)
    best: np.ndarray  #: int64 aligned with ``closure.data``: term index of the annotation used
    direct: sp.csc_matrix  #: float64[K, T] direct annotations with their frequency
    lacks: sp.csc_matrix  #: bool[K, T] findings a target is known to lack (may be empty)
    background: np.ndarray  #: float64[T] mean closure frequency over targets, floored
    ic: np.ndarray  #: float64[T] information content from annotation counts
    default_frequency: float
    dense_pos: np.ndarray  #: int64[T] row in ``dense_freq`` of a term with a big column, else -1
    dense_freq: np.ndarray  #: float64[D, K] closure of the big-column terms, dense (fast path)

    @property
    def n_targets(self) -> int:
        return len(self.target_rows)

    def terms(self, rows: list[int]) -> np.ndarray:
        """Term indices of graph rows; raises InvalidQuery for a row that is not a finding."""
        terms = self.term_of_row[np.asarray(rows, dtype=np.int64)]
        if (terms < 0).any():
            raise InvalidQuery("findings", "a finding is not a node of the finding type")
        return terms

    @property
    def direct_rows(self) -> sp.csr_matrix:
        """Direct annotations by target (CSR), for per-target explanations."""
        cached = self.__dict__.get("_direct_rows")
        if cached is None:
            cached = self.__dict__["_direct_rows"] = self.direct.tocsr()
            cached.sort_indices()
        return cached

    def ancestors_of(self, term: int) -> np.ndarray:
        a, b = self.ancestors.indptr[term], self.ancestors.indptr[term + 1]
        return self.ancestors.indices[a:b]

    def column(self, term: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(target indices, closure frequencies, best annotation terms) of one term's column."""
        a, b = self.closure.indptr[term], self.closure.indptr[term + 1]
        return self.closure.indices[a:b], self.closure.data[a:b], self.best[a:b]

    @classmethod
    def build(cls, graph: ArrayGraph, spec: DomainSpec, default_frequency: float = 0.5) -> AnnotationIndex:
        term_rows = graph.rows_of_type(spec.finding_type)
        target_rows = graph.rows_of_type(spec.target_type)
        if len(term_rows) == 0 or len(target_rows) == 0:
            raise InvalidQuery(
                "graph", f"no {spec.finding_type} or no {spec.target_type} nodes: "
                "is this the right store for this domain?"
            )
        term_of_row = np.full(len(graph), -1, dtype=np.int64)
        term_of_row[term_rows] = np.arange(len(term_rows))
        target_of_row = np.full(len(graph), -1, dtype=np.int64)
        target_of_row[target_rows] = np.arange(len(target_rows))
        ancestors = _closure(graph, spec, term_of_row, len(term_rows))
        direct = _direct(graph, spec, term_of_row, target_of_row, len(target_rows), len(term_rows),
                         default_frequency)
        closure, best = _propagate(direct, ancestors)
        lacks = _lacks(graph, spec, term_of_row, target_of_row, len(target_rows), len(term_rows))
        k = len(target_rows)
        counts = np.diff(closure.indptr).astype(np.float64)
        ic = np.log(k / np.maximum(counts, 1.0))
        sums = np.asarray(closure.sum(axis=0)).ravel()
        background = np.maximum(sums / k, 1.0 / k)
        logger.info("annotation index: %d terms, %d targets, %d closure entries",
                    len(term_rows), k, closure.nnz)
        dense_pos, dense_freq = _dense_part(closure, k // 8)
        return cls(term_rows, term_of_row, target_rows, ancestors, closure, best, direct.tocsc(),
                   lacks, background, ic, default_frequency, dense_pos, dense_freq)


def _closure(graph: ArrayGraph, spec: DomainSpec, term_of_row: np.ndarray, t: int) -> sp.csr_matrix:
    """Reflexive transitive closure of child -> parent among finding terms."""
    rel = graph.relation(spec.hierarchy_relation)
    child, parent = term_of_row[rel.subjects], term_of_row[rel.objects]
    keep = (child >= 0) & (parent >= 0)
    step = sp.csr_matrix((np.ones(keep.sum(), dtype=np.float32), (child[keep], parent[keep])),
                         shape=(t, t))
    reach = sp.identity(t, dtype=np.float32, format="csr")
    frontier = reach
    for _ in range(t):  # a DAG: at most depth-many rounds; cycles stop once nothing is new
        frontier = (frontier @ step).tocsr()
        frontier.data[:] = 1
        new = (frontier - frontier.multiply(reach)).tocsr()
        new.eliminate_zeros()
        if new.nnz == 0:
            break
        reach = (reach + new).tocsr()
        frontier = new
    reach.data[:] = 1
    reach = reach.astype(bool).tocsr()
    # Store each term's ancestors most specific first (most ancestors of their own first): scorers
    # that keep the first best match then prefer the finding itself over an equally good parent.
    depth = np.diff(reach.indptr)
    rows = np.repeat(np.arange(t), depth)
    order = np.lexsort((reach.indices, -depth[reach.indices], rows))
    reach.indices = reach.indices[order]
    reach.has_sorted_indices = False
    return reach


def _direct(graph: ArrayGraph, spec: DomainSpec, term_of_row: np.ndarray, target_of_row: np.ndarray,
            k: int, t: int, default_frequency: float) -> sp.csr_matrix:
    """Direct annotations with their frequency: ``finding_relation`` first; each evidence
    relation adds only the (target, term) pairs the ones before it do not have."""
    direct = _relation_matrix(graph, spec.finding_relation, spec.frequency_key, term_of_row,
                              target_of_row, k, t, default_frequency)
    for relation in spec.evidence_relations:
        if relation not in graph.relations:
            continue
        extra = _relation_matrix(graph, relation, spec.frequency_key, term_of_row, target_of_row,
                                 k, t, default_frequency).tocoo()
        known = direct[extra.row, extra.col].A1 > 0
        keep = ~known
        direct = (direct + sp.csr_matrix((extra.data[keep], (extra.row[keep], extra.col[keep])),
                                         shape=(k, t))).tocsr()
    return direct


def _relation_matrix(graph: ArrayGraph, relation: str, frequency_key: str, term_of_row: np.ndarray,
                     target_of_row: np.ndarray, k: int, t: int, default_frequency: float
                     ) -> sp.csr_matrix:
    rel = graph.relation(relation)
    target, term = target_of_row[rel.subjects], term_of_row[rel.objects]
    column = rel.columns.get(frequency_key)
    freq = (np.full(len(rel), np.nan) if column is None or column.kind != "float"
            else column.values.astype(np.float64))
    freq = np.where(np.isnan(freq), default_frequency, np.clip(freq, 0.0, 1.0))
    # A frequency of 0 ("excluded" in HPO) is not a positive annotation.
    keep = (target >= 0) & (term >= 0) & (freq > 0)
    direct = sp.csr_matrix((freq[keep], (target[keep], term[keep])), shape=(k, t))
    direct.sum_duplicates()
    direct.data = np.minimum(direct.data, 1.0)
    return direct


def _propagate(direct: sp.csr_matrix, ancestors: sp.csr_matrix) -> tuple[sp.csc_matrix, np.ndarray]:
    """Max frequency of each target's annotations at or below each term, and which one.

    Built column by column, a block of terms at a time (about :data:`_PROPAGATE_BLOCK`
    (annotation, ancestor) pairs each): a term's column gathers the annotations of the terms at
    or below it, keeps the best per target, and is appended in its final place. Scratch memory
    is bounded by the block whatever the graph's size, and the result is written once.
    """
    k, t = direct.shape
    by_term = direct.tocsc()  # the targets annotated with each term
    by_term.sort_indices()
    below = ancestors.T.tocsr()  # the terms at or below each term
    annotated = np.diff(by_term.indptr).astype(np.int64)
    pairs = np.bincount(np.repeat(np.arange(t), np.diff(below.indptr)),
                        weights=annotated[below.indices], minlength=t).astype(np.int64)
    cuts = np.searchsorted(np.cumsum(pairs),
                           np.arange(_PROPAGATE_BLOCK, int(pairs.sum()), _PROPAGATE_BLOCK))
    edges = np.unique(np.r_[0, np.minimum(cuts + 1, t), t])
    targets: list[np.ndarray] = []
    freqs: list[np.ndarray] = []
    sources: list[np.ndarray] = []
    counts = np.zeros(t, dtype=np.int64)
    for start, stop in zip(edges[:-1].tolist(), edges[1:].tolist()):
        a, b = below.indptr[start], below.indptr[stop]
        term = np.repeat(np.arange(start, stop, dtype=np.int64), np.diff(below.indptr[start:stop + 1]))
        source = below.indices[a:b].astype(np.int64)
        lengths = annotated[source]
        within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        position = np.repeat(by_term.indptr[source], lengths) + within
        target, freq = by_term.indices[position], by_term.data[position]
        term, source = np.repeat(term, lengths), np.repeat(source, lengths)
        # Sort by (term, target, frequency descending, source term) and keep the first per key:
        # the highest frequency wins, ties go to the smallest term index (stable explanations).
        key = (term - start) * k + target
        order = np.lexsort((source, -freq, key))
        key = key[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        kept = order[first]
        targets.append(target[kept].astype(np.int32))
        freqs.append(freq[kept])
        sources.append(source[kept].astype(np.int32))
        counts[start:stop] = np.bincount(term[kept] - start, minlength=stop - start)
    indptr = np.zeros(t + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.concatenate(targets) if targets else np.zeros(0, dtype=np.int32)
    del targets
    data = np.concatenate(freqs) if freqs else np.zeros(0)
    del freqs
    best = np.concatenate(sources).astype(np.int64) if sources else np.zeros(0, dtype=np.int64)
    del sources
    closure = sp.csc_matrix((data, indices, indptr), shape=(k, t))
    return closure, best


#: (annotation, ancestor) pairs expanded at once while propagating (a few hundred MB of scratch).
_PROPAGATE_BLOCK = 4_000_000


def _dense_part(closure: sp.csc_matrix, min_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Terms near the root are ancestors of almost every query and cover most targets: reading
    them as dense rows is much faster than scattering their long sparse columns per query.
    A column is dense when it holds at least ``min_size`` targets, so the block holds at most
    ``K / min_size`` times as many cells as the closure has entries: linear in the closure."""
    sizes = np.diff(closure.indptr)
    big = np.flatnonzero(sizes >= max(min_size, 1))
    pos = np.full(closure.shape[1], -1, dtype=np.int64)
    pos[big] = np.arange(len(big))
    freq = np.zeros((len(big), closure.shape[0]))
    for i, term in enumerate(big.tolist()):
        a, b = closure.indptr[term], closure.indptr[term + 1]
        freq[i, closure.indices[a:b]] = closure.data[a:b]
    return pos, freq


def _lacks(graph: ArrayGraph, spec: DomainSpec, term_of_row: np.ndarray, target_of_row: np.ndarray,
           k: int, t: int) -> sp.csc_matrix:
    if spec.excluded_relation is None or spec.excluded_relation not in graph.relations:
        return sp.csc_matrix((k, t), dtype=bool)
    rel = graph.relations[spec.excluded_relation]
    target, term = target_of_row[rel.subjects], term_of_row[rel.objects]
    keep = (target >= 0) & (term >= 0)
    m = sp.csc_matrix((np.ones(keep.sum(), dtype=bool), (target[keep], term[keep])), shape=(k, t))
    m.sum_duplicates()
    return m


def annotation_index(graph: ArrayGraph, spec: DomainSpec, default_frequency: float = 0.5) -> AnnotationIndex:
    """The index for this graph, built on first use and shared by all scorers.

    Kept on the graph object itself, not by graph version: two projections of one graph version
    (say from Neo4j and from RDF) may number their rows differently, and the index is by row.
    """
    cache: dict[tuple[DomainSpec, float], AnnotationIndex] = \
        graph.__dict__.setdefault("_annotation_indexes", {})
    key = (spec, default_frequency)
    index = cache.get(key)
    if index is None:
        index = cache[key] = AnnotationIndex.build(graph, spec, default_frequency)
    return index
