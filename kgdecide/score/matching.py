"""The inner loop shared by the ontology scorers: the best match of one finding in every target.

For a finding ``q`` and a target ``d`` the candidates for a match are the ancestors ``a`` of ``q``
(``q`` itself included) that ``d`` is annotated at or below. Each scorer values such an ``a`` in
its own way (Resnik: ``ic[a]``; likelihood ratio: ``closure[d, a] / background[a]``); the match is
the best value. Only the closure columns of ``q``'s ancestors are read; the few general ancestors
with long columns come from a dense block (see :class:`AnnotationIndex`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgdecide.score.annotations import AnnotationIndex


def best_match(index: AnnotationIndex, term: int, scale: np.ndarray, weighted: bool) -> np.ndarray:
    """Per target: the best ``value(a) = scale[a] * (closure[d, a] if weighted else 1)`` over the
    ancestors ``a`` of ``term`` that ``d`` has (0 where none).

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.score.annotations import annotation_index
    >>> g = toy_graph(); ix = annotation_index(g, TOY_SPEC)
    >>> best_match(ix, int(ix.term_of_row[g.row("S:focal")]), ix.ic, False).round(2).tolist()
    [1.39, 0.69, 0.0, 0.0]
    """
    ancestors = index.ancestors_of(term)
    dense = index.dense_pos[ancestors]
    if (dense >= 0).any():
        block = index.dense_freq[dense[dense >= 0]]
        best = (scale[ancestors[dense >= 0]][:, None] * (block if weighted else (block > 0))).max(axis=0)
    else:
        best = np.zeros(index.n_targets)
    for a in ancestors[dense < 0].tolist():
        rows, freq, _ = index.column(a)
        value = freq * scale[a] if weighted else scale[a]
        best[rows] = np.maximum(best[rows], value)
    return best


def match_source(index: AnnotationIndex, term: int, target: int, scale: np.ndarray,
                 weighted: bool) -> tuple[int, int]:
    """For one target (index into ``target_rows``): the ancestor ``a`` of ``term`` that gave its
    best match and the target's annotation term under ``a`` (both -1 when none). The readable
    one-target twin of :func:`match_sources`, kept as the tests' oracle. The most specific
    ancestor wins ties, as the ancestors are stored most specific first.

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.score.annotations import annotation_index
    >>> g = toy_graph(); ix = annotation_index(g, TOY_SPEC)
    >>> a, t = match_source(ix, int(ix.term_of_row[g.row("S:seizure")]), 1, ix.ic, False)
    >>> g.id_list[ix.term_rows[a]], g.id_list[ix.term_rows[t]]
    ('S:seizure', 'S:seizure')
    """
    best_value, best = 0.0, (-1, -1)
    for a in index.ancestors_of(term).tolist():
        rows, freq, annotation = index.column(a)
        at = int(np.searchsorted(rows, target))
        if at < len(rows) and rows[at] == target:
            value = float(scale[a] * (freq[at] if weighted else 1.0))
            if value > best_value:
                best_value, best = value, (a, int(annotation[at]))
    return best


def match_sources(index: AnnotationIndex, term: int, targets: np.ndarray, scale: np.ndarray,
                  weighted: bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`match_source` for many targets at once: (ancestors, annotation terms), -1 where a
    target has no match. One pass over ``term``'s ancestors, whatever the number of targets.

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.score.annotations import annotation_index
    >>> g = toy_graph(); ix = annotation_index(g, TOY_SPEC)
    >>> term = int(ix.term_of_row[g.row("S:seizure")])
    >>> anc, ann = match_sources(ix, term, np.arange(4), ix.ic, False)
    >>> [(int(a), int(t)) for a, t in zip(anc, ann)] == [match_source(ix, term, d, ix.ic, False)
    ...                                                  for d in range(4)]
    True
    """
    targets = np.asarray(targets, dtype=np.int64)
    best_value = np.zeros(len(targets))
    best_ancestor = np.full(len(targets), -1, dtype=np.int64)
    best_annotation = np.full(len(targets), -1, dtype=np.int64)
    for a in index.ancestors_of(term).tolist():
        rows, freq, annotation = index.column(a)
        if len(rows) == 0:
            continue
        at = np.minimum(np.searchsorted(rows, targets), len(rows) - 1)
        has = rows[at] == targets
        value = np.where(has, scale[a] * (freq[at] if weighted else 1.0), 0.0)
        better = value > best_value  # strictly: the more specific ancestor (seen first) keeps ties
        best_value[better] = value[better]
        best_ancestor[better] = a
        best_annotation[better] = annotation[at][better]
    return best_ancestor, best_annotation


