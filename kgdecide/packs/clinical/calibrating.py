"""Calibration and conformal sets for a trained clinical model, fitted on the validation
publications' natural and de-leaked cases (each scored without its own publication's share of
the graph), without retraining anything: ``kgdecide train --calibrate-only``.

Both work over disease groups (one candidate per ``same_disease_as`` group, its probability its
best member's, renormalised over the groups ranked), as the page, the API and ``rank-cases``
show them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kgdecide.errors import InvalidQuery
from kgdecide.explain.questions import ANSWERS_FILE, AnswerModel
from kgdecide.packs.clinical.evaluation import EvalCase
from kgdecide.packs.clinical.masking import PublicationMask
from kgdecide.pipeline import Ranker
from kgdecide.score.calibration import CALIBRATION_FILE, Calibration, save_calibrations
from kgdecide.score.conformal import CONFORMAL_FILE, ConformalSets, nonconformity, save_conformal

logger = logging.getLogger(__name__)

#: Candidates per case whose probabilities calibration is fitted on (the page shows 10).
CALIBRATION_TOP = 10
#: RAPS: each rank past the first ``RAPS_FREE_RANKS`` adds this to a candidate's conformal score.
#: Without it (APS) the long tail of small probabilities makes the sets thousands long; 0.002
#: and 5 gave the smallest 90 % sets on one half of the validation cases calibrated on the other.
RAPS_PENALTY = 0.002
RAPS_FREE_RANKS = 5


@dataclass(frozen=True, slots=True)
class GroupRanking:
    """One case ranked over disease groups: what calibration and conformal sets need."""

    probabilities: np.ndarray  #: raw group probabilities, best first, summing to 1
    rank: int | None  #: pessimistic 1-based rank of the answer's group (None: not ranked)
    #: the answer's disease has no annotation left once the case's own publication's share is
    #: hidden (a de-leaked case whose disease only that publication described): no scorer can
    #: tell it apart, and the deployed graph has no such disease
    unannotated: bool = False

    @property
    def hits(self) -> np.ndarray:
        out = np.zeros(min(CALIBRATION_TOP, len(self.probabilities)), dtype=bool)
        if self.rank is not None and self.rank <= len(out):
            out[self.rank - 1] = True
        return out


def group_ranking(ranker: Ranker, observed: Sequence[str], excluded: Sequence[str],
                  answers: Sequence[str], overrides: Sequence = ()) -> GroupRanking | None:  # noqa: ANN001
    """Rank one labelled case over disease groups (None when none of its findings is known).
    The answer is placed only after ranking; ties count against it."""
    try:
        _, result, order = ranker.score(observed, excluded, overrides=overrides)
    except InvalidQuery:
        return None
    groups = ranker.groups(result.targets)
    peaks = groups.peak(result.probabilities)[groups.of[order]]
    total = peaks.sum()
    probabilities = peaks / (total if total > 0 else 1.0)
    wanted = [ranker.graph.index[a] for a in answers if a in ranker.graph.index]
    is_answer = np.isin(groups.of[order], groups.of[np.isin(result.targets, wanted)])
    rank = None
    if is_answer.any():
        scores = result.scores[order]
        rank = int((scores >= scores[is_answer].max()).sum())
    members = np.flatnonzero(np.isin(groups.of, groups.of[np.isin(result.targets, wanted)]))
    emptied = {o.target for o in overrides if len(o.terms) == 0}
    unannotated = len(members) > 0 and all(int(m) in emptied for m in members.tolist())
    return GroupRanking(probabilities, rank, unannotated)


def rank_groups(ranker: Ranker, cases: Sequence[EvalCase], mask: PublicationMask | None
                ) -> list[GroupRanking | None]:
    """:func:`group_ranking` of every case; natural and de-leaked ones without their
    publication's share of the graph."""
    out = []
    for e in cases:
        overrides = () if mask is None or e.kind == "leaky" else mask.overrides(e.case.publication)
        out.append(group_ranking(ranker, e.case.case.observed, e.case.case.excluded,
                                 e.case.diagnosis, overrides))
    return out


