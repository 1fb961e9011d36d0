"""Temporal link prediction: which (subject, relation, object) facts appear next week.

The scorer works on plain quadruple arrays ``(subject, relation, object, week)`` so the same code
serves FinDKG's official evaluation (``eval/finance.py``, exact weekly history) and ``predict`` on
a built graph (history read from the edges valid on the as-of date).

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

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from kgdecide.errors import InvalidQuery
from kgdecide.score.ppr import personalised_pagerank


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


def raw_ranks(scores: np.ndarray, answers: np.ndarray) -> np.ndarray:
    """Rank of each row's answer among all columns, raw (no filtering), ties at the average rank.

    >>> raw_ranks(np.array([[0.1, 0.5, 0.5, 0.2]]), np.array([1])).tolist()
    [1.5]
    >>> raw_ranks(np.array([[3.0, 1.0, 2.0]]), np.array([1])).tolist()
    [3.0]
    """
    true = scores[np.arange(len(answers)), answers][:, None]
    greater = (scores > true).sum(axis=1)
    equal = (scores == true).sum(axis=1) - 1
    return greater + 1 + equal / 2.0


def metrics(ranks: np.ndarray) -> dict[str, float]:
    """MRR and Hits@1/3/10 of raw ranks.

    >>> metrics(np.array([1.0, 2.0, 20.0]))["mrr"]
    0.5166666666666667
    """
    ranks = np.asarray(ranks, dtype=np.float64)
    if ranks.size == 0:
        return {"mrr": 0.0, "hits@1": 0.0, "hits@3": 0.0, "hits@10": 0.0, "n": 0}
    return {"mrr": float(np.mean(1.0 / ranks)), "hits@1": float(np.mean(ranks <= 1)),
            "hits@3": float(np.mean(ranks <= 3)), "hits@10": float(np.mean(ranks <= 10)),
            "n": int(ranks.size)}


# --- predict on a built graph -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prediction:
    """A link not in the graph on the as-of date that the scorer expects next week."""

    subject: int  #: row
    relation: str
    object: int  #: row
    score: float
    features: dict[str, float]  #: each feature's value for this pair (why it scored)


def graph_history(graph: object, day: dt.date, relations: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
    """Quadruples (s, rel index, o, week) and counts from the news edges valid on ``day``.

    An edge's count is its ``mentions`` when its ``last_seen`` is on or before ``day``, else 1
    (what was known then: it had been reported at least once); its week is then ``last_time_id``
    or ``time_id``. Returns the quadruples, counts and the week of ``day``.
    """
    from kgdecide.packs.finance.temporal import date_column, float_column, valid_mask, week_of

    week = week_of(day) + 1  # facts of the as-of week are history for the week after
    parts, counts = [], []
    for index, name in enumerate(relations):
        rel = graph.relations.get(name)  # type: ignore[attr-defined]
        if rel is None:
            continue
        keep = valid_mask(rel, day)
        last = date_column(rel.columns.get("last_seen"), len(rel))
        known = ~np.isnat(last) & (last <= np.datetime64(day, "D"))
        first_t = float_column(rel, "time_id", week - 1)
        last_t = float_column(rel, "last_time_id", week - 1)
        mentions = float_column(rel, "mentions", 1.0)
        t = np.where(known, last_t, first_t)
        c = np.where(known, mentions, 1.0)
        quads = np.stack([rel.subjects, np.full(len(rel), index), rel.objects, t.astype(np.int64)], 1)
        parts.append(quads[keep].astype(np.int64))
        counts.append(c[keep])
    if not parts:
        raise InvalidQuery("relation", "the graph has none of the news relations to predict from")
    return np.concatenate(parts), np.concatenate(counts), week


def predict_links(graph: object, subject: int, day: dt.date, relations: Sequence[str],
                  weights: TemporalWeights, top_k: int,
                  candidate_mask: np.ndarray | None = None) -> list[Prediction]:
    """The ``top_k`` (relation, object) links from ``subject`` most expected the week after
    ``day`` that the graph does not hold yet (as of ``day``)."""
    quads, counts, week = graph_history(graph, day, relations)
    n = len(graph)  # type: ignore[arg-type]
    history = History.before(quads, week, n, len(relations), weights.tau, counts)
    subjects = np.full(len(relations), subject)
    feats = history.features(subjects, np.arange(len(relations)), ppr=weights.ppr > 0)
    scores = combine(feats, weights)
    existing = history.sro[subjects * len(relations) + np.arange(len(relations))].toarray() > 0
    scores[existing] = -np.inf
    scores[:, subject] = -np.inf
    if candidate_mask is not None:
        scores[:, ~candidate_mask] = -np.inf
    flat = np.argsort(-scores, axis=None, kind="stable")[:top_k]
    out = []
    for k in flat.tolist():
        r_i, o = divmod(k, n)
        if not np.isfinite(scores[r_i, o]) or scores[r_i, o] <= 0:
            break
        out.append(Prediction(subject, relations[r_i], o, float(scores[r_i, o]),
                              {name: round(float(v[r_i, o]), 4) for name, v in feats.items()}))
    return out
