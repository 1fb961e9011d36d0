"""Predict as hypotheses: links from an entity likely to appear the week after a date, not in the
graph on that date, each flagged as a prediction and shown with the paths that support it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from kgdecide.packs.finance import NEWS_RELATIONS
from kgdecide.packs.finance.analysis import FinanceGraph, path_json
from kgdecide.packs.finance.predict import TemporalWeights, predict_links
from kgdecide.packs.finance.temporal import week_start, week_of

#: Weights chosen on FinDKG's validation split by ``eval/finance.py`` (history + walk, 2026-11).
DEFAULT_WEIGHTS = TemporalWeights(tau=0.0, so=0.3, os=0.1, pop=0.1, ppr=0.1)


def hypotheses(fg: FinanceGraph, entity: str, as_of: dt.date | None, limit: int = 10,
               weights: TemporalWeights = DEFAULT_WEIGHTS) -> dict[str, Any]:
    """The ``limit`` most expected new links from ``entity`` for the week after ``as_of``
    (default: the graph's last day)."""
    day, notes = fg.check_date(as_of or fg.date_range[1])
    assert day is not None
    relations = [r for r in NEWS_RELATIONS if r in fg.graph.relations]
    row = fg.news_alias(fg.resolve(entity, "entity"), relations)
    view, hubs = fg.view(day)
    candidates = ~hubs
    found = predict_links(fg.graph, row, day, relations, weights, limit * len(relations), candidates)
    # One hypothesis per object, its most expected relation: the next ones are mostly the same
    # pair under another relation.
    best: dict[int, Any] = {}
    for p in found:
        best.setdefault(p.object, p)
    next_week = week_start(week_of(day) + 1)
    items = []
    for rank, p in enumerate(list(best.values())[:limit], 1):
        paths = fg.explain(view, hubs, row, p.object)
        items.append({
            "rank": rank, "prediction": True, "subject": fg.node_ref(row), "relation": p.relation,
            "object": fg.identifiers(p.object), "score": round(p.score, 6),
            "week": next_week.isoformat(), "features": p.features,
            "paths": [path_json(x) for x in paths],
        })
    if not items:
        notes += ("no new link scored above zero for this entity",)
    return {"entity": fg.identifiers(row), "as_of": day.isoformat(), "graph_version": fg.version,
            "predicted_week": next_week.isoformat(), "items": items, "notes": list(notes),
            "next_cursor": None, "candidates": int(np.count_nonzero(candidates))}
