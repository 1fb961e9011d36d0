"""``lr``: a likelihood-ratio scorer in the spirit of LIRICAL (Robinson et al. 2020).

For a present finding ``q`` and a target ``d``, with ``F[d, a]`` the frequency of ``d``'s
annotations at or below ``a`` and ``bg[a]`` the mean of ``F[:, a]`` over all targets:

* ``P(q | d)``: ``d`` shows some annotated finding under an ancestor ``a`` of ``q`` with chance
  ``F[d, a]``, and that it takes the specific form ``q`` with chance ``bg[q] / bg[a]``;
  the best ancestor is used, mixed with a noise term ``epsilon * bg[q]`` (findings a patient has
  for another reason, or recorded imprecisely);
* ``P(q | not d) = bg[q]``; so ``LR = (1 - epsilon) * max_a F[d, a] / bg[a] + epsilon``;
* a target known to lack ``q`` (or an ancestor of it) gets ``LR = epsilon``.

Excluded findings: ``LR = (1 - F[d, q] (1 - epsilon)) / (1 - bg[q])``, raised to
``excluded_weight``: 0 ignores them. Curated case reports list as excluded the typical features the
patient lacked, so a full-weight penalty tends to hurt: measure before raising it.

The score is the sum of log LRs, i.e. the log post-test odds under a uniform pre-test probability
(no prior over targets is learned); the posterior is its softmax.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.annotations import AnnotationIndex, annotation_index
from kgdecide.score.base import ScoreResult, Scorer, TargetAnnotations, softmax
from kgdecide.score.matching import (
    BestMatchPaths, best_in_closure, best_match, closure_of, lacked, target_closure,
)


@dataclass(frozen=True, slots=True)
class LRSettings:
    epsilon: float = 0.05  #: noise: chance a finding is unrelated to the target or misrecorded
    default_frequency: float = 0.5  #: frequency of annotations that do not state one
    excluded_weight: float = 0.0  #: exponent on excluded findings' LR (0 ignores them)


class LRScorer(BestMatchPaths, Scorer):
    """Sum of per-finding log likelihood ratios.

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> g = toy_graph()
    >>> r = LRScorer(TOY_SPEC).score(g, [g.row("S:murmur")], [True])
    >>> g.id_list[int(r.targets[r.scores.argmax()])]
    'T:cardiac'
    """

    name = "lr"
    combines = "sum"

    @classmethod
    def default_settings(cls) -> LRSettings:
        return LRSettings()

    @property
    def uses_excluded(self) -> bool:
        return self.settings.excluded_weight > 0

    def _prepare(self, graph: ArrayGraph) -> AnnotationIndex:
        return annotation_index(graph, self.spec, self.settings.default_frequency)

    def _score(self, state: Any, findings: list[int], present: list[bool]) -> ScoreResult:
        index: AnnotationIndex = state
        terms = index.terms(findings)
        k = index.n_targets
        contributions = np.zeros((len(findings), k))
        for i, (term, is_present) in enumerate(zip(terms.tolist(), present)):
            if is_present:
                contributions[i] = self.present_log_lr(index, term)
            elif self.settings.excluded_weight > 0:
                contributions[i] = self.excluded_log_lr(index, term)
        scores = contributions.sum(axis=0)
        return ScoreResult(
            targets=index.target_rows, scores=scores, contributions=contributions,
            findings=tuple(findings), present=tuple(present), bias=np.zeros(k),
            probabilities=softmax(scores),
        )

    supports_overrides = True

    def _target_score(self, state: Any, findings: list[int], present: list[bool],
                      annotations: TargetAnnotations) -> tuple[float, np.ndarray]:
        index: AnnotationIndex = state
        closure = closure_of(index, annotations.terms, annotations.frequencies)
        column = np.zeros(len(findings))
        for i, (term, is_present) in enumerate(zip(index.terms(findings).tolist(), present)):
            if is_present:
                column[i] = self.present_log_lr_single(index, term, annotations.target, closure)
            elif self.settings.excluded_weight > 0:
                column[i] = self._excluded_log_lr(index, term, closure.get(term, 0.0))
        return 0.0, column

    def present_log_lr(self, index: AnnotationIndex, term: int) -> np.ndarray:
        """log LR of an observed finding for every target."""
        eps = self.settings.epsilon
        ratio = best_match(index, term, 1.0 / index.background, weighted=True)
        lr = (1.0 - eps) * ratio + eps
        lr[lacked(index, term)] = eps
        return np.log(lr)

    def excluded_log_lr(self, index: AnnotationIndex, term: int) -> np.ndarray:
        """log LR of a finding checked and absent, for every target (weighted)."""
        freq = np.zeros(index.n_targets)
        rows, values, _ = index.column(term)
        freq[rows] = values
        return self._excluded_log_lr(index, term, freq)

    def _excluded_log_lr(self, index: AnnotationIndex, term: int, freq: Any) -> Any:
        """Weighted log LR of an absent finding from the targets' closure frequency at it."""
        absent_given_d = 1.0 - freq * (1.0 - self.settings.epsilon)
        absent_given_other = 1.0 - min(float(index.background[term]), 0.99)
        return self.settings.excluded_weight * np.log(absent_given_d / absent_given_other)

    def match_scale(self, index: AnnotationIndex) -> tuple[np.ndarray, bool]:
        return 1.0 / index.background, True

    def contributions_from_matches(self, index: AnnotationIndex, terms: np.ndarray,
                                   present: np.ndarray, candidates: np.ndarray,
                                   best: np.ndarray) -> np.ndarray:
        eps = self.settings.epsilon
        out = np.log((1.0 - eps) * best + eps)
        if index.lacks.nnz:
            for i, term in enumerate(terms.tolist()):
                if present[i]:
                    out[lacked(index, term)[candidates], i, :] = np.log(eps)
        return out

    def pair_contribution(self, graph: ArrayGraph, result: ScoreResult, finding: int, target: int,
                          drop: int) -> float:
        index: AnnotationIndex = self.prepare(graph)
        term = int(index.terms([result.findings[finding]])[0])
        if not result.present[finding]:
            return float(result.contributions[finding, target])  # excluded: not path-based
        closure = target_closure(index, target, int(index.term_of_row[drop]))
        return self.present_log_lr_single(index, term, target, closure)

    def present_log_lr_single(self, index: AnnotationIndex, term: int, target: int,
                              closure: dict[int, float]) -> float:
        """:meth:`present_log_lr` for one target from its (possibly edited) closure."""
        eps = self.settings.epsilon
        if lacked(index, term)[target]:
            return float(np.log(eps))
        ratio = best_in_closure(index, term, closure, 1.0 / index.background, True)
        return float(np.log((1.0 - eps) * ratio + eps))
