"""Word-bag matching: names in another word order or word form."""

import pytest

from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.link.config import LinkerConfig
from kgdecide.link.linker import Linker
from kgdecide.link.text import phrase_key, tokenize
from kgdecide.link.variants import VariantIndex, bag_key, stem
from kgdecide.types import Node

NODES = [
    Node("HP:1", "T", "Hypopigmentation of the skin", ()),
    Node("HP:2", "T", "Abnormality of the kidney", ()),
    Node("HP:3", "T", "Cleft palate", ()),
    Node("HP:4", "T", "Abnormality of the face", ()),
    Node("HP:5", "T", "Mental retardation", ()),
    Node("HP:6", "T", "Type A brachydactyly", ()),
]


def _found(text: str) -> list[tuple[str, str]]:
    index = VariantIndex.from_nodes(NODES)
    tokens = tokenize(text)
    return [(text[tokens[h.first].start:tokens[h.last].end], NODES[h.entries[0].row].id)
            for h in index.find(tokens, text)]


@pytest.mark.parametrize(("a", "b"), [("retardation", "retarded"), ("mentally", "mental"),
                                      ("dysplasia", "dysplastic"), ("developmental", "development"),
                                      ("hypopigmented", "hypopigmentation")])
def test_word_forms_share_a_stem(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_short_words_are_not_cut() -> None:
    assert stem("eye") == "eye" and stem("renal") == "renal"


def test_bag_forgets_order_function_words_and_the_word_for_abnormal() -> None:
    assert bag_key(["skin", "hypopigmentation"]) == bag_key(phrase_key("Hypopigmentation of the skin").split())
    assert bag_key(["renal", "malformation"]) == bag_key(["abnormality", "of", "the", "renal"])
    assert bag_key(["kidney", "defect"]) == bag_key(["kidney", "anomaly"])
    assert bag_key(["kidney", "anomaly"]) != bag_key(["liver", "anomaly"])


def test_bag_is_none_for_one_word_or_a_coordination() -> None:
    assert bag_key(["the", "kidney"]) is None
    assert bag_key(["kidney", "and", "liver"]) is None


def test_variants_are_found_in_text() -> None:
    assert _found("Skin hypopigmentation; kidney anomalies, cleft of the palate.") == [
        ("Skin hypopigmentation", "HP:1"), ("kidney anomalies", "HP:2"), ("cleft of the palate", "HP:3")]
    assert _found("He was mentally retarded.") == [("mentally retarded", "HP:5")]


def test_single_letters_count() -> None:
    # "a" is a word of "Type A brachydactyly", not a function word to drop.
    assert _found("brachydactyly type A") == [("brachydactyly type A", "HP:6")]
    assert _found("brachydactyly type") == []


def test_runs_stop_at_punctuation_and_conjunctions() -> None:
    assert _found("skin, with hypopigmentation") == []
    assert _found("kidney and anomalies") == []


def test_of_phrase_may_not_stop_inside_a_noun_phrase() -> None:
    assert _found("anomalies of the facial nerve") == []
    assert _found("anomalies of the face.") == [("anomalies of the face", "HP:4")]


def test_exact_match_wins_and_variants_score_lower(mini_store: EmbeddedStore) -> None:
    linker = Linker.from_store(mini_store, LinkerConfig(multilingual=False))
    [exact] = linker.link("Cleft palate.").mentions
    [variant] = linker.link("Cleft of the palate.").mentions
    assert exact.node_id == variant.node_id == "HP:0000175"
    assert variant.score < exact.score
    off = Linker.from_store(mini_store, LinkerConfig(multilingual=False, variants=False))
    assert off.link("Cleft of the palate.").mentions == ()


@pytest.mark.parametrize(("text", "name"), [
    (["renal", "agenesis"], "Kidney agenesis"),
    (["hepatic", "fibrosis"], "Fibrosis of the liver"),
    (["cutaneous", "manifestation"], "Abnormality of the skin"),
    (["pulmonary", "cyst"], "Lung cyst"),
    (["dental", "anomaly"], "Abnormality of the teeth"),
])
def test_anatomical_adjectives_share_the_organ_bag(text: list[str], name: str) -> None:
    assert bag_key(text) == bag_key(phrase_key(name).split())


@pytest.mark.parametrize("vague", ["changes", "manifestations", "involvement", "problems",
                                   "disorders", "findings"])
def test_vague_nouns_after_an_organ_mean_abnormal(vague: str) -> None:
    assert bag_key(["skin", phrase_key(vague)]) == bag_key(phrase_key("Abnormality of the skin").split())


def test_words_outside_the_tables_keep_their_meaning() -> None:
    skin_lesion = bag_key(["skin", "lesion"])
    assert skin_lesion != bag_key(phrase_key("Abnormality of the skin").split())
    assert bag_key(["renal", "cyst"]) != bag_key(["liver", "cyst"])


def test_adjective_forms_link_through_the_variant_index() -> None:
    index = VariantIndex.from_nodes([Node("HP:7", "T", "Renal agenesis", ())])
    text = "Bilateral kidney agenesis was found."
    tokens = tokenize(text)
    assert [(tokens[h.first].start, tokens[h.last].end) for h in index.find(tokens, text)] == [(10, 25)]
