from pathlib import Path

import pytest

from kgdecide.errors import InvalidQuery
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.link.config import LinkerConfig
from kgdecide.link.linker import Linker
from kgdecide.types import AssertionStatus as S

from .conftest import FakeEncoder


def _triples(result):  # type: ignore[no-untyped-def]
    return [(m.text, m.node_id, m.status.value) for m in result.mentions]


def test_the_done_when_sentence(linker: Linker) -> None:
    result = linker.link("Seizures since 3 months; no fever. Mother has short stature.")
    assert _triples(result) == [("Seizures", "HP:0001250", "present"),
                                ("fever", "HP:0001945", "excluded"),
                                ("short stature", "HP:0004322", "family")]
    assert result.present_ids == ("HP:0001250",)
    assert result.excluded_ids == ("HP:0001945",)


def test_offsets_index_the_input(linker: Linker) -> None:
    text = "Café: <b>Hypotonia</b> &amp; ataxia 😀 and microcephaly."
    result = linker.link(text)
    assert {m.node_id for m in result.mentions} == {"HP:0001252", "HP:0001251", "HP:0000252"}
    for m in result.mentions:
        assert text[m.start:m.end] == m.text


def test_longest_name_wins_an_overlap(linker: Linker) -> None:
    result = linker.link("Febrile seizures at 2 years.")
    assert _triples(result) == [("Febrile seizures", "HP:0002373", "present")]


def test_nested_names_are_kept_when_asked(mini_store: EmbeddedStore) -> None:
    # Unsifted: every nested name stays (the sifting by hierarchy is in test_nested.py).
    nested = Linker.from_store(mini_store, LinkerConfig(keep_nested=True, sift_nested=False,
                                                        multilingual=False))
    ids = [m.node_id for m in nested.link("External ear anomalies.").mentions]
    assert ids == ["HP:0000356", "HP:0000598"]


def test_typos_are_corrected_with_a_lower_score(linker: Linker) -> None:
    [m] = linker.link("Hypotnia.").mentions
    assert m.node_id == "HP:0001252" and m.score < linker.link("Hypotonia.").mentions[0].score


def test_excluded_nodes_are_never_linked(linker: Linker) -> None:
    assert linker.link("Severe phenotypic abnormality.").mentions == ()


def test_ambiguous_name_keeps_the_runner_up(linker: Linker) -> None:
    [m] = linker.link("Heart murmur; echo shows ASD with an enlarged atrial chamber.").mentions[-1:]
    assert m.text == "ASD"
    assert {m.node_id, *[a[0] for a in m.alternatives]} == {"HP:0000729", "HP:0001631"}
    assert m.node_id == "HP:0001631"  # the context ("atrial septum") decides


def test_low_scores_are_abstained(mini_store: EmbeddedStore) -> None:
    strict = Linker.from_store(mini_store, LinkerConfig(min_score=0.99, multilingual=False))
    result = strict.link("Seizures.")
    assert result.mentions == () and [m.node_id for m in result.abstained] == ["HP:0001250"]


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_empty_text_has_a_reason(linker: Linker, text: str) -> None:
    result = linker.link(text)
    assert result.mentions == () and result.notes == ("empty text",)


def test_too_long_text_is_refused(linker: Linker) -> None:
    with pytest.raises(InvalidQuery, match="limit is 200,000"):
        linker.link("fever " * 200_000)


def test_non_string_is_refused(linker: Linker) -> None:
    with pytest.raises(InvalidQuery, match="must be a string"):
        linker.link(b"fever")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["Le patient a de la fièvre.", "😀😀😀", "\x00\x01\x02", "<script></script>"])
def test_text_without_names_gives_zero_mentions_with_a_reason(linker: Linker, text: str) -> None:
    result = linker.link(text)
    assert result.mentions == () and result.notes


def test_chinese_without_multilingual_says_so(linker: Linker) -> None:
    result = linker.link("癫痫发作，无发热")
    assert result.mentions == ()
    assert any("Chinese" in note for note in result.notes)


def test_chinese_through_a_multilingual_encoder(mini_store: EmbeddedStore, tmp_path: Path,
                                                chinese_encoder: FakeEncoder) -> None:
    linker = Linker.from_store(mini_store, LinkerConfig(), home=tmp_path,
                               multilingual_encoder=chinese_encoder)
    result = linker.link("癫痫发作，无发热。母亲身材矮小")
    assert _triples(result) == [("癫痫发作", "HP:0001250", "present"),
                                ("发热", "HP:0001945", "excluded"),
                                ("身材矮小", "HP:0004322", "family")]


