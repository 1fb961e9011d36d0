"""Evidence per candidate: signed per-finding contributions, top paths with their share, findings
left unexplained, excluded findings counting against.

A finding's contribution is its term in the scorer's decomposition ``score = bias + sum of
contributions``; deleting the finding removes exactly that for a scorer that sums findings, and
re-weights the others for one that averages or attends (``Scorer.combines``). A path's ``share`` is what deleting its last edge (the
candidate's annotation the finding matched) would remove, recomputed by the scorer, divided by the
candidate's total absolute evidence. ``tests/unit/explain`` deletes the edge from the graph and
checks the score moves by the stated share.
"""

from __future__ import annotations

import numpy as np

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.base import DomainSpec, Scorer, ScoreResult
from kgdecide.types import Contribution, Evidence, FindingStatus, Path, ScoredPath

#: Paths reported per candidate.
TOP_PATHS = 5


def explain_candidates(graph: ArrayGraph, spec: DomainSpec, scorer: Scorer, result: ScoreResult,
                       candidates: np.ndarray) -> tuple[Evidence, ...]:
    """Evidence for each candidate (indices into ``result.targets``), in the given order.

    All candidates in one pass: the matches of each finding for every candidate at once, and
    what deleting each matched annotation would do to every finding of every candidate from one
    call to the scorer's :meth:`~kgdecide.score.base.Scorer.deleted_contributions`
    (``[candidates, findings, annotations]``).
    """
    candidates = np.asarray(candidates, dtype=np.int64)
    columns = result.contributions[:, candidates]  # [n, c]
    # Matches per finding for all candidates at once: one pass over a finding's ancestors serves
    # every candidate. A path is shown only where the finding counts for the candidate.
    shown = [row for row, present in zip(result.findings, result.present) if present]
    found_shown = iter(scorer.matches_many(graph, shown, candidates))
    found = [next(found_shown) if present else [None] * len(candidates)
             for present in result.present]
    matches = [[m[p] if result.present[i] and columns[i, p] > 0 else None
                for i, m in enumerate(found)] for p in range(len(candidates))]
    edge_delta = _edge_deltas(graph, scorer, result, candidates, matches)
    return tuple(candidate_evidence(graph, spec, result, int(j), matches[p], edge_delta[p])
                 for p, j in enumerate(candidates.tolist()))


def _edge_deltas(graph: ArrayGraph, scorer: Scorer, result: ScoreResult, candidates: np.ndarray,
                 matches: list[list[tuple[int, int] | None]]) -> list[dict[int, float]]:
    """Per candidate: the score it would lose were each annotation its findings matched (graph
    row) deleted, summed over the present findings in query order."""
    shown = [sorted({m[1] for m in row if m}) for row in matches]
    width = max((len(a) for a in shown), default=0)
    if width == 0:
        return [{} for _ in shown]
    annotations = np.full((len(candidates), width), -1, dtype=np.int64)
    for p, rows in enumerate(shown):
        annotations[p, :len(rows)] = rows
    deleted = scorer.deleted_contributions(graph, result, candidates, annotations)  # [c, n, a]
    columns = result.contributions[:, candidates]
    delta = np.zeros((len(candidates), width))
    for i in np.flatnonzero(result.present).tolist():  # the order a sum over findings takes
        delta = delta + (columns[i][:, None] - deleted[:, i, :])
    return [dict(zip(rows, delta[p, :len(rows)].tolist())) for p, rows in enumerate(shown)]


