"""``kgdecide train`` end to end for the clinical pack: examples, attention training, calibration
of every scorer, and the choice of the default scorer.

Every development case is used, leaky ones included, each scored without its own publication's
share of the graph (:mod:`kgdecide.packs.clinical.masking`); splits are by publication. Training
examples come from the training publications and from simulated patients whose noise is fitted
on those same cases; early stopping, calibration and the choice of the default look at the
validation publications only; the test publications are read once, to confirm the default
(:func:`choose_default`), and never to fit anything.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from kgdecide.errors import InvalidQuery
from kgdecide.graph.store import GraphStore
from kgdecide.packs.clinical.cases import LabelledCase, publication_split, read_labelled_cases
from kgdecide.packs.clinical.evaluation import (
    EvalCase, Estimate, eval_cases, paired_difference, publications, run, summary,
)
from kgdecide.packs.clinical.masking import PublicationMask, publication_mask
from kgdecide.pipeline import Ranker
from kgdecide.score.base import DomainSpec

logger = logging.getLogger(__name__)

#: Written beside the model: which scorer answers by default for this graph version, and why.
DEFAULT_FILE = "default.json"
#: The untrained scorer a learned one must beat to become the default.
BASELINE_SCORER = "resnik"
#: Simulated patients beside the real training cases.
SIMULATED = 2000


def clinical_training(**changes: object):  # noqa: ANN201 - TrainSettings (torch-free import)
    """The training settings of the clinical pack: term embeddings from Orphanet's disease
    profiles (their annotations cite Orphanet, not the publications evaluation hides)."""
    from kgdecide.score.train import TrainSettings

    return dataclasses.replace(TrainSettings(embedding_prefixes=("ORPHA:",)), **changes)


@dataclass(frozen=True, slots=True)
class TrainingData:
    """What training needs from the development cases, built once per graph."""

    mask: PublicationMask
    cases: tuple[LabelledCase, ...]
    validation: tuple[EvalCase, ...]  #: natural and de-leaked cases of validation publications
    test: tuple[EvalCase, ...]  #: the same of the test publications (for the default's check)


def training_data(store: GraphStore, spec: DomainSpec, cases_path: Path) -> TrainingData:
    graph = store.projection()
    cases = tuple(read_labelled_cases(cases_path))
    honest = ("natural", "deleaked")
    return TrainingData(publication_mask(graph, spec, cases_path), cases,
                        tuple(eval_cases(cases, ("validation",), honest)),
                        tuple(eval_cases(cases, ("test",), honest)))


def train_attention(store: GraphStore, spec: DomainSpec, data: TrainingData, simulated: int,
                    settings: object = None, candidate_prefixes: Sequence[str] = ("OMIM:",),
                    echo: Callable[[str], None] = logger.info):  # noqa: ANN201 - AttentionWeights
    """Train the attention scorer on the training publications' cases (each without its own
    publication's share) plus ``simulated`` patients; early stopping on validation MRR."""
    from kgdecide.score.attention import AttentionScorer
    from kgdecide.score.simulate import Noise, parents_of, simulate
    from kgdecide.score.train import ExampleMaker, train

    settings = settings or clinical_training()
    graph = store.projection()
    started = time.monotonic()
    maker = ExampleMaker(AttentionScorer(spec).with_weights(graph, None), graph, settings)
    index, mask = maker.state.index, data.mask
    allowed = _allowed_targets(graph, index, candidate_prefixes)
    maker.allowed = allowed
    rng = np.random.default_rng(settings.seed)
    examples, fitted = [], []
    for c in data.cases:
        if publication_split(c.publication) != "train":
            continue
        terms = _case_terms(graph, spec, index, c)
        answers = [mask.target_of_id[d] for d in c.diagnosis if d in mask.target_of_id]
        if terms is None or not answers:
            continue
        observed, excluded = terms
        example = maker.make(observed, excluded, answers, mask.overrides(c.publication), rng)
        if example is not None:
            examples.append(example)
            fitted.append((observed, excluded, mask.target_annotations(answers[0], c.publication)))
    noise = Noise.fit(index, fitted)
    echo(f"{len(examples):,} training cases ({time.monotonic() - started:.0f} s); noise fitted: "
         + ", ".join(f"{k} {v:.2f}" for k, v in zip(("exact", "vaguer", "more specific", "related",
                                                       "unrelated"), noise.kinds)))
    parents = parents_of(graph, spec, index)
    for case in simulate(index, parents, simulated, seed=settings.seed + 1, noise=noise,
                         targets=allowed):
        example = maker.make(list(case.observed), list(case.excluded), [case.target], (), rng)
        if example is not None:
            examples.append(dataclasses.replace(example, weight=settings.simulated_weight))
    echo(f"{len(examples):,} examples with {simulated:,} simulated "
         f"({time.monotonic() - started:.0f} s)")

    def validate(weights) -> float:  # noqa: ANN001
        ranker = attention_ranker(graph, spec, weights, candidate_prefixes)
        return summary(run(ranker, data.validation, mask), resamples=1)["mrr"].value

    return train(examples, validate, graph.version, settings, report=lambda r: echo(
        f"epoch {r.epoch:2d}  loss {r.train_loss:.4f}  validation MRR {r.validation:.3f}  "
        f"({r.seconds:.0f} s)"))


