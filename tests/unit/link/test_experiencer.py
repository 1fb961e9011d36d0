"""Whose finding a mention is, on sentences shaped like those of case reports and notes."""

from __future__ import annotations

import pytest

from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.link.config import LinkerConfig
from kgdecide.link.experiencer import ExperiencerTagger
from kgdecide.link.linker import Linker
from kgdecide.link.sections import find_structure
from kgdecide.types import AssertionStatus, Experiencer

P, R, O, G, M = (Experiencer.PATIENT, Experiencer.RELATIVE, Experiencer.OTHERS, Experiencer.GENERAL,
                 Experiencer.MODEL)


def whose(text: str, phrase: str, occurrence: int = 0) -> Experiencer:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(phrase, start + 1)
    return ExperiencerTagger(text, find_structure(text)).read(start, start + len(phrase)).experiencer


@pytest.mark.parametrize(("sentence", "phrase", "expected"), [
    # this patient
    ("At 4 months she developed seizures and hypotonia.", "hypotonia", P),
    ("On examination he had strabismus and nystagmus.", "nystagmus", P),
    # other patients, cohorts, published cases
    ("Cataract has been reported in 3 of 12 patients.", "Cataract", O),
    ("Seizures occur in 60% of affected individuals.", "Seizures", O),
    ("Previously reported patients had spasticity and optic atrophy.", "optic atrophy", O),
    ("Smith et al. described scoliosis in two brothers.", "scoliosis", O),
    # the disease in general
    ("Classical Ehlers-Danlos syndrome is characterized by skin hyperextensibility and atrophic scars.",
     "atrophic scars", G),
    ("The cardinal features are macrodontia and short stature.", "macrodontia", G),
    # animal and cell models
    ("Knockout mice have neonatal lethality and seizures.", "seizures", M),
    ("In zebrafish, knockdown causes heart malformations.", "heart malformations", M),
])
def test_clause_cues_in_a_note(sentence: str, phrase: str, expected: Experiencer) -> None:
    assert whose(sentence, phrase) is expected


def test_the_nearest_cue_of_the_clause_wins() -> None:
    text = "Our patient had seizures, whereas previously reported patients had spasticity."
    assert whose(text, "seizures") is P
    assert whose(text, "spasticity") is O


def test_a_patient_cue_in_the_discussion_makes_it_the_patients() -> None:
    text = ("Case report\nShe has ataxia.\n\nDiscussion\nAtaxia is frequent in this disorder. "
            "Our patient also had hypotonia.")
    assert whose(text, "Ataxia is frequent") is G
    assert whose(text, "hypotonia") is P


@pytest.mark.parametrize(("heading", "expected"), [
    ("Introduction", G), ("Background", G), ("Discussion", G), ("Conclusion", G),
    ("Case report", P), ("Clinical description", P), ("Family history", R), ("References", O),
])
def test_section_defaults(heading: str, expected: Experiencer) -> None:
    text = f"A title\n\n{heading}\nSpasticity and cataract were noted.\n"
    assert whose(text, "cataract") is expected


def test_person_by_row_table() -> None:
    text = ("Table 1. Clinical features of previously reported patients\n"
            "Patient | Age | Features\nP1 | 4 y | Spasticity\nOur patient | 6 y | Hypotonia\n"
            "Father | 40 y | Scoliosis\n")
    assert whose(text, "Spasticity") is O
    assert whose(text, "Hypotonia") is P
    assert whose(text, "Scoliosis") is R
    assert whose(text, "patients") is O  # the caption


def test_feature_by_column_table_reads_the_patients_cell() -> None:
    text = ("Table 2. Comparison with published cases\n"
            "Feature\tOur patient\tSmith et al. 2015\n"
            "Seizures\t+\t+\nOptic atrophy\t-\t+\nMicrocephaly\tNA\t+\n")
    tagger = ExperiencerTagger(text, find_structure(text))
    def read(phrase: str):  # type: ignore[no-untyped-def]
        start = text.index(phrase)
        return tagger.read(start, start + len(phrase))
    assert (read("Seizures").experiencer, read("Seizures").status) == (P, None)
    assert (read("Optic atrophy").experiencer, read("Optic atrophy").status) == (P, AssertionStatus.EXCLUDED)
    assert read("Microcephaly").experiencer is O


def test_a_table_of_many_people_without_caption_cue_is_others() -> None:
    text = "Table 3.\nID\tSex\tFindings\nP1\tM\tAtaxia\nP2\tF\tAtaxia\nP3\tM\tCataract\n"
    assert whose(text, "Cataract") is O


@pytest.fixture(scope="module")
def linker(mini_store: EmbeddedStore) -> Linker:
    return Linker.from_store(mini_store, LinkerConfig(multilingual=False))


def test_only_the_patients_findings_are_scored(linker: Linker) -> None:
    text = ("Introduction\nThe syndrome is characterized by ataxia and scoliosis.\n\n"
            "Case report\nThe girl had microcephaly and hypotonia; there was no fever. "
            "Her mother has short stature.\n\nDiscussion\nScoliosis has been reported in 40% of patients.")
    result = linker.link(text)
    whose_of = {(m.label, m.section): m.experiencer for m in result.mentions}
    assert whose_of[("Ataxia", "introduction")] is G
    assert whose_of[("Short stature", "case")] is R
    assert whose_of[("Scoliosis", "discussion")] is O
    assert {(f.id, f.status.value) for f in result.findings()} == {
        ("HP:0000252", "present"), ("HP:0001252", "present"), ("HP:0001945", "excluded")}


def test_a_relative_gets_the_family_status(linker: Linker) -> None:
    text = "Family history\nA paternal aunt had scoliosis.\n"
    (mention,) = linker.link(text).mentions
    assert (mention.experiencer, mention.status) == (R, AssertionStatus.FAMILY)


@pytest.mark.parametrize("text", [
    "Her mother has short stature and scoliosis.",
    "The proband's father also had scoliosis.",
    "A maternal uncle with scoliosis died at 30.",
    "Scoliosis was noted in her older brother.",
])
def test_relatives_named_in_a_case_sentence(linker: Linker, text: str) -> None:
    # Outside a family-history section, the relative named in the clause makes it theirs.
    found = [m for m in linker.link(text).mentions if m.label == "Scoliosis"]
    assert [(m.experiencer, m.status) for m in found] == [(R, AssertionStatus.FAMILY)]
    assert linker.link(text).findings() == ()


def test_switching_experiencers_off_scores_every_present_mention(mini_store: EmbeddedStore) -> None:
    off = Linker.from_store(mini_store, LinkerConfig(multilingual=False, experiencer=False))
    result = off.link("Knockout mice have ataxia.")
    assert [f.id for f in result.findings()] == ["HP:0001251"]
    assert result.mentions[0].experiencer is P


def test_hypothetical_statements(linker: Linker) -> None:
    result = linker.link("If she develops scoliosis, bracing is advised. She is at risk of hearing impairment.")
    assert [m.status for m in result.mentions] == [AssertionStatus.HYPOTHETICAL] * 2
    assert result.findings() == ()


def test_an_author_name_is_not_corrected_into_a_finding(linker: Linker) -> None:
    # "Atoxia" is one edit from "ataxia": as an author's name it stays a name.
    assert linker.link("Atoxia et al. reported two families.").mentions == ()
    assert [m.label for m in linker.link("The boy has atoxia.").mentions] == ["Ataxia"]
