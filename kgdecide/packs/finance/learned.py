"""The learned temporal scorer for FinDKG's link-prediction protocol. It is domain-free and lives
in :mod:`kgdecide.score.temporal`, in three modules:

- :mod:`kgdecide.score.temporal.features`: what a candidate object of ``(s, r, ?, t)`` looks like
  (typed temporal path counts, popularity, type fit), from facts before week ``t``;
- :mod:`kgdecide.score.temporal.model`: the network over those features, the saved model (with
  the temporal rules of :mod:`kgdecide.score.temporal.rules` and the fusion weights), scoring a split;
- :mod:`kgdecide.score.temporal.training`: rules, network and fusion learned from train and valid.

This module re-exports their public names for callers that import ``learned``.
"""

from __future__ import annotations

from kgdecide.score.temporal.features import (  # noqa: F401
    BY_SUBJECT_TYPE, CONTEXT, DENSE, FEATURES, HUB_DEGREE, INPUTS, SPARSE, TAU, WINDOWS, Candidates,
    SparseFeatures, WeekHistory, WeekQueries, candidates, kg_fingerprint, type_codes, week_queries,
)
from kgdecide.score.temporal.model import (  # noqa: F401
    FUSION_GRID, GROUPS, MODEL_FORMAT, EpochReport, Fusion, LearnedPredictor, LearnedScorer,
    LearnSettings, SplitScores, rank_split, score_split,
)
from kgdecide.score.temporal.training import metrics_of, train  # noqa: F401