def fit_calibration(rankings: Sequence[GroupRanking | None], version: str) -> Calibration:
    """Isotonic maps from a shown candidate's raw group probability to how often such a
    candidate is the answer: one pooled over the first :data:`CALIBRATION_TOP` ranks, one for
    the first candidate alone (:meth:`Calibration.ranked`)."""
    ranked = [g for g in rankings if g is not None and len(g.probabilities)]
    raw = [p for g in ranked for p in g.probabilities[:CALIBRATION_TOP].tolist()]
    hits = [h for g in ranked for h in g.hits.tolist()]
    return Calibration.fit_ranked([float(g.probabilities[0]) for g in ranked],
                                  [bool(g.hits[0]) for g in ranked], raw, hits, version=version)


def fit_conformal(rankings: Sequence[GroupRanking | None], version: str,
                  penalty: float = RAPS_PENALTY, free_ranks: int = RAPS_FREE_RANKS) -> ConformalSets:
    """Conformal scores of the calibration cases whose answer keeps some annotation (see
    :attr:`GroupRanking.unannotated`): the promised coverage is for diagnoses the graph
    describes. A case whose findings are all unknown, or whose answer is not ranked at all,
    counts as a miss (infinite score)."""
    return ConformalSets.fit([nonconformity(g.probabilities, g.rank, penalty, free_ranks)
                              if g is not None else float("inf")
                              for g in rankings if g is None or not g.unannotated],
                             penalty, free_ranks, version)


def calibrate_model(rankers: dict[str, Ranker], validation: Sequence[EvalCase],
                    mask: PublicationMask | None, out_dir: Path,
                    echo: Callable[[str], None] = logger.info) -> tuple[Path, Path]:
    """Fit and write every scorer's calibration map and conformal scores into ``out_dir``."""
    calibrations, sets = {}, {}
    for name, ranker in rankers.items():
        rankings = rank_groups(ranker, validation, mask)
        model = str(getattr(ranker.scorer, "model_version", "none"))[-6:]
        calibrations[name] = fit_calibration(rankings, f"iso-{model}")
        sets[name] = fit_conformal(rankings, f"raps-{model}")
        echo(f"calibrated {name} on {sum(g is not None for g in rankings):,} validation cases "
             f"(90 % set threshold {sets[name].threshold(0.9):.4f})")
    calibration_path, conformal_path = out_dir / CALIBRATION_FILE, out_dir / CONFORMAL_FILE
    save_calibrations(calibration_path, calibrations)
    save_conformal(conformal_path, sets)
    return calibration_path, conformal_path


def fit_answer_model(graph_store, spec, data) -> AnswerModel:  # noqa: ANN001 - store, spec, TrainingData
    """How often a record answers a question (:class:`AnswerModel`), counted on the training
    publications' cases."""
    from kgdecide.packs.clinical.cases import publication_split
    from kgdecide.score.annotations import annotation_index
    from kgdecide.score.query import resolve

    graph = graph_store.projection()
    index = annotation_index(graph, spec)

    def labelled():  # noqa: ANN202
        for c in data.cases:
            if publication_split(c.publication) != "train":
                continue
            targets = [data.mask.target_of_id[d] for d in c.diagnosis if d in data.mask.target_of_id]
            try:
                r = resolve(graph, spec, c.case.observed, c.case.excluded, strict=False)
            except InvalidQuery:
                continue
            if not targets:
                continue
            terms = index.term_of_row[list(r.rows)].tolist()
            yield ([t for t, p in zip(terms, r.present) if p],
                   [t for t, p in zip(terms, r.present) if not p], int(targets[0]))

    return AnswerModel.fit(index, labelled())


def calibrate_and_sets(rankers: dict[str, Ranker], graph_store, data, out_dir: Path,  # noqa: ANN001
                       echo: Callable[[str], None] = logger.info) -> tuple[Path, ...]:
    """Everything ``kgdecide train --calibrate-only`` writes beside a trained model: the
    calibration maps and conformal scores (validation publications) and the answer model
    (training publications)."""
    paths = calibrate_model(rankers, data.validation, data.mask, out_dir, echo)
    answers = fit_answer_model(graph_store, rankers[next(iter(rankers))].spec, data)
    answers.save(out_dir / ANSWERS_FILE)
    echo(f"answer model from {answers.cases:,} training cases: a record answers "
         + "/".join(f"{100 * r:.0f}" for r in answers.annotated)
         + " % of questions about its disease's own findings (by IC bin), "
         + "/".join(f"{100 * r:.0f}" for r in answers.other) + " % of others")
    return (*paths, out_dir / ANSWERS_FILE)
