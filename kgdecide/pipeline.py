"""``decide()``: the one place the stages meet.

findings (ids) -> resolve against the graph -> score every candidate -> calibrate -> explain the
top ones -> suggest the next questions -> :class:`~kgdecide.types.Decision`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse.csgraph import connected_components

from kgdecide.errors import InvalidQuery
from kgdecide.explain.evidence import explain_candidates
from kgdecide.explain.questions import next_questions
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.store import GraphStore
from kgdecide.score import Scorer, ScoreResult, create_scorer
from kgdecide.score.base import DomainSpec, TargetAnnotations
from kgdecide.score.calibration import Calibration
from kgdecide.score.query import Resolved, resolve
from kgdecide.types import Candidate, Decision, Provenance, Query


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

    @classmethod
    def create(cls, store: GraphStore, spec: DomainSpec, scorer: str | Scorer,
               calibration: Calibration | None = None, candidate_prefixes: Sequence[str] = (),
               settings: object = None) -> Ranker:
        built = create_scorer(scorer, spec, settings) if isinstance(scorer, str) else scorer
        return cls(store.projection(), spec, built, calibration or Calibration.identity(),
                   tuple(candidate_prefixes))

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
        probabilities renormalised over the groups shown, then calibrated) and its other ids.

        A group's probability is its best member's, not the sum over its members: the sum would
        give a disease listed by both OMIM and Orphanet twice the prior of one listed once, and
        shown probabilities would no longer fall with the rank.
        """
        groups = self.groups(result.targets)
        peak = groups.peak(result.probabilities)[groups.of[order]]
        allowed_mass = peak.sum()
        raw = peak[:top] / (allowed_mass if allowed_mass > 0 else 1.0)
        calibrated = self.calibration(raw)
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
    """Rank, explain and suggest next questions for one query (strict: unknown or contradictory
    findings raise ``InvalidQuery`` naming them).

    With ``text``, the ``linker`` (a :class:`kgdecide.link.Linker`) turns it into findings first:
    negated mentions become excluded findings; family-history, uncertain and historical ones are
    not used. Coded findings in ``query`` win over what the text says about the same node.

    >>> from kgdecide.graph.embedded import EmbeddedStore
    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.types import Finding
    >>> ranker = Ranker.create(EmbeddedStore(toy_graph()), TOY_SPEC, "lr")
    >>> d = decide(ranker, Query((Finding("S:focal"),), top_k=2))
    >>> d.candidates[0].id, d.evidence[0].contributions[0].value > 0
    ('T:epilepsy', True)
    """
    if text is not None:
        query = _with_text_findings(query, text, linker)
    if query is None:
        raise InvalidQuery("query", "give coded findings, text, or both")
    observed = [f.id for f in query.present]
    excluded = [f.id for f in query.excluded]
    if query.candidate_prefixes:
        ranker = Ranker(ranker.graph, ranker.spec, ranker.scorer, ranker.calibration,
                        query.candidate_prefixes)
    resolved, result, order = ranker.score(observed, excluded, strict=True)
    candidates = ranker.candidates(result, order, query.top_k)
    top = order[: query.top_k]
    evidence = explain_candidates(ranker.graph, ranker.spec, ranker.scorer, result, top)
    asked = set(resolved.ids)
    suggestions = next_questions(ranker.graph, ranker.spec, result, order, asked, k=questions,
                                 absent_counts=ranker.scorer.uses_excluded)
    return Decision(
        query=query, candidates=candidates, evidence=evidence, next_questions=suggestions,
        provenance=Provenance(
            kg_version=ranker.graph.version, scorer=ranker.scorer.name,
            model_version=f"{ranker.scorer.model_version}+{ranker.calibration.version}",
            settings_hash=ranker.scorer.settings_hash,
        ),
        notes=resolved.notes(),
    )


def _with_text_findings(query: Query | None, text: str, linker: Any) -> Query:
    if linker is None:
        raise InvalidQuery("text", "deciding from text needs a linker (kgdecide.link.Linker)")
    coded = query.findings if query is not None else ()
    known = {f.id for f in coded}
    linked = tuple(f for f in linker.link(text).findings() if f.id not in known)
    if not any(f.present for f in (*coded, *linked)):
        raise InvalidQuery("text", "no present finding was recognised in the text; rephrase it "
                           "or add coded findings")
    if query is None:
        return Query(linked)
    return Query(coded + linked, query.top_k, query.candidate_prefixes)


def default_model_dir(home: Path, graph: ArrayGraph) -> Path:
    """Where ``kgdecide train`` writes models and calibrations for this graph version."""
    from kgdecide.score.attention import model_dir

    return model_dir(home, graph.version)


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
    top_p = float(ranker.calibration(raw[:1])[0]) if len(raw) else 0.0
    ids = ranker.graph.id_list
    leaders = tuple(ids[ranker.shown_row(result, j)] for j in order[:3].tolist())
    return Outcome(rank, top_p, tuple(raw.tolist()), hits, len(resolved.unknown), leaders)
