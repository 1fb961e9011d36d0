"""``next_questions``: which finding, asked next, would tell the top candidates apart best.

For each finding not yet asked that some top candidate is annotated with, the answer (present /
absent) is modelled per candidate as ``P(yes | d) = (1 - eps) F[d, h] + eps * bg[h]``; the
suggestion is the finding with the highest expected information gain (expected drop in the
entropy of the posterior over the top candidates).

The gain counts only answers the scorer will act on: for a scorer that ignores excluded findings
an "absent" answer leaves its ranking as it was, so such a question is worth only its "present"
branch (``absent_counts=False``). Otherwise the top candidate's own typical features, which the
patient mostly turns out not to have, would be asked again and again without moving anything.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.annotations import annotation_index
from kgdecide.score.base import DomainSpec, ScoreResult


def next_questions(graph: ArrayGraph, spec: DomainSpec, result: ScoreResult, order: np.ndarray,
                   asked: Collection[str], k: int = 3, top: int = 20, epsilon: float = 0.05,
                   absent_counts: bool = True) -> tuple[str, ...]:
    """Up to ``k`` finding ids to ask next, most informative first; ``absent_counts``: whether
    the scorer acts on "absent" answers (its ``uses_excluded``).

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.score import create_scorer
    >>> g = toy_graph(); r = create_scorer("lr", TOY_SPEC).score(g, [g.row("S:neuro")], [True])
    >>> next_questions(g, TOY_SPEC, r, r.scores.argsort()[::-1], {"S:neuro"}, k=1)
    ('S:ataxia',)
    """
    index = annotation_index(graph, spec)
    chosen = order[:top]
    if len(chosen) == 0:
        return ()  # no candidate to tell apart
    targets = chosen  # result.targets is index.target_rows for every scorer here
    weights = result.probabilities[chosen]
    p = weights / weights.sum() if weights.sum() > 0 else np.full(len(chosen), 1 / len(chosen))
    direct = index.direct_rows
    terms = np.unique(np.concatenate([direct.indices[direct.indptr[t]:direct.indptr[t + 1]]
                                      for t in targets.tolist()] or [np.zeros(0, np.int32)]))
    asked_terms = {int(index.term_of_row[graph.index[i]]) for i in asked if i in graph.index}
    implied = set()
    for term in asked_terms:
        implied.update(index.ancestors_of(term).tolist())  # asking for a parent again is useless
    terms = np.array([t for t in terms.tolist() if t not in implied], dtype=np.int64)
    if len(terms) == 0:
        return ()
    block = index.closure[targets][:, terms].toarray()  # F[d, h]
    yes = (1 - epsilon) * block + epsilon * index.background[terms][None, :]
    gain = _entropy(p) - _expected_entropy(p, yes, absent_counts)
    best = np.argsort(-gain, kind="stable")[:k]
    return tuple(graph.id_list[int(index.term_rows[terms[b]])] for b in best.tolist() if gain[b] > 0)


def _entropy(p: np.ndarray) -> float:
    q = p[p > 0]
    return float(-(q * np.log(q)).sum())


def _expected_entropy(p: np.ndarray, yes: np.ndarray, absent_counts: bool = True) -> np.ndarray:
    """Expected posterior entropy per question: columns of ``yes`` are P(yes | candidate). When
    absent answers are ignored, the "no" branch keeps the current entropy."""
    out = np.zeros(yes.shape[1])
    if not absent_counts:
        out += (p[:, None] * (1.0 - yes)).sum(axis=0) * _entropy(p)
    for answer in (yes, 1.0 - yes) if absent_counts else (yes,):
        joint = p[:, None] * answer
        mass = joint.sum(axis=0)
        post = joint / np.where(mass > 0, mass, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.where(post > 0, post * np.log(post), 0.0).sum(axis=0)
        out += mass * h
    return out
