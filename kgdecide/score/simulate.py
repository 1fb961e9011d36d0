"""Simulated cases generated from the graph itself, for training and as an evaluation set.

A simulated case picks a target uniformly at random (no prior over targets: how often a target
appears in published collections says nothing about a patient), then imitates how findings get
reported: each annotation is observed with its frequency, some are recorded as a vaguer parent,
unrelated findings are added, and some features the target usually has are recorded as absent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.annotations import AnnotationIndex
from kgdecide.score.base import DomainSpec


@dataclass(frozen=True, slots=True)
class SimulationSettings:
    max_observed: int = 12  #: at most this many annotated findings per case
    vaguer: float = 0.3  #: chance an observed finding is recorded as its parent
    noise: tuple[int, int] = (0, 2)  #: unrelated findings added (inclusive range)
    excluded: tuple[int, int] = (0, 3)  #: annotated-but-absent findings recorded (inclusive range)
    min_annotations: int = 3  #: targets with fewer annotations are not simulated


@dataclass(frozen=True, slots=True)
class SimulatedCase:
    target: int  #: index into ``index.target_rows``
    observed: tuple[int, ...]  #: term indices
    excluded: tuple[int, ...]  #: term indices


def parents_of(graph: ArrayGraph, spec: DomainSpec, index: AnnotationIndex) -> list[np.ndarray]:
    """Direct parents of each finding term (term indices)."""
    rel = graph.relation(spec.hierarchy_relation)
    child, parent = index.term_of_row[rel.subjects], index.term_of_row[rel.objects]
    keep = (child >= 0) & (parent >= 0)
    order = np.argsort(child[keep], kind="stable")
    c, p = child[keep][order], parent[keep][order]
    bounds = np.searchsorted(c, np.arange(len(index.term_rows) + 1))
    return [p[bounds[t]:bounds[t + 1]] for t in range(len(index.term_rows))]


def simulate(index: AnnotationIndex, parents: list[np.ndarray], n: int, seed: int,
             settings: SimulationSettings = SimulationSettings(),
             targets: np.ndarray | None = None) -> list[SimulatedCase]:
    """``n`` simulated cases, reproducible from ``seed``.

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.score.annotations import annotation_index
    >>> g = toy_graph(); ix = annotation_index(g, TOY_SPEC)
    >>> cases = simulate(ix, parents_of(g, TOY_SPEC, ix), 5, seed=1)
    >>> len(cases), all(len(c.observed) >= 1 for c in cases)
    (5, True)
    """
    rng = np.random.default_rng(seed)
    direct = index.direct.tocsr()
    sizes = np.diff(direct.indptr)
    pool = np.flatnonzero(sizes >= settings.min_annotations)
    if targets is not None:
        pool = np.intersect1d(pool, targets)
    if len(pool) == 0:
        pool = np.flatnonzero(sizes > 0)
    annotated_terms = np.unique(direct.indices)
    out = []
    for target in rng.choice(pool, size=n).tolist():
        terms = direct.indices[direct.indptr[target]:direct.indptr[target + 1]]
        freq = direct.data[direct.indptr[target]:direct.indptr[target + 1]]
        shown = rng.random(len(terms)) < freq
        if not shown.any():
            shown[rng.integers(len(terms))] = True
        observed = rng.permutation(terms[shown])[: settings.max_observed].tolist()
        for i, term in enumerate(observed):
            if rng.random() < settings.vaguer and len(parents[term]):
                observed[i] = int(rng.choice(parents[term]))
        observed += rng.choice(annotated_terms, size=rng.integers(settings.noise[0],
                                                                  settings.noise[1] + 1)).tolist()
        hidden = terms[~shown]
        k = min(len(hidden), int(rng.integers(settings.excluded[0], settings.excluded[1] + 1)))
        excluded = rng.choice(hidden, size=k, replace=False).tolist() if k else []
        observed = list(dict.fromkeys(int(t) for t in observed))
        excluded = [int(t) for t in dict.fromkeys(excluded) if t not in observed]
        out.append(SimulatedCase(int(target), tuple(observed), tuple(excluded)))
    return out
