"""Slow, readable reference implementations the vectorised scorers are checked against."""

from __future__ import annotations

import math
from functools import lru_cache

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.base import DomainSpec
from kgdecide.types import Direction


def ancestors(graph: ArrayGraph, spec: DomainSpec, node: str) -> set[str]:
    return set(_ancestors(graph, spec, node))


@lru_cache(maxsize=None)
def _ancestors(graph: ArrayGraph, spec: DomainSpec, node: str) -> frozenset[str]:
    seen, todo = {node}, [node]
    while todo:
        current = todo.pop()
        for parent in graph.neighbor_rows(graph.row(current), spec.hierarchy_relation, Direction.OUT):
            pid = graph.id_list[int(parent)]
            if pid not in seen:
                seen.add(pid)
                todo.append(pid)
    return frozenset(seen)


def annotations(graph: ArrayGraph, spec: DomainSpec, default: float = 0.5) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for edge in graph.iter_edges(spec.finding_relation):
        f = edge.properties.get(spec.frequency_key)
        f = default if f is None else float(f)
        if f > 0:
            out.setdefault(edge.subject, {})[edge.object] = min(f, 1.0)
    return out


def closure(graph: ArrayGraph, spec: DomainSpec, target: str, default: float = 0.5) -> dict[str, float]:
    return dict(_closure(graph, spec, target, default))


@lru_cache(maxsize=None)
def _closure(graph: ArrayGraph, spec: DomainSpec, target: str, default: float) -> tuple:
    out: dict[str, float] = {}
    for term, f in annotations(graph, spec, default).get(target, {}).items():
        for a in ancestors(graph, spec, term):
            out[a] = max(out.get(a, 0.0), f)
    return tuple(out.items())


def targets(graph: ArrayGraph, spec: DomainSpec) -> list[str]:
    return [graph.id_list[r] for r in graph.rows_of_type(spec.target_type).tolist()]


def ic(graph: ArrayGraph, spec: DomainSpec, term: str) -> float:
    ts = targets(graph, spec)
    count = sum(term in closure(graph, spec, t) for t in ts)
    return math.log(len(ts) / max(count, 1))


def background(graph: ArrayGraph, spec: DomainSpec, term: str, default: float = 0.5) -> float:
    ts = targets(graph, spec)
    return max(sum(closure(graph, spec, t, default).get(term, 0.0) for t in ts) / len(ts), 1 / len(ts))


def resnik(graph: ArrayGraph, spec: DomainSpec, findings: list[str], target: str) -> float:
    """One-sided best-match average of Resnik similarity."""
    have = closure(graph, spec, target)
    total = 0.0
    for q in findings:
        total += max((ic(graph, spec, a) for a in ancestors(graph, spec, q) if a in have), default=0.0)
    return total / len(findings)


def log_lr(graph: ArrayGraph, spec: DomainSpec, q: str, target: str, eps: float = 0.05) -> float:
    have = closure(graph, spec, target)
    lacked = {e.object for e in graph.iter_edges(spec.excluded_relation) if e.subject == target}
    if ancestors(graph, spec, q) & lacked:
        return math.log(eps)
    ratio = max((have[a] / background(graph, spec, a) for a in ancestors(graph, spec, q) if a in have),
                default=0.0)
    return math.log((1 - eps) * ratio + eps)
