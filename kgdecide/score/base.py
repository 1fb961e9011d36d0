"""What every scorer shares: the domain it scores in, its result record, the base class.

A scorer ranks every node of a target type (diseases, companies, ...) for a set of findings
(nodes of a finding type, e.g. phenotypes) given as rows of an
:class:`~kgdecide.graph.arrays.ArrayGraph`. Every scorer returns its scores decomposed over
findings, ``score[c] = bias[c] + sum_f contributions[f, c]``; what that decomposition says about
deleting a finding depends on how the scorer combines findings, which each one declares in
:attr:`Scorer.combines`: a sum (the score drops by exactly the contribution), a mean (the others
are re-weighted by ``n / (n - 1)``) or attention (the others are re-weighted by a softmax; no
claim beyond the decomposition).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import asdict, dataclass
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from kgdecide.errors import ConfigError, InvalidQuery
from kgdecide.graph.arrays import ArrayGraph


@dataclass(frozen=True, slots=True)
class DomainSpec:
    """Which node types and relations a domain pack decides over; nothing else is domain-specific.

    >>> DomainSpec("Disease", "PhenotypicFeature", "has_phenotype", "is_a").excluded_relation is None
    True
    """

    target_type: str  #: node type of the candidates, e.g. ``Disease``
    finding_type: str  #: node type of findings, e.g. ``PhenotypicFeature``
    finding_relation: str  #: target -> finding annotation relation, e.g. ``has_phenotype``
    hierarchy_relation: str  #: child -> parent relation among findings, e.g. ``is_a``
    excluded_relation: str | None = None  #: target -> finding it is known to lack
    frequency_key: str = "frequency"  #: edge property on ``finding_relation``: 0..1, may be absent
    replacement_relations: tuple[str, ...] = ()  #: obsolete id -> live id, tried in this order
    #: further target -> finding relations read like ``finding_relation`` where it has no
    #: annotation for the pair (e.g. case-derived evidence); absent relations are ignored
    evidence_relations: tuple[str, ...] = ()
    #: target <-> target relation joining candidates that are one entity (e.g. the OMIM and
    #: ORPHA ids of one disease); the ranking shows one candidate per connected group
    equivalence_relation: str | None = None

    def without_evidence(self) -> DomainSpec:
        """The same domain reading only ``finding_relation`` (evidence relations switched off)."""
        return dataclasses.replace(self, evidence_relations=())


@dataclass(frozen=True, slots=True)
class TargetAnnotations:
    """One target's annotations as scorers read them, to score it as if the graph held these.

    Evaluation and training hide what a case's own publication put into the graph (its HPO
    annotations, its cases' phenotypes) by scoring the affected targets with these instead of
    the graph's; the scorers' information content and background stay those of the whole graph.
    """

    target: int  #: index into the scorer's targets (``ScoreResult.targets``)
    terms: np.ndarray  #: int64 finding-term indices (``AnnotationIndex`` numbering), each once
    frequencies: np.ndarray  #: float64 in (0, 1], aligned with ``terms``
    evidence: np.ndarray  #: bool, aligned: the annotation comes from an evidence relation

    def __post_init__(self) -> None:
        if not len(self.terms) == len(self.frequencies) == len(self.evidence):
            raise ValueError("terms, frequencies and evidence must be aligned")
        if len(np.unique(self.terms)) != len(self.terms):
            raise ValueError("a term may be annotated once per target")


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """Scores of every candidate for one query, decomposed by finding.

    ``contributions[i, j]`` is what finding ``findings[i]`` adds to candidate ``targets[j]``;
    ``scores = bias + contributions.sum(axis=0)``.
    """

    targets: np.ndarray  #: int64[m] graph rows of the candidates
    scores: np.ndarray  #: float64[m], higher is better
    contributions: np.ndarray  #: float64[n_findings, m]
    findings: tuple[int, ...]  #: graph rows of the findings, in query order
    present: tuple[bool, ...]  #: per finding: observed (True) or excluded (False)
    bias: np.ndarray  #: float64[m] the part of the score no finding accounts for
    probabilities: np.ndarray  #: float64[m] the scorer's own posterior (sums to 1), uncalibrated
    attention: np.ndarray | None = None  #: float64[n_findings, m] learned weights, if any


class Scorer:
    """Base class: subclasses set ``name``, hold settings in a dataclass and implement ``_score``.

    Heavy per-graph arrays are built by :meth:`prepare` once per graph version and cached on the
    scorer instance, never per query.
    """

    name: ClassVar[str] = ""
    #: how findings combine into a score, hence what deleting one does (see the module docstring):
    #: ``"sum"``, ``"mean"`` or ``"attention"``; every scorer declares it
    combines: ClassVar[str] = ""
    #: whether the scorer needs ``kgdecide train`` before use
    needs_training: ClassVar[bool] = False

    def __init__(self, spec: DomainSpec, settings: Any = None) -> None:
        self.spec = spec
        self.settings = settings if settings is not None else self.default_settings()
        self._prepared: dict[str, Any] = {}

    @classmethod
    def default_settings(cls) -> Any:
        return None

    @property
    def settings_hash(self) -> str:
        """A short hash of the settings, for provenance."""
        payload = asdict(self.settings) if self.settings is not None else {}
        text = json.dumps({"scorer": self.name, **payload}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def model_version(self) -> str:
        return "none"

    @property
    def uses_excluded(self) -> bool:
        """Whether excluded findings can change this scorer's ranking (as configured)."""
        return False

    def prepare(self, graph: ArrayGraph) -> Any:
        """The per-graph state (cached by graph version)."""
        key = graph.version or str(id(graph))
        state = self._prepared.get(key)
        if state is None:
            self._prepared.clear()  # one graph version at a time: old arrays are dropped
            state = self._prepared[key] = self._prepare(graph)
        return state

    def _prepare(self, graph: ArrayGraph) -> Any:
        raise NotImplementedError

    def score(self, graph: ArrayGraph, findings: list[int], present: list[bool],
              overrides: Sequence[TargetAnnotations] = ()) -> ScoreResult:
        """Score every candidate for findings given as graph rows.

        ``overrides`` score some targets as if the graph held other annotations for them (the
        evaluation hides what a case's own publication contributed to the graph; see
        :class:`TargetAnnotations`). Only scorers with ``supports_overrides`` accept them.

        Raises:
            InvalidQuery: no present finding, or a row that is not a finding node.
            ConfigError: overrides given to a scorer that cannot use them.
        """
        if not any(present):
            raise InvalidQuery("findings", "at least one present (observed) finding is needed")
        if len(findings) != len(present):
            raise InvalidQuery("findings", "findings and present flags differ in length")
        self._check_rows(graph, findings)
        state = self.prepare(graph)
        result = self._score(state, list(findings), list(present))
        if overrides:
            if not self.supports_overrides:
                raise ConfigError(f"the {self.name} scorer cannot score with replaced annotations")
            result = self._rescore(state, result, overrides)
        return result

    def _score(self, state: Any, findings: list[int], present: list[bool]) -> ScoreResult:
        raise NotImplementedError

    def _check_rows(self, graph: ArrayGraph, findings: Sequence[int]) -> None:
        rows = np.asarray(findings, dtype=np.int64)
        code = graph.type_code(self.spec.finding_type)
        inside = (rows >= 0) & (rows < len(graph))
        if not inside.all() or code is None or (graph.types[rows] != code).any():
            raise InvalidQuery("findings", "a finding is not a node of the finding type "
                               f"({self.spec.finding_type}) in this graph")

    # --- scoring some targets with other annotations --------------------------------------------

    #: whether :meth:`_target_score` is implemented (``score(..., overrides=...)`` works)
    supports_overrides: ClassVar[bool] = False

    def _target_score(self, state: Any, findings: list[int], present: list[bool],
                      annotations: TargetAnnotations) -> tuple[float, np.ndarray]:
        """(bias, contributions per finding) of one target with the given annotations: the
        readable one-target twin of :meth:`_score`, exact on the graph's own annotations."""
        raise NotImplementedError

    def posterior(self, scores: np.ndarray) -> np.ndarray:
        """The scorer's own posterior over candidates from its scores."""
        return softmax(scores)

    def _rescore(self, state: Any, result: ScoreResult,
                 overrides: Sequence[TargetAnnotations]) -> ScoreResult:
        contributions, bias = result.contributions.copy(), result.bias.copy()
        findings, present = list(result.findings), list(result.present)
        for annotations in overrides:
            bias[annotations.target], contributions[:, annotations.target] = self._target_score(
                state, findings, present, annotations)
        scores = bias + contributions.sum(axis=0)
        return dataclasses.replace(result, scores=scores, contributions=contributions, bias=bias,
                                   probabilities=self.posterior(scores))

    # --- for explanations (scorers without paths keep these defaults) ---------------------------

    def match(self, graph: ArrayGraph, finding: int, target: int) -> tuple[int, int] | None:
        """For a present finding (graph row) and a target (index into the result's targets):
        the (common ancestor row, annotation row) its contribution came through, or None."""
        return None

    def matches(self, graph: ArrayGraph, finding: int, targets: np.ndarray
                ) -> list[tuple[int, int] | None]:
        """:meth:`match` for many targets (scorers override it with one vectorised pass)."""
        return [self.match(graph, finding, int(t)) for t in targets.tolist()]

    def matches_many(self, graph: ArrayGraph, findings: Sequence[int], targets: np.ndarray
                     ) -> list[list[tuple[int, int] | None]]:
        """:meth:`matches` for several present findings (graph rows): one list per finding
        (scorers override it with one pass over all)."""
        return [self.matches(graph, finding, targets) for finding in findings]

    def pair_contribution(self, graph: ArrayGraph, result: ScoreResult, finding: int, target: int,
                          drop: int) -> float:
        """Finding ``finding``'s (index into ``result.findings``) contribution to ``target`` had
        the target's annotation ``drop`` (graph row) been deleted from the graph."""
        raise NotImplementedError(f"the {self.name} scorer does not explain paths")

    def dependencies(self, graph: ArrayGraph, result: ScoreResult, finding: int,
                     targets: np.ndarray) -> list[frozenset[int]] | None:
        """Per target (indices into ``result.targets``): the target's annotations (graph rows)
        whose deletion could change finding ``finding``'s contribution to it; ``None``: any
        might. :meth:`deleted_contributions` recomputes :meth:`pair_contribution` only for
        these."""
        return None

    def deleted_contributions(self, graph: ArrayGraph, result: ScoreResult, candidates: np.ndarray,
                              annotations: np.ndarray) -> np.ndarray:
        """Every finding's contribution to each candidate (indices into ``result.targets``) had
        one of the candidate's annotations (graph rows, ``-1`` pads) been deleted: float64
        ``[candidates, findings, annotations]``; where nothing is deleted (padding), the
        contribution as scored.

        This default asks :meth:`pair_contribution` for each (finding, annotation, candidate)
        the :meth:`dependencies` allow; the scorers that explain paths override it with one
        vectorised pass giving the same values.
        """
        candidates = np.asarray(candidates, dtype=np.int64)
        annotations = np.asarray(annotations, dtype=np.int64).reshape(len(candidates), -1)
        out = np.repeat(result.contributions[:, candidates].T[:, :, None], annotations.shape[1],
                        axis=2)
        for i in range(len(result.findings)):
            needs = self.dependencies(graph, result, i, candidates)
            for p, j in enumerate(candidates.tolist()):
                for b, drop in enumerate(annotations[p].tolist()):
                    if drop >= 0 and (needs is None or drop in needs[p]):
                        out[p, i, b] = self.pair_contribution(graph, result, i, j, drop=drop)
        return out


def softmax(scores: np.ndarray) -> np.ndarray:
    """Posterior over candidates from log-scores under a uniform prior.

    >>> softmax(np.array([0.0, np.log(3.0)])).round(2).tolist()
    [0.25, 0.75]
    """
    shifted = np.exp(scores - scores.max())
    return shifted / shifted.sum()
