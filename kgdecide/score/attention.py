"""``attention``: the learned graph-attention scorer.

Two attentions, both conditioned on the candidate, both what the score is made of.

**Over the candidate's annotations.** For a present finding ``q`` and a candidate ``d`` with
annotated phenotypes ``A_d`` (the finding relation's and the evidence relations'), each ``a`` in
``A_d`` gets a logit

    s(q, a) = c(q, a) + h(a)

where ``c`` is a learned compatibility of the two terms from the typed path between them
(``q -is_a*-> x <-is_a*- a`` through their most informative common ancestor ``x``: the IC of
``x``, how far ``q`` and ``a`` each lie below it in IC, and whether the path only goes up, only
goes down or is an exact match) and ``h`` a learned weight of the annotation itself (its frequency,
whether it is case-derived). A "none of these" option with a learned logit ``null(q)`` (from
``q``'s own IC) competes with them. The attention of ``q`` on ``a`` is

    alpha(q, a | d) = exp(s(q, a)) / N_d**gamma / (exp(null(q)) + Z(q, d)),
    Z(q, d) = sum_a exp(s(q, a)) / N_d**gamma,   N_d = sum_a exp(h(a)),

(``gamma`` in [0, 1], learned, decides how much a long annotation list dilutes each entry), and
the finding's value for ``d`` is ``v(q, d) = log(1 + Z(q, d) / exp(null(q)))``: zero when nothing
of ``d`` is compatible with ``q``, large when a specific annotation matches it.

**Over the case's findings.** ``beta(q | d) = softmax over the case's present findings of
log gate(q) + focus * v(q, d)``; ``gate`` weighs a finding by its specificity (its IC), ``focus``
is learned (negative: a candidate must account for every finding; positive: it may ignore some).
The score is ``n * sum_q beta(q | d) * v(q, d)`` (``n`` present findings) minus, for each excluded
finding ``x``, ``w(x) * F[d, x]`` (``F``: the frequency with which ``d`` shows ``x`` or a more
specific form of it; ``w >= 0``), so an excluded finding can only count *against* a candidate that
has it: curated case reports list typical features a patient lacked, and a free weight learns to
push a disease up when its features are absent.

``contributions[q, d] = n * beta(q | d) * (v(q, d) - log 2)`` and ``bias = n log 2``, so the score
is exactly ``bias + sum`` of contributions and a finding counts for ``d`` (contribution > 0)
exactly when ``d`` explains it better than chance (``Z(q, d) > exp(null(q))``). The attention
returned with a result is ``beta``; the paths an explanation shows are the annotations with the
highest ``alpha``. Deleting a finding re-weighs the others (``beta`` is a softmax over them), so
the explanation's exact claim is per annotation: deleting one moves the candidate's score by what
the path's share says (recomputed in closed form).

Trained by ``kgdecide train`` (:mod:`kgdecide.score.train`, torch); inference is numpy: one
sparse product per query for every candidate at once. The model file records the graph version it
was trained on and is refused on another one.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from kgdecide.errors import ConfigError
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.annotations import AnnotationIndex, annotation_index
from kgdecide.score.base import ScoreResult, Scorer, TargetAnnotations, softmax
from kgdecide.score.matching import closure_of
from kgdecide.score.table import AnnotationTable

MODEL_FILE = "attention.npz"
#: Bumped whenever the meaning of the weights changes; older model files are refused.
MODEL_FORMAT = 3
#: Knots of the piecewise-linear functions of information content (nats).
IC_KNOTS = np.linspace(0.0, 10.0, 11)
#: Knots of the piecewise-linear function of annotation frequency.
FREQUENCY_KNOTS = np.array([0.0, 0.025, 0.1, 0.17, 0.3, 0.55, 0.75, 0.9, 1.0])
#: Knots of the piecewise-linear function of two terms' embedding cosine.
COSINE_KNOTS = np.linspace(-1.0, 1.0, 9)
#: Kinds of typed path between a finding ``q`` and an annotation ``a`` (index into
#: ``AttentionWeights.path``): no ancestor relation, the same term, ``a`` below ``q``, ``q`` below ``a``.
PATH_KINDS = ("across", "exact", "annotation_below", "finding_below")
_LOG2 = float(np.log(2.0))


@dataclass(frozen=True, slots=True)
class AttentionSettings:
    model_path: Path | None = None  #: the ``attention.npz`` written by ``kgdecide train``


@dataclass(frozen=True, slots=True)
class AttentionWeights:
    """The trained parameters (see the module docstring for what each one does)."""

    common: np.ndarray  #: [11] compatibility by IC of the common ancestor (at IC_KNOTS)
    finding_gap: np.ndarray  #: [11] ... by how far the finding lies below it
    annotation_gap: np.ndarray  #: [11] ... by how far the annotation lies below it
    path: np.ndarray  #: [4] ... by path kind (PATH_KINDS)
    frequency: np.ndarray  #: [9] annotation weight by frequency (at FREQUENCY_KNOTS)
    evidence: np.ndarray  #: [] added to the weight of a case-derived annotation
    gamma: np.ndarray  #: [] dilution by the candidate's annotation mass, in [0, 1]
    null: np.ndarray  #: [11] "none of these" logit by the finding's IC
    gate: np.ndarray  #: [11] finding weight (before softplus) by its IC
    focus: np.ndarray  #: [] how the finding attention leans on the values
    excluded: np.ndarray  #: [11] weight (before softplus) of an excluded finding by its IC
    #: [] 1: the ablation without attention over annotations (only the best one counts)
    hard_match: np.ndarray = field(default_factory=lambda: np.asarray(0.0))
    #: [9] compatibility by the cosine of the two terms' embeddings (at COSINE_KNOTS)
    similarity: np.ndarray = field(default_factory=lambda: np.zeros(len(COSINE_KNOTS)))
    #: [] 1: the term embeddings are used (0: the ablation without them; nothing is computed)
    embedded: np.ndarray = field(default_factory=lambda: np.asarray(0.0))
    version: str = "untrained"  #: model version (hash of the weights and training settings)
    kg_version: str = ""  #: graph version the model was trained on
    #: the targets whose annotations the term embeddings are learned from (id prefixes; empty:
    #: all), part of the model: the same embedding is rebuilt wherever it is loaded
    embedding_prefixes: tuple[str, ...] = ()

    @classmethod
    def initial(cls, kg_version: str = "") -> AttentionWeights:
        """The starting point of training: roughly Resnik's best match (compatibility grows
        with the common ancestor's IC), frequencies as log-probabilities, no finding focus."""
        return cls(
            common=IC_KNOTS.copy(), finding_gap=-0.5 * IC_KNOTS, annotation_gap=-0.3 * IC_KNOTS,
            path=np.zeros(len(PATH_KINDS)),
            frequency=np.log(np.maximum(FREQUENCY_KNOTS, 0.02)), evidence=np.array(0.0),
            gamma=np.array(0.5), null=np.full(len(IC_KNOTS), 3.0),
            gate=np.full(len(IC_KNOTS), 0.5413),  # softplus(0.5413) = 1: every finding weighs 1
            focus=np.array(0.0), excluded=np.full(len(IC_KNOTS), -3.0), kg_version=kg_version)

    @classmethod
    def from_path(cls, path: Path) -> AttentionWeights:
        if not Path(path).is_file():
            raise ConfigError(f"no attention model at {path}; run `kgdecide train` first")
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(str(arrays.pop("meta")))
        if meta.get("format") != MODEL_FORMAT:
            raise ConfigError(f"the attention model at {path} has an older format; run "
                              "`kgdecide train` again")
        return cls(**{k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()},
                   version=meta["version"], kg_version=meta["kg_version"],
                   embedding_prefixes=tuple(meta.get("embedding_prefixes", ())))

    def arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in ("version", "kg_version", "embedding_prefixes")}

    def save(self, path: Path, extra: dict[str, Any] | None = None) -> None:
        meta = {"version": self.version, "kg_version": self.kg_version, "format": MODEL_FORMAT,
                "embedding_prefixes": list(self.embedding_prefixes), **(extra or {})}
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(path).with_suffix(".tmp.npz")
        np.savez(tmp, meta=np.array(json.dumps(meta)), **self.arrays())
        tmp.replace(path)  # atomic: a reader never sees half a model

    # --- the model's functions (numpy twins of kgdecide.score.train's torch ones) ---------------

    def compatibility(self, common: np.ndarray, finding_ic: float, annotation_ic: np.ndarray,
                      kind: np.ndarray, cosine: np.ndarray | None = None) -> np.ndarray:
        """``c(q, a)`` from the common ancestor's IC, the two terms' IC, the path kind and the
        cosine of their embeddings."""
        c = (np.interp(common, IC_KNOTS, self.common)
             + np.interp(np.maximum(finding_ic - common, 0.0), IC_KNOTS, self.finding_gap)
             + np.interp(np.maximum(annotation_ic - common, 0.0), IC_KNOTS, self.annotation_gap)
             + self.path[kind])
        if cosine is not None and self.embedded:
            c = c + np.interp(cosine, COSINE_KNOTS, self.similarity)
        return c

    def annotation_weight(self, frequency: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        """``h(a)`` from the annotation's frequency and kind."""
        return np.interp(frequency, FREQUENCY_KNOTS, self.frequency) + self.evidence * evidence

    def null_logit(self, ic: np.ndarray) -> np.ndarray:
        return np.interp(ic, IC_KNOTS, self.null)

    def finding_gate(self, ic: np.ndarray) -> np.ndarray:
        return _softplus(np.interp(ic, IC_KNOTS, self.gate))

    def excluded_weight(self, ic: np.ndarray) -> np.ndarray:
        return _softplus(np.interp(ic, IC_KNOTS, self.excluded))


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


@dataclass(eq=False)
class TermPaths:
    """For one finding term, its path to every term: the most informative common ancestor and the
    path kind (see :data:`PATH_KINDS`). Built per graph; one finding costs a pass over the
    descendant lists of its ancestors."""

    index: AnnotationIndex
    descendants: Any  #: scipy csr [T, T]: the terms at or below each term

    @classmethod
    def build(cls, index: AnnotationIndex) -> TermPaths:
        descendants = index.ancestors.T.tocsr()
        descendants.sort_indices()
        return cls(index, descendants)

    def below(self, term: int) -> np.ndarray:
        """Terms at or below ``term`` (itself included)."""
        d = self.descendants
        return d.indices[d.indptr[term]:d.indptr[term + 1]]

    def of(self, term: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(common ancestor term [T], its IC [T], path kind int8 [T]) of ``term`` against every
        term; -1 / 0 where they share no ancestor."""
        ic = self.index.ic
        ancestors = self.index.ancestors_of(term)
        common = np.full(len(ic), -1, dtype=np.int64)
        common_ic = np.zeros(len(ic))
        # General ancestors first: each more informative one overwrites the terms below it, so
        # every term ends with its most informative common ancestor (ties: the more specific).
        for x in ancestors[np.lexsort((-np.arange(len(ancestors)), ic[ancestors]))].tolist():
            rows = self.below(x)
            common[rows] = x
            common_ic[rows] = ic[x]
        kind = np.zeros(len(ic), dtype=np.int8)
        kind[ancestors] = PATH_KINDS.index("finding_below")
        kind[self.below(term)] = PATH_KINDS.index("annotation_below")
        kind[term] = PATH_KINDS.index("exact")
        return common, common_ic, kind


@dataclass(eq=False)
class _State:
    graph: ArrayGraph
    index: AnnotationIndex
    table: AnnotationTable
    paths: TermPaths
    weights: AttentionWeights | None
    mass: sp.csr_matrix | None = None  #: [K, T] exp(h(a)) / N_d**gamma per annotation
    weight: np.ndarray | None = None  #: h(a) of each of the table's annotations (its positions)
    embeddings: np.ndarray | None = None  #: [T, dim] term embeddings (when the model uses them)
    #: recent findings' compatibility rows, reused by explanations and repeated queries
    rows: OrderedDict = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.rows = OrderedDict()
        if self.weights is not None:
            self.mass = annotation_mass(self.table, self.weights)
            self.weight = self.weights.annotation_weight(self.table.frequencies,
                                                         self.table.evidence)
            if self.weights.embedded:  # once per graph and model, never inside a request
                from kgdecide.score.embeddings import term_embeddings

                self.embeddings = term_embeddings(self.graph, self.index, self.table,
                                                  self.weights.embedding_prefixes)

    def cosines(self, term: int) -> np.ndarray:
        """Cosine of finding term q's embedding with every term's [T] (built on first use)."""
        if self.embeddings is None:
            from kgdecide.score.embeddings import term_embeddings

            prefixes = self.weights.embedding_prefixes if self.weights is not None else ()
            self.embeddings = term_embeddings(self.graph, self.index, self.table, prefixes)
        return (self.embeddings @ self.embeddings[term]).astype(np.float64)

    def compatibilities(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """(c(q, .) over all terms, common ancestor of q with each term) for finding term q."""
        cached = self.rows.get(term)
        if cached is None:
            common, common_ic, kind = self.paths.of(term)
            cosine = self.cosines(term) if self.weights.embedded else None
            c = self.weights.compatibility(common_ic, float(self.index.ic[term]), self.index.ic,
                                           kind, cosine)
            cached = self.rows[term] = (c, common)
            if len(self.rows) > _ROW_CACHE:
                self.rows.popitem(last=False)
        else:
            self.rows.move_to_end(term)
        return cached


#: Findings whose compatibility rows are kept (18k floats each on the clinical graph).
_ROW_CACHE = 256


def annotation_mass(table: AnnotationTable, weights: AttentionWeights) -> sp.csr_matrix:
    """[K, T]: ``exp(h(a)) / N_d ** gamma`` for each annotation ``a`` of each target ``d``."""
    h = weights.annotation_weight(table.frequencies, table.evidence)
    norm = np.zeros(table.n_targets)
    np.add.at(norm, table.targets, np.exp(h))
    log_norm = np.log(np.where(norm > 0, norm, 1.0))
    data = np.exp(h - float(weights.gamma) * log_norm[table.targets])
    return sp.csr_matrix((data, table.terms, table.indptr), shape=(table.n_targets, table.n_terms))


class AttentionScorer(Scorer):
    """Learned attention over annotations and findings (see the module docstring)."""

    name = "attention"
    needs_training = True
    supports_overrides = True
    combines = "attention"

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
        index = annotation_index(graph, self.spec)
        table = AnnotationTable.build(graph, self.spec, index)
        return _State(graph, index, table, TermPaths.build(index), weights)

    def _prepare(self, graph: ArrayGraph) -> _State:
        if self.settings.model_path is None:
            raise ConfigError("the attention scorer needs a trained model: run `kgdecide train` "
                              "and pass its model file (the CLI finds it under --home)")
        weights = AttentionWeights.from_path(self.settings.model_path)
        if weights.kg_version != graph.version:
            raise ConfigError(f"the attention model was trained on graph {weights.kg_version}, "
                              f"this graph is {graph.version}; run `kgdecide train` again")
        return self._new_state(graph, weights)

    def _weights(self, state: _State) -> AttentionWeights:
        if state.weights is None:
            raise ConfigError("the attention scorer has no weights; run `kgdecide train`")
        return state.weights

    # --- scoring -----------------------------------------------------------------------------

    def _score(self, state: Any, findings: list[int], present: list[bool]) -> ScoreResult:
        st: _State = state
        w = self._weights(st)
        index = st.index
        terms = index.terms(findings)
        shown = [int(t) for t, p in zip(terms.tolist(), present) if p]
        compat = np.stack([st.compatibilities(t)[0] for t in shown])  # [n, T]
        log_z = _hard_log_z(st, w, compat) if w.hard_match else _log_z(st, compat)
        values = _values(w, index.ic[shown], log_z)
        beta, parts = _combine(w, index.ic[shown], values)
        contributions = np.zeros((len(findings), index.n_targets))
        attention = np.zeros_like(contributions)
        rows = np.flatnonzero(present)
        contributions[rows], attention[rows] = parts, beta
        for i, (term, is_present) in enumerate(zip(terms.tolist(), present)):
            if not is_present:
                contributions[i] = self._against(w, index, term, _closure_column(index, term))
        bias = np.full(index.n_targets, len(shown) * _LOG2)
        scores = bias + contributions.sum(axis=0)
        return ScoreResult(targets=index.target_rows, scores=scores, contributions=contributions,
                           findings=tuple(findings), present=tuple(present), bias=bias,
                           probabilities=softmax(scores), attention=attention)

    def _target_score(self, state: Any, findings: list[int], present: list[bool],
                      annotations: TargetAnnotations) -> tuple[float, np.ndarray]:
        column, _ = self._target_detail(state, findings, present, annotations)
        return sum(present) * _LOG2, column

    def _target_detail(self, state: _State, findings: list[int], present: list[bool],
                       annotations: TargetAnnotations) -> tuple[np.ndarray, np.ndarray]:
        """One target's (contributions per finding, finding attention): the readable twin of
        :meth:`_score`, for overrides and explanations."""
        w = self._weights(state)
        index = state.index
        terms = index.terms(findings)
        shown = [int(t) for t, p in zip(terms.tolist(), present) if p]
        h = w.annotation_weight(annotations.frequencies, annotations.evidence)
        log_norm = np.log(np.exp(h).sum()) if len(h) else 0.0
        pool = (lambda x: x.max(initial=-np.inf)) if w.hard_match else _logsumexp
        log_z = np.array([pool(state.compatibilities(t)[0][annotations.terms] + h)
                          - float(w.gamma) * log_norm for t in shown])[:, None]  # [n, 1]
        values = _values(w, index.ic[shown], log_z)
        beta, parts = _combine(w, index.ic[shown], values)
        column = np.zeros(len(findings))
        attention = np.zeros(len(findings))
        rows = np.flatnonzero(present)
        column[rows], attention[rows] = parts[:, 0], beta[:, 0]
        closure = closure_of(index, annotations.terms, annotations.frequencies)
        for i, (term, is_present) in enumerate(zip(terms.tolist(), present)):
            if not is_present:
                column[i] = float(self._against(w, index, term, closure.get(term, 0.0)))
        return column, attention

    @staticmethod
    def _against(w: AttentionWeights, index: AnnotationIndex, term: int, frequency: Any) -> Any:
        return -float(w.excluded_weight(np.array(index.ic[term]))) * frequency

    # --- explanations --------------------------------------------------------------------------

    def attention_over_annotations(self, graph: ArrayGraph, finding: int, target: int
                                   ) -> tuple[TargetAnnotations, np.ndarray, float]:
        """For a present finding (graph row) and a target (index into targets): the target's
        annotations, ``alpha`` over them, and the attention left on "none of these"."""
        st: _State = self.prepare(graph)
        w = self._weights(st)
        term = int(st.index.terms([finding])[0])
        annotations = st.table.row(target)
        c, _ = st.compatibilities(term)
        h = w.annotation_weight(annotations.frequencies, annotations.evidence)
        log_norm = np.log(np.exp(h).sum()) if len(h) else 0.0
        logits = np.append(c[annotations.terms] + h - float(w.gamma) * log_norm,
                           w.null_logit(st.index.ic[term]))
        alpha = np.exp(logits - _logsumexp(logits))
        return annotations, alpha[:-1], float(alpha[-1])

    def matches(self, graph: ArrayGraph, finding: int, targets: np.ndarray
                ) -> list[tuple[int, int] | None]:
        """The annotation each target attends to most for this finding, with the two terms'
        common ancestor (graph rows); None when the target has no annotation. All targets at
        once: the highest ``alpha`` is the highest logit ``c(q, a) + h(a)`` (the rest of
        ``alpha``'s formula is the same for every annotation of a target); ties go to the
        first annotation, as :func:`numpy.argmax` over :meth:`attention_over_annotations`."""
        st: _State = self.prepare(graph)
        self._weights(st)
        term = int(st.index.terms([finding])[0])
        c, common = st.compatibilities(term)
        own, position = _own_annotations(st.table, np.asarray(targets, dtype=np.int64))
        logits = np.where(own >= 0, c[np.maximum(own, 0)] + st.weight[position], -np.inf)
        best = own[np.arange(len(own)), logits.argmax(axis=1)]
        return [(int(st.index.term_rows[common[b]]), int(st.index.term_rows[b])) if b >= 0
                else None for b in best.tolist()]

    def match(self, graph: ArrayGraph, finding: int, target: int) -> tuple[int, int] | None:
        return self.matches(graph, finding, np.array([target]))[0]

    def deleted_contributions(self, graph: ArrayGraph, result: ScoreResult, candidates: np.ndarray,
                              annotations: np.ndarray) -> np.ndarray:
        """Every finding's contribution to each candidate had one of its annotations (graph
        rows; -1 pads) been deleted: float64 [c, n, a], in closed form for all candidates at
        once. Every entry can move (the deleted annotation leaves ``N_d``, which every finding
        shares, and the frequencies excluded findings count against)."""
        st: _State = self.prepare(graph)
        w = self._weights(st)
        index = st.index
        candidates = np.asarray(candidates, dtype=np.int64)
        annotations = np.asarray(annotations, dtype=np.int64).reshape(len(candidates), -1)
        out = np.repeat(result.contributions[:, candidates].T[:, :, None], annotations.shape[1],
                        axis=2)  # [c, n, a]
        own, position = _own_annotations(st.table, candidates)  # [c, m]
        drops = np.where(annotations >= 0, index.term_of_row[np.maximum(annotations, 0)], -1)
        gone = (own[:, None, :] == drops[:, :, None]) & (drops >= 0)[:, :, None]  # [c, a, m]
        found = gone.any(axis=2)  # [c, a]: the drop is one of the candidate's annotations
        if not found.any():
            return out
        valid = own >= 0
        keep = valid[:, None, :] & ~gone  # [c, a, m]: what is left after each deletion
        h = np.where(valid, st.weight[position], 0.0)
        norm = (np.where(valid, np.exp(h), 0.0)[:, None, :] * keep).sum(axis=2)  # [c, a]
        terms = index.terms(list(result.findings))
        present = np.asarray(result.present, dtype=bool)
        shown = terms[present]
        compat = np.stack([st.compatibilities(int(t))[0] for t in shown.tolist()])  # [s, T]
        logits = np.where(valid[:, None, :], compat[:, np.maximum(own, 0)].transpose(1, 0, 2)
                          + h[:, None, :], -np.inf)  # [c, s, m]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_norm = np.log(np.where(norm > 0, norm, 1.0))
            if w.hard_match:
                pooled = np.stack([np.where(k[None, :, :], l[:, None, :], -np.inf).max(axis=2)
                                   for k, l in zip(keep, logits)])  # a candidate at a time
            else:
                top = logits.max(axis=2, keepdims=True)
                top = np.where(np.isfinite(top), top, 0.0)
                pooled = np.log(np.exp(logits - top) @ keep.transpose(0, 2, 1).astype(float)) + top
        log_z = np.where(norm[:, None, :] > 0, pooled - float(w.gamma) * log_norm[:, None, :],
                         -np.inf)  # [c, s, a]
        c, s, a = log_z.shape
        flat = log_z.transpose(1, 0, 2).reshape(s, c * a)  # findings first, as _combine wants
        _, parts = _combine(w, index.ic[shown], _values(w, index.ic[shown], flat))
        parts = parts.reshape(s, c, a).transpose(1, 0, 2)
        rows = np.flatnonzero(present)
        out[:, rows, :] = np.where(found[:, None, :], parts, out[:, rows, :])
        frequency = np.where(valid, st.table.frequencies[position], 0.0)
        for i in np.flatnonzero(~present).tolist():
            below = np.zeros(len(index.ic), dtype=bool)
            below[st.paths.below(int(terms[i]))] = True
            under = keep & (below[np.maximum(own, 0)] & valid)[:, None, :]
            left = np.where(under, frequency[:, None, :], 0.0).max(axis=2)  # [c, a]
            out[:, i, :] = np.where(found, -float(w.excluded_weight(np.array(index.ic[terms[i]])))
                                    * left, out[:, i, :])
        return out

    def pair_contribution(self, graph: ArrayGraph, result: ScoreResult, finding: int, target: int,
                          drop: int) -> float:
        st: _State = self.prepare(graph)
        own = st.table.row(target)
        keep = own.terms != int(st.index.term_of_row[drop])
        without = TargetAnnotations(target, own.terms[keep], own.frequencies[keep],
                                    own.evidence[keep])
        _, column = self._target_score(st, list(result.findings), list(result.present), without)
        return float(column[finding])


def _log_z(state: _State, compat: np.ndarray) -> np.ndarray:
    """``log Z(q, d)`` [n, K] for every candidate: one sparse product for all findings."""
    top = compat.max(axis=1)
    with np.errstate(divide="ignore"):
        return np.log(state.mass @ np.exp(compat - top[:, None]).T).T + top[:, None]


def _hard_log_z(state: _State, w: AttentionWeights, compat: np.ndarray) -> np.ndarray:
    """The ablation's ``max_a s(q, a) - gamma log N_d`` [n, K] (``-inf`` without annotations)."""
    table = state.table
    h = w.annotation_weight(table.frequencies, table.evidence)
    norm = np.zeros(table.n_targets)
    np.add.at(norm, table.targets, np.exp(h))
    log_norm = np.log(np.where(norm > 0, norm, 1.0))
    out = np.full((len(compat), table.n_targets), -np.inf)
    starts = table.indptr[:-1]
    has = np.diff(table.indptr) > 0
    for i, c in enumerate(compat):
        best = np.maximum.reduceat(c[table.terms] + h, starts[has])
        out[i, has] = best - float(w.gamma) * log_norm[has]
    return out


def _own_annotations(table: AnnotationTable, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The targets' annotations as rows: (term indices [c, m], -1 pads; their positions in the
    table [c, m], 0 in pads)."""
    starts = table.indptr[targets]
    counts = table.indptr[targets + 1] - starts
    width = max(int(counts.max(initial=0)), 1)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    slot = np.repeat(np.arange(len(targets)), counts)
    position = np.zeros((len(targets), width), dtype=np.int64)
    position[slot, within] = np.repeat(starts, counts) + within
    own = np.full((len(targets), width), -1, dtype=np.int64)
    own[slot, within] = table.terms[position[slot, within]]
    return own, position


def _values(w: AttentionWeights, ic: np.ndarray, log_z: np.ndarray) -> np.ndarray:
    """``v(q, d) = log(1 + Z / exp(null(q)))`` from ``log Z`` [n, K]."""
    null = w.null_logit(ic)[:, None]
    return np.logaddexp(null, log_z) - null


def _combine(w: AttentionWeights, ic: np.ndarray, values: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Finding attention ``beta`` [n, K] and the present findings' contributions [n, K]."""
    logits = np.log(w.finding_gate(ic))[:, None] + float(w.focus) * values
    beta = np.exp(logits - logits.max(axis=0))
    beta /= beta.sum(axis=0)
    return beta, len(ic) * beta * (values - _LOG2)


def _closure_column(index: AnnotationIndex, term: int) -> np.ndarray:
    out = np.zeros(index.n_targets)
    rows, freq, _ = index.column(term)
    out[rows] = freq
    return out


def _logsumexp(x: np.ndarray) -> float:
    if len(x) == 0:
        return float("-inf")
    top = float(x.max())
    return top + float(np.log(np.exp(x - top).sum()))
