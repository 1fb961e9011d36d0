"""Leave-publication-out: score a published case as if its publication had never been published.

HPO annotates diseases from the literature, and ``phenotype.hpoa`` names each annotation's
references; case-derived evidence (``build clinical --cases``) comes from published cases. A
case from publication P, scored against a graph partly made from P, is a leak: its own findings
come back as its disease's annotations. To score such a case honestly, for every case from P:

* every disease annotation whose *only* reference is P is hidden; one that cites P beside other
  sources stays, with its frequency recomputed from the other sources' rows (``phenotype.hpoa``
  sums the cohort counts of all rows, P's included);
* a cohort row (``n/m`` citing several publications, P among them: HPO imports such counts from
  published case collections) loses P's own patients, counted from the development cases: ``n``
  those of P's cases of the disease that showed the term, ``m`` those that showed or lacked it;
  nothing left of ``n`` hides the row;
* case evidence is recomputed without P's cases (shares of the remaining cases; a pair only P's
  cases showed disappears).

Everything else stays: the other diseases, the IC and background of every term (one hidden
disease moves a term's IC by ``log(n / (n - 1))`` at most). The masked targets are scored through
:class:`~kgdecide.score.base.TargetAnnotations` overrides, so no per-case graph is built.

How well this removes the leak is measured, not assumed: docs/EVALUATION.md compares de-leaked
cases with naturally leak-free ones of the same diseases.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kgdecide.errors import ConfigError, InvalidQuery
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.packs.clinical.build import merged_frequency
from kgdecide.packs.clinical.cases import LabelledCase, file_digest, read_labelled_cases
from kgdecide.packs.clinical.enrich import FREQUENCY_DIGITS, CaseCounts
from kgdecide.score.annotations import AnnotationIndex, annotation_index
from kgdecide.score.base import DomainSpec, TargetAnnotations

logger = logging.getLogger(__name__)

#: Edge property of ``finding_relation`` edges holding their references.
REFERENCES_KEY = "publications"


@dataclass(frozen=True, slots=True)
class CohortCounts:
    """Per (disease, term, publication): how many of the publication's cases of the disease
    showed the term and how many lacked it (every split: a publication's patients are what they
    are, whichever split it falls in)."""

    counts: dict[tuple[str, str, str], tuple[int, int]]  #: -> (observed, excluded)

    @classmethod
    def count(cls, graph: ArrayGraph, spec: DomainSpec, cases: Iterable[LabelledCase]
              ) -> CohortCounts:
        from kgdecide.score.query import resolve

        counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
        for c in cases:
            try:
                r = resolve(graph, spec, c.case.observed, c.case.excluded, strict=False)
            except InvalidQuery:
                continue
            for disease in c.diagnosis:
                for term, present in zip(r.ids, r.present):
                    counts[disease, term, c.publication][0 if present else 1] += 1
        return cls({k: (v[0], v[1]) for k, v in counts.items()})

    def without(self, text: str, disease: str, term: str, publication: str) -> str | None:
        """A cohort row's ``n/m`` cell without the publication's patients (None: none left who
        showed it); other cells unchanged."""
        if "/" not in text:
            return text
        n, m = (int(x) for x in text.split("/"))
        shown, lacked = self.counts.get((disease, term, publication), (0, 0))
        n, m = n - shown, m - shown - lacked
        return f"{n}/{m}" if n > 0 and m >= n else None


@dataclass(eq=False)
class PublicationMask:
    """Which annotations each publication alone put into the graph, and how to score without
    them. Built once per graph (:meth:`from_graph`); :meth:`overrides` is cheap per case."""

    index: AnnotationIndex
    #: target index -> its ``finding_relation`` annotations (term -> frequency as the index reads)
    annotations: dict[int, dict[int, float]]
    #: publication -> target index -> term -> its frequency without that publication's rows
    #: (None: only that publication holds the annotation)
    changes: dict[str, dict[int, dict[int, float | None]]]
    counts: CaseCounts | None  #: the case evidence's counts (None: the graph has none)
    target_of_id: dict[str, int]  #: disease id -> target index
    term_of_id: dict[str, int]  #: finding id -> term index

    @classmethod
    def from_graph(cls, graph: ArrayGraph, spec: DomainSpec, counts: CaseCounts | None = None,
                   cohorts: CohortCounts | None = None) -> PublicationMask:
        """The mask of a graph; ``counts`` must be those its case evidence was built from
        (:func:`case_counts`) when the graph has evidence edges; ``cohorts`` takes published
        patients back out of cohort rows (without them such rows stay as they are)."""
        has_evidence = any(r in graph.relations and len(graph.relations[r])
                           for r in spec.evidence_relations)
        if not has_evidence:
            # A spec that reads no evidence must get none back through an override: the
            # overridden targets (the case's own disease among them) would be the only ones
            # with case evidence, which gives the answer away.
            counts = None
        elif counts is None:
            raise ConfigError("this graph holds case evidence: pass the cases it was built from "
                              "(case_counts) to take a publication's cases back out")
        index = annotation_index(graph, spec)
        rel = graph.relation(spec.finding_relation)
        targets = _target_of_row(index, len(graph))[rel.subjects]
        terms = index.term_of_row[rel.objects]
        frequencies = _frequencies(rel, spec, index.default_frequency)
        rows = _rows(rel)
        ids = graph.id_list
        annotations: dict[int, dict[int, float]] = defaultdict(dict)
        changes: dict[str, dict[int, dict[int, float | None]]] = defaultdict(lambda: defaultdict(dict))
        for position in np.flatnonzero((targets >= 0) & (terms >= 0) & (frequencies > 0)).tolist():
            target, term = int(targets[position]), int(terms[position])
            known = annotations[target].get(term, 0.0)
            annotations[target][term] = min(known + float(frequencies[position]), 1.0)
            edge_rows = rows(position)
            disease, phenotype = ids[int(rel.subjects[position])], ids[int(rel.objects[position])]
            for publication in {p for refs, _ in edge_rows for p in refs}:
                others = _rows_without(edge_rows, publication, disease, phenotype, cohorts)
                if others == [text for _, text in edge_rows]:
                    continue  # the publication changes nothing here
                changes[publication][target][term] = (
                    None if not others else _row_frequency(others, index.default_frequency))
        frozen = {p: dict(by_target) for p, by_target in changes.items()}
        target_of_id = {ids[int(r)]: i for i, r in enumerate(index.target_rows.tolist())}
        term_of_id = {ids[int(r)]: i for i, r in enumerate(index.term_rows.tolist())}
        return cls(index, dict(annotations), frozen, counts, target_of_id, term_of_id)

    def affected(self, publication: str) -> list[int]:
        """Targets whose annotations ``publication`` contributed to (indices into targets)."""
        targets = set(self.changes.get(publication, {}))
        if self.counts is not None:
            targets |= {self.target_of_id[d] for d in self.counts.diseases_of(publication)
                        if d in self.target_of_id}
        return sorted(targets)

    def overrides(self, publication: str | None) -> tuple[TargetAnnotations, ...]:
        """The affected targets' annotations without ``publication``'s contribution."""
        if not publication:
            return ()
        return tuple(self.target_annotations(t, publication) for t in self.affected(publication))

    def target_annotations(self, target: int, without: str | None = None) -> TargetAnnotations:
        """One target's annotations as the scorers' index reads them, without what publication
        ``without`` alone contributed (``None``: all of them, exactly the index's row)."""
        changed = self.changes.get(without, {}).get(target, {}) if without else {}
        own = {t: changed.get(t, f) for t, f in self.annotations.get(target, {}).items()}
        own = {t: f for t, f in own.items() if f is not None and f > 0}
        extra: dict[int, float] = {}
        if self.counts is not None:
            for e in self.counts.evidence([self._disease_id(target)], without=without):
                term = self.term_of_id.get(e.phenotype, -1)
                if term >= 0 and term not in self.annotations.get(target, {}):
                    extra[term] = min(round(e.frequency, FREQUENCY_DIGITS), 1.0)
        terms = np.array([*own, *extra], dtype=np.int64)
        frequencies = np.array([*own.values(), *extra.values()], dtype=np.float64)
        evidence = np.array([False] * len(own) + [True] * len(extra), dtype=bool)
        order = np.argsort(terms, kind="stable")
        return TargetAnnotations(target, terms[order], frequencies[order], evidence[order])

    def _disease_id(self, target: int) -> str:
        ids = self.__dict__.get("_disease_ids")
        if ids is None:
            ids = self.__dict__["_disease_ids"] = {i: d for d, i in self.target_of_id.items()}
        return ids[target]


def _rows(rel):  # noqa: ANN001, ANN202 - RelationArrays -> (position -> rows)
    """Per edge position: its phenotype.hpoa rows as (references, frequency cell) pairs."""
    references = rel.columns.get(REFERENCES_KEY)
    sources = rel.columns.get("frequency_source")
    row_references, row_frequencies = rel.columns.get("row_references"), rel.columns.get("row_frequencies")

    def rows(position: int) -> list[tuple[tuple[str, ...], str]]:
        many = row_references.get(position) if row_references is not None else None
        if many:
            texts = row_frequencies.get(position) if row_frequencies is not None else None
            texts = texts or ("",) * len(many)
            return [(tuple(x.strip() for x in str(r).split(";") if x.strip()), str(t))
                    for r, t in zip(many, texts)]
        refs = references.get(position) if references is not None else None
        refs = (refs,) if isinstance(refs, str) else tuple(refs or ())
        text = sources.get(position) if sources is not None else None
        return [(refs, str(text or ""))]

    return rows


def _rows_without(rows: list[tuple[tuple[str, ...], str]], publication: str, disease: str,
                  phenotype: str, cohorts: CohortCounts | None) -> list[str]:
    """The frequency cells of an edge's rows once ``publication`` is taken out: its own rows
    go; cohort rows it shares lose its patients (``cohorts``)."""
    out = []
    for refs, text in rows:
        if refs == (publication,):
            continue
        if publication in refs and cohorts is not None:
            text = cohorts.without(text, disease, phenotype, publication)
            if text is None:
                continue
        out.append(text)
    return out


def _row_frequency(texts: list[str], default: float) -> float:
    """The merged frequency of the rows left (as the build merges them), as the index reads it."""
    value, _ = merged_frequency(texts)
    return default if value is None else min(max(value, 0.0), 1.0)


def _target_of_row(index: AnnotationIndex, n: int) -> np.ndarray:
    out = np.full(n, -1, dtype=np.int64)
    out[index.target_rows] = np.arange(index.n_targets)
    return out


def _frequencies(rel, spec: DomainSpec, default: float) -> np.ndarray:  # noqa: ANN001
    """Edge frequencies as the annotation index reads them (absent -> default, clipped)."""
    column = rel.columns.get(spec.frequency_key)
    freq = (np.full(len(rel), np.nan) if column is None or column.kind != "float"
            else column.values.astype(np.float64))
    return np.where(np.isnan(freq), default, np.clip(freq, 0.0, 1.0))


def publication_mask(graph: ArrayGraph, spec: DomainSpec, cases_path: Path) -> PublicationMask:
    """The mask for scoring the development cases in ``cases_path`` honestly on ``graph``:
    their publications' HPO rows, cohort patients and case evidence taken back out."""
    cases = read_labelled_cases(cases_path)
    return PublicationMask.from_graph(graph, spec, case_counts(graph, spec, cases_path),
                                      CohortCounts.count(graph, spec, cases))


def case_counts(graph: ArrayGraph, spec: DomainSpec, cases_path: Path) -> CaseCounts | None:
    """The counts the graph's case evidence was built from, re-read from ``cases_path``; None
    when the graph has no case evidence.

    Raises:
        ConfigError: ``cases_path`` is not the file the evidence was built from.
    """
    meta = graph.meta.get("case_evidence")
    if not meta:
        return None
    recorded = meta.get("sha256")
    if recorded is None or recorded != file_digest(cases_path):
        raise ConfigError(f"the graph's case evidence was built from {meta.get('file')!r}, not "
                          f"from {cases_path}; pass that file, or rebuild the graph with "
                          f"`kgdecide build clinical --cases {cases_path}`")
    return CaseCounts.count(graph, spec, read_labelled_cases(cases_path), frozenset(meta["splits"]))