def match_sources_many(index: AnnotationIndex, terms: np.ndarray, targets: np.ndarray,
                       scale: np.ndarray, weighted: bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`match_sources` for many findings and targets at once: (ancestors, annotation
    terms), int64 ``[findings, targets]``, -1 where a target has no match. The targets' closures
    are built from their own annotations (a few thousand entries), and every (finding ancestor,
    target) pair is one lookup in them; the first best ancestor in the stored order wins, and
    the annotation is the one giving the closure's frequency there (highest frequency, then
    lowest term index), as in the index.

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.score.annotations import annotation_index
    >>> g = toy_graph(); ix = annotation_index(g, TOY_SPEC)
    >>> terms = ix.term_of_row[[g.row("S:seizure"), g.row("S:murmur")]]
    >>> anc, ann = match_sources_many(ix, terms, np.arange(4), ix.ic, False)
    >>> all((a.tolist(), t.tolist()) == tuple(x.tolist() for x in match_sources(ix, int(q),
    ...     np.arange(4), ix.ic, False)) for q, a, t in zip(terms, anc, ann))
    True
    """
    direct = index.direct_rows
    targets = np.asarray(targets, dtype=np.int64)
    terms = np.asarray(terms, dtype=np.int64)
    n_terms = index.ancestors.shape[0]
    missing = np.full((len(terms), len(targets)), -1, dtype=np.int64)
    starts = direct.indptr[targets].astype(np.int64)
    counts = direct.indptr[targets + 1].astype(np.int64) - starts
    if not len(terms) or counts.sum() == 0:
        return missing, missing.copy()
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    position = np.repeat(starts, counts) + within
    annotated = direct.indices[position].astype(np.int64)
    ancestors, owner = _gather_ancestors(index, annotated)
    slot = np.repeat(np.arange(len(targets)), counts)[owner]
    freq, source = direct.data[position][owner], annotated[owner]
    key = slot * n_terms + ancestors
    order = np.lexsort((source, -freq, key))  # per key: highest frequency, then lowest term
    key, freq, source = key[order], freq[order], source[order]
    first = np.r_[True, key[1:] != key[:-1]]
    key, freq, source = key[first], freq[first], source[first]
    # Every finding's ancestors, most specific first, against every target.
    asked, of_term = _gather_ancestors(index, terms)
    lookup = np.arange(len(targets))[None, :] * n_terms + asked[:, None]  # [P, c]
    at = np.minimum(np.searchsorted(key, lookup), len(key) - 1)
    has = key[at] == lookup
    value = np.where(has, scale[asked][:, None] * (freq[at] if weighted else 1.0), 0.0)
    segments = np.flatnonzero(np.r_[True, of_term[1:] != of_term[:-1]])
    best = np.maximum.reduceat(value, segments, axis=0)  # [n, c]
    is_best = (value == best[of_term]) & (best[of_term] > 0)
    rank = np.where(is_best, np.arange(len(asked))[:, None], len(asked))
    winner = np.minimum.reduceat(rank, segments, axis=0)  # the first best ancestor, or none
    found = winner < len(asked)
    column = np.broadcast_to(np.arange(len(targets)), winner.shape)
    safe = np.where(found, winner, 0)
    ancestor = np.where(found, asked[safe], -1)
    annotation = np.where(found, source[at[safe, column]], -1)
    return ancestor.astype(np.int64), annotation.astype(np.int64)


def _gather_ancestors(index: AnnotationIndex, terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ancestors of each term (stored order), concatenated; and which term each came from
    (position in ``terms``)."""
    lengths = np.diff(index.ancestors.indptr)[terms]
    begin = index.ancestors.indptr[terms]
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return (index.ancestors.indices[np.repeat(begin, lengths) + offsets].astype(np.int64),
            np.repeat(np.arange(len(terms)), lengths))