def test_english_paraphrases_through_dense(mini_store: EmbeddedStore, tmp_path: Path) -> None:
    encoder = FakeEncoder("fake-en", {"tiny skull": "Microcephaly", "Microcephaly": "Microcephaly",
                                      "Seizure": "Seizure"})
    linker = Linker.from_store(mini_store, LinkerConfig(dense=True, multilingual=False),
                               home=tmp_path, english_encoder=encoder)
    result = linker.link("He had a tiny skull, no seizures.")
    assert _triples(result) == [("tiny skull", "HP:0000252", "present"),
                                ("seizures", "HP:0001250", "excluded")]


def test_embeddings_are_cached_beside_the_snapshot(tmp_path: Path, chinese_encoder: FakeEncoder) -> None:
    from .conftest import mini_graph_builder

    store = EmbeddedStore.write(mini_graph_builder().build(), tmp_path / "store")
    first = Linker.from_store(store, LinkerConfig(), multilingual_encoder=chinese_encoder)
    first.link("发热")
    calls = chinese_encoder.calls
    assert list(Path(store.snapshot).glob("embeddings-fake-ml-*.npy"))
    second = Linker.from_store(EmbeddedStore.from_path(tmp_path / "store"), LinkerConfig(),
                               multilingual_encoder=chinese_encoder)
    assert _triples(second.link("发热")) == [("发热", "HP:0001945", "present")]
    assert chinese_encoder.calls == calls + 1  # only the query: names came from the cache


def test_findings_keep_present_and_excluded_only(linker: Linker) -> None:
    result = linker.link("Seizures; no fever. Mother has short stature. Possible ataxia.")
    assert [(f.id, f.status.value) for f in result.findings()] == [
        ("HP:0001250", "present"), ("HP:0001945", "excluded")]


def test_a_tie_between_equal_names_goes_to_the_shorter_label() -> None:
    from kgdecide.graph.builder import GraphBuilder

    builder = GraphBuilder("tie")
    # Both terms list the same name (up to the plural); the outer ear comes first by row.
    builder.add_node("HP:0000356", "PhenotypicFeature", "Abnormality of the outer ear", ["Ear anomalies"])
    builder.add_node("HP:0000598", "PhenotypicFeature", "Abnormality of the ear", ["Ear anomaly"])
    tied = Linker.from_store(EmbeddedStore(builder.build()), LinkerConfig(multilingual=False))
    [m] = tied.link("Ear anomalies were noted.").mentions
    assert m.node_id == "HP:0000598"
    assert m.alternatives[0][0] == "HP:0000356"


def test_prepare_embeds_the_multilingual_index_once_with_progress(mini_store, tmp_path, chinese_encoder) -> None:  # type: ignore[no-untyped-def]
    from contextlib import contextmanager

    encoder = chinese_encoder
    linker = Linker.from_store(mini_store, LinkerConfig(), home=tmp_path, multilingual_encoder=encoder)
    seen: list[tuple[str, int, int]] = []

    @contextmanager
    def progress(what: str, total: int):  # type: ignore[no-untyped-def]
        done = []
        yield done.append
        seen.append((what, total, sum(done)))

    linker.prepare(progress)
    assert len(seen) == 1 and seen[0][1] == seen[0][2] > 0  # every name embedded, all reported
    calls = encoder.calls
    linker.link("癫痫发作")  # the request reuses the prepared index
    assert encoder.calls == calls + 1  # only the query was embedded


def test_an_index_of_every_name_embeds_only_what_the_labels_index_has_not(mini_store, tmp_path, chinese_encoder) -> None:  # type: ignore[no-untyped-def]
    from contextlib import contextmanager

    from kgdecide.link.lexicon import node_names

    embedded: list[int] = []

    @contextmanager
    def progress(what: str, total: int):  # type: ignore[no-untyped-def]
        done: list[int] = []
        yield done.append
        embedded.append(sum(done))

    labels = Linker.from_store(mini_store, LinkerConfig(), home=tmp_path, multilingual_encoder=chinese_encoder)
    labels.prepare(progress)
    every = Linker.from_store(mini_store, LinkerConfig(multilingual_names="all"), home=tmp_path,
                              multilingual_encoder=chinese_encoder)
    every.prepare(progress)
    nodes = list(mini_store.iter_nodes("PhenotypicFeature"))
    all_names = {n for node in nodes for n, _ in node_names(node) if n}
    label_names = {node.label for node in nodes}
    assert embedded == [len(label_names), len(all_names - label_names)]
    # The index of every name finds what a synonym says.
    assert _triples(every.link("发热")) == [("发热", "HP:0001945", "present")]
