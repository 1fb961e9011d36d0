"""The analyst's page (``/finance/``) and what it needs beyond exposure, related and predict: a
search over the finance graph's entities, and each predicted link's reasons in words.

:data:`PAGE` declares the page; :mod:`kgdecide.web.packs` serves it (signed-in users whose role
allows ``finance``) with the template ``finance.html`` and the variables :func:`page_context`
returns, and serves the finance routes again below ``/finance/`` for the page's calls. Nothing
here imports Flask.

Why a link is predicted (:func:`reasons`): today's predictor (:mod:`kgdecide.packs.finance.predict`)
gives each prediction the values of its features; each feature that adds to the score becomes one
reason, with its share of the score. A predictor that also gives ``rules`` (a list of
``{"rule": text, "confidence": 0..1}``, e.g. learned temporal rules) has them shown first, as
``kind: "rule"`` reasons, with no change here or in the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from kgdecide.packs import PackPage

PAGE = PackPage(
    "/finance", "analystPage", "Analyst",
    "The analyst's page: a portfolio's exposure to an event as of a date, with the paths behind "
    "it, related entities and predicted links.",
    "finance", "finance.html", f"{__name__}:page_context")

#: The command that builds the finance graph, for the page's instructions when there is none.
BUILD_COMMAND = "kgdecide build finance --findkg PATH"

#: Each feature of :mod:`kgdecide.packs.finance.predict`, in words.
FEATURE_TEXT = {
    "sro": "the same fact was reported before",
    "so": "the two were linked by another relation before",
    "os": "the object was linked to the subject before",
    "pop": "the object is often the object of this relation",
    "ppr": "a walk over the news graph from the subject reaches the object",
}


def page_context(state: Any) -> dict[str, Any]:
    """The template's variables: the graph's time span and node types, or how to build it."""
    if state is None:
        return {"available": False, "build_command": BUILD_COMMAND}
    fg = state.graph
    first, last = fg.date_range
    g = fg.graph
    present = sorted({g.type_names[t] for t in np.unique(g.types).tolist()})
    return {"available": True, "graph_version": fg.version, "first_day": first.isoformat(),
            "last_day": last.isoformat(), "node_types": present}


# --- entity search --------------------------------------------------------------------------------


@dataclass(eq=False)
class EntityIndex:
    """Lower-cased labels of the finance graph and each node's number of edges, for
    search-as-you-type."""

    labels: list[str]
    degree: np.ndarray

    @classmethod
    def build(cls, fg: Any) -> EntityIndex:
        g = fg.graph
        degree = np.zeros(len(g), dtype=np.int64)
        for rel in g.relations.values():
            degree += np.bincount(rel.subjects, minlength=len(g)) + np.bincount(rel.objects, minlength=len(g))
        return cls([label.lower() for label in g.labels], degree)


def search_entities(fg: Any, index: EntityIndex, q: str, node_type: str | None,
                    limit: int) -> dict[str, Any]:
    """Entities for ``q``: an identifier (ticker, ISIN, CUSIP, CIK, node id) first, then labels
    that start with it, then labels with a word that starts with it; within each, the nodes with
    more edges (the ones the news mentions most) first."""
    from kgdecide.errors import InvalidQuery

    g = fg.graph
    code = None
    if node_type:
        code = g.type_code(node_type)
        if code is None:
            raise InvalidQuery("type", f"unknown node type {node_type!r}; known: "
                               f"{', '.join(sorted(set(g.type_names)))}")
    text = q.strip().lower()
    found: list[tuple[int, int, str, int]] = []  # (match, -edges, label, row)
    exact = g.index.get(q.strip())
    ids = [exact] if exact is not None else []
    ids += fg._identifier_index.get(q.strip().upper(), [])
    for row in dict.fromkeys(ids):
        found.append((0, 0, "", row))
    seen = set(ids)
    for row, label in enumerate(index.labels):
        if row in seen or text not in label:
            continue
        if label.startswith(text):
            rank = 1
        elif f" {text}" in label:
            rank = 2
        else:
            continue
        found.append((rank, -int(index.degree[row]), label, row))
    found = [f for f in found if code is None or g.types[f[3]] == code]
    found.sort()
    return {"items": [fg.identifiers(row) for *_, row in found[:limit]],
            "graph_version": fg.version}


# --- why a link is predicted ----------------------------------------------------------------------


def reasons(item: dict[str, Any], weights: Any) -> list[dict[str, Any]]:
    """Why ``item`` (one prediction of ``hypotheses``) was predicted: its rules, if its predictor
    gave any, then each feature that adds to its score, largest share first.

    >>> from kgdecide.packs.finance.predict import TemporalWeights
    >>> [r["name"] for r in reasons({"features": {"so": 2.0, "pop": 1.0, "os": 0.0}},
    ...                             TemporalWeights(so=0.3, pop=0.1))]
    ['so', 'pop']
    """
    out: list[dict[str, Any]] = []
    for rule in item.get("rules") or ():
        out.append({"kind": "rule", "text": str(rule.get("rule", "")),
                    "confidence": rule.get("confidence")})
    weight = {"sro": 1.0, "so": weights.so, "os": weights.os, "pop": weights.pop, "ppr": weights.ppr}
    parts = {name: weight.get(name, 0.0) * float(value)
             for name, value in (item.get("features") or {}).items()}
    total = sum(v for v in parts.values() if v > 0)
    for name, part in sorted(parts.items(), key=lambda kv: -kv[1]):
        if part <= 0:
            continue
        out.append({"kind": "feature", "name": name, "text": FEATURE_TEXT.get(name, name),
                    "share": round(part / total, 3)})
    return out
