"""Chinese through CC-CEDICT glosses and the English lexicon."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.link import glossary
from kgdecide.link.config import LinkerConfig
from kgdecide.link.glossary import clean_gloss, read_cedict
from kgdecide.link.linker import Linker

from .conftest import FakeEncoder

CEDICT = """\
# CC-CEDICT sample
白內障 白内障 [bai2 nei4 zhang4] /cataract (ophthalmology)/
關節 关节 [guan1 jie2] /joint (physiology)/key point/CL:個|个[ge4]/
痛 痛 [tong4] /ache/pain/sorrow/deeply/
嘔吐 呕吐 [ou3 tu4] /to vomit/
"""


def test_read_cedict_keeps_meanings_and_drops_notes(tmp_path: Path) -> None:
    path = tmp_path / "cedict.txt"
    path.write_text(CEDICT, encoding="utf-8")
    found = read_cedict(path)
    assert found["白内障"] == ("cataract",)
    assert found["关节"] == ("joint", "key point")
    assert found["呕吐"] == ("vomit",)
    assert clean_gloss("see 關節|关节[guan1 jie2]") is None


@pytest.fixture
def glossed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "cedict.txt"
    path.write_text(CEDICT, encoding="utf-8")
    monkeypatch.setattr(glossary, "chinese_glosses", lambda: read_cedict(path))
    b = GraphBuilder("zh")
    b.add_node("HP:0000518", "PhenotypicFeature", "Cataract")
    b.add_node("HP:0002829", "PhenotypicFeature", "Arthralgia", ["Joint pain"])
    b.add_node("HP:0002013", "PhenotypicFeature", "Vomiting", ["Vomit"])
    b.add_node("HP:0001250", "PhenotypicFeature", "Seizure")
    # A model that knows none of these phrases: only the dictionary can link them.
    return EmbeddedStore(b.build()), FakeEncoder("fake-ml-zh", {"Seizure": "Seizure"})


def test_a_dictionary_word_and_a_pair_of_words_are_linked(glossed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, encoder = glossed
    # The fake model's similarities never reach this threshold: what links, the dictionary linked.
    linker = Linker.from_store(store, LinkerConfig(multilingual_threshold=0.999), home=tmp_path,
                               multilingual_encoder=encoder)
    found = [(m.text, m.node_id, m.status.value) for m in linker.link("患者有白内障，关节痛，无呕吐。").mentions]
    assert found == [("白内障", "HP:0000518", "present"), ("关节痛", "HP:0002829", "present"),
                     ("呕吐", "HP:0002013", "excluded")]


def test_without_the_glossary_only_the_model_links_chinese(glossed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, encoder = glossed
    off = Linker.from_store(store, LinkerConfig(chinese_glossary=False, multilingual_threshold=0.999),
                            home=tmp_path, multilingual_encoder=encoder)
    assert off.link("患者有白内障，关节痛。").mentions == ()
