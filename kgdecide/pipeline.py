"""``decide()``: the one place the stages meet.

findings (ids) -> resolve against the graph -> score every candidate -> calibrate -> explain the
top ones -> suggest the next questions -> :class:`~kgdecide.types.Decision`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse.csgraph import connected_components

from kgdecide.errors import InvalidQuery, LinkerUnavailable
from kgdecide.explain.evidence import explain_candidates
from kgdecide.explain.questions import AnswerModel, next_questions
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.store import GraphStore
from kgdecide.score import Scorer, ScoreResult, create_scorer
from kgdecide.score.base import DomainSpec, TargetAnnotations
from kgdecide.score.calibration import Calibration
from kgdecide.score.conformal import ConformalSets
from kgdecide.score.query import Resolved, resolve
from kgdecide.types import Candidate, Decision, Finding, Mention, Provenance, Query


@dataclass(frozen=True, eq=False)
class CandidateGroups:
    """Candidates that are one entity: targets joined, either way, by an equivalence relation.

    >>> from kgdecide.score.toy import toy_builder
    >>> b = toy_builder(); b.add_edge("T:atopic", "same_as", "T:cardiac")
    >>> g = b.build(); targets = g.rows_of_type("Target")
    >>> groups = CandidateGroups.of_targets(g, "same_as", targets)
    >>> [g.id_list[int(targets[m])] for m in groups.members_of(2)]
    ['T:atopic', 'T:cardiac']
    """

    of: np.ndarray  #: int64[m]: group of each target position (0..groups-1)
    #: target positions of each group of two or more, in position order
    members: Mapping[int, tuple[int, ...]]

    @classmethod
    def of_targets(cls, graph: ArrayGraph, relation: str | None,
                   targets: np.ndarray) -> CandidateGroups:
        """Groups of ``targets`` (graph rows); every target alone when the graph lacks
        ``relation``."""
        if relation is None or relation not in graph.relations:
            return cls(np.arange(len(targets), dtype=np.int64), {})
        _, labels = connected_components(graph.undirected([relation]), directed=False)
        _, of = np.unique(labels[targets], return_inverse=True)
        order = np.argsort(of, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(of[order]) != 0])
        members = {int(of[order[a]]): tuple(order[a:b].tolist())
                   for a, b in zip(starts.tolist(), [*starts[1:].tolist(), len(order)]) if b - a > 1}
        return cls(of.astype(np.int64), members)

    def members_of(self, position: int) -> tuple[int, ...]:
        """Target positions in the group of the target at ``position``."""
        return self.members.get(int(self.of[position]), (position,))

    def mass(self, probabilities: np.ndarray) -> np.ndarray:
        """Each group's summed probability, by group."""
        return np.bincount(self.of, weights=probabilities, minlength=int(self.of.max(initial=-1)) + 1)

    def peak(self, probabilities: np.ndarray) -> np.ndarray:
        """Each group's highest member probability, by group: the probability of the group's
        best-scoring member, which is what the ranking orders by."""
        out = np.zeros(int(self.of.max(initial=-1)) + 1)
        np.maximum.at(out, self.of, probabilities)
        return out

    def leaders(self, scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        """The best-scoring position of each group that has an ``allowed`` member, best first
        (ties: lower position first)."""
        best_first = np.argsort(-scores, kind="stable")
        _, first = np.unique(self.of[best_first], return_index=True)
        leaders = best_first[np.sort(first)]
        shown = np.bincount(self.of, weights=allowed, minlength=len(first)) > 0
        return leaders[shown[self.of[leaders]]]


@dataclass(eq=False)
class Ranker:
    """A scorer bound to a graph, with its calibration: built once, used for many queries.

    >>> from kgdecide.graph.embedded import EmbeddedStore
    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> ranker = Ranker.create(EmbeddedStore(toy_graph()), TOY_SPEC, "lr")
    >>> [c.id for c in ranker.rank(["S:murmur"], [], top=2)[0]]
    ['T:cardiac', 'T:atopic']
    """

    graph: ArrayGraph
    spec: DomainSpec
    scorer: Scorer
    calibration: Calibration = field(default_factory=Calibration.identity)
    candidate_prefixes: tuple[str, ...] = ()
    #: conformal scores fitted for this scorer (None: no prediction set can be promised)
    conformal: ConformalSets | None = None
    #: how often a patient's record answers a question (the next-question gain)
    answers: AnswerModel | None = None

    @classmethod
    def create(cls, store: GraphStore, spec: DomainSpec, scorer: str | Scorer,
               calibration: Calibration | None = None, candidate_prefixes: Sequence[str] = (),
               settings: object = None, conformal: ConformalSets | None = None,
               answers: AnswerModel | None = None) -> Ranker:
        built = create_scorer(scorer, spec, settings) if isinstance(scorer, str) else scorer
        return cls(store.projection(), spec, built, calibration or Calibration.identity(),
                   tuple(candidate_prefixes), conformal, answers)

    @classmethod
    def from_model_dir(cls, store: GraphStore, spec: DomainSpec, scorer: str, models: Any,
                       candidate_prefixes: Sequence[str] = (), settings: object = None) -> Ranker:
        """A ranker with the calibration, conformal scores and answer model found in the
        ``models`` folder (identity calibration and no prediction set when they are missing)."""
        from pathlib import Path

        from kgdecide.explain.questions import ANSWERS_FILE
        from kgdecide.score.calibration import CALIBRATION_FILE, load_calibration
        from kgdecide.score.conformal import CONFORMAL_FILE, load_conformal

        models = Path(models)
        return cls.create(store, spec, scorer, load_calibration(models / CALIBRATION_FILE, scorer),
                          candidate_prefixes, settings, load_conformal(models / CONFORMAL_FILE, scorer),
                          AnswerModel.load(models / ANSWERS_FILE))

    def _mask(self, targets: np.ndarray) -> np.ndarray:
        cache = self.__dict__.setdefault("_masks", {})
        key = (self.graph.version, self.candidate_prefixes, len(targets))
        if key not in cache:
            ids = self.graph.id_list
            cache[key] = np.array([not self.candidate_prefixes
                                   or ids[t].startswith(self.candidate_prefixes)
                                   for t in targets.tolist()], dtype=bool)
        return cache[key]

    def groups(self, targets: np.ndarray) -> CandidateGroups:
        """The groups of a result's targets (cached per graph version)."""
        cache = self.graph.__dict__.setdefault("_candidate_groups", {})
        key = (self.graph.version, self.spec.equivalence_relation, len(targets))
        if key not in cache:
            cache[key] = CandidateGroups.of_targets(self.graph, self.spec.equivalence_relation,
                                                    targets)
        return cache[key]

    def score(self, observed: Sequence[str], excluded: Sequence[str] = (),
              strict: bool = False, overrides: Sequence[TargetAnnotations] = ()
              ) -> tuple[Resolved, ScoreResult, np.ndarray]:
        """Resolve and score; returns the candidate order (indices into the result's targets),
        best first: the best-scoring member of each group (the spec's equivalence relation) that
        has a member within the candidate prefixes. ``overrides``: see :meth:`Scorer.score`
        (evaluation scores some targets without a publication's share)."""
        resolved = resolve(self.graph, self.spec, observed, excluded, strict=strict)
        result = self.scorer.score(self.graph, list(resolved.rows), list(resolved.present),
                                   overrides)
        order = self.groups(result.targets).leaders(result.scores, self._mask(result.targets))
        return resolved, result, order

    def candidates(self, result: ScoreResult, order: np.ndarray, top: int) -> tuple[Candidate, ...]:
        """The top candidates, one per group: shown by its best-scoring member within the
        candidate prefixes, with the group's score and probability (its best member's; the
        probabilities renormalised over the groups ranked, then calibrated:
        :meth:`Calibration.ranked`) and its other ids.

        A group's probability is its best member's, not the sum over its members: the sum would
        give a disease listed by both OMIM and Orphanet twice the prior of one listed once, and
        shown probabilities would no longer fall with the rank.
        """
        groups = self.groups(result.targets)
        peak = groups.peak(result.probabilities)[groups.of[order]]
        allowed_mass = peak.sum()
        raw = peak[:top] / (allowed_mass if allowed_mass > 0 else 1.0)
        calibrated = self.calibration.ranked(raw)
        out = []
        for r, (j, p) in enumerate(zip(order[:top].tolist(), calibrated.tolist()), 1):
            rows = [int(result.targets[m]) for m in groups.members_of(j)]
            shown_row = self.shown_row(result, j)
            label = self.graph.labels[shown_row] or next(
                (self.graph.labels[row] for row in rows if self.graph.labels[row]), "")
            out.append(Candidate(
                id=self.graph.id_list[shown_row], label=label, score=float(result.scores[j]),
                probability=float(p), rank=r,
                equivalent=tuple(sorted(self.graph.id_list[row] for row in rows
                                        if row != shown_row))))
        return tuple(out)

    def group_probabilities(self, result: ScoreResult, order: np.ndarray) -> np.ndarray:
        """Raw probability of every ranked group, in ``order``, summing to one: each group's
        best member's, renormalised over the groups ranked (what calibration and the conformal
        sets were fitted on)."""
        groups = self.groups(result.targets)
        peaks = groups.peak(result.probabilities)[groups.of[order]]
        total = peaks.sum()
        return peaks / (total if total > 0 else 1.0)

    def prediction_set(self, result: ScoreResult, order: np.ndarray, coverage: float
                       ) -> tuple[str, ...]:
        """The ids (as shown) of the conformal set at ``coverage``: the first candidates of the
        ranking, as many as :meth:`ConformalSets.prediction_set` keeps; empty without
        conformal scores."""
        if self.conformal is None or len(order) == 0:
            return ()
        size = self.conformal.prediction_set(self.group_probabilities(result, order), coverage)
        return tuple(self.graph.id_list[self.shown_row(result, j)] for j in order[:size].tolist())

    def shown_row(self, result: ScoreResult, position: int) -> int:
        """The graph row a group is shown as: its best-scoring member within the candidate
        prefixes (``position``: any member's index into the result's targets)."""
        allowed = self._mask(result.targets)
        members = [m for m in self.groups(result.targets).members_of(position) if allowed[m]]
        return int(result.targets[max(members, key=lambda m: result.scores[m])])

    def rank(self, observed: Sequence[str], excluded: Sequence[str] = (), top: int = 50,
             strict: bool = False) -> tuple[tuple[Candidate, ...], Resolved]:
        resolved, result, order = self.score(observed, excluded, strict)
        return self.candidates(result, order, top), resolved


def decide(
    ranker: Ranker,
    query: Query | None = None,
    questions: int = 3,
    *,
    text: str | None = None,
    linker: Any = None,
) -> Decision:
    """Rank, explain and suggest next questions for one case: coded findings (``query``), free
    ``text``, or both. Strict: unknown or contradictory findings raise ``InvalidQuery`` naming
    them.

    With ``text``, the ``linker`` (a :class:`kgdecide.link.Linker`) reads it first (see
    :func:`case_query`); the decision carries the mentions and each finding's source. Errors:
    ``InvalidQuery`` (nothing to decide on, no present finding), ``LinkerUnavailable`` (text but
    no linker).

    >>> from kgdecide.graph.embedded import EmbeddedStore
    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.types import Finding
    >>> ranker = Ranker.create(EmbeddedStore(toy_graph()), TOY_SPEC, "lr")
    >>> d = decide(ranker, Query((Finding("S:focal"),), top_k=2))
    >>> d.candidates[0].id, d.evidence[0].contributions[0].value > 0, d.sources
    ('T:epilepsy', True, ('coded',))
    """
    query, mentions, sources = case_query(query, text, linker)
    observed = [f.id for f in query.present]
    excluded = [f.id for f in query.excluded]
    if query.candidate_prefixes:
        ranker = Ranker(ranker.graph, ranker.spec, ranker.scorer, ranker.calibration,
                        query.candidate_prefixes, ranker.conformal, ranker.answers)
    resolved, result, order = ranker.score(observed, excluded, strict=True)
    candidates = ranker.candidates(result, order, query.top_k)
    top = order[: query.top_k]
    evidence = explain_candidates(ranker.graph, ranker.spec, ranker.scorer, result, top)
    asked = set(resolved.ids) | set(query.not_known)  # "not known" answers: asked, not scored
    suggestions = next_questions(ranker.graph, ranker.spec, result, order, asked, k=questions,
                                 absent_counts=ranker.scorer.uses_excluded,
                                 calibration=ranker.calibration, answers=ranker.answers)
    return Decision(
        query=query, candidates=candidates, evidence=evidence, next_questions=suggestions,
        provenance=Provenance(
            kg_version=ranker.graph.version, scorer=ranker.scorer.name,
            model_version=f"{ranker.scorer.model_version}+{ranker.calibration.version}",
            settings_hash=ranker.scorer.settings_hash,
        ),
        notes=resolved.notes(), mentions=mentions, sources=sources,
        prediction_set=ranker.prediction_set(result, order, query.coverage),
    )


def case_query(query: Query | None, text: str | None, linker: Any
               ) -> tuple[Query, tuple[Mention, ...], tuple[str, ...]]:
    """The findings to score for a case, the mentions read from its text and each finding's
    source (``coded`` or ``text``).

    Coded findings come first and win over what the text says about the same node (a clinician's
    toggle overrides the linker). The text's present and negated mentions become present and
    excluded findings (:meth:`kgdecide.link.LinkResult.findings`); family-history, uncertain and
    historical ones are kept as mentions but never scored. Blank text is no text.

    >>> from kgdecide.types import Finding
    >>> q, mentions, sources = case_query(Query((Finding("HP:1"),), top_k=3), None, None)
    >>> [f.id for f in q.findings], q.top_k, sources
    (['HP:1'], 3, ('coded',))
    """
    coded = query.findings if query is not None else ()
    has_text = text is not None and bool(text.strip())
    if query is None and text is None:
        raise InvalidQuery("query", "give coded findings, text, or both")
    mentions: tuple[Mention, ...] = ()
    linked: tuple[Finding, ...] = ()
    if has_text:
        if linker is None:
            raise LinkerUnavailable("the text linker is not available in this build; send coded "
                                    "findings (ids) instead of text")
        result = linker.link(text)
        mentions = tuple(result.mentions)
        known = {f.id for f in coded}
        linked = tuple(f for f in result.findings() if f.id not in known)
    findings = (*coded, *linked)
    if not any(f.present for f in findings):
        field = "text" if text is not None and not coded else "findings"
        raise InvalidQuery(field, "no present finding: add at least one coded finding marked "
                           "present, or text that names one")
    sources = ("coded",) * len(coded) + ("text",) * len(linked)
    if query is None:
        return Query(findings), mentions, sources
    return dataclasses.replace(query, findings=findings), mentions, sources


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one labelled case came out (evaluation and calibration)."""

    rank: float  #: pessimistic rank of the best-placed answer's group (inf: not ranked)
    top_probability: float  #: calibrated probability of the first candidate
    #: raw (uncalibrated) probabilities of the top candidates (their groups' best member's)
    probabilities: tuple[float, ...]
    hits: tuple[bool, ...]  #: whether each of those is an answer (any id of its group)
    unknown: int  #: finding ids dropped as unknown
    leaders: tuple[str, ...] = ()  #: ids of the first three candidates (hub analysis)


def evaluate(ranker: Ranker, observed: Sequence[str], excluded: Sequence[str],
             answers: Sequence[str], top: int = 10,
             overrides: Sequence[TargetAnnotations] = ()) -> Outcome:
    """Rank one labelled case and report where its answer landed.

    The answers are looked at only after ranking, to place them; an answer is found where any
    id of its group is (one disease under OMIM and ORPHA ids is one candidate). A case whose
    findings are all unknown ranks nothing (rank ``inf``). ``overrides`` score some targets with
    other annotations (leave-publication-out evaluation).
    """

    try:
        resolved, result, order = ranker.score(observed, excluded, overrides=overrides)
    except InvalidQuery:
        return Outcome(float("inf"), 0.0, (), (), len(observed) + len(excluded))
    groups = ranker.groups(result.targets)
    wanted = [ranker.graph.index[a] for a in answers if a in ranker.graph.index]
    answer_groups = groups.of[np.isin(result.targets, wanted)]
    is_answer = np.isin(groups.of[order], answer_groups)  # any id of the answer's group counts
    if is_answer.any():
        best = result.scores[order][is_answer].max()
        rank = float((result.scores[order] >= best).sum())
    else:
        rank = float("inf")
    peaks = groups.peak(result.probabilities)[groups.of[order]]
    raw = peaks[:top] / (peaks.sum() or 1.0)
    hits = tuple(bool(h) for h in is_answer[:top])
    top_p = float(ranker.calibration.ranked(raw[:1])[0]) if len(raw) else 0.0
    ids = ranker.graph.id_list
    leaders = tuple(ids[ranker.shown_row(result, j)] for j in order[:3].tolist())
    return Outcome(rank, top_p, tuple(raw.tolist()), hits, len(resolved.unknown), leaders)
