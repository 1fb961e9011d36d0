"""Simulated patients generated from the graph, with noise fitted on real cases.

A simulated case picks a target uniformly at random (no prior over targets: how often a target
appears in published collections says nothing about a patient) and reports findings the way real
cases report them relative to their diagnosis's annotations. :class:`Noise` is fitted on labelled
cases: how many findings a case lists, and for each one whether it is one of the diagnosis's
annotations exactly, a vaguer (ancestor) or more specific (descendant) form of one and by how much
information content, a related term (a cousin under an informative common ancestor) or unrelated;
how many excluded findings are listed and how often the diagnosis has them. Nothing here is
guessed: every rate and distribution comes from :meth:`Noise.fit`, and :data:`Noise.default`
(used only where no cases are given, e.g. on the toy graph) says what it assumes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.annotations import AnnotationIndex
from kgdecide.score.base import DomainSpec, TargetAnnotations

#: How an observed finding relates to the diagnosis's annotations (order of ``Noise.kinds``).
KINDS = ("exact", "vaguer", "more_specific", "related", "unrelated")
#: A cousin is "related" when the common ancestor is at least this informative (nats).
RELATED_IC = 2.0


@dataclass(frozen=True, slots=True)
class SimulatedCase:
    target: int  #: index into ``index.target_rows``
    observed: tuple[int, ...]  #: term indices
    excluded: tuple[int, ...]  #: term indices


@dataclass(frozen=True, slots=True)
class Noise:
    """How real cases report their findings (see the module docstring)."""

    observed_counts: tuple[int, ...]  #: findings per case, one entry per fitted case
    kinds: tuple[float, ...]  #: share of each of :data:`KINDS`
    vaguer_gaps: tuple[float, ...]  #: IC lost by a vaguer finding (nats), one per occurrence
    specific_gaps: tuple[float, ...]  #: IC gained by a more specific one
    excluded_counts: tuple[int, ...]  #: excluded findings per case
    excluded_annotated: float  #: share of excluded findings the diagnosis is annotated with

    @classmethod
    def default(cls) -> Noise:
        """Assumed rates for graphs without labelled cases: 8 findings, 60 % exact, 20 % vaguer
        by 1 nat, 10 % unrelated, 3 excluded half of them annotated."""
        return cls((8,), (0.6, 0.2, 0.05, 0.05, 0.1), (1.0,), (1.0,), (3,), 0.5)

    @classmethod
    def fit(cls, index: AnnotationIndex, cases: Sequence[tuple[Sequence[int], Sequence[int],
                                                                   TargetAnnotations]]) -> Noise:
        """From cases given as (observed terms, excluded terms, the diagnosis's annotations)."""
        counts, excluded_counts = [], []
        kinds = np.zeros(len(KINDS))
        vaguer, specific = [], []
        annotated = checked = 0
        for observed, excluded, truth in cases:
            if not observed or not len(truth.terms):
                continue
            counts.append(len(observed))
            excluded_counts.append(len(excluded))
            own = set(truth.terms.tolist())
            above = _ancestor_sets(index, truth.terms)
            for q in observed:
                kind, gap = _relation(index, int(q), own, above, truth.terms)
                kinds[KINDS.index(kind)] += 1
                (vaguer if kind == "vaguer" else specific if kind == "more_specific" else []).append(gap)
            closure = set().union(*above) if above else set()
            for x in excluded:
                checked += 1
                annotated += int(x) in closure
        if not counts:
            return cls.default()
        return cls(tuple(counts), tuple((kinds / kinds.sum()).tolist()), tuple(vaguer) or (1.0,),
                   tuple(specific) or (1.0,), tuple(excluded_counts),
                   annotated / checked if checked else 0.0)


def _ancestor_sets(index: AnnotationIndex, terms: np.ndarray) -> list[set[int]]:
    return [set(index.ancestors_of(int(t)).tolist()) for t in terms]


def _relation(index: AnnotationIndex, q: int, own: set[int], above: list[set[int]],
              terms: np.ndarray) -> tuple[str, float]:
    """The kind of ``q`` against a diagnosis's annotations, and the IC gap where it has one."""
    ic = index.ic
    if q in own:
        return "exact", 0.0
    below = [int(t) for t, anc in zip(terms.tolist(), above) if q in anc]
    if below:
        return "vaguer", float(min(ic[t] for t in below) - ic[q])
    mine = set(index.ancestors_of(q).tolist())
    over = [int(t) for t in terms.tolist() if t in mine]
    if over:
        return "more_specific", float(ic[q] - max(ic[t] for t in over))
    common = max((ic[a] for anc in above for a in anc & mine), default=0.0)
    return ("related" if common >= RELATED_IC else "unrelated"), 0.0


def parents_of(graph: ArrayGraph, spec: DomainSpec, index: AnnotationIndex) -> list[np.ndarray]:
    """Direct parents of each finding term (term indices)."""
    rel = graph.relation(spec.hierarchy_relation)
    child, parent = index.term_of_row[rel.subjects], index.term_of_row[rel.objects]
    keep = (child >= 0) & (parent >= 0)
    order = np.argsort(child[keep], kind="stable")
    c, p = child[keep][order], parent[keep][order]
    bounds = np.searchsorted(c, np.arange(len(index.term_rows) + 1))
    return [p[bounds[t]:bounds[t + 1]] for t in range(len(index.term_rows))]


def _children_of(parents: list[np.ndarray]) -> list[list[int]]:
    children: list[list[int]] = [[] for _ in parents]
    for child, ps in enumerate(parents):
        for p in ps.tolist():
            children[p].append(child)
    return children


def simulate(index: AnnotationIndex, parents: list[np.ndarray], n: int, seed: int,
             noise: Noise | None = None, targets: np.ndarray | None = None,
             min_annotations: int = 3) -> list[SimulatedCase]:
    """``n`` simulated cases, reproducible from ``seed`` (targets with fewer than
    ``min_annotations`` annotations are not simulated; ``targets`` restricts the choice).

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.score.annotations import annotation_index
    >>> g = toy_graph(); ix = annotation_index(g, TOY_SPEC)
    >>> cases = simulate(ix, parents_of(g, TOY_SPEC, ix), 5, seed=1)
    >>> len(cases), all(len(c.observed) >= 1 for c in cases)
    (5, True)
    """
    noise = noise or Noise.default()
    rng = np.random.default_rng(seed)
    direct = index.direct_rows
    sizes = np.diff(direct.indptr)
    pool = np.flatnonzero(sizes >= min_annotations)
    if targets is not None:
        pool = np.intersect1d(pool, targets)
    if len(pool) == 0:
        pool = np.flatnonzero(sizes > 0)
    annotated, popularity = np.unique(direct.indices, return_counts=True)
    popular = popularity / popularity.sum()
    children = _children_of(parents)
    kinds = np.asarray(noise.kinds)
    out = []
    for target in rng.choice(pool, size=n).tolist():
        terms = direct.indices[direct.indptr[target]:direct.indptr[target + 1]]
        freq = direct.data[direct.indptr[target]:direct.indptr[target + 1]]
        weights = freq / freq.sum()
        closure = set(np.concatenate([index.ancestors_of(int(t)) for t in terms]).tolist())
        count = max(1, int(rng.choice(noise.observed_counts)))
        observed: list[int] = []
        for kind in rng.choice(len(KINDS), size=count, p=kinds).tolist():
            a = int(rng.choice(terms, p=weights))
            if KINDS[kind] == "exact":
                observed.append(a)
            elif KINDS[kind] == "vaguer":
                observed.append(_walk(a, parents, index.ic, float(rng.choice(noise.vaguer_gaps)), rng, up=True))
            elif KINDS[kind] == "more_specific":
                observed.append(_walk(a, children, index.ic, float(rng.choice(noise.specific_gaps)), rng, up=False))
            elif KINDS[kind] == "related":
                up = _walk(a, parents, index.ic, 1.0, rng, up=True)
                observed.append(_walk(up, children, index.ic, 1.0, rng, up=False))
            else:
                observed.append(int(rng.choice(annotated, p=popular)))
        observed = list(dict.fromkeys(observed))
        excluded: list[int] = []
        for _ in range(int(rng.choice(noise.excluded_counts))):
            if rng.random() < noise.excluded_annotated:
                unseen = [int(t) for t in terms.tolist() if t not in observed]
                if unseen:
                    excluded.append(int(rng.choice(unseen)))
            else:
                x = int(rng.choice(annotated, p=popular))
                if x not in closure:
                    excluded.append(x)
        excluded = [x for x in dict.fromkeys(excluded) if x not in observed]
        out.append(SimulatedCase(int(target), tuple(observed), tuple(excluded)))
    return out


def _walk(term: int, steps: list, ic: np.ndarray, gap: float, rng: np.random.Generator,
          up: bool) -> int:
    """From ``term``, random steps along ``steps`` (parents or children) until the IC has
    moved by at least ``gap`` or no step is left."""
    current = term
    while abs(ic[current] - ic[term]) < gap:
        nxt = steps[current]
        if len(nxt) == 0:
            break
        current = int(rng.choice(nxt))
    return current
