"""``attention``: the learned graph-attention scorer.

For every (finding ``q``, target ``d``) pair it looks at the typed paths that connect them and
the baselines' features along the best one:

* path types: ``exact`` (``q <-has- d``), ``specific`` (``q <-is_a+- t <-has- d``: the target is
  annotated with a more specific form), ``general`` (``q -is_a+-> a <-is_a*- t <-has- d``: only a
  common ancestor links them), ``lacks`` (``d`` is known to lack ``q``);
* features: Resnik IC of the common ancestor, log likelihood ratio, annotation frequency,
  information lost between ``q`` and the common ancestor, the finding's own specificity.

A pair's value is a learned linear function per path type plus a small MLP shared by all types;
each finding gets a learned gate (attention weight) from its own specificity, so a vague finding
counts less than a telling one. An excluded finding can only count *against* a target that has
it: ``-gate * F[d, q] * softplus(w . x)``. Unconstrained, the model learned from curated cases that
an excluded finding typical of a disease is evidence *for* it (curators list the features they
checked), which would push a disease up when a patient lacks its features. The score is the gated
sum over findings, so deleting a finding moves the score by exactly its contribution.

Trained by ``kgdecide train`` (torch, :mod:`kgdecide.score.train`); inference here is numpy only.
The model file records the graph version it was trained on and is refused on another one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kgdecide.errors import ConfigError
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.annotations import AnnotationIndex, annotation_index
from kgdecide.score.base import ScoreResult, Scorer, softmax
from kgdecide.score.lr import LRScorer, LRSettings
from kgdecide.score.matching import (
    best_in_closure, best_match, closure_sources, match_sources, target_closure,
)

#: Path types, in the order of the one-hot block of the pair features.
PATH_TYPES = ("exact", "specific", "general", "lacks")
#: Pair features of a present finding (after the path-type one-hot).
PAIR_FEATURES = ("resnik", "log_lr", "frequency", "ic_lost", "ic_finding")
#: Features of an excluded finding for a target.
EXCLUDED_FEATURES = ("frequency", "log_lr_absent", "direct", "ic_finding")
#: Features of a finding on its own (its gate).
GATE_FEATURES = ("ic_finding", "share_of_targets", "one")
MODEL_FILE = "attention.npz"
#: Bumped whenever the meaning of the weights changes; older model files are refused.
MODEL_FORMAT = 2


def model_dir(home: Path, kg_version: str) -> Path:
    """Where trained models for a graph version live: ``<home>/models/<version>``.

    >>> model_dir(Path("/h"), "clinical/hpo/abc").as_posix()
    '/h/models/clinical__hpo__abc'
    """
    return Path(home) / "models" / kg_version.replace("/", "__")


@dataclass(frozen=True, slots=True)
class AttentionSettings:
    model_path: Path | None = None  #: the ``attention.npz`` written by ``kgdecide train``


@dataclass(frozen=True, slots=True)
class AttentionWeights:
    """The trained parameters (numpy), as saved by the trainer."""

    type_w: np.ndarray  #: [P, F] linear value per path type
    type_b: np.ndarray  #: [P]
    mlp_w1: np.ndarray  #: [F + P, H]
    mlp_b1: np.ndarray  #: [H]
    mlp_w2: np.ndarray  #: [H]
    gate_w: np.ndarray  #: [G] gate of a present finding (softplus)
    ex_w: np.ndarray  #: [E] value of an excluded finding
    ex_gate_w: np.ndarray  #: [G] gate of an excluded finding (softplus)
    version: str  #: model version (hash of the weights and training settings)
    kg_version: str  #: graph version the model was trained on

    @classmethod
    def from_path(cls, path: Path) -> AttentionWeights:
        if not Path(path).is_file():
            raise ConfigError(f"no attention model at {path}; run `kgdecide train` first "
                              "(about 10 minutes on 2 cores)")
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(str(arrays.pop("meta")))
        if meta.get("format") != MODEL_FORMAT:
            raise ConfigError(f"the attention model at {path} has an older format; run "
                              "`kgdecide train` again")
        return cls(**arrays, version=meta["version"], kg_version=meta["kg_version"])

    def save(self, path: Path, extra: dict[str, Any] | None = None) -> None:
        arrays = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("version", "kg_version")}
        meta = {"version": self.version, "kg_version": self.kg_version, "format": MODEL_FORMAT,
                **(extra or {})}
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(path).with_suffix(".tmp.npz")
        np.savez(tmp, meta=np.array(json.dumps(meta)), **arrays)
        tmp.replace(path)  # atomic: a reader never sees half a model


@dataclass(eq=False)
class _State:
    index: AnnotationIndex
    lr: LRScorer
    weights: AttentionWeights | None


def pair_features(index: AnnotationIndex, lr: LRScorer, term: int) -> np.ndarray:
    """[K, P + F] features of one present finding against every target."""
    k = index.n_targets
    resnik = best_match(index, term, index.ic, weighted=False)
    log_lr = lr.present_log_lr(index, term)
    own = np.zeros(k)
    rows, freq, _ = index.column(term)
    own[rows] = freq
    direct = np.zeros(k, dtype=bool)
    a, b = index.direct.indptr[term], index.direct.indptr[term + 1]
    direct[index.direct.indices[a:b]] = True
    lacks = log_lr <= np.log(lr.settings.epsilon) + 1e-9
    out = np.zeros((k, len(PATH_TYPES) + len(PAIR_FEATURES)), dtype=np.float32)
    out[:, 0] = direct & ~lacks
    out[:, 1] = (own > 0) & ~direct & ~lacks
    out[:, 2] = (own <= 0) & ~lacks
    out[:, 3] = lacks
    ic_q = index.ic[term]
    out[:, 4] = resnik / 10.0
    out[:, 5] = log_lr / 5.0
    out[:, 6] = np.where(own > 0, own, 0.0)
    out[:, 7] = (ic_q - resnik) / 10.0
    out[:, 8] = ic_q / 10.0
    return out


def pair_features_single(index: AnnotationIndex, lr: LRScorer, term: int, target: int,
                         drop: int = -1) -> np.ndarray:
    """One row of :func:`pair_features`, computed for one target as if its annotation ``drop``
    (term index) were deleted: the slow twin used by explanations."""
    closure = target_closure(index, target, drop)
    resnik = best_in_closure(index, term, closure, index.ic, False)
    log_lr = lr.present_log_lr_single(index, term, target, closure)
    own = closure.get(term, 0.0)
    a, b = index.direct.indptr[term], index.direct.indptr[term + 1]
    direct = term != drop and target in set(index.direct.indices[a:b].tolist())
    lacks = log_lr <= np.log(lr.settings.epsilon) + 1e-9
    ic_q = float(index.ic[term])
    return np.array([direct and not lacks, own > 0 and not direct and not lacks,
                     own <= 0 and not lacks, lacks, resnik / 10.0, log_lr / 5.0, own,
                     (ic_q - resnik) / 10.0, ic_q / 10.0], dtype=np.float32)


def excluded_features(index: AnnotationIndex, term: int) -> np.ndarray:
    """[K, E] features of one excluded finding against every target."""
    k = index.n_targets
    freq = np.zeros(k)
    rows, values, _ = index.column(term)
    freq[rows] = values
    direct = np.zeros(k)
    a, b = index.direct.indptr[term], index.direct.indptr[term + 1]
    direct[index.direct.indices[a:b]] = 1.0
    absent = np.log((1.0 - 0.95 * freq) / (1.0 - min(float(index.background[term]), 0.99)))
    out = np.zeros((k, len(EXCLUDED_FEATURES)), dtype=np.float32)
    out[:, 0], out[:, 1], out[:, 2], out[:, 3] = freq, absent, direct, index.ic[term] / 10.0
    return out


def gate_features(index: AnnotationIndex, term: int) -> np.ndarray:
    """[G] features of a finding on its own."""
    share = (index.closure.indptr[term + 1] - index.closure.indptr[term]) / index.n_targets
    return np.array([index.ic[term] / 10.0, share, 1.0], dtype=np.float32)


def excluded_values(w: AttentionWeights, x: np.ndarray) -> np.ndarray:
    """Value (never positive) of excluded findings from their features ``x`` [..., E]: only a
    target that has the finding (``frequency`` > 0) is penalised."""
    return -x[..., 0] * _softplus(x @ w.ex_w)


def _softplus(x: np.ndarray | float) -> np.ndarray:
    return np.logaddexp(0.0, x)


def pair_values(w: AttentionWeights, x: np.ndarray) -> np.ndarray:
    """Value of each (finding, target) pair from its features ``x`` [..., P + F]."""
    p = len(PATH_TYPES)
    onehot, feats = x[..., :p], x[..., p:]
    linear = ((feats @ w.type_w.T) + w.type_b) * onehot
    hidden = np.maximum(x @ w.mlp_w1 + w.mlp_b1, 0.0)
    return linear.sum(axis=-1) + hidden @ w.mlp_w2


class AttentionScorer(Scorer):
    """Learned attention over findings and typed paths (see the module docstring)."""

    name = "attention"
    needs_training = True

    @classmethod
    def default_settings(cls) -> AttentionSettings:
        return AttentionSettings()

    @property
    def model_version(self) -> str:
        for state in self._prepared.values():
            if state.weights is not None:
                return str(state.weights.version)
        return "none"

    @property
    def uses_excluded(self) -> bool:
        return True

    def with_weights(self, graph: ArrayGraph, weights: AttentionWeights | None) -> AttentionScorer:
        """Use in-memory weights (training, tests) instead of loading a model file."""
        self._prepared = {graph.version or str(id(graph)): self._new_state(graph, weights)}
        return self

    def _new_state(self, graph: ArrayGraph, weights: AttentionWeights | None) -> _State:
        index = annotation_index(graph, self.spec, LRSettings().default_frequency)
        return _State(index, LRScorer(self.spec), weights)

    def _prepare(self, graph: ArrayGraph) -> _State:
        if self.settings.model_path is None:
            raise ConfigError("the attention scorer needs a trained model: run `kgdecide train` "
                              "and pass its model file (the CLI finds it under --home)")
        weights = AttentionWeights.from_path(self.settings.model_path)
        if weights.kg_version != graph.version:
            raise ConfigError(f"the attention model was trained on graph {weights.kg_version}, "
                              f"this graph is {graph.version}; run `kgdecide train` again")
        return self._new_state(graph, weights)

    def _score(self, state: Any, findings: list[int], present: list[bool]) -> ScoreResult:
        st: _State = state
        if st.weights is None:
            raise ConfigError("the attention scorer has no weights; run `kgdecide train`")
        index, w = st.index, st.weights
        terms = index.terms(findings).tolist()
        k = index.n_targets
        contributions = np.zeros((len(findings), k))
        for i, (term, is_present) in enumerate(zip(terms, present)):
            z = gate_features(index, term)
            if is_present:
                gate = float(_softplus(z @ w.gate_w))
                contributions[i] = gate * pair_values(w, pair_features(index, st.lr, term))
            else:
                gate = float(_softplus(z @ w.ex_gate_w))
                contributions[i] = excluded_values(w, excluded_features(index, term)) * gate
        scores = contributions.sum(axis=0)
        total = np.abs(contributions).sum(axis=0)
        attention = np.abs(contributions) / np.where(total > 0, total, 1.0)
        return ScoreResult(
            targets=index.target_rows, scores=scores, contributions=contributions,
            findings=tuple(findings), present=tuple(present), bias=np.zeros(k),
            probabilities=softmax(scores), attention=attention,
        )

    def match(self, graph: ArrayGraph, finding: int, target: int) -> tuple[int, int] | None:
        return self.prepare(graph).lr.match(graph, finding, target)

    def matches(self, graph: ArrayGraph, finding: int, targets: np.ndarray
                ) -> list[tuple[int, int] | None]:
        return self.prepare(graph).lr.matches(graph, finding, targets)

    def dependencies(self, graph: ArrayGraph, result: ScoreResult, finding: int,
                     targets: np.ndarray) -> list[frozenset[int]] | None:
        # A pair's features read the Resnik match, the likelihood-ratio match, the closure
        # frequency at the finding itself and whether the finding is annotated directly: only
        # the annotations behind those can change it (see ResnikScorer/LRScorer.dependencies).
        if not result.present[finding]:
            return [frozenset()] * len(targets)
        index = self.prepare(graph).index
        term = int(index.terms([result.findings[finding]])[0])
        resnik = match_sources(index, term, targets, index.ic, False)[1]
        lr = match_sources(index, term, targets, 1.0 / index.background, True)[1]
        own = closure_sources(index, term, targets)
        a, b = index.direct.indptr[term], index.direct.indptr[term + 1]
        direct = np.where(np.isin(targets, index.direct.indices[a:b]), term, -1)
        return [frozenset(int(index.term_rows[t]) for t in sources if t >= 0)
                for sources in zip(resnik.tolist(), lr.tolist(), own.tolist(), direct.tolist())]

    def pair_contribution(self, graph: ArrayGraph, result: ScoreResult, finding: int, target: int,
                          drop: int) -> float:
        st: _State = self.prepare(graph)
        index, w = st.index, st.weights
        term = int(index.terms([result.findings[finding]])[0])
        if not result.present[finding] or w is None:
            return float(result.contributions[finding, target])
        x = pair_features_single(index, st.lr, term, target, int(index.term_of_row[drop]))
        gate = float(_softplus(gate_features(index, term) @ w.gate_w))
        return gate * float(pair_values(w, x[None, :])[0])
