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


def bootstrap(values: np.ndarray, resamples: int = 2000, seed: int = 0,
              clusters: Sequence[str] | None = None) -> Estimate:
    """Mean of per-case values with a percentile bootstrap interval.

    Without ``clusters`` cases are resampled one by one. With ``clusters`` (one label per case,
    e.g. its publication) whole clusters are resampled and the mean is taken over the cases they
    hold: cases of one publication are correlated (same authors, same disease, same way of
    recording), so resampling them one by one gives intervals narrower than the real uncertainty.

    >>> e = bootstrap(np.array([1.0, 0.0, 1.0, 1.0]))
    >>> e.value, e.low <= e.value <= e.high
    (0.75, True)
    >>> b = bootstrap(np.array([1.0, 1.0, 0.0, 0.0]), clusters=["a", "a", "b", "b"])
    >>> b.value, b.low, b.high
    (0.5, 0.0, 1.0)
    """
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return Estimate(float("nan"), float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    if clusters is None:
        means = values[rng.integers(0, len(values), (resamples, len(values)))].mean(axis=1)
    else:
        if len(clusters) != len(values):
            raise ValueError(f"{len(clusters)} cluster labels for {len(values)} values")
        _, which = np.unique(np.asarray(clusters, dtype=str), return_inverse=True)
        sums = np.bincount(which, weights=values)
        sizes = np.bincount(which).astype(np.float64)
        draws = rng.integers(0, len(sums), (resamples, len(sums)))
        means = sums[draws].sum(axis=1) / sizes[draws].sum(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return Estimate(float(values.mean()), float(low), float(high))


def ranks(outcomes: Sequence[Outcome]) -> np.ndarray:
    return np.array([o.rank for o in outcomes], dtype=np.float64)


def summary(outcomes: Sequence[Outcome], resamples: int = 2000,
            clusters: Sequence[str] | None = None) -> dict[str, Estimate]:
    r = ranks(outcomes)
    return {name: bootstrap(f(r), resamples, clusters=clusters) for name, f in METRICS.items()}


def paired_difference(a: Sequence[Outcome], b: Sequence[Outcome], metric: str = "top1",
                      resamples: int = 2000, clusters: Sequence[str] | None = None) -> Estimate:
    """Mean of ``metric(a) - metric(b)`` over the same cases, bootstrap interval over cases (or
    over ``clusters`` of them, see :func:`bootstrap`)."""
    f = METRICS[metric]
    return bootstrap(f(ranks(a)) - f(ranks(b)), resamples, clusters=clusters)


def publications(cases: Sequence[EvalCase]) -> list[str]:
    """Each case's publication: the clusters of :func:`bootstrap` for published cases."""
    return [e.case.publication for e in cases]


@dataclass(frozen=True, slots=True)
class Hub:
    id: str
    share: float  #: share of cases with this candidate in the top 3
    answer_share: float  #: share of cases whose answer it is
    #: the answer most often behind its top-3 appearances, and the share of them it accounts for
    usual_answer: tuple[str, float] = ("", 0.0)


def hubs(outcomes: Sequence[Outcome], cases: Sequence[EvalCase], top: int = 5) -> list[Hub]:
    """The candidates most often in the top 3, with how often they are the answer and which
    answer their appearances mostly come with (a phenocopy of a frequent disease is not a hub)."""
    counts = Counter(d for o in outcomes for d in set(o.leaders))
    answers = Counter(d for e in cases for d in set(e.case.diagnosis))
    n = max(len(outcomes), 1)
    out = []
    for d, c in counts.most_common(top):
        behind = Counter(e.case.diagnosis[0] for o, e in zip(outcomes, cases)
                         if d in o.leaders and e.case.diagnosis)
        usual, times = behind.most_common(1)[0] if behind else ("", 0)
        out.append(Hub(d, c / n, answers[d] / n, (usual, times / c)))
    return out
