"""A stand-in decision function for testing the web layer on its own.

It is NOT a scorer and claims nothing about ranking quality: it counts, per disease, the present
findings it is annotated with (``has_phenotype``) minus the excluded ones (its prediction set: the
diseases counting above zero), so web tests can check
plumbing (parsing, audit, serialisation, re-ranking in the browser) with answers they can predict.
Tests of the real ``kgdecide.pipeline.decide`` run whenever that module exists.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from kgdecide.graph.store import GraphStore
from kgdecide.types import (
    Candidate,
    Contribution,
    Decision,
    Direction,
    Evidence,
    Path,
    Provenance,
    Query,
    ScoredPath,
)


class CountingDecider:
    """A :class:`~kgdecide.web.decider.Decider` over one store (see the module docstring)."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def __call__(self, query: Query, scorer: str | None = None, *, text: str | None = None,
                 linker: Any = None) -> Decision:
        # The case is read by the pipeline's own function: only the ranking is a stand-in.
        from kgdecide.pipeline import case_query

        query, mentions, sources = case_query(query, text, linker)
        decided = counting_decide(self.store, query, scorer or "counting")
        return dataclasses.replace(decided, mentions=mentions, sources=sources)


def counting_decide(store: GraphStore, query: Query, scorer: str = "counting") -> Decision:
    diseases = [n for n in store.iter_nodes("Disease")
                if not query.candidate_prefixes or n.id.startswith(query.candidate_prefixes)]
    rows = []
    for node in diseases:
        annotated = set(store.neighbors(node.id, "has_phenotype", Direction.OUT))
        values = [(1.0 if f.present else -1.0) if f.id in annotated else 0.0 for f in query.findings]
        rows.append((sum(values), node, values, annotated))
    rows.sort(key=lambda r: (-r[0], r[1].id))
    total = sum(math.exp(r[0]) for r in rows)
    top = rows[:query.top_k]
    candidates = tuple(Candidate(n.id, n.label, s, math.exp(s) / total, i + 1)
                       for i, (s, n, _, _) in enumerate(top))
    evidence = tuple(_evidence(query, node, values, annotated) for _, node, values, annotated in top)
    asked = {f.id for f in query.findings} | set(query.not_known)
    best_annotations = sorted(top[0][3] - asked) if top else []
    # a stand-in prediction set: the candidates scoring above zero (at least one)
    in_set = [c.id for c in candidates if c.score > 0] or [c.id for c in candidates[:1]]
    return Decision(query, candidates, evidence, tuple(best_annotations[:3]),
                    Provenance(store.version, scorer, "none", "test-double"),
                    prediction_set=tuple(in_set))


def _evidence(query: Query, node: Any, values: list[float], annotated: set[str]) -> Evidence:
    contributions = tuple(Contribution(f.id, f.status, v, f.id if v else None, abs(v))
                          for f, v in zip(query.findings, values))
    paths = tuple(ScoredPath(Path((f.id, node.id), ("has_phenotype",), (False,)), f.id, 1.0)
                  for f, v in zip(query.findings, values) if v > 0)
    unexplained = tuple(f.id for f in query.present if f.id not in annotated)
    against = tuple(f.id for f in query.excluded if f.id in annotated)
    return Evidence(node.id, contributions, paths, unexplained, against)
