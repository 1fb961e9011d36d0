"""Related: the entities most related to one entity as of a date, by type, with paths and dates.

The same hub-suppressed walk as exposure, from the entity (and the nodes ``listed_as`` joins to
it); every other node is ranked by the walk's score, hubs and the entity's own aliases left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgdecide.errors import InvalidQuery
from kgdecide.packs.finance.analysis import FinanceGraph, path_json
from kgdecide.packs.finance.pages import decode_cursor, page


def related(fg: FinanceGraph, entity: str, as_of: dt.date | None, types: Sequence[str] = (),
            limit: int = 10, cursor: str | None = None) -> dict[str, Any]:
    """Entities related to ``entity`` (id, ticker, ISIN or exact name), best first, optionally
    only of ``types``; paginated, each with up to ``settings.paths`` paths."""
    day, notes = fg.check_date(as_of)
    g = fg.graph
    for t in types:
        if g.type_code(t) is None:
            raise InvalidQuery("types", f"unknown node type {t!r}; known: {', '.join(g.type_names)}")
    row = fg.resolve(entity, "entity")
    seeds = fg.company_aliases(row)
    view, hubs = fg.view(day)
    scores = fg.walk(view, hubs, seeds.tolist())
    eligible = (scores > 0) & ~hubs
    eligible[seeds] = False
    if types:
        eligible &= np.isin(g.types, [g.type_code(t) for t in types])
    candidates = np.flatnonzero(eligible)
    ranked = candidates[np.lexsort((candidates, -scores[candidates]))]
    key = f"{row}|{day}|{','.join(sorted(types))}"
    offset = decode_cursor(cursor, fg.version, key)
    chosen, next_cursor = page(ranked.tolist(), offset, limit, fg.version, key)
    items = []
    for rank, other in enumerate(chosen, offset + 1):
        paths = []
        for seed in seeds.tolist():
            paths += fg.explain(view, hubs, seed, other)
        paths = sorted(paths, key=lambda p: len(p.steps))[: fg.settings.paths]
        items.append({"rank": rank, "entity": fg.identifiers(other), "score": float(scores[other]),
                      "paths": [path_json(p) for p in paths]})
    by_type: dict[str, int] = {}
    for t in g.types[ranked].tolist():
        name = g.type_names[t]
        by_type[name] = by_type.get(name, 0) + 1
    return {"entity": fg.identifiers(row), "as_of": day.isoformat() if day else None,
            "graph_version": fg.version, "items": items, "counts_by_type": by_type,
            "notes": list(notes), "next_cursor": next_cursor}
