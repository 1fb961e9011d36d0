"""``kgdecide train`` end to end for the clinical pack: examples, attention training, calibration of every scorer.

Domain-free: the caller passes labelled items already split by publication.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kgdecide.graph.store import GraphStore
from kgdecide.score.base import DomainSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LabelledItem:
    observed: tuple[str, ...]
    excluded: tuple[str, ...]
    answers: tuple[str, ...]
    split: str  #: train / validation / test, by publication
    leaky: bool


def build_examples(store: GraphStore, spec: DomainSpec, items: Sequence[LabelledItem],
                   simulated: int, seed: int = 0, leaky: bool = False) -> tuple[list, list]:
    """Training examples (train split + simulated) and validation examples (leak-free ones).

    Leaky cases (their publication was used to annotate their disease) teach the model that
    findings match annotations exactly, which is the leak, not how patients present: they are
    left out of training unless ``leaky`` is set, and never used for early stopping.

    Case-derived evidence (``spec.evidence_relations``) comes from the training publications'
    cases, so training examples see the graph without it (else they would meet their own
    findings as annotations, the same leak); validation examples see it, as users will.
    """
    from kgdecide.score.annotations import annotation_index
    from kgdecide.score.lr import LRScorer
    from kgdecide.score.query import resolve
    from kgdecide.score.simulate import parents_of, simulate
    from kgdecide.score.train import TrainSettings, make_example
    from kgdecide.errors import InvalidQuery

    graph = store.projection()
    lr = LRScorer(spec)
    index = annotation_index(graph, spec, lr.settings.default_frequency)
    plain = annotation_index(graph, spec.without_evidence(), lr.settings.default_frequency)
    target_of_row = {int(r): i for i, r in enumerate(index.target_rows.tolist())}
    settings = TrainSettings(seed=seed)
    rng = np.random.default_rng(seed)
    train, validation = [], []
    for item in items:
        if item.split not in ("train", "validation"):
            continue  # test publications are never seen in training
        if item.leaky and (item.split == "validation" or not leaky):
            continue
        try:
            r = resolve(graph, spec, item.observed, item.excluded, strict=False)
        except InvalidQuery:
            continue
        answers = [target_of_row[graph.index[a]] for a in item.answers if a in graph.index
                   and graph.index[a] in target_of_row]
        terms = index.term_of_row[list(r.rows)]
        obs = [int(t) for t, p in zip(terms, r.present) if p]
        exc = [int(t) for t, p in zip(terms, r.present) if not p]
        seen = plain if item.split == "train" else index
        example = make_example(seen, lr, obs, exc, answers, rng, settings, item.leaky)
        if example is not None:
            (train if item.split == "train" else validation).append(example)
    parents = parents_of(graph, spec, plain)
    for case in simulate(plain, parents, simulated, seed=seed + 1):
        example = make_example(plain, lr, case.observed, case.excluded, [case.target], rng, settings)
        if example is not None:
            train.append(example)
    return train, validation


def fit_all(store: GraphStore, spec: DomainSpec, items: Sequence[LabelledItem], out_dir: Path,
            simulated: int, max_minutes: float, calibration_cases: int,
            candidate_prefixes: Sequence[str], echo: Callable[[str], None] = logger.info,
            leaky: bool = False, retrain: bool = True) -> list[Path]:
    """Train the attention scorer (or, ``retrain=False``, reuse the saved model), then calibrate
    every registered scorer; returns the files written."""
    from kgdecide.pipeline import Ranker, evaluate
    from kgdecide.score.registry import SCORERS, create_scorer
    from kgdecide.score.attention import MODEL_FILE, AttentionScorer, AttentionWeights
    from kgdecide.score.calibration import CALIBRATION_FILE, Calibration, save_calibrations
    from kgdecide.score.train import TrainSettings, train

    graph = store.projection()
    started = time.monotonic()
    model_path = out_dir / MODEL_FILE
    written = []
    if retrain:
        train_set, validation = build_examples(store, spec, items, simulated, leaky=leaky)
        echo(f"{len(train_set):,} training examples ({simulated:,} simulated), "
             f"{len(validation):,} validation, built in {time.monotonic() - started:.0f} s")
        weights = train(train_set, validation, graph.version, TrainSettings(max_minutes=max_minutes),
                        report=lambda r: echo(
                            f"epoch {r.epoch:2d}  loss {r.train_loss:.4f}  validation MRR "
                            f"{r.validation_mrr:.3f}  top-1 {r.validation_top1:.3f}  ({r.seconds:.0f} s)"))
        weights.save(model_path, {"trained_seconds": round(time.monotonic() - started),
                                  "examples": len(train_set), "simulated": simulated,
                                  "leaky_cases_used": leaky})
        written.append(model_path)
    else:
        weights = AttentionWeights.from_path(model_path)
    calibrations = {}
    # Calibrate for patients, not for the curated collection: leaky cases are far easier (their
    # publication annotated their disease), so only leak-free cases are used. Untrained scorers
    # may use every non-test leak-free case; the attention scorer only validation ones.
    leak_free = [i for i in items if not i.leaky]
    for name in sorted(SCORERS):
        trained = SCORERS[name].needs_training
        held_out = [i for i in leak_free if i.split == "validation"
                    or (i.split == "train" and not trained)][:calibration_cases]
        rankers = {}
        for split, split_spec in (("validation", spec), ("train", spec.without_evidence())):
            scorer = create_scorer(name, split_spec)
            if isinstance(scorer, AttentionScorer):
                scorer.with_weights(graph, weights)
            rankers[split] = Ranker(graph, split_spec, scorer,
                                    candidate_prefixes=tuple(candidate_prefixes))
        raw, hits = [], []
        for item in held_out:
            # Training publications' cases are in the case-derived evidence: rank them without it.
            outcome = evaluate(rankers[item.split], item.observed, item.excluded, item.answers)
            raw += outcome.probabilities
            hits += outcome.hits
        calibrations[name] = Calibration.fit(raw, hits, version=f"iso-{weights.version[-6:]}")
        echo(f"calibrated {name} on {len(held_out):,} leak-free cases "
             f"({time.monotonic() - started:.0f} s so far)")
    calibration_path = out_dir / CALIBRATION_FILE
    save_calibrations(calibration_path, calibrations)
    return [*written, calibration_path]
