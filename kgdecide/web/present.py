"""Typed records to the JSON shapes of :mod:`kgdecide.web.schemas` (plain functions, no Flask).

JSON has no NaN or infinity: missing property values are dropped and non-finite scores become
``null``, so every body is strict JSON that any client parses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kgdecide.errors import NodeNotFound
from kgdecide.graph.store import GraphStore
from kgdecide.types import Decision, Edge, Mention, Node, PropertyValue, is_missing

if TYPE_CHECKING:
    from kgdecide.link import LinkResult


def finite(value: float | None) -> float | None:
    """``value`` as a float, or None when it is missing or not finite.

    >>> finite(0.5), finite(float("-inf")), finite(None)
    (0.5, None, None)
    """
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def properties(props: Mapping[str, PropertyValue]) -> dict[str, Any]:
    """Properties as JSON values: tuples as lists, missing values left out.

    >>> properties({"a": ("x",), "b": float("nan"), "c": 1})
    {'a': ['x'], 'c': 1}
    """
    out: dict[str, Any] = {}
    for key, value in props.items():
        if is_missing(value) or (isinstance(value, float) and not math.isfinite(value)):
            continue
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def node_json(node: Node) -> dict[str, Any]:
    return {"id": node.id, "type": node.type, "label": node.label,
            "synonyms": list(node.synonyms), "properties": properties(node.properties)}


def node_ref(store: GraphStore, node_id: str) -> dict[str, str]:
    """Id, label and type of a node; an id the graph lacks keeps its id with an empty label."""
    from kgdecide.graph.embedded import EmbeddedStore  # here: the CLI imports this module early

    if isinstance(store, EmbeddedStore):
        # The id's row gives label and type directly; get_node would also decode every property
        # column, a large part of a decision's response body (docs/BENCHMARKS.md, "Profile").
        graph = store.projection()
        try:
            row = graph.row(node_id)
        except NodeNotFound:
            return {"id": node_id, "label": "", "type": ""}
        return {"id": node_id, "label": graph.labels[row], "type": graph.type_names[graph.types[row]]}
    try:
        node = store.get_node(node_id)
    except NodeNotFound:
        return {"id": node_id, "label": "", "type": ""}
    return {"id": node.id, "label": node.label, "type": node.type}


def edge_json(edge: Edge) -> dict[str, Any]:
    return {"subject": edge.subject, "relation": edge.relation, "object": edge.object,
            "properties": properties(edge.properties)}


def mention_json(m: Mention) -> dict[str, Any]:
    return {"start": m.start, "end": m.end, "text": m.text, "id": m.node_id, "label": m.label,
            "score": float(m.score), "status": m.status.value,
            "experiencer": m.experiencer.value, "section": m.section, "implied": m.implied,
            "scored": m.scored,
            "alternatives": [{"id": a[0], "label": a[1], "score": float(a[2])}
                             for a in m.alternatives]}


def link_json(result: LinkResult) -> dict[str, Any]:
    return {"mentions": [mention_json(m) for m in result.mentions]}


def decision_json(decision: Decision, decision_id: str, created: str,
                  store: GraphStore) -> dict[str, Any]:
    """The body of ``POST /decide``: each finding used with its source (``coded`` or ``text``),
    the mentions read from the text, the ranked and explained candidates."""
    labels = _Labels(store)
    return {
        "id": decision_id,
        "created": created,
        "findings": [{"id": f.id, "label": labels(f.id), "status": f.status.value,
                      "source": decision.source_of(i)}
                     for i, f in enumerate(decision.query.findings)],
        "mentions": [mention_json(m) for m in decision.mentions],
        "candidates": [{"id": c.id, "label": c.label, "rank": c.rank, "score": finite(c.score),
                        "probability": float(c.probability), "equivalent": list(c.equivalent)}
                       for c in decision.candidates],
        "evidence": [_evidence(e, labels) for e in decision.evidence],
        "next_questions": [labels.ref(q) for q in decision.next_questions],
        "set": list(decision.prediction_set),
        "coverage": decision.query.coverage,
        "provenance": {"kg_version": decision.provenance.kg_version,
                       "scorer": decision.provenance.scorer,
                       "model_version": decision.provenance.model_version,
                       "settings_hash": decision.provenance.settings_hash},
        "notes": list(decision.notes),
    }


def without_span_text(body: dict[str, Any]) -> dict[str, Any]:
    """A decision body as the audit log keeps it when free text is off: each mention keeps its
    offsets, linked node, score and status, not the words the span covered.

    >>> without_span_text({"mentions": [{"start": 0, "end": 4, "text": "fits", "id": "HP:1"}]})
    {'mentions': [{'start': 0, 'end': 4, 'id': 'HP:1'}]}
    """
    return {**body, "mentions": [{k: v for k, v in m.items() if k != "text"}
                                 for m in body.get("mentions", ())]}


def _evidence(e: Any, labels: _Labels) -> dict[str, Any]:
    return {
        "candidate": e.candidate,
        "contributions": [{"finding": c.finding, "status": c.status.value,
                           "value": finite(c.value), "matched": c.matched,
                           "attention": finite(c.attention)} for c in e.contributions],
        "paths": [{"finding": p.finding, "share": finite(p.share),
                   "nodes": [labels.ref(n) for n in p.path.nodes],
                   "relations": list(p.path.relations), "forward": list(p.path.forward)}
                  for p in e.paths],
        "unexplained": list(e.unexplained),
        "against": list(e.against),
    }


class _Labels:
    """Node lookups memoised for one response (paths repeat the same nodes)."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self._refs: dict[str, dict[str, str]] = {}

    def ref(self, node_id: str) -> dict[str, str]:
        if node_id not in self._refs:
            self._refs[node_id] = node_ref(self._store, node_id)
        return dict(self._refs[node_id])

    def __call__(self, node_id: str) -> str:
        return self.ref(node_id)["label"]