class BestMatchPaths:
    """Paths for a scorer whose value for a (finding, target) pair is the finding's best match
    in the target (:func:`best_match`, valued by :meth:`match_scale`): the mix-in gives the
    scorer's ``match``, ``matches`` and ``dependencies``.

    Only deleting the matched annotation can change such a value: any other leaves the matched
    ancestor its annotation, and so the maximum where it was.
    """

    def match_scale(self, index: AnnotationIndex) -> tuple[np.ndarray, bool]:
        """The ``scale`` and ``weighted`` arguments of :func:`best_match` for this scorer."""
        raise NotImplementedError

    def match(self, graph: Any, finding: int, target: int) -> tuple[int, int] | None:
        return self.matches(graph, finding, np.array([target]))[0]

    def matches(self, graph: Any, finding: int, targets: np.ndarray
                ) -> list[tuple[int, int] | None]:
        index: AnnotationIndex = self.prepare(graph)  # type: ignore[attr-defined]
        ancestors, annotations = match_sources(index, int(index.terms([finding])[0]), targets,
                                               *self.match_scale(index))
        return [(int(index.term_rows[a]), int(index.term_rows[t])) if a >= 0 else None
                for a, t in zip(ancestors.tolist(), annotations.tolist())]

    def matches_many(self, graph: Any, findings: list[int], targets: np.ndarray
                     ) -> list[list[tuple[int, int] | None]]:
        index: AnnotationIndex = self.prepare(graph)  # type: ignore[attr-defined]
        ancestors, annotations = match_sources_many(index, index.terms(findings), targets,
                                                    *self.match_scale(index))
        rows = index.term_rows
        return [[(int(rows[a]), int(rows[t])) if a >= 0 else None
                 for a, t in zip(anc.tolist(), ann.tolist())]
                for anc, ann in zip(ancestors, annotations)]

    def dependencies(self, graph: Any, result: Any, finding: int,
                     targets: np.ndarray) -> list[frozenset[int]] | None:
        if not result.present[finding]:
            return [frozenset()] * len(targets)
        return [frozenset({m[1]}) if m else frozenset()
                for m in self.matches(graph, result.findings[finding], targets)]

    def contributions_from_matches(self, index: AnnotationIndex, terms: np.ndarray,
                                   present: np.ndarray, candidates: np.ndarray,
                                   best: np.ndarray) -> np.ndarray:
        """Present findings' contributions from their best-match values ``best`` [c, n, a]
        (``candidates``: target indices [c]; ``terms``, ``present``: the findings' [n]); the
        scorer's own formula, as :meth:`_score` applies it to :func:`best_match`."""
        raise NotImplementedError

    def deleted_contributions(self, graph: Any, result: Any, candidates: np.ndarray,
                              annotations: np.ndarray) -> np.ndarray:
        """:meth:`Scorer.deleted_contributions` in one pass: from :func:`annotation_values`, a
        finding's value without annotation ``a`` is the best over the candidate's other
        annotations, i.e. the runner-up where ``a`` alone gave the best. Only a present
        finding whose best match came through ``a`` alone is recomputed; every other entry is
        the contribution as scored (as :meth:`dependencies` says)."""
        index: AnnotationIndex = self.prepare(graph)  # type: ignore[attr-defined]
        candidates = np.asarray(candidates, dtype=np.int64)
        annotations = np.asarray(annotations, dtype=np.int64).reshape(len(candidates), -1)
        out = np.repeat(result.contributions[:, candidates].T[:, :, None], annotations.shape[1],
                        axis=2)  # [c, n, a]
        present = np.asarray(result.present, dtype=bool)
        if not len(candidates) or not annotations.shape[1] or not present.any():
            return out
        terms = index.terms(list(result.findings))
        values, own = annotation_values(index, terms, candidates, *self.match_scale(index))
        top = values.max(axis=2)  # [c, n]
        is_top = values == top[:, :, None]
        # The runner-up: the best of the others, or the top again where two annotations tie.
        runner_up = np.where(is_top.sum(axis=2) > 1, top,
                             np.where(is_top, 0.0, values).max(axis=2))
        drops = np.where(annotations >= 0, index.term_of_row[np.maximum(annotations, 0)], -1)
        at = own[:, None, :] == drops[:, :, None]  # [c, a, m]: where each drop sits
        found = at.any(axis=2) & (drops >= 0)
        dropped = np.transpose(values[np.arange(len(candidates))[:, None], :, at.argmax(axis=2)],
                               (0, 2, 1))  # [c, n, a]: the value through the dropped annotation
        alone = ((dropped == top[:, :, None]) & (runner_up < top)[:, :, None]
                 & found[:, None, :] & present[None, :, None])
        if not alone.any():
            return out
        without = np.where(alone, runner_up[:, :, None], top[:, :, None])
        recomputed = self.contributions_from_matches(index, terms, present, candidates, without)
        return np.where(alone, recomputed, out)