def attention_ranker(graph, spec: DomainSpec, weights, candidate_prefixes: Sequence[str]  # noqa: ANN001
                     ) -> Ranker:
    from kgdecide.score.attention import AttentionScorer

    scorer = AttentionScorer(spec).with_weights(graph, weights)
    return Ranker(graph, spec, scorer, candidate_prefixes=tuple(candidate_prefixes))


def calibrate(rankers: dict[str, Ranker], data: TrainingData, out_dir: Path,
              echo: Callable[[str], None] = logger.info) -> Path:
    """Fit every scorer's calibration on the validation publications' honest cases."""
    from kgdecide.score.calibration import CALIBRATION_FILE, Calibration, save_calibrations

    calibrations = {}
    for name, ranker in rankers.items():
        outcomes = run(ranker, data.validation, data.mask)
        raw = [p for o in outcomes for p in o.probabilities]
        hits = [h for o in outcomes for h in o.hits]
        version = getattr(ranker.scorer, "model_version", "none")
        calibrations[name] = Calibration.fit(raw, hits, version=f"iso-{str(version)[-6:]}")
        echo(f"calibrated {name} on {len(data.validation):,} validation cases")
    path = out_dir / CALIBRATION_FILE
    save_calibrations(path, calibrations)
    return path


@dataclass(frozen=True, slots=True)
class DefaultChoice:
    """Which scorer answers when none is named, and the figures behind the choice."""

    scorer: str  #: the chosen default
    candidate: str  #: the best scorer on validation
    validation_top1: dict[str, float]  #: per scorer, on the validation publications
    test_gain: Estimate | None  #: candidate minus baseline, top-1 on test (paired, bootstrap)
    reason: str
    #: the same gain on each kind of test case apart (natural, deleaked): reported, not a gate
    test_gain_by_kind: dict[str, Estimate] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict:
        out = asdict(self)
        out["test_gain"] = asdict(self.test_gain) if self.test_gain else None
        out["test_gain_by_kind"] = {k: asdict(v) for k, v in self.test_gain_by_kind.items()}
        return out


def choose_default(rankers: dict[str, Ranker], data: TrainingData) -> DefaultChoice:
    """The scorer with the best validation MRR becomes the default only when it beats
    :data:`BASELINE_SCORER` on the test publications by more than the bootstrap 95 % interval
    of the paired top-1 difference; otherwise the baseline stays the default.

    The interval resamples whole publications (:func:`bootstrap` with clusters): cases of one
    publication are correlated, and resampling them one by one would call a gain real that a
    few publications make."""
    validation = {name: run(r, data.validation, data.mask) for name, r in rankers.items()}
    mrr = {name: summary(o, resamples=1)["mrr"].value for name, o in validation.items()}
    top1 = {name: round(summary(o, resamples=1)["top1"].value, 4) for name, o in validation.items()}
    best = max(mrr, key=mrr.get)
    if best == BASELINE_SCORER or BASELINE_SCORER not in rankers:
        return DefaultChoice(best, best, top1, None, "best on validation")
    candidate = run(rankers[best], data.test, data.mask)
    baseline = run(rankers[BASELINE_SCORER], data.test, data.mask)
    gain = paired_difference(candidate, baseline, "top1", clusters=publications(data.test))
    by_kind = {}
    for kind in sorted({e.kind for e in data.test}):
        keep = [i for i, e in enumerate(data.test) if e.kind == kind]
        by_kind[kind] = paired_difference([candidate[i] for i in keep], [baseline[i] for i in keep],
                                          "top1", clusters=[data.test[i].case.publication for i in keep])
    if gain.low > 0:
        return DefaultChoice(best, best, top1, gain, "best on validation; beats the baseline on "
                             "test beyond the 95 % interval (publications resampled)", by_kind)
    return DefaultChoice(BASELINE_SCORER, best, top1, gain, f"{best} was best on validation but "
                         "its test gain over the baseline is within the 95 % interval "
                         "(publications resampled)", by_kind)


def save_default(path: Path, choice: DefaultChoice) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(choice.to_json(), indent=1))
    tmp.replace(path)


def read_default(path: Path) -> str | None:
    """The default scorer recorded for a graph version, None when training has not run."""
    if not path.is_file():
        return None
    return str(json.loads(path.read_text())["scorer"])


def _allowed_targets(graph, index, prefixes: Sequence[str]) -> np.ndarray:  # noqa: ANN001
    ids = graph.id_list
    return np.flatnonzero([not prefixes or ids[int(r)].startswith(tuple(prefixes))
                           for r in index.target_rows.tolist()])


def _case_terms(graph, spec: DomainSpec, index, c: LabelledCase  # noqa: ANN001
                ) -> tuple[list[int], list[int]] | None:
    from kgdecide.score.query import resolve

    try:
        r = resolve(graph, spec, c.case.observed, c.case.excluded, strict=False)
    except InvalidQuery:
        return None
    terms = index.term_of_row[list(r.rows)].tolist()
    return ([int(t) for t, p in zip(terms, r.present) if p],
            [int(t) for t, p in zip(terms, r.present) if not p])
