"""``next_questions``: which finding, asked next, would tell the top candidates apart best.

The posterior over the top candidates is the calibrated one (the ranker's calibration map over
their raw probabilities, renormalised over them). For each finding not yet asked that some top
candidate is annotated with, a question has three answers: "yes", "no" and "not known" (the
record says nothing). Per candidate ``d`` and finding ``h``:

    P(known | d, h)      = known[annotated, IC bin of h]   (learned: :class:`AnswerModel`)
    P(yes | known, d, h) = (1 - eps) F[d, h] + eps * bg[h]

where ``F`` is the candidate's propagated annotation frequency and ``annotated`` whether it is
above zero. The suggestion is the finding with the highest expected information gain: the
current entropy minus the expected entropy after the answer. A "not known" answer is never
scored, so its branch keeps the current entropy; for a scorer that ignores excluded findings
(``absent_counts=False``) so does the "no" branch. Everything is array arithmetic over
[candidates x findings] of the top candidates' annotations: no per-candidate Python loop
(evaluation's ``overrides``, a publication's share hidden, replace a few rows one by one).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.annotations import AnnotationIndex, annotation_index
from kgdecide.score.base import DomainSpec, ScoreResult, TargetAnnotations
from kgdecide.score.calibration import Calibration

#: Written beside the model by ``kgdecide train``: the learned :class:`AnswerModel`.
ANSWERS_FILE = "answers.json"


@dataclass(frozen=True, slots=True)
class AnswerModel:
    """How often a patient's record answers a question about a finding at all ("yes" or "no"
    rather than "not known"), by whether the disease is annotated with the finding (itself or a
    descendant) and by the finding's information content (a record says more often whether a
    patient has a broad kind of finding than a precise one). The default (every question
    answered) is what the gain was before any learning.

    >>> m = AnswerModel((0.0, 2.0, float("inf")), (0.8, 0.3), (0.1, 0.01))
    >>> m.known(np.array([[0.5, 0.0], [0.0, 0.9]]), np.array([1.0, 3.0])).tolist()
    [[0.8, 0.01], [0.1, 0.3]]
    """

    edges: tuple[float, ...] = (0.0, float("inf"))  #: information-content bin edges
    annotated: tuple[float, ...] = (1.0,)  #: P(known) per bin when the disease has the finding
    other: tuple[float, ...] = (1.0,)  #: P(known) per bin when it has not
    cases: int = 0  #: training cases the rates were counted on

    def known(self, block: np.ndarray, ic: np.ndarray) -> np.ndarray:
        """P(known) for [candidates x findings]: ``block`` their propagated frequencies,
        ``ic`` the findings' information content."""
        b = np.clip(np.searchsorted(np.asarray(self.edges), ic, side="right") - 1, 0,
                    len(self.annotated) - 1)
        return np.where(block > 0, np.asarray(self.annotated)[b][None, :],
                        np.asarray(self.other)[b][None, :])

    def to_json(self) -> dict:
        return {"edges": [e if np.isfinite(e) else None for e in self.edges],
                "annotated": list(self.annotated), "other": list(self.other), "cases": self.cases}

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> AnswerModel:
        """The model in ``path``; the default when the file is missing."""
        if not path.is_file():
            return cls()
        d = json.loads(path.read_text())
        return cls(tuple(float("inf") if e is None else float(e) for e in d["edges"]),
                   tuple(map(float, d["annotated"])), tuple(map(float, d["other"])),
                   int(d.get("cases", 0)))

    @classmethod
    def fit(cls, index: AnnotationIndex,
            cases: Iterable[tuple[Collection[int], Collection[int], int]],
            rng: np.random.Generator | None = None, others: int = 20,
            edges: Sequence[float] = (0.0, 2.0, 4.0, 6.0, float("inf"))) -> AnswerModel:
        """Count, over labelled cases ``(observed terms, excluded terms, answer's target index)``,
        how many questions the record answers: about the answer's own annotations and their
        ancestors (annotated), and about those of ``others`` random other diseases that the
        answer is not annotated with (the questions a differential raises); per IC bin. A bin
        with no question keeps rate 1 (as untrained)."""
        rng = rng or np.random.default_rng(0)
        direct = index.direct_rows
        bins = len(edges) - 1
        hit = np.zeros((2, bins))
        total = np.zeros((2, bins))
        n = 0
        for observed, excluded, target in cases:
            yes, no = record_answers(index, observed, excluded)
            known = yes | no
            own = direct.indices[direct.indptr[target]:direct.indptr[target + 1]]
            own = np.unique(index.ancestors[own].indices) if len(own) else own
            picks = rng.integers(0, index.n_targets, size=others)
            asked = candidate_terms(index, picks, with_ancestors=True)
            asked = asked[index.closure[target, asked].toarray().ravel() <= 0]
            for k, terms in enumerate((own, asked)):
                b = np.clip(np.searchsorted(np.asarray(edges), index.ic[terms], side="right") - 1,
                            0, bins - 1)
                np.add.at(hit[k], b, known[terms])
                np.add.at(total[k], b, 1)
            n += 1
        if n == 0:
            return cls()
        rate = np.where(total > 0, hit / np.maximum(total, 1), 1.0)
        return cls(tuple(float(e) for e in edges), tuple(rate[0].tolist()), tuple(rate[1].tolist()), n)


