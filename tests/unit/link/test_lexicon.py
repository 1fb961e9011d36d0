from kgdecide.link.lexicon import Lexicon, NameKind, node_names
from kgdecide.link.text import tokenize
from kgdecide.types import Node

NODES = [
    Node("X:1", "T", "Short stature", ("Small stature",), {"exact_synonyms": ("Small stature",)}),
    Node("X:2", "T", "Atrial septal defect", ("ASD",)),
    Node("X:3", "T", "Stature", ()),
    Node("X:4", "T", "All", ("Abnormality",)),
]


def _found(lexicon: Lexicon, text: str) -> list[tuple[str, str]]:
    tokens = tokenize(text)
    return [(text[tokens[h.first].start:tokens[h.last].end], lexicon.ids[h.entries[0].row])
            for h in lexicon.find(tokens, text=text)]


def test_names_match_in_one_pass_with_overlaps() -> None:
    lexicon = Lexicon.from_nodes(NODES)
    assert _found(lexicon, "small statures and ASD") == [
        ("small statures", "X:1"), ("statures", "X:3"), ("ASD", "X:2")]


def test_matches_stop_at_word_boundaries() -> None:
    lexicon = Lexicon.from_nodes(NODES)
    assert _found(lexicon, "shortstature, outstature") == []


def test_acronyms_only_match_in_capitals() -> None:
    lexicon = Lexicon.from_nodes(NODES)
    assert _found(lexicon, "asd") == []


def test_stop_names_and_short_names_are_left_out() -> None:
    lexicon = Lexicon.from_nodes(NODES, stop_keys=("abnormality", "All"))
    assert _found(lexicon, "all abnormality") == []
    assert _found(Lexicon.from_nodes(NODES, min_key_chars=4), "all") == []
    assert _found(Lexicon.from_nodes(NODES), "all") == [("all", "X:4")]


def test_synonym_kinds_come_from_properties() -> None:
    kinds = dict(node_names(NODES[0]))
    assert kinds == {"Short stature": NameKind.LABEL, "Small stature": NameKind.EXACT}


def test_empty_lexicon_finds_nothing() -> None:
    assert Lexicon.from_nodes([]).find(tokenize("anything")) == []
