"""Case-derived phenotype evidence: what published patients with a disease were seen to have.

HPO annotates a disease with the features its curators found in the literature; published cases of
the same disease often show features HPO does not (yet) list. ``kgdecide build clinical --cases
FILE`` turns the development cases of the *training* publications into
``has_case_phenotype`` edges, Disease -> PhenotypicFeature, one per (disease, observed term) that
HPO does not already annotate, with

* ``frequency``: the share of the disease's cases that showed the term (the scorers read it like
  HPO's frequency);
* ``cases`` and ``publications``: how many cases and which publications (provenance);
* ``source``: the cases file's name.

Only *what a patient showed* is taken, never *which diseases the collection is about*: no prior
over diseases is derived from how often they were published. Excluded findings are not used (in
these collections they record what curators checked, not what patients lack).

Publications of the validation and test splits are left out by default so that training,
calibration and evaluation stay leak-free; ``splits=ALL_SPLITS`` uses every case (a deployment
that does not evaluate on them). Scorers use the edges through
:attr:`~kgdecide.score.base.DomainSpec.evidence_relations`; ``DomainSpec.without_evidence()`` switches
them off.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder
from kgdecide.packs.clinical import HAS_CASE_PHENOTYPE
from kgdecide.packs.clinical.cases import LabelledCase, publication_split
from kgdecide.score.base import DomainSpec

TRAIN_SPLITS = frozenset({"train"})
ALL_SPLITS = frozenset({"train", "validation", "test"})


@dataclass(frozen=True, slots=True)
class CaseEvidence:
    """One (disease, phenotype) pair seen in published cases."""

    disease: str
    phenotype: str
    cases: int  #: cases of the disease that showed the phenotype
    disease_cases: int  #: cases of the disease in the splits used
    publications: tuple[str, ...]

    @property
    def frequency(self) -> float:
        return self.cases / self.disease_cases


@dataclass(frozen=True, slots=True)
class CaseCounts:
    """Who showed what, by publication: the counts case evidence is made of.

    Kept per publication so that evaluation can take one publication's cases back out
    (:meth:`evidence` with ``without``) and score that publication's cases honestly.
    """

    #: disease -> publication -> cases of the disease in that publication
    disease_cases: Mapping[str, Mapping[str, int]]
    #: disease -> phenotype -> publication -> cases that showed the phenotype
    shown: Mapping[str, Mapping[str, Mapping[str, int]]]
    #: (disease, phenotype) pairs the graph's ``finding_relation`` already holds
    annotated: frozenset[tuple[str, str]]

    @classmethod
    def count(cls, graph: ArrayGraph, spec: DomainSpec, cases: Iterable[LabelledCase],
              splits: Collection[str] = TRAIN_SPLITS) -> CaseCounts:
        """Counts from the cases of publications in ``splits``. Obsolete ids follow the spec's
        replacement relations; unknown ids and diagnoses that are not targets are skipped."""
        from kgdecide.score.query import resolve

        target_code = graph.type_code(spec.target_type)
        disease_cases: dict[str, Counter[str]] = defaultdict(Counter)
        shown: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
        for labelled in cases:
            if publication_split(labelled.publication) not in splits:
                continue
            diseases = [d for d in labelled.diagnosis
                        if d in graph.index and graph.types[graph.index[d]] == target_code]
            if not diseases:
                continue
            terms = resolve(graph, spec, labelled.case.observed, (), strict=False).ids
            for disease in diseases:
                disease_cases[disease][labelled.publication] += 1
                for term in terms:
                    shown[disease][term][labelled.publication] += 1
        return cls({d: dict(c) for d, c in disease_cases.items()},
                   {d: {t: dict(c) for t, c in by_term.items()} for d, by_term in shown.items()},
                   frozenset(_annotated_pairs(graph, spec.finding_relation)))

    def diseases_of(self, publication: str) -> list[str]:
        """The diseases whose evidence ``publication``'s cases contributed to."""
        return sorted(d for d, by_pub in self.disease_cases.items() if publication in by_pub)

    def evidence(self, diseases: Iterable[str] | None = None, without: str | None = None
                 ) -> list[CaseEvidence]:
        """Evidence pairs the graph does not already annotate, optionally for some diseases only
        and as if publication ``without`` had never been published."""
        out = []
        for disease in sorted(self.shown if diseases is None else set(diseases) & set(self.shown)):
            total = sum(n for p, n in self.disease_cases[disease].items() if p != without)
            for term, by_pub in sorted(self.shown[disease].items()):
                if (disease, term) in self.annotated:
                    continue
                pubs = {p: n for p, n in by_pub.items() if p != without}
                if pubs and total:
                    out.append(CaseEvidence(disease, term, sum(pubs.values()), total,
                                            tuple(sorted(pubs))))
        return out


def case_evidence(graph: ArrayGraph, spec: DomainSpec, cases: Iterable[LabelledCase],
                  splits: Collection[str] = TRAIN_SPLITS) -> list[CaseEvidence]:
    """Evidence pairs from the cases of publications in ``splits`` that ``graph`` does not
    already hold as ``spec.finding_relation`` edges. Obsolete ids follow the spec's replacement
    relations; unknown ids and diagnoses that are not targets of the graph are skipped.

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> from kgdecide.packs.clinical.cases import CaseInput
    >>> case = LabelledCase(CaseInput("c1", ("S:ataxia", "S:old"), ()), ("T:cardiac",), "PMID:1", False)
    >>> [(e.disease, e.phenotype, e.frequency) for e in case_evidence(toy_graph(), TOY_SPEC, [case], ALL_SPLITS)]
    [('T:cardiac', 'S:ataxia', 1.0), ('T:cardiac', 'S:seizure', 1.0)]
    """
    return CaseCounts.count(graph, spec, cases, splits).evidence()


#: Decimal places of an evidence edge's frequency (the same rounding wherever it is recomputed).
FREQUENCY_DIGITS = 4


def add_case_evidence(builder: GraphBuilder, evidence: Iterable[CaseEvidence], source: str) -> int:
    """Add ``has_case_phenotype`` edges to ``builder``; returns how many."""
    count = 0
    for e in evidence:
        builder.add_edge(e.disease, HAS_CASE_PHENOTYPE, e.phenotype, {
            "frequency": round(e.frequency, FREQUENCY_DIGITS), "cases": e.cases,
            "publications": list(e.publications), "source": source,
        })
        count += 1
    return count


def _annotated_pairs(graph: ArrayGraph, relation: str) -> set[tuple[str, str]]:
    if relation not in graph.relations:
        return set()
    rel = graph.relations[relation]
    ids = graph.id_list
    return {(ids[s], ids[o]) for s, o in zip(rel.subjects.tolist(), rel.objects.tolist())}
