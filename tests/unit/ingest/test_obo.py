"""The OBO reader on the hand-made HPO extract and on small broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgdecide.errors import IngestError
from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.ingest import IngestOptions, reader_for
from kgdecide.ingest.obo import read_obo
from kgdecide.packs import clinical

FIXTURE = Path(__file__).resolve().parents[3] / "data" / "fixtures" / "hpo-mini" / "hp.obo"


def _store(path: Path, **options: object) -> tuple[EmbeddedStore, object]:
    builder = GraphBuilder("test")
    report = read_obo(builder, path, IngestOptions(**options))  # type: ignore[arg-type]
    return EmbeddedStore(builder.build()), report


@pytest.fixture(scope="module")
def hpo() -> EmbeddedStore:
    return _store(FIXTURE)[0]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.obo"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_cli_routes_obo_to_read_obo() -> None:
    assert reader_for("obo") is read_obo


def test_every_term_stanza_becomes_a_node_and_typedefs_are_skipped() -> None:
    store, report = _store(FIXTURE)
    text = FIXTURE.read_text(encoding="utf-8")
    assert report.records == text.count("[Term]") == 23
    assert report.skipped == 0
    assert store.counts().nodes == 23
    assert not store.has_node("part_of")


def test_term_fields(hpo: EmbeddedStore) -> None:
    seizure = hpo.get_node("HP:0001250")
    assert seizure.label == "Seizure"
    assert seizure.type == clinical.PHENOTYPE_TYPE
    assert seizure.properties["definition"].startswith("A seizure is an intermittent abnormality")
    assert seizure.properties["definition_xrefs"] == (
        "https://orcid.org/0000-0002-0736-9199", "PMID:15816939")
    assert seizure.properties["alt_ids"] == ("HP:0001275", "HP:0002279")
    assert seizure.properties["xrefs"] == ("SNOMEDCT_US:91175000", "UMLS:C0036572")
    assert seizure.properties["subsets"] == ("hposlim_core",)
    # The trailing {xref=...} modifier is not part of the comment.
    assert seizure.properties["comment"] == (
        "The term epilepsy is not used to describe recurrent febrile seizures.")


def test_escaped_quotes_in_a_definition_are_unescaped(hpo: EmbeddedStore) -> None:
    definition = hpo.get_node("HP:0001263").properties["definition"]
    assert definition.endswith('The word "global" means all domains.')


def test_synonyms_by_scope_and_type(hpo: EmbeddedStore) -> None:
    seizure = hpo.get_node("HP:0001250")
    # All synonyms in file order, but HPO's discarded obsolete_synonym stays out of the lookup.
    assert seizure.synonyms == ("Epilepsy", "Epileptic seizure", "Seizures")
    assert seizure.properties["exact_synonyms"] == ("Epileptic seizure", "Seizures", "Fits")
    assert seizure.properties["related_synonyms"] == ("Epilepsy",)
    assert seizure.properties["layperson_synonyms"] == ("Epilepsy",)
    assert seizure.properties["plural_form_synonyms"] == ("Seizures",)
    assert seizure.properties["obsolete_synonyms"] == ("Fits",)
    nervous = hpo.get_node("HP:0000707")
    assert nervous.properties["broad_synonyms"] == ("Brain and/or spinal cord issue",)
    assert nervous.properties["layperson_synonyms"] == (
        "Brain and/or spinal cord issue", "Neurological abnormality")
    # A synonym type named by a CURIE takes its declared name.
    assert hpo.get_node("HP:0000006").properties["allelic_requirement_synonyms"] == (
        "monoallelic_autosomal",)
    assert hpo.lookup("Epilepsy") == ("HP:0001250",)
    assert hpo.lookup("Fits") == ()


def test_is_a_edges_go_from_child_to_parent(hpo: EmbeddedStore) -> None:
    assert hpo.neighbors("HP:0001250", clinical.IS_A) == ("HP:0012638",)
    assert hpo.neighbors("HP:0000001", clinical.IS_A) == ()
    assert hpo.counts().edges_by_relation[clinical.IS_A] == 20


def test_node_types_follow_the_hpo_branches(hpo: EmbeddedStore) -> None:
    expected = {
        "HP:0000118": "PhenotypicFeature", "HP:0001263": "PhenotypicFeature",
        "HP:0000005": "ModeOfInheritance", "HP:0000006": "ModeOfInheritance",
        "HP:0031797": "ClinicalCourse", "HP:0003577": "ClinicalCourse",
        "HP:0040279": "Frequency", "HP:0040281": "Frequency",
        "HP:0000001": "ClinicalAttribute", "HP:0012823": "ClinicalAttribute",
        "HP:0003828": "ClinicalAttribute",
        "HP:0025356": "ObsoleteClass", "HP:0003494": "ObsoleteClass",
    }
    assert {i: hpo.get_node(i).type for i in expected} == expected


def test_obsolete_terms_point_to_live_ones(hpo: EmbeddedStore) -> None:
    assert hpo.neighbors("HP:0025356", clinical.REPLACED_BY) == ("HP:0001263",)
    assert hpo.neighbors("HP:0003494", clinical.CONSIDER) == ("HP:0000005",)
    assert hpo.get_node("HP:0025356").label == "obsolete Psychomotor retardation"


def test_a_generic_ontology_gets_ontology_class(tmp_path: Path) -> None:
    path = _write(tmp_path, (
        "format-version: 1.4\n\n[Term]\nid: GO:1\nname: root\n\n[Term]\nid: GO:2\nname: leaf\n"
        "is_a: GO:1\nsynonym: \"twig\" []\n\n[Term]\nid: GO:3\nname: old\nis_obsolete: true\n"
    ))
    store, _ = _store(path)
    assert {n.id: n.type for n in store.iter_nodes()} == {
        "GO:1": "OntologyClass", "GO:2": "OntologyClass", "GO:3": "ObsoleteClass"}
    # A synonym without a scope is RELATED (OBO 1.4).
    assert store.get_node("GO:2").properties["related_synonyms"] == ("twig",)


BROKEN = (
    "format-version: 1.4\n"  # 1
    "\n"  # 2
    "[Term]\n"  # 3
    "id: X:1\n"  # 4
    "name: fine\n"  # 5
    "\n"  # 6
    "[Term]\n"  # 7
    "id: X:2\n"  # 8
    "def: \"no closing quote []\n"  # 9
    "is_a: X:1\n"  # 10
    "this line has no tag\n"  # 11
    "\n"  # 12
    "[Term]\n"  # 13
    "name: a term without an id\n"  # 14
)


def test_a_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, BROKEN)
    with pytest.raises(IngestError) as caught:
        _store(path)
    assert caught.value.line == 9
    assert caught.value.path == path
    assert "closing quote" in caught.value.reason
    assert f"{path}:9" in str(caught.value)


def test_skip_bad_counts_and_keeps_the_good_lines(tmp_path: Path) -> None:
    store, report = _store(_write(tmp_path, BROKEN), skip_bad=True)
    assert report.skipped == 3  # the def, the tagless line, the stanza without id
    assert [e.split(":")[0] for e in report.skipped_examples] == ["line 9", "line 11", "line 13"]
    assert report.records == 2
    assert store.neighbors("X:2", clinical.IS_A) == ("X:1",)
    assert "definition" not in store.get_node("X:2").properties


@pytest.mark.parametrize(("line", "reason"), [
    ('synonym: "x" SIMILAR []', "scope"),
    ("is_a:", "expected an id"),
    ("is_obsolete: maybe", "true or false"),
    ("id: X:9", "second id"),
])
def test_other_malformed_tags(tmp_path: Path, line: str, reason: str) -> None:
    path = _write(tmp_path, f"[Term]\nid: X:1\n{line}\n")
    with pytest.raises(IngestError) as caught:
        _store(path)
    assert caught.value.line == 3
    assert reason in caught.value.reason


def test_non_utf8_bytes_are_reported_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.obo"
    path.write_bytes("[Term]\nid: X:1\nname: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(IngestError) as caught:
        _store(path)
    assert caught.value.line == 3


def test_progress_advances_by_exactly_the_file_size() -> None:
    seen: list[int] = []
    _store(FIXTURE, advance=seen.append)
    assert sum(seen) == FIXTURE.stat().st_size
    assert all(amount >= 0 for amount in seen)


def test_relationship_lines_become_edges_of_their_relation(tmp_path: Path) -> None:
    path = _write(tmp_path,
                  "[Term]\nid: GO:1\n\n[Term]\nid: GO:2\nrelationship: part_of GO:1 ! one\n")
    store, _ = _store(path)
    assert store.neighbors("GO:2", "part_of") == ("GO:1",)
    with pytest.raises(IngestError, match="relationship"):
        _store(_write(tmp_path, "[Term]\nid: GO:2\nrelationship: part_of\n"))
