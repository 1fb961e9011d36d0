"""Short forms a text defines: "basal cell carcinomas (BCCs)"."""

from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.link.abbreviation import is_short_form, short_form_uses
from kgdecide.link.config import LinkerConfig
from kgdecide.link.linker import Linker


def test_short_form_needs_capitals_and_the_first_letter() -> None:
    assert is_short_form("BCC", "basal cell carcinoma")
    assert not is_short_form("Bcc", "basal cell carcinoma")
    assert not is_short_form("NF2", "basal cell carcinoma")


def test_uses_are_found_after_a_definition_only() -> None:
    text = "basal cell carcinomas (BCCs); BCC-like, BCC and BCCs"
    assert [(text[s:e]) for s, e, _, _ in short_form_uses(text, [(0, 21)])] == ["BCCs", "BCC", "BCCs"]
    assert list(short_form_uses("basal cell carcinomas, BCC", [(0, 21)])) == []


def test_linker_links_defined_short_forms_when_asked() -> None:
    b = GraphBuilder("abbr")
    b.add_node("HP:0002671", "PhenotypicFeature", "Basal cell carcinoma", ["Basal cell carcinomas"])
    store = EmbeddedStore(b.build())
    text = "Multiple basal cell carcinomas (BCCs) were seen. BCCs recurred."
    on = Linker.from_store(store, LinkerConfig(multilingual=False, abbreviations=True))
    mentions = on.link(text).mentions
    assert [m.text for m in mentions] == ["basal cell carcinomas", "BCCs", "BCCs"]
    assert {m.node_id for m in mentions} == {"HP:0002671"}
    assert mentions[1].score < mentions[0].score
    off = Linker.from_store(store, LinkerConfig(multilingual=False))
    assert [m.text for m in off.link(text).mentions] == ["basal cell carcinomas"]
