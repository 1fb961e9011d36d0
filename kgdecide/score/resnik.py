"""``resnik``: Phenomizer-style similarity, the classic baseline.

Each present finding is matched to the target's annotation with the most informative common
ancestor (Resnik similarity: the information content of that ancestor); the score is the average
over findings (one-sided best-match average, query -> target, as in Köhler et al. 2009).
Excluded findings are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.annotations import AnnotationIndex, annotation_index
from kgdecide.score.base import ScoreResult, Scorer, TargetAnnotations, softmax
from kgdecide.score.matching import (
    BestMatchPaths, best_in_closure, best_match, closure_of, target_closure,
)


@dataclass(frozen=True, slots=True)
class ResnikSettings:
    temperature: float = 1.5  #: posterior = softmax(score * temperature)


class ResnikScorer(BestMatchPaths, Scorer):
    """Best-match average of Resnik similarity.

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> g = toy_graph()
    >>> r = ResnikScorer(TOY_SPEC).score(g, [g.row("S:focal")], [True])
    >>> g.id_list[int(r.targets[r.scores.argmax()])]
    'T:epilepsy'
    """

    name = "resnik"
    combines = "mean"

    @classmethod
    def default_settings(cls) -> ResnikSettings:
        return ResnikSettings()

    def _prepare(self, graph: ArrayGraph) -> AnnotationIndex:
        return annotation_index(graph, self.spec)

    def _score(self, state: Any, findings: list[int], present: list[bool]) -> ScoreResult:
        index: AnnotationIndex = state
        terms = index.terms(findings)
        n_present = sum(present)
        k = index.n_targets
        contributions = np.zeros((len(findings), k))
        for i, (term, is_present) in enumerate(zip(terms.tolist(), present)):
            if not is_present:
                continue
            contributions[i] = best_match(index, term, index.ic, weighted=False) / n_present
        scores = contributions.sum(axis=0)
        return ScoreResult(
            targets=index.target_rows, scores=scores, contributions=contributions,
            findings=tuple(findings), present=tuple(present), bias=np.zeros(k),
            probabilities=self.posterior(scores),
        )

    supports_overrides = True

    def posterior(self, scores: np.ndarray) -> np.ndarray:
        return softmax(scores * self.settings.temperature)

    def _target_score(self, state: Any, findings: list[int], present: list[bool],
                      annotations: TargetAnnotations) -> tuple[float, np.ndarray]:
        index: AnnotationIndex = state
        closure = closure_of(index, annotations.terms, annotations.frequencies)
        n_present = sum(present)
        column = np.array([best_in_closure(index, int(term), closure, index.ic, False) / n_present
                           if is_present else 0.0
                           for term, is_present in zip(index.terms(findings).tolist(), present)])
        return 0.0, column

    def match_scale(self, index: AnnotationIndex) -> tuple[np.ndarray, bool]:
        return index.ic, False

    def contributions_from_matches(self, index: AnnotationIndex, terms: np.ndarray,
                                   present: np.ndarray, candidates: np.ndarray,
                                   best: np.ndarray) -> np.ndarray:
        return np.where(present[None, :, None], best / int(present.sum()), 0.0)

    def pair_contribution(self, graph: ArrayGraph, result: ScoreResult, finding: int, target: int,
                          drop: int) -> float:
        index: AnnotationIndex = self.prepare(graph)
        term = int(index.terms([result.findings[finding]])[0])
        closure = target_closure(index, target, int(index.term_of_row[drop]))
        return best_in_closure(index, term, closure, index.ic, False) / sum(result.present)