def record_answers(index: AnnotationIndex, observed: Collection[int], excluded: Collection[int]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """What a record answers about every finding term (bool[T] each): "yes" where the term or a
    descendant was observed, "no" where the term or an ancestor was excluded; neither is
    "not known".

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> g = toy_graph(); ix = annotation_index(g, TOY_SPEC)
    >>> t = lambda i: int(ix.term_of_row[g.row(i)])
    >>> yes, no = record_answers(ix, [t("S:focal")], [])
    >>> bool(yes[t("S:seizure")]), bool(yes[t("S:focal")]), bool(no[t("S:seizure")])
    (True, True, False)
    """
    n = index.ancestors.shape[0]
    yes = np.zeros(n, dtype=bool)
    no = np.zeros(n, dtype=bool)
    obs = np.asarray(list(observed), dtype=np.int64)
    exc = np.asarray(list(excluded), dtype=np.int64)
    if len(obs):
        yes[index.ancestors[obs].indices] = True
    if len(exc):
        flag = np.zeros(n, dtype=np.float64)
        flag[exc] = 1.0
        no = np.asarray(index.ancestors @ flag).ravel() > 0
    return yes, no & ~yes


def candidate_terms(index: AnnotationIndex, targets: np.ndarray,
                    overrides: Sequence[TargetAnnotations] = (),
                    with_ancestors: bool = False) -> np.ndarray:
    """The finding terms the given targets are directly annotated with (sorted, unique), and
    their ancestors with ``with_ancestors``; a target in ``overrides`` by its annotations
    there."""
    direct = index.direct_rows
    targets = np.asarray(targets, dtype=np.int64)
    replaced = {o.target: o for o in overrides}
    kept = targets[[int(t) not in replaced for t in targets.tolist()]] if replaced else targets
    parts = [direct[kept].indices]
    parts += [np.asarray(replaced[int(t)].terms, dtype=np.int64) for t in targets.tolist()
              if int(t) in replaced]
    terms = np.unique(np.concatenate(parts).astype(np.int64))
    if with_ancestors and len(terms):
        terms = np.unique(index.ancestors[terms].indices).astype(np.int64)
    return terms


def closure_block(index: AnnotationIndex, targets: np.ndarray, terms: np.ndarray,
                  overrides: Sequence[TargetAnnotations] = ()) -> np.ndarray:
    """F[d, h]: the propagated annotation frequency of each target for each term (dense, only
    [targets x terms]); a target in ``overrides`` propagated from its annotations there."""
    targets = np.asarray(targets, dtype=np.int64)
    rows = index.__dict__.get("_closure_rows")
    if rows is None:  # by target (CSR): picking a few targets' rows out of the CSC is slow
        rows = index.__dict__["_closure_rows"] = index.closure.tocsr()
    block = rows[targets][:, terms].toarray()
    for o in overrides:  # evaluation only: the few targets a publication's share touched
        where = np.flatnonzero(targets == o.target)
        if not len(where):
            continue
        row = np.zeros(index.ancestors.shape[0])
        if len(o.terms):
            up = index.ancestors[np.asarray(o.terms, dtype=np.int64)]
            np.maximum.at(row, up.indices, np.repeat(np.asarray(o.frequencies), np.diff(up.indptr)))
        block[where] = row[terms][None, :]
    return block


def asked_implied(index: AnnotationIndex, asked_terms: np.ndarray) -> np.ndarray:
    """bool[T]: terms an asked term already answers (the asked terms and their ancestors)."""
    out = np.zeros(index.ancestors.shape[0], dtype=bool)
    if len(asked_terms):
        out[index.ancestors[np.asarray(asked_terms, dtype=np.int64)].indices] = True
    return out


def question_gain(index: AnnotationIndex, targets: np.ndarray, p: np.ndarray, terms: np.ndarray,
                  epsilon: float = 0.05, absent_counts: bool = True,
                  answers: AnswerModel | None = None,
                  overrides: Sequence[TargetAnnotations] = ()) -> np.ndarray:
    """Expected information gain (nats) of asking each of ``terms`` under the posterior ``p``
    over ``targets``."""
    answers = answers or AnswerModel()
    block = closure_block(index, targets, terms, overrides)  # F[d, h]
    known = answers.known(block, index.ic[terms])
    yes_known = (1 - epsilon) * block + epsilon * index.background[terms][None, :]
    yes, no = known * yes_known, known * (1.0 - yes_known)
    return _entropy(p) - _expected_entropy(p, yes, no, absent_counts)


def next_questions(graph: ArrayGraph, spec: DomainSpec, result: ScoreResult, order: np.ndarray,
                   asked: Collection[str], k: int = 3, top: int = 20, epsilon: float = 0.05,
                   absent_counts: bool = True, calibration: Calibration | None = None,
                   answers: AnswerModel | None = None,
                   overrides: Sequence[TargetAnnotations] = ()) -> tuple[str, ...]:
    """Up to ``k`` finding ids to ask next, most informative first; ``asked``: ids already
    answered (yes, no or not known), never suggested again, nor their ancestors;
    ``absent_counts``: whether the scorer acts on "absent" answers (its ``uses_excluded``);
    ``overrides``: targets scored with other annotations (evaluation, as :meth:`Scorer.score`).

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.score import create_scorer
    >>> g = toy_graph(); r = create_scorer("lr", TOY_SPEC).score(g, [g.row("S:neuro")], [True])
    >>> next_questions(g, TOY_SPEC, r, r.scores.argsort()[::-1], {"S:neuro"}, k=1)
    ('S:ataxia',)
    """
    index = annotation_index(graph, spec)
    chosen = np.asarray(order[:top], dtype=np.int64)
    if len(chosen) == 0:
        return ()  # no candidate to tell apart
    p = posterior(result.probabilities, order, chosen, calibration)
    # result.targets is index.target_rows for every scorer here
    terms = candidate_terms(index, chosen, overrides)
    rows = [graph.index[i] for i in asked if i in graph.index]
    asked_terms = index.term_of_row[np.asarray(rows, dtype=np.int64)] if rows else np.zeros(0, np.int64)
    terms = terms[~asked_implied(index, asked_terms[asked_terms >= 0])[terms]]
    if len(terms) == 0:
        return ()
    gain = question_gain(index, chosen, p, terms, epsilon, absent_counts, answers, overrides)
    best = np.argsort(-gain, kind="stable")[:k]
    return tuple(graph.id_list[int(index.term_rows[terms[b]])] for b in best.tolist() if gain[b] > 0)


def posterior(probabilities: np.ndarray, order: np.ndarray, chosen: np.ndarray,
              calibration: Calibration | None) -> np.ndarray:
    """The calibrated probabilities of the ``chosen`` candidates (the first of ``order``, best
    first), renormalised over them."""
    total = probabilities[order].sum()
    raw = probabilities[chosen] / (total if total > 0 else 1.0)
    weights = calibration.ranked(raw) if calibration is not None else raw
    s = weights.sum()
    return weights / s if s > 0 else np.full(len(chosen), 1 / len(chosen))


def _entropy(p: np.ndarray) -> float:
    q = p[p > 0]
    return float(-(q * np.log(q)).sum())


def _expected_entropy(p: np.ndarray, yes: np.ndarray, no: np.ndarray,
                      absent_counts: bool = True) -> np.ndarray:
    """Expected posterior entropy per question: columns of ``yes`` and ``no`` are P(answer |
    candidate); the rest of each column is "not known". An answer that is not scored ("not
    known", and "no" when absent answers are ignored) keeps the current entropy."""
    h0 = _entropy(p)
    unscored = (p[:, None] * (1.0 - yes - (no if absent_counts else 0.0))).sum(axis=0)
    out = unscored * h0
    for answer in (yes, no) if absent_counts else (yes,):
        joint = p[:, None] * answer
        mass = joint.sum(axis=0)
        post = joint / np.where(mass > 0, mass, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.where(post > 0, post * np.log(post), 0.0).sum(axis=0)
        out += mass * h
    return out
