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


def _acronym_store() -> EmbeddedStore:
    b = GraphBuilder("acronyms")
    b.add_node("HP:0001631", "PhenotypicFeature", "Atrial septal defect", ["ASD"])
    b.add_node("HP:0000729", "PhenotypicFeature", "Autistic behavior", ["ASD", "Autism spectrum disorder"])
    b.add_node("HP:0001643", "PhenotypicFeature", "Patent ductus arteriosus", ["PDA"])
    b.add_node("HP:0001653", "PhenotypicFeature", "Mitral regurgitation", ["MVR"])
    return EmbeddedStore(b.build())


def test_definitions_in_brackets_and_glossaries() -> None:
    from kgdecide.link.abbreviation import definitions

    text = ("An atrial septal defect (ASD) was closed.\n"
            "Table 1. ASD, autism spectrum disorder; MR: mitral regurgitation. Data (n = 3).")
    assert {k: text[s:e] for k, (s, e) in definitions(text).items()} == {
        "ASD": "atrial septal defect", "MR": "mitral regurgitation"}
    # Initials that do not spell the short form, and single capitals, define nothing.
    assert definitions("A rare disorder (ASD) and a note (P1) and Fever, none.") == {}


def test_a_short_form_is_read_as_the_text_defines_it() -> None:
    linker = Linker.from_store(_acronym_store(), LinkerConfig(multilingual=False))
    in_brackets = linker.link("She had an atrial septal defect (ASD). The ASD was closed at 2 years.")
    assert {m.node_id for m in in_brackets.mentions} == {"HP:0001631"}
    table = ("Table 2. Cardiac findings of published patients.\nPatient | ASD | Seizures\nP1 | + | -\n"
             "ASD, atrial septal defect.")
    assert {m.node_id for m in linker.link(table).mentions if m.text == "ASD"} == {"HP:0001631"}
    # Defined as something the graph does not name: not linked to the graph's own reading.
    assert [m.text for m in linker.link("A posterior dental abscess (PDA) was drained. The PDA healed.").mentions] == []
    # Without a definition, the graph's names apply as before.
    assert [m.node_id for m in linker.link("Echocardiography showed a PDA.").mentions] == ["HP:0001643"]
