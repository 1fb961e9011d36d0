"""The *history* temporal link predictor: which (subject, relation, object) facts appear next week,
from recency-decayed counts of what was reported before.

It works on plain quadruple arrays ``(subject, relation, object, week)`` so the same code serves
FinDKG's official evaluation (``eval/finance.py``, exact weekly history) and the finance pack's
``predict`` on a built graph (history read from the edges valid on the as-of date).

Features for a query ``(s, r, ?)`` at week ``t``, each from facts strictly before ``t`` with weight
``exp(-(t - 1 - week) / tau)`` (recent weeks count more):

1. ``sro``: decayed count of ``(s, r, o)`` — the fact repeats (news repeats itself);
2. ``so``: decayed count of ``(s, any, o)`` — the pair was linked by another relation;
3. ``os``: decayed count of ``(o, any, s)`` — the reverse pair;
4. ``pop``: decayed count of ``o`` as an object of ``r`` (relation popularity), scaled to 0..1;
5. ``ppr``: personalised PageRank from ``s`` over the undirected history (degree-damped, so
   hubs do not win by size), scaled to 0..1.

Score = ``log1p(sro) + w_so log1p(so) + w_os log1p(os) + w_pop pop + w_ppr ppr``: the *history*
baseline has ``w_ppr = 0``; the *history+ppr* scorer adds the walk. Weights are chosen on the
validation split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from kgdecide.score.ppr import personalised_pagerank
from kgdecide.score.temporal.base import TemporalPredictor


@dataclass(frozen=True, slots=True)
class TemporalWeights:
    """Weights of the features (see the module docstring); ``tau`` in weeks, 0 = no decay."""

    tau: float = 16.0
    so: float = 0.3
    os: float = 0.1
    pop: float = 0.1
    ppr: float = 0.0

    def with_(self, **changes: float) -> TemporalWeights:
        return replace(self, **changes)


@dataclass(eq=False)
class History:
    """Decayed fact counts before one week, as sparse matrices over ``n`` entities, ``r`` relations."""

    n: int
    r: int
    sro: sp.csr_matrix  #: (n * r, n): row ``s * r + rel``
    so: sp.csr_matrix  #: (n, n) any relation
    pop: np.ndarray  #: (r, n) decayed object popularity per relation, scaled to 0..1 per relation
    walk_t: sp.csr_matrix  #: column-stochastic transpose of the damped undirected walk

    @classmethod
    def before(cls, quads: np.ndarray, week: int, n: int, r: int, tau: float,
               counts: np.ndarray | None = None, hub_exponent: float = 0.5) -> History:
        """Facts of ``quads`` (int[k, 4]: s, r, o, week) with week < ``week``; ``counts`` weights
        each row (default 1)."""
        keep = quads[:, 3] < week
        q = quads[keep]
        w = np.ones(len(q)) if counts is None else np.asarray(counts, dtype=np.float64)[keep]
        if tau > 0:
            w = w * np.exp(-(week - 1 - q[:, 3]) / tau)
        s, rel, o = q[:, 0], q[:, 1], q[:, 2]
        sro = sp.csr_matrix((w, (s * r + rel, o)), shape=(n * r, n))
        so = sp.csr_matrix((w, (s, o)), shape=(n, n))
        pop = np.zeros((r, n))
        np.add.at(pop, (rel, o), w)
        pop = np.log1p(pop)
        pop /= np.maximum(pop.max(axis=1, keepdims=True), 1e-12)
        return cls(n, r, sro, so, pop, _walk(s, o, n, hub_exponent))

    def features(self, subjects: np.ndarray, relations: np.ndarray,
                 ppr: bool = True) -> dict[str, np.ndarray]:
        """Dense (queries, n) feature matrices for queries ``(subjects[i], relations[i], ?)``."""
        out = {
            "sro": np.log1p(self.sro[subjects * self.r + relations].toarray()),
            "so": np.log1p(self.so[subjects].toarray()),
            "os": np.log1p(self.so[:, subjects].T.toarray()),
            "pop": self.pop[relations],
        }
        if ppr:
            out["ppr"] = self.ppr(subjects)
        return out

    def ppr(self, subjects: np.ndarray, alpha: float = 0.3, iterations: int = 20) -> np.ndarray:
        """Personalised PageRank from each subject, the subject itself zeroed, scaled to 0..1."""
        unique, inverse = np.unique(subjects, return_inverse=True)
        restart = np.zeros((self.n, len(unique)))
        restart[unique, np.arange(len(unique))] = 1.0
        visits = personalised_pagerank(self.walk_t, restart, alpha, iterations).T
        visits[np.arange(len(unique)), unique] = 0.0
        visits /= np.maximum(visits.max(axis=1, keepdims=True), 1e-12)
        return visits[inverse]


def _walk(s: np.ndarray, o: np.ndarray, n: int, hub_exponent: float) -> sp.csr_matrix:
    a = sp.csr_matrix((np.ones(len(s)), (s, o)), shape=(n, n))
    a = ((a + a.T) > 0).astype(np.float64).tocsr()
    degree = np.asarray(a.sum(axis=1)).ravel()
    weighted = (a @ sp.diags(np.where(degree > 0, np.maximum(degree, 1) ** -hub_exponent, 0.0))).tocsr()
    out = np.asarray(weighted.sum(axis=1)).ravel()
    step = sp.diags(np.where(out > 0, 1.0 / np.where(out > 0, out, 1.0), 0.0)) @ weighted
    return step.T.tocsr()


def combine(features: dict[str, np.ndarray], weights: TemporalWeights) -> np.ndarray:
    """The score matrix of :class:`TemporalWeights` over precomputed features.

    >>> f = {k: np.array([[0.0, 1.0]]) for k in ("sro", "so", "os", "pop", "ppr")}
    >>> combine(f, TemporalWeights(so=0.5, os=0.0, pop=0.0)).tolist()
    [[0.0, 1.5]]
    """
    score = features["sro"] + weights.so * features["so"] + weights.os * features["os"]
    score = score + weights.pop * features["pop"]
    if weights.ppr and "ppr" in features:
        score = score + weights.ppr * features["ppr"]
    return score


class HistoryPredictor(TemporalPredictor):
    """:func:`combine` of the :class:`History` features with fixed :class:`TemporalWeights`."""

    name: ClassVar[str] = "history"

    def __init__(self, n: int, r: int, weights: TemporalWeights = TemporalWeights()) -> None:
        super().__init__(n, r)
        self.weights = weights

    def _scores(self, history: np.ndarray, week: int, subjects: np.ndarray,
                relations: np.ndarray) -> np.ndarray:
        past = History.before(history, week, self.n, self.r, self.weights.tau)
        return combine(past.features(subjects, relations, ppr=self.weights.ppr > 0), self.weights)
