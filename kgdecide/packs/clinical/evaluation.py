"""Diagnosis quality on published cases, honestly: by publication split, leak-free and de-leaked
apart, with bootstrap intervals. Used by ``eval/diagnosis.py`` and by ``kgdecide train`` (which
chooses its model and the default scorer on the validation publications).

Three kinds of case (always reported apart):

* ``natural``: leak-free as published (HPO does not cite the case's publication for its disease);
* ``deleaked``: leaky cases scored with their publication's share taken out of the graph
  (:mod:`kgdecide.packs.clinical.masking`);
* ``leaky``: leaky cases as they are, the overstated number, for reference only.

Every case, natural ones included, is scored without its own publication's case evidence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from kgdecide.packs.clinical.cases import LabelledCase, publication_split
from kgdecide.packs.clinical.masking import PublicationMask
from kgdecide.pipeline import Outcome, Ranker, evaluate

KINDS = ("natural", "deleaked", "leaky")


@dataclass(frozen=True, slots=True)
class EvalCase:
    case: LabelledCase
    kind: str  #: one of :data:`KINDS`
    split: str  #: train / validation / test, by publication


def eval_cases(cases: Iterable[LabelledCase], splits: Sequence[str] = ("test",),
               kinds: Sequence[str] = KINDS) -> list[EvalCase]:
    """The cases of the given publication splits, each under every kind it can take (a leaky
    case is both ``deleaked`` and ``leaky``)."""
    out = []
    for c in cases:
        split = publication_split(c.publication)
        if split not in splits:
            continue
        for kind in (("deleaked", "leaky") if c.leaky else ("natural",)):
            if kind in kinds:
                out.append(EvalCase(c, kind, split))
    return out


def run(ranker: Ranker, cases: Sequence[EvalCase], mask: PublicationMask | None,
        use_excluded: bool = True) -> list[Outcome]:
    """Each case's outcome; natural and de-leaked cases without their publication's share."""
    out = []
    for e in cases:
        overrides = () if mask is None or e.kind == "leaky" else mask.overrides(e.case.publication)
        excluded = e.case.case.excluded if use_excluded else ()
        out.append(evaluate(ranker, e.case.case.observed, excluded, e.case.diagnosis,
                            overrides=overrides))
    return out


#: Metrics from per-case ranks.
METRICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "top1": lambda r: (r <= 1).astype(float),
    "top3": lambda r: (r <= 3).astype(float),
    "top10": lambda r: (r <= 10).astype(float),
    "mrr": lambda r: 1.0 / r,
}


@dataclass(frozen=True, slots=True)
class Estimate:
    value: float
    low: float  #: 2.5 % bootstrap quantile
    high: float  #: 97.5 % bootstrap quantile

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"

    def percent(self) -> str:
        return f"{100 * self.value:.1f} [{100 * self.low:.1f}, {100 * self.high:.1f}]"

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def bootstrap(values: np.ndarray, resamples: int = 2000, seed: int = 0) -> Estimate:
    """Mean of per-case values with a percentile bootstrap interval over cases.

    >>> e = bootstrap(np.array([1.0, 0.0, 1.0, 1.0]))
    >>> e.value, e.low <= e.value <= e.high
    (0.75, True)
    """
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return Estimate(float("nan"), float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (resamples, len(values)))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return Estimate(float(values.mean()), float(low), float(high))


def ranks(outcomes: Sequence[Outcome]) -> np.ndarray:
    return np.array([o.rank for o in outcomes], dtype=np.float64)


def summary(outcomes: Sequence[Outcome], resamples: int = 2000) -> dict[str, Estimate]:
    r = ranks(outcomes)
    return {name: bootstrap(f(r), resamples) for name, f in METRICS.items()}


def paired_difference(a: Sequence[Outcome], b: Sequence[Outcome], metric: str = "top1",
                      resamples: int = 2000) -> Estimate:
    """Mean of ``metric(a) - metric(b)`` over the same cases, bootstrap interval over cases."""
    f = METRICS[metric]
    return bootstrap(f(ranks(a)) - f(ranks(b)), resamples)


@dataclass(frozen=True, slots=True)
class Hub:
    id: str
    share: float  #: share of cases with this candidate in the top 3
    answer_share: float  #: share of cases whose answer it is


def hubs(outcomes: Sequence[Outcome], cases: Sequence[EvalCase], top: int = 5) -> list[Hub]:
    """The candidates most often in the top 3, with how often they are the answer."""
    counts = Counter(d for o in outcomes for d in set(o.leaders))
    answers = Counter(d for e in cases for d in set(e.case.diagnosis))
    n = max(len(outcomes), 1)
    return [Hub(d, c / n, answers[d] / n) for d, c in counts.most_common(top)]
