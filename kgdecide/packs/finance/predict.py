"""Predicted links on a built finance graph: the history predictor
(:mod:`kgdecide.score.temporal.history`, features and weights described there) run on the news
edges valid on an as-of date. Its names are re-exported here for the finance pack's callers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kgdecide.errors import InvalidQuery
from kgdecide.score.temporal.base import metrics, raw_ranks  # noqa: F401  (re-exported)
from kgdecide.score.temporal.history import History, TemporalWeights, combine  # noqa: F401


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