def annotation_values(index: AnnotationIndex, terms: np.ndarray, candidates: np.ndarray,
                      scale: np.ndarray, weighted: bool) -> tuple[np.ndarray, np.ndarray]:
    """The batched contributions behind :func:`best_match`: for each candidate (target
    index), finding term and annotation of the candidate, the value of the finding's best
    match through that annotation alone, ``max over common ancestors x of scale[x] * (the
    annotation's frequency if weighted else 1)``: float64 ``[c, n, m]``, 0 in padding and where
    they share no ancestor; with the candidates' annotation terms ``[c, m]`` (``-1`` pads;
    ``m >= 2``). A finding's :func:`best_match` value in a candidate is the maximum over its
    annotations, exactly (multiplying by a positive frequency keeps the order of rounded
    products).

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.score.annotations import annotation_index
    >>> g = toy_graph(); ix = annotation_index(g, TOY_SPEC)
    >>> term = int(ix.term_of_row[g.row("S:focal")])
    >>> values, _ = annotation_values(ix, np.array([term]), np.arange(4), ix.ic, False)
    >>> bool((values.max(axis=2)[:, 0] == best_match(ix, term, ix.ic, False)).all())
    True
    """
    direct = index.direct_rows
    candidates = np.asarray(candidates, dtype=np.int64)
    terms = np.asarray(terms, dtype=np.int64)
    starts = direct.indptr[candidates].astype(np.int64)
    counts = direct.indptr[candidates + 1].astype(np.int64) - starts
    width = max(int(counts.max(initial=0)), 2)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    slot = np.repeat(np.arange(len(candidates)), counts)
    position = np.repeat(starts, counts) + within
    own = np.full((len(candidates), width), -1, dtype=np.int64)
    own[slot, within] = direct.indices[position]
    values = np.zeros((len(candidates), width, len(terms)))  # [c, m, n]: rows filled whole
    if len(position):
        annotated = direct.indices[position].astype(np.int64)
        gathered, owner = _gather_ancestors(index, annotated)  # >= 1 each: a term is its own
        # The terms met, numbered 0..u-1; each finding's ancestors among them valued by the
        # scale, 0 elsewhere: [u, n], a few thousand rows.
        met, local = np.unique(gathered, return_inverse=True)
        scaled = np.zeros((len(met), len(terms)))
        asked, of_term = _gather_ancestors(index, terms)
        at = np.minimum(np.searchsorted(met, asked), len(met) - 1)
        hit = met[at] == asked
        scaled[at[hit], of_term[hit]] = scale[asked[hit]]
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        best = np.maximum.reduceat(scaled[local], starts, axis=0)
        if weighted:
            best = best * direct.data[position][:, None]
        values[slot, within] = best
    return values.transpose(0, 2, 1), own


def closure_sources(index: AnnotationIndex, term: int, targets: np.ndarray) -> np.ndarray:
    """Per target: the annotation term that gives it its closure frequency at ``term`` (-1:
    none).

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.score.annotations import annotation_index
    >>> g = toy_graph(); ix = annotation_index(g, TOY_SPEC)
    >>> source = closure_sources(ix, int(ix.term_of_row[g.row("S:seizure")]), np.array([0, 3]))
    >>> [g.id_list[ix.term_rows[t]] if t >= 0 else None for t in source.tolist()]
    ['S:focal', None]
    """
    targets = np.asarray(targets, dtype=np.int64)
    rows, _, annotation = index.column(term)
    if len(rows) == 0:
        return np.full(len(targets), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(rows, targets), len(rows) - 1)
    return np.where(rows[at] == targets, annotation[at], -1).astype(np.int64)


