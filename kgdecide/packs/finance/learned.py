"""The learned temporal scorer for FinDKG's link-prediction protocol, in three modules:

- :mod:`kgdecide.packs.finance.features`: what a candidate object of ``(s, r, ?, t)`` looks like
  (typed temporal path counts, popularity, type fit), from facts before week ``t``;
- :mod:`kgdecide.packs.finance.model`: the network over those features, the saved model (with
  the temporal rules of :mod:`kgdecide.packs.finance.rules` and the fusion weights), scoring a split;
- :mod:`kgdecide.packs.finance.training`: rules, network and fusion learned from train and valid.

This module re-exports their public names for callers that import ``learned``.
"""

from __future__ import annotations

from kgdecide.packs.finance.features import (  # noqa: F401
    BY_SUBJECT_TYPE, CONTEXT, DENSE, FEATURES, HUB_DEGREE, INPUTS, SPARSE, TAU, WINDOWS, Candidates,
    SparseFeatures, WeekHistory, WeekQueries, candidates, kg_fingerprint, type_codes, week_queries,
)
from kgdecide.packs.finance.model import (  # noqa: F401
    FUSION_GRID, GROUPS, MODEL_FORMAT, EpochReport, Fusion, LearnedScorer, LearnSettings, SplitScores, rank_split,
    score_split,
)
from kgdecide.packs.finance.training import metrics_of, train  # noqa: F401
