"""Nested names sifted by the hierarchy: kept (and implied) under a more specific enclosing
name, kept inside a coordination, dropped when unrelated or the same node again."""

import pytest

from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.packs.clinical.linking import clinical_linker_config
from kgdecide.link.config import LinkerConfig
from kgdecide.link.linker import Linker, LinkResult
from kgdecide.types import AssertionStatus, FindingStatus, Mention


@pytest.fixture(scope="module")
def nested(mini_store: EmbeddedStore) -> Linker:
    return Linker.from_store(mini_store, LinkerConfig(keep_nested=True, multilingual=False))


def _spans(result: LinkResult) -> list[tuple[str, str]]:
    return [(m.text, m.node_id) for m in result.mentions]


def test_a_nested_ancestor_is_kept_and_marked_implied(nested: Linker) -> None:
    # Seizure is the parent of Febrile seizure in the fixture graph.
    result = nested.link("Febrile seizures at 2 years.")
    assert _spans(result) == [("Febrile seizures", "HP:0002373"), ("seizures", "HP:0001250")]
    assert result.implied == frozenset({1})


def test_implied_mentions_are_not_findings(nested: Linker) -> None:
    present = nested.link("Febrile seizures at 2 years.").findings()
    assert [(f.id, f.status) for f in present] == [("HP:0002373", FindingStatus.PRESENT)]
    absent = nested.link("No febrile seizures.").findings()
    assert [(f.id, f.status) for f in absent] == [("HP:0002373", FindingStatus.EXCLUDED)]


def test_a_finding_written_on_its_own_is_still_a_finding(nested: Linker) -> None:
    result = nested.link("Seizures and febrile seizures.")
    assert {f.id for f in result.findings()} == {"HP:0001250", "HP:0002373"}


def test_an_unrelated_nested_name_is_dropped(nested: Linker) -> None:
    # Abnormality of the ear is not above Abnormality of the outer ear in the fixture graph.
    assert _spans(nested.link("External ear anomalies.")) == [("External ear anomalies", "HP:0000356")]


def test_the_same_node_nested_again_is_dropped(nested: Linker) -> None:
    assert _spans(nested.link("Global developmental delay.")) == [
        ("Global developmental delay", "HP:0001263")]


def test_nested_names_inside_a_coordination_are_kept(nested: Linker) -> None:
    result = nested.link("Cleft lip or palate.")
    assert set(_spans(result)) == {("Cleft lip or palate", "HP:0000175"), ("Cleft lip", "HP:0000204")}
    assert result.implied == frozenset()
    assert {f.id for f in result.findings()} == {"HP:0000175", "HP:0000204"}


def test_without_keep_nested_only_the_longest_name_is_reported(mini_store: EmbeddedStore) -> None:
    flat = Linker.from_store(mini_store, LinkerConfig(multilingual=False))
    assert _spans(flat.link("Febrile seizures at 2 years.")) == [("Febrile seizures", "HP:0002373")]


def test_offsets_of_overlapping_mentions_index_the_text(nested: Linker) -> None:
    text = "Febrile seizures; cleft lip or palate."
    for m in nested.link(text).mentions:
        assert text[m.start:m.end] == m.text


def test_clinical_default_keeps_sifted_nested_names() -> None:
    config = clinical_linker_config()
    assert config.keep_nested and config.sift_nested


def test_status_filters_leave_implied_mentions_out() -> None:
    outer = Mention(0, 16, "Febrile seizures", "HP:0002373", "Febrile seizure", 0.98)
    inner = Mention(8, 16, "seizures", "HP:0001250", "Seizure", 0.92, implied=True)
    result = LinkResult((outer, inner))
    assert result.by_status(AssertionStatus.PRESENT) == (outer,)
    assert result.present_ids == ("HP:0002373",)


def test_jsonl_records_flag_implied_mentions(nested: Linker) -> None:
    from kgdecide.link.command import result_record

    record = result_record("n1", nested.link("Febrile seizures at 2 years."))
    assert [m.get("implied", False) for m in record["mentions"]] == [False, True]


def test_a_nested_general_name_is_implied_at_any_distance() -> None:
    # Neoplasm is two levels above Brain neoplasm: "tumor" inside "brain tumor" is still implied,
    # and only the specific finding is scored.
    from kgdecide.graph.builder import GraphBuilder

    builder = GraphBuilder("chain", "test")
    builder.add_node("HP:0000118", "PhenotypicFeature", "Phenotypic abnormality")
    builder.add_node("HP:0002664", "PhenotypicFeature", "Neoplasm", ["Tumor"])
    builder.add_node("HP:0004375", "PhenotypicFeature", "Neoplasm of the nervous system")
    builder.add_node("HP:0030692", "PhenotypicFeature", "Brain neoplasm", ["Brain tumor"])
    builder.add_edge("HP:0002664", "is_a", "HP:0000118")
    builder.add_edge("HP:0004375", "is_a", "HP:0002664")
    builder.add_edge("HP:0030692", "is_a", "HP:0004375")
    linker = Linker.from_store(EmbeddedStore(builder.build()),
                               LinkerConfig(keep_nested=True, multilingual=False))
    result = linker.link("An MRI showed a brain tumor.")
    assert _spans(result) == [("brain tumor", "HP:0030692"), ("tumor", "HP:0002664")]
    assert result.implied == frozenset({1})
    assert [f.id for f in result.findings()] == ["HP:0030692"]