def lacked(index: AnnotationIndex, term: int) -> np.ndarray:
    """Targets known to lack ``term`` or one of its ancestors (lacking a finding means lacking
    every more specific form of it)."""
    out = np.zeros(index.n_targets, dtype=bool)
    if index.lacks.nnz == 0:
        return out
    for a in index.ancestors_of(term).tolist():
        out[index.lacks.indices[index.lacks.indptr[a] : index.lacks.indptr[a + 1]]] = True
    return out


def target_closure(index: AnnotationIndex, target: int, drop: int = -1) -> dict[int, float]:
    """One target's propagated annotation frequencies (term -> frequency), optionally as if its
    annotation ``drop`` were deleted. The slow, readable twin of ``index.closure`` used by
    explanations (and, in tests, as the oracle of the vectorised path). The dict returned is
    shared between calls (cached per index): read it, never change it.

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.score.annotations import annotation_index
    >>> g = toy_graph(); ix = annotation_index(g, TOY_SPEC)
    >>> c = target_closure(ix, 1)
    >>> round(c[int(ix.term_of_row[g.row("S:neuro")])], 2)
    1.0
    """
    # Explanations ask for the same (target, drop) once per present finding: computed once per
    # index and kept (read-only for callers), bounded so a long-running server stays flat.
    cache: dict[tuple[int, int], dict[int, float]] = index.__dict__.setdefault("_closures", {})
    key = (target, drop)
    cached = cache.get(key)
    if cached is None:
        if len(cache) >= _CLOSURE_CACHE_SIZE:
            cache.clear()
        cached = cache[key] = _target_closure(index, target, drop)
    return cached


#: (target, dropped annotation) closures kept per index: a decision with 10 candidates uses ~80;
#: a few hundred terms each, so at most a few MB per process.
_CLOSURE_CACHE_SIZE = 1024


def _target_closure(index: AnnotationIndex, target: int, drop: int) -> dict[int, float]:
    """The target's annotations, all but ``drop``, propagated to their ancestors (highest
    frequency wins)."""
    direct = index.direct_rows
    a, b = direct.indptr[target], direct.indptr[target + 1]
    terms, freqs = direct.indices[a:b], direct.data[a:b]
    keep = terms != drop
    return closure_of(index, terms[keep], freqs[keep])


def closure_of(index: AnnotationIndex, terms: np.ndarray, freqs: np.ndarray) -> dict[int, float]:
    """Annotations (term indices with frequencies) propagated to their ancestors, highest
    frequency winning: one target's column of ``index.closure`` for any annotation set, by one
    gather over the ancestor lists instead of a loop per annotation.

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.score.annotations import annotation_index
    >>> g = toy_graph(); ix = annotation_index(g, TOY_SPEC)
    >>> closure_of(ix, np.array([], dtype=np.int64), np.array([]))
    {}
    """
    if len(terms) == 0:
        return {}
    starts, ends = index.ancestors.indptr[terms], index.ancestors.indptr[terms + 1]
    lengths = ends - starts
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    ancestors = index.ancestors.indices[np.repeat(starts, lengths) + offsets]
    values = np.repeat(freqs, lengths)
    order = np.lexsort((-values, ancestors))  # per ancestor, the highest frequency first
    ancestors, values = ancestors[order], values[order]
    first = np.ones(len(ancestors), dtype=bool)
    first[1:] = ancestors[1:] != ancestors[:-1]
    return dict(zip(ancestors[first].tolist(), values[first].tolist()))


def target_closure_reference(index: AnnotationIndex, target: int, drop: int = -1) -> dict[int, float]:
    """:func:`target_closure` the slow, obvious way: the oracle of the tests."""
    direct = index.direct_rows
    closure: dict[int, float] = {}
    for position in range(direct.indptr[target], direct.indptr[target + 1]):
        term, freq = int(direct.indices[position]), float(direct.data[position])
        if term == drop:
            continue
        for a in index.ancestors_of(term).tolist():
            if freq > closure.get(a, 0.0):
                closure[a] = freq
    return closure


def best_in_closure(index: AnnotationIndex, term: int, closure: dict[int, float],
                    scale: np.ndarray, weighted: bool) -> float:
    """:func:`best_match` for one target from its :func:`target_closure`."""
    values = [float(scale[a]) * (closure[a] if weighted else 1.0)
              for a in index.ancestors_of(term).tolist() if a in closure]
    return max(values, default=0.0)
