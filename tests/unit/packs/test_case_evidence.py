"""Case-derived phenotype evidence: which cases count, what the edges say, how scorers read them."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kgdecide.cli import main
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.packs.clinical import HAS_CASE_PHENOTYPE
from kgdecide.packs.clinical.cases import CaseInput, LabelledCase, publication_split
from kgdecide.packs.clinical.enrich import (
    ALL_SPLITS, TRAIN_SPLITS, add_case_evidence, case_evidence,
)
from kgdecide.score.annotations import AnnotationIndex
from kgdecide.score.toy import TOY_SPEC, toy_builder, toy_graph

MINI = Path(__file__).resolve().parents[3] / "data" / "fixtures" / "hpo-mini"
SPEC = dataclasses.replace(TOY_SPEC, evidence_relations=(HAS_CASE_PHENOTYPE,))


def _publication(split: str, skip: int = 0) -> str:
    """A PMID whose publication falls into ``split`` (splits are a hash of the PMID)."""
    found = (f"PMID:{i}" for i in itertools.count() if publication_split(f"PMID:{i}") == split)
    return next(itertools.islice(found, skip, None))


def _case(observed: tuple[str, ...], disease: str, publication: str) -> LabelledCase:
    return LabelledCase(CaseInput("c", observed, ()), (disease,), publication, False)


def test_only_training_publications_count_by_default() -> None:
    cases = [_case(("S:ataxia",), "T:cardiac", _publication("train")),
             _case(("S:eczema",), "T:cardiac", _publication("validation")),
             _case(("S:tonic",), "T:cardiac", _publication("test"))]
    default = case_evidence(toy_graph(), TOY_SPEC, cases)
    everything = case_evidence(toy_graph(), TOY_SPEC, cases, ALL_SPLITS)
    assert [e.phenotype for e in default] == ["S:ataxia"]
    assert {e.phenotype for e in everything} == {"S:ataxia", "S:eczema", "S:tonic"}


def test_frequency_is_the_share_of_the_diseases_cases_and_annotated_pairs_are_skipped() -> None:
    train = [_publication("train", i) for i in range(3)]
    cases = [_case(("S:ataxia", "S:murmur"), "T:cardiac", train[0]),
             _case(("S:ataxia",), "T:cardiac", train[1]),
             _case(("S:eczema",), "T:cardiac", train[2]),
             _case(("S:nope",), "T:not-a-disease", train[0])]
    evidence = {e.phenotype: e for e in case_evidence(toy_graph(), TOY_SPEC, cases, TRAIN_SPLITS)}
    assert set(evidence) == {"S:ataxia", "S:eczema"}  # S:murmur is annotated to T:cardiac already
    assert evidence["S:ataxia"].frequency == pytest.approx(2 / 3)
    assert evidence["S:ataxia"].publications == tuple(sorted(train[:2]))
    assert evidence["S:eczema"].cases == 1 and evidence["S:eczema"].disease_cases == 3


def test_obsolete_ids_follow_replaced_by() -> None:
    cases = [_case(("S:old",), "T:cardiac", _publication("train"))]
    assert [e.phenotype for e in case_evidence(toy_graph(), TOY_SPEC, cases)] == ["S:seizure"]


def _enriched_graph():
    builder = toy_builder()
    evidence = case_evidence(toy_graph(), TOY_SPEC,
                             [_case(("S:ataxia", "S:focal"), "T:cardiac", _publication("train"))])
    assert add_case_evidence(builder, evidence, "cases.jsonl") == 2
    graph = builder.build()
    graph.meta["version"] = "toy/enriched"
    return graph


def test_scorers_read_evidence_only_where_the_main_relation_is_silent() -> None:
    graph = _enriched_graph()
    on = AnnotationIndex.build(graph, SPEC)
    off = AnnotationIndex.build(graph, SPEC.without_evidence())
    cardiac = int(np.flatnonzero(on.target_rows == graph.row("T:cardiac"))[0])
    ataxia = int(on.term_of_row[graph.row("S:ataxia")])
    assert on.direct_rows[cardiac, ataxia] == pytest.approx(1.0)  # one case of one showed it
    assert off.direct_rows[cardiac, ataxia] == 0
    # HPO-style annotations are untouched by the evidence relation.
    murmur = int(on.term_of_row[graph.row("S:murmur")])
    assert on.direct_rows[cardiac, murmur] == off.direct_rows[cardiac, murmur] == pytest.approx(0.9)


def test_evidence_changes_the_ranking_and_can_be_switched_off() -> None:
    from kgdecide.score import create_scorer

    graph = _enriched_graph()
    findings, present = [graph.row("S:focal"), graph.row("S:murmur")], [True, True]
    with_evidence = create_scorer("lr", SPEC).score(graph, findings, present)
    without = create_scorer("lr", SPEC.without_evidence()).score(graph, findings, present)
    cardiac = int(np.flatnonzero(with_evidence.targets == graph.row("T:cardiac"))[0])
    focal = 0
    assert with_evidence.contributions[focal, cardiac] > without.contributions[focal, cardiac]


def test_build_clinical_with_cases_writes_edges_with_provenance(tmp_path: Path) -> None:
    publication = _publication("train")
    cases = tmp_path / "cases.jsonl"
    # Sotos syndrome is annotated with developmental delay and nervous system physiology only.
    cases.write_text(json.dumps({"id": "p1", "observed": ["HP:0001250", "HP:0025356"],
                                 "excluded": ["HP:0000707"], "diagnosis": ["OMIM:117550"],
                                 "pmid": publication, "leaky": False}) + "\n")
    result = CliRunner().invoke(main, ["--home", str(tmp_path), "build", "clinical", "--store", "c",
                                       "--hpo-dir", str(MINI), "--cases", str(cases)])
    assert result.exit_code == 0, result.output
    graph = EmbeddedStore.from_path(tmp_path / "stores" / "c").projection()
    edges = {(e.subject, e.object): e for e in graph.iter_edges(HAS_CASE_PHENOTYPE)}
    # Seizure is new; obsolete psychomotor retardation maps to global developmental delay, which
    # HPO already annotates, so it adds nothing; excluded findings are never used.
    assert set(edges) == {("OMIM:117550", "HP:0001250")}
    edge = edges["OMIM:117550", "HP:0001250"]
    assert list(edge.properties["publications"]) == [publication]
    assert edge.properties["frequency"] == 1.0 and edge.properties["cases"] == 1
    assert edge.properties["source"] == "cases.jsonl"


def test_explanation_paths_name_the_case_derived_relation() -> None:
    from kgdecide.explain.evidence import finding_path

    graph = _enriched_graph()
    r = graph.row
    path = finding_path(graph, SPEC, r("S:ataxia"), r("S:ataxia"), r("S:ataxia"), r("T:cardiac"))
    assert path.relations == (HAS_CASE_PHENOTYPE,)
    hpo = finding_path(graph, SPEC, r("S:murmur"), r("S:murmur"), r("S:murmur"), r("T:cardiac"))
    assert hpo.relations == ("has_finding",)
