"""Leave-publication-out masking: what one publication alone put into the graph is hidden when
its own cases are scored, and nothing else moves."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest

from kgdecide.errors import ConfigError
from kgdecide.graph.builder import GraphBuilder
from kgdecide.packs.clinical import HAS_CASE_PHENOTYPE
from kgdecide.packs.clinical.cases import CaseInput, LabelledCase, publication_split
from kgdecide.packs.clinical.enrich import ALL_SPLITS, CaseCounts, add_case_evidence
from kgdecide.packs.clinical.masking import CohortCounts, PublicationMask, case_counts
from kgdecide.score.annotations import annotation_index
from kgdecide.score.lr import LRScorer
from kgdecide.score.toy import TOY_SPEC

SPEC = dataclasses.replace(TOY_SPEC, evidence_relations=(HAS_CASE_PHENOTYPE,))
P, Q = "PMID:1", "PMID:2"


def _graph(cases: list[LabelledCase] = ()) -> tuple:
    b = GraphBuilder("mask", "v1")
    b.add_node("S:root", "Finding", "root")
    for child, parent in {"S:neuro": "S:root", "S:seizure": "S:neuro", "S:focal": "S:seizure",
                          "S:ataxia": "S:neuro", "S:skin": "S:root", "S:rash": "S:skin"}.items():
        b.add_node(child, "Finding", child[2:])
        b.add_edge(child, "is_a", parent)
    b.add_node("T:a", "Target", "a")
    b.add_node("T:b", "Target", "b")
    b.add_edge("T:a", "has_finding", "S:focal", {"frequency": 0.9, "publications": [P]})
    b.add_edge("T:a", "has_finding", "S:ataxia", {"frequency": 0.5, "publications": [P, "OMIM:1"]})
    # merged from two rows (phenotype.hpoa sums their cohort counts): 3/4 from P, 1/4 from Q
    b.add_edge("T:a", "has_finding", "S:seizure", {
        "frequency": 0.5, "frequency_source": "3/4;1/4", "publications": [P, Q],
        "row_references": [P, Q], "row_frequencies": ["3/4", "1/4"]})
    b.add_edge("T:a", "has_finding", "S:rash", {"publications": ["OMIM:1"]})
    b.add_edge("T:b", "has_finding", "S:focal", {"frequency": 0.2, "publications": [Q]})
    b.add_node("T:c", "Target", "c")
    b.add_edge("T:c", "has_finding", "S:ataxia", {"publications": ["OMIM:2"]})
    graph = b.build()
    counts = None
    if cases:
        counts = CaseCounts.count(graph, SPEC, cases, ALL_SPLITS)
        add_case_evidence(b, counts.evidence(), "cases.jsonl")
        graph = b.build()
        counts = CaseCounts.count(graph, SPEC, cases, ALL_SPLITS)
    graph.meta["version"] = f"mask/{len(cases)}"
    return graph, counts


def _case(observed: tuple[str, ...], disease: str, publication: str) -> LabelledCase:
    return LabelledCase(CaseInput("c", observed, ()), (disease,), publication, True)


def _terms(graph, annotations) -> dict[str, float]:
    index = annotation_index(graph, SPEC)
    return {graph.id_list[int(index.term_rows[t])]: f
            for t, f in zip(annotations.terms.tolist(), annotations.frequencies.tolist())}


def test_without_a_publication_every_target_reads_exactly_as_the_index() -> None:
    cases = [_case(("S:seizure", "S:skin"), "T:b", P), _case(("S:skin",), "T:b", Q)]
    graph, counts = _graph(cases)
    mask = PublicationMask.from_graph(graph, SPEC, counts)
    index = annotation_index(graph, SPEC)
    for target in range(index.n_targets):
        own = mask.target_annotations(target)
        a, b = index.direct_rows.indptr[target], index.direct_rows.indptr[target + 1]
        np.testing.assert_array_equal(own.terms, index.direct_rows.indices[a:b])
        np.testing.assert_allclose(own.frequencies, index.direct_rows.data[a:b])
    assert mask.overrides("PMID:unrelated") == () and mask.overrides(None) == ()


def test_annotations_only_the_publication_cites_are_hidden() -> None:
    graph, _ = _graph()
    mask = PublicationMask.from_graph(graph, SPEC)
    (a,) = mask.overrides(P)  # T:b cites only Q
    # focal cited P alone; seizure keeps Q's row only; rash has no frequency (the default)
    assert _terms(graph, a) == {"S:ataxia": 0.5, "S:seizure": 0.25, "S:rash": 0.5}
    a_q, b_q = mask.overrides(Q)
    assert _terms(graph, a_q)["S:seizure"] == 0.75 and _terms(graph, b_q) == {}


def test_case_evidence_is_recounted_without_the_publications_cases() -> None:
    cases = [_case(("S:seizure", "S:skin"), "T:b", P), _case(("S:skin",), "T:b", Q),
             _case(("S:skin",), "T:b", Q)]
    graph, counts = _graph(cases)
    mask = PublicationMask.from_graph(graph, SPEC, counts)
    full = _terms(graph, mask.target_annotations(1))
    assert full == {"S:focal": 0.2, "S:seizure": 0.3333, "S:skin": 1.0}  # 4 places
    (b,) = [o for o in mask.overrides(P) if o.target == 1]
    assert _terms(graph, b) == {"S:focal": 0.2, "S:skin": 1.0}  # only P's case showed a seizure
    assert b.evidence.tolist() == [False, True]
    (b,) = [o for o in mask.overrides(Q) if o.target == 1]
    assert _terms(graph, b) == {"S:seizure": 1.0, "S:skin": 1.0}  # P's single case remains
    # ... and a scorer sees the difference only for the masked target
    scorer = LRScorer(SPEC)
    rows = [graph.row("S:focal")]
    plain, masked = scorer.score(graph, rows, [True]), scorer.score(graph, rows, [True], mask.overrides(P))
    assert masked.scores[0] < plain.scores[0]  # T:a lost focal, which only P cited
    assert masked.scores[1:].tolist() == plain.scores[1:].tolist()


def test_a_cohort_row_loses_the_publications_own_patients() -> None:
    b = GraphBuilder("cohort", "v1")
    for node in ("S:root", "S:a", "S:b"):
        b.add_node(node, "Finding", node)
    b.add_edge("S:a", "is_a", "S:root")
    b.add_edge("S:b", "is_a", "S:root")
    b.add_node("T:x", "Target", "x")
    b.add_node("T:y", "Target", "y")
    # one cohort row citing both publications: 3 of 5 patients showed S:a, 1 of 4 showed S:b
    for term, text in (("S:a", "3/5"), ("S:b", "1/4")):
        b.add_edge("T:x", "has_finding", term, {"frequency": eval(text), "frequency_source": text,
                                                "publications": [P, Q]})
    b.add_edge("T:y", "has_finding", "S:a", {"publications": ["OMIM:9"]})
    graph = b.build()
    graph.meta["version"] = "cohort/1"
    # P published 2 of the patients: both showed S:a, one of them also S:b
    cases = [_case(("S:a", "S:b"), "T:x", P), _case(("S:a",), "T:x", P)]
    mask = PublicationMask.from_graph(graph, SPEC, None, CohortCounts.count(graph, SPEC, cases))
    (x,) = mask.overrides(P)
    assert _terms(graph, x) == {"S:a": pytest.approx(1 / 3)}  # 1/3 left; S:b: 0/3 left, hidden
    assert mask.overrides(Q) == ()  # Q's patients are not among the development cases


def test_a_spec_without_evidence_gets_no_evidence_back_through_an_override() -> None:
    cases = [_case(("S:seizure", "S:skin"), "T:b", P), _case(("S:skin",), "T:b", Q)]
    graph, counts = _graph(cases)
    plain = dataclasses.replace(SPEC, evidence_relations=())
    mask = PublicationMask.from_graph(graph, plain, counts)
    for publication in (P, Q):
        for o in mask.overrides(publication):
            assert not o.evidence.any()
            assert "S:skin" not in _terms(graph, o)  # only the case evidence held it


def test_a_graph_with_case_evidence_needs_its_counts() -> None:
    graph, _ = _graph([_case(("S:seizure",), "T:b", P)])
    with pytest.raises(ConfigError, match="cases it was built from"):
        PublicationMask.from_graph(graph, SPEC)


def test_case_counts_refuse_another_cases_file(tmp_path: Path) -> None:
    graph, _ = _graph()
    graph.meta["case_evidence"] = {"file": "dev.jsonl", "splits": ["train"], "sha256": "0" * 64}
    other = tmp_path / "other.jsonl"
    other.write_text('{"id": "x", "observed": ["S:focal"], "diagnosis": ["T:a"], "pmid": "PMID:1"}\n')
    with pytest.raises(ConfigError, match="built from 'dev.jsonl'"):
        case_counts(graph, SPEC, other)
    assert case_counts(_graph()[0], SPEC, other) is None  # no case evidence: nothing to count