def candidate_evidence(graph: ArrayGraph, spec: DomainSpec, result: ScoreResult, j: int,
                       matches: list[tuple[int, int] | None], edge_delta: dict[int, float],
                       top_paths: int | None = TOP_PATHS) -> Evidence:
    """One candidate's evidence (``j``: index into the result's targets) from each finding's
    match in it (common ancestor, annotation; None where the finding does not count for it) and
    the score deleting each matched annotation would remove (``edge_delta``, by graph row)."""
    column = result.contributions[:, j]
    total = float(np.abs(column).sum()) or 1.0
    contributions = [
        Contribution(
            finding=graph.id_list[row],
            status=FindingStatus.PRESENT if present else FindingStatus.EXCLUDED,
            value=float(column[i]),
            matched=graph.id_list[match[1]] if match else None,
            attention=float(result.attention[i, j]) if result.attention is not None else 0.0,
        )
        for i, (row, present, match) in enumerate(zip(result.findings, result.present, matches))]
    # Deleting an annotation edge changes every finding that leaned on it, so its share is the
    # whole score it carries; paths through the same edge report that same share.
    paths = []
    for row, match in zip(result.findings, matches):
        # A recomputed contribution may differ from the scored one by rounding (~1e-16): such a
        # "delta" is no evidence, and no path is shown for it.
        if match and edge_delta[match[1]] > 1e-9 * total:
            path = finding_path(graph, spec, row, match[0], match[1], int(result.targets[j]))
            paths.append(ScoredPath(path=path, finding=graph.id_list[row],
                                    share=edge_delta[match[1]] / total))
    paths.sort(key=lambda p: -p.share)
    return Evidence(
        candidate=graph.id_list[int(result.targets[j])],
        contributions=tuple(contributions),
        paths=tuple(paths[:top_paths]),
        unexplained=tuple(c.finding for c in contributions if c.status is FindingStatus.PRESENT
                          and c.value <= 0),
        against=tuple(c.finding for c in contributions if c.status is FindingStatus.EXCLUDED
                      and c.value < 0),
    )


def finding_path(graph: ArrayGraph, spec: DomainSpec, finding: int, ancestor: int,
                 annotation: int, target: int) -> Path:
    """``finding -is_a*-> ancestor <-is_a*- annotation <-annotated- target`` (graph rows).

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> g = toy_graph(); r = g.row
    >>> p = finding_path(g, TOY_SPEC, r("S:tonic"), r("S:seizure"), r("S:focal"), r("T:epilepsy"))
    >>> p.nodes, p.forward
    (('S:tonic', 'S:seizure', 'S:focal', 'T:epilepsy'), (True, False, False))
    """
    # A path depends only on the graph and these rows: kept per graph (bounded), so a server
    # walks the hierarchy once per path, not once per request.
    cache: dict[tuple, Path] = graph.__dict__.setdefault("_finding_paths", {})
    key = (spec.hierarchy_relation, spec.finding_relation, spec.evidence_relations, finding,
           ancestor, annotation, target)
    path = cache.get(key)
    if path is None:
        if len(cache) >= _PATH_CACHE_SIZE:
            cache.clear()
        path = cache[key] = _finding_path(graph, spec, finding, ancestor, annotation, target)
    return path


#: Paths kept per graph: a decision shows up to 50; a few hundred bytes each.
_PATH_CACHE_SIZE = 65536


def _finding_path(graph: ArrayGraph, spec: DomainSpec, finding: int, ancestor: int,
                  annotation: int, target: int) -> Path:
    up = _chain(graph, spec, finding, ancestor)
    down = _chain(graph, spec, annotation, ancestor)[::-1]
    rows = up + down[1:] + [target]
    h = spec.hierarchy_relation
    relations = [h] * (len(up) - 1) + [h] * (len(down) - 1) + \
        [_annotation_relation(graph, spec, target, annotation)]
    forward = [True] * (len(up) - 1) + [False] * (len(down) - 1) + [False]
    return Path(tuple(graph.id_list[x] for x in rows), tuple(relations), tuple(forward))


def _annotation_relation(graph: ArrayGraph, spec: DomainSpec, target: int, annotation: int) -> str:
    """The relation that annotates ``target`` with ``annotation``: the main one, else the first
    evidence relation holding the edge (e.g. case-derived, so the path names its source)."""
    for name in (spec.finding_relation, *spec.evidence_relations):
        if name in graph.relations:
            rel = graph.relations[name]
            if annotation in rel.objects[rel.indptr[target]:rel.indptr[target + 1]]:
                return name
    return spec.finding_relation


def _chain(graph: ArrayGraph, spec: DomainSpec, start: int, ancestor: int) -> list[int]:
    """Rows from ``start`` up the hierarchy to ``ancestor`` (a shortest chain, breadth first)."""
    rel = graph.relation(spec.hierarchy_relation)
    previous = {start: start}
    frontier = [start]
    while frontier and ancestor not in previous:
        nxt = []
        for row in frontier:
            for parent in sorted(rel.objects[rel.indptr[row]:rel.indptr[row + 1]].tolist()):
                if parent not in previous:
                    previous[parent] = row
                    nxt.append(parent)
        frontier = nxt
    if ancestor not in previous:
        return [start]
    chain = [ancestor]
    while chain[-1] != start:
        chain.append(previous[chain[-1]])
    return chain[::-1]
