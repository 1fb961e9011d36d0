"""Document sections found by headings and layout, one test per section kind."""

from __future__ import annotations

import pytest

from kgdecide.link.sections import SectionKind, find_structure, heading_kind

REPORT = """\
Hypotonia and seizures in a girl with a de novo KIF1A variant: a case report

Abstract
We describe a 6-year-old girl with hypotonia and seizures.

1. Introduction
KIF1A-associated neurological disorder is characterized by spasticity and optic atrophy.

Patients and methods
Exome sequencing was performed on the trio.

2. Case report
The proband was born at term. At 4 months she developed seizures.

Family history
Her father has epilepsy.

Past medical history
Recurrent otitis media in infancy.

Results
A heterozygous missense variant was found.

Table 1. Clinical features of previously reported patients
Patient | Age | Features
P1 | 4 y | Spasticity, cataract
P2 | 7 y | Ataxia

Figure 1. Brain MRI of the proband showing cerebellar atrophy.

DISCUSSION
Spasticity has been reported in most patients.

Conclusions
KIF1A should be tested in children with hypotonia.

Acknowledgements
We thank the family.

References
1. Smith J. Spastic paraplegia in KIF1A. J Med Genet. 2015.
"""


def kind_at(text: str, phrase: str) -> SectionKind:
    section = find_structure(text).section_at(text.index(phrase))
    assert section is not None
    return section.kind


@pytest.mark.parametrize(("phrase", "kind"), [
    ("Hypotonia and seizures in a girl", SectionKind.TITLE),
    ("We describe a 6-year-old girl", SectionKind.ABSTRACT),
    ("characterized by spasticity", SectionKind.INTRODUCTION),
    ("Exome sequencing was performed", SectionKind.METHODS),
    ("At 4 months she developed seizures", SectionKind.CASE),
    ("Her father has epilepsy", SectionKind.FAMILY_HISTORY),
    ("Recurrent otitis media", SectionKind.PAST_HISTORY),
    ("A heterozygous missense variant", SectionKind.RESULTS),
    ("Spasticity, cataract", SectionKind.TABLE),
    ("Clinical features of previously reported patients", SectionKind.TABLE),
    ("showing cerebellar atrophy", SectionKind.FIGURE),
    ("has been reported in most patients", SectionKind.DISCUSSION),
    ("should be tested in children", SectionKind.CONCLUSION),
    ("We thank the family", SectionKind.BACK_MATTER),
    ("Spastic paraplegia in KIF1A", SectionKind.REFERENCES),
])
def test_each_section_kind_of_a_report(phrase: str, kind: SectionKind) -> None:
    assert kind_at(REPORT, phrase) is kind


def test_sections_cover_the_text_in_order() -> None:
    sections = find_structure(REPORT).sections
    assert sections[0].start == 0 and sections[-1].end == len(REPORT)
    assert all(a.end == b.start for a, b in zip(sections, sections[1:]))


def test_a_table_has_rows_and_cells() -> None:
    (table,) = find_structure(REPORT).tables
    assert table.caption.startswith("Table 1.")
    cells = [[REPORT[s:e] for s, e in row.cells] for row in table.rows]
    assert cells == [["Patient", "Age", "Features"], ["P1", "4 y", "Spasticity, cataract"],
                     ["P2", "7 y", "Ataxia"]]


def test_tab_separated_table_keeps_empty_cells_aligned() -> None:
    text = "Table 2. Comparison\n\tOur patient\tSmith et al.\nSeizures\t+\t-\n"
    (table,) = find_structure(text).tables
    assert [[text[s:e] for s, e in row.cells] for row in table.rows] == [
        ["", "Our patient", "Smith et al."], ["Seizures", "+", "-"]]


def test_a_pasted_note_is_one_note() -> None:
    note = "Seizures since 3 months, global developmental delay; no fever. Small head."
    sections = find_structure(note).sections
    assert [(s.kind, s.start, s.end) for s in sections] == [(SectionKind.NOTE, 0, len(note))]


def test_note_fields_are_sections_of_their_own() -> None:
    note = ("HPI: 4-year-old with seizures and ataxia.\nFH: father with epilepsy.\n"
            "Exam: microcephaly, hypotonia.")
    assert kind_at(note, "seizures and ataxia") is SectionKind.CASE
    assert kind_at(note, "father with epilepsy") is SectionKind.FAMILY_HISTORY
    assert kind_at(note, "microcephaly, hypotonia") is SectionKind.CASE


def test_a_field_covers_its_paragraph_only() -> None:
    note = "Seizures from 3 months.\n\nFamily history: mother with migraine.\n\nNow ataxia as well."
    assert kind_at(note, "mother with migraine") is SectionKind.FAMILY_HISTORY
    assert kind_at(note, "Now ataxia") is SectionKind.NOTE


@pytest.mark.parametrize("line", ["Seizures.", "Hypotonia", "The boy has seizures and ataxia.",
                                  "She walked at 2 years"])
def test_note_lines_are_not_headings(line: str) -> None:
    assert heading_kind(line) is None or line.endswith(".")
    assert kind_at(f"{line}\nNo fever.", "No fever") is SectionKind.NOTE


def test_a_structured_abstract_inline_heading() -> None:
    text = ("Title of a report\n\nBackground: X syndrome is characterized by ataxia.\n"
            "Case presentation: a boy with ataxia.")
    assert kind_at(text, "is characterized by") is SectionKind.INTRODUCTION
    assert kind_at(text, "a boy with ataxia") is SectionKind.CASE


def test_a_structured_abstract_right_under_its_heading() -> None:
    text = ("A title\n\nABSTRACT\nBackground: The syndrome is characterized by seizures.\n"
            "Case presentation: A girl had ataxia.\n\nReferences\n1. A paper.\n")
    assert kind_at(text, "The syndrome is") is SectionKind.INTRODUCTION
    assert kind_at(text, "A girl had ataxia") is SectionKind.CASE
