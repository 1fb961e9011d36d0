"""Document structure: the sections of a case report or a clinical note, from headings and
layout alone.

A whole case report names far more findings than its patient has: the introduction describes
the disease in general, a table lists previously published patients, the discussion compares,
the references cite titles full of phenotype names. Knowing which section a mention sits in is
the first step to knowing whose finding it is (:mod:`kgdecide.link.experiencer`).

Headings are recognised on a line of their own ("Case report", "2. Discussion", "FAMILY
HISTORY") or at the start of a paragraph ("Background: ...", "FH: ..."), by a vocabulary of
section names of published reports and of clinical notes. A heading on its own line opens a
section that runs to the next such heading; one at the start of a paragraph covers that
paragraph only (structured abstracts, note fields). Tables are found by their caption ("Table
2.") and by layout (rows of cells split by tabs, bars or runs of spaces); figure legends by
"Figure 1". A text with no heading at all is one :attr:`SectionKind.NOTE`: the note-sized input
a clinician pastes is all about the patient.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass


class SectionKind(str, enum.Enum):
    """What a section of a report or note is."""

    NOTE = "note"  #: a text without headings: a clinical note about one patient
    TITLE = "title"  #: the title line(s) above the first heading
    ABSTRACT = "abstract"
    INTRODUCTION = "introduction"  #: introduction or background: the disease in general
    METHODS = "methods"  #: (patients and) methods, materials
    CASE = "case"  #: case report / presentation / description, clinical note fields
    RESULTS = "results"
    DISCUSSION = "discussion"  #: discussion, literature review
    CONCLUSION = "conclusion"
    FAMILY_HISTORY = "family_history"
    PAST_HISTORY = "past_history"  #: past medical history
    TABLE = "table"  #: a table with its caption and footnotes
    FIGURE = "figure"  #: a figure legend
    REFERENCES = "references"
    BACK_MATTER = "back_matter"  #: acknowledgements, funding, conflicts, consent


@dataclass(frozen=True, slots=True)
class Section:
    """A span of the text of one kind."""

    start: int  #: offset of the first character (the heading's, when it has one)
    end: int  #: offset one past the last character
    kind: SectionKind
    heading: str = ""  #: the heading as written ("" for a note or a title)


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of a table: its line and the offsets of its cells."""

    start: int
    end: int
    cells: tuple[tuple[int, int], ...]  #: (start, end) of each cell, left to right


@dataclass(frozen=True, slots=True)
class Table:
    """A table found by its caption or its layout."""

    start: int
    end: int
    caption: str  #: the caption line ("" when found by layout alone)
    rows: tuple[TableRow, ...]  #: the rows with cells, header first


@dataclass(frozen=True, slots=True)
class Structure:
    """The sections (covering the text, in order) and the tables of one text."""

    sections: tuple[Section, ...]
    tables: tuple[Table, ...] = ()

    def section_at(self, offset: int) -> Section | None:
        """The section holding ``offset`` (binary search over the ordered sections)."""
        lo, hi = 0, len(self.sections)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.sections[mid].end <= offset:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(self.sections) and self.sections[lo].start <= offset:
            return self.sections[lo]
        return None

    def table_at(self, offset: int) -> Table | None:
        return next((t for t in self.tables if t.start <= offset < t.end), None)


_K = SectionKind
#: Section names, matched at the start of a heading (after numbering), lower case. Names of
#: published reports' sections and of clinical notes' fields; order matters only where one
#: name starts another ("case report" before "case").
HEADINGS: tuple[tuple[str, SectionKind], ...] = (
    (r"(structured )?abstract|summary|synopsis", _K.ABSTRACT),
    (r"introduction|background|rationale|overview", _K.INTRODUCTION),
    (r"(patients?|subjects?|materials?|participants?)( and| &) (methods?|materials?)|methods?|"
     r"materials?|study design|molecular (genetic )?(analysis|methods|studies)|"
     r"genetic (analysis|testing|studies)|exome sequencing|whole[- ]exome sequencing|"
     r"(statistical|data) analysis|ethics( statement| approval)?", _K.METHODS),
    (r"case (reports?|presentations?|descriptions?|histor(y|ies)|summar(y|ies)|details?|series|study)|"
     r"clinical (reports?|descriptions?|presentations?|histor(y|ies)|summar(y|ies)|findings|"
     r"features|course|data|information|characteristics)|"
     r"(patient|proband) (reports?|descriptions?|presentations?|histor(y|ies)|information)|"
     r"reports? of (a|the|two|three) (cases?|patients?|famil(y|ies))|"
     r"the (patient|proband|case)|(patient|proband|case|family|individual) \d+\b|"
     r"cases?|patients?|proband|subject|index case|"
     r"history of (the )?present(ing)? illness|hpi|presenting complaint|chief complaint|"
     r"history|birth history|perinatal history|developmental history|social history|"
     r"(physical|clinical|neurological|general|systemic|ophthalmologic(al)?|dysmorphology|"
     r"cardiac|cardiovascular) exam(ination)?s?( findings)?|exam(ination)?|physical findings|"
     r"review of systems|ros|investigations?|laboratory( (tests?|findings|results|investigations))?|"
     r"labs|imaging|radiolog(y|ical findings)|neuroimaging|follow[- ]?up|outcome|"
     r"(clinical )?course|treatment|management|therapy|assessment( and plan)?|impression|plan|"
     r"a/p|diagnosis|medications?|allergies|presentation", _K.CASE),
    (r"results?|findings", _K.RESULTS),
    (r"(review of (the )?literature|literature review)|discussion|comments?|commentary",
     _K.DISCUSSION),
    (r"conclusions?|concluding remarks|learning points|take[- ]home messages?|key messages?",
     _K.CONCLUSION),
    (r"family (history|histories|pedigree|studies|members)|fh|fhx|pedigree( analysis)?",
     _K.FAMILY_HISTORY),
    (r"past (medical |surgical )?history|pmh|pmhx|medical history", _K.PAST_HISTORY),
    (r"references?|bibliography|literature cited|works cited|citations", _K.REFERENCES),
    (r"acknowledge?ments?|funding( (information|statement|sources?))?|"
     r"(conflicts?|declarations?|disclosures?|competing interests?)( of interests?)?|"
     r"author(s'|s|'s)? contributions?|data availability( statement)?|"
     r"(patient |informed |written )?consent( for publication)?|abbreviations|"
     r"supplementary (material|data|information)|keywords?|key words", _K.BACK_MATTER),
)
_HEADING_PATTERNS = [(re.compile(rf"(?:{p})\b", re.IGNORECASE), kind) for p, kind in HEADINGS]
#: Numbering before a heading: "2.", "2.1", "II.", "A."
_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[IVX]{1,4}\.|[A-H]\.)\s+")
#: A heading at the start of a paragraph: "Background:", "Family history -"
_INLINE = re.compile(r"\s*([A-Za-z][A-Za-z/&' -]{0,48}?)\s*(?::|\s[-\u2013\u2014]\s)\s*(?=\S)")
_TABLE_CAPTION = re.compile(r"^\s*(?:supplementary\s+)?table\s+[A-Z]?\d+[A-Za-z]?\b", re.IGNORECASE)
_FIGURE_CAPTION = re.compile(r"^\s*(?:supplementary\s+)?(?:figure|fig\.?)\s+[A-Z]?\d+[A-Za-z]?\b",
                             re.IGNORECASE)
_LINE = re.compile(r"[^\n]*\n?")


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, the newline excluded."""
    out = []
    for match in _LINE.finditer(text):
        if match.start() == len(text):
            break
        end = match.end() - (1 if match.group().endswith("\n") else 0)
        out.append((match.start(), end))
    return out


def heading_kind(line: str) -> SectionKind | None:
    """The kind of section a heading names, or None when it names none.

    >>> [heading_kind(h) for h in ("2. Case report", "DISCUSSION", "Family history:", "Seizures")]
    [<SectionKind.CASE: 'case'>, <SectionKind.DISCUSSION: 'discussion'>, <SectionKind.FAMILY_HISTORY: 'family_history'>, None]
    """
    name = _NUMBERING.sub("", line).strip().rstrip(":.").strip()
    if not name or len(name) > 80:
        return None
    for pattern, kind in _HEADING_PATTERNS:
        match = pattern.match(name)
        # The whole heading is the name, or the name and a few words ("Case report: a girl
        # with ...", "Discussion and conclusions" is caught by the first name).
        if match and (match.end() == len(name) or len(name.split()) <= 6):
            return kind
    return None


def _is_heading_line(text: str, start: int, end: int) -> SectionKind | None:
    line = text[start:end].strip()
    if not line or len(line) > 80 or len(line.split()) > 8:
        return None
    if line.endswith((".", ",", ";")) and not _NUMBERING.match(line + " "):
        # A sentence, not a heading ("Seizures." is a note's line); numbered "1." is fine.
        if not re.fullmatch(r"[A-Z][A-Z &/-]+\.", line):
            return None
    return heading_kind(line)


def _inline_heading(text: str, start: int, end: int) -> tuple[SectionKind, int] | None:
    """A heading at the start of a line: its kind and where its text begins."""
    match = _INLINE.match(text, start, end)
    if not match:
        return None
    kind = heading_kind(match.group(1))
    if kind is None:
        return None
    return kind, match.end()


def _cells(text: str, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """(start, end) of each cell, empty cells kept so columns line up with the header: cells
    split by tabs, else by bars (outer bars dropped), else by runs of three or more spaces."""
    line = text[start:end]
    if "\t" in line:
        splitter = re.compile(r"\t")
    elif line.count("|") >= 2:
        splitter = re.compile(r"\|")
        inner = line.strip()
        if inner.startswith("|"):
            start = text.index("|", start) + 1
        if inner.endswith("|"):
            end = text.rindex("|", start, end)
    else:
        splitter = re.compile(r" {3,}")
    cells = []
    at = start
    for sep in splitter.finditer(text, start, end):
        cells.append((at, sep.start()))
        at = sep.end()
    cells.append((at, end))
    return tuple(_trim(text, s, e) for s, e in cells)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_row(text: str, start: int, end: int) -> bool:
    line = text[start:end]
    if "\t" in line or line.count("|") >= 2:
        return True
    return len(re.findall(r"\S\s{3,}\S", line)) >= 2


def find_structure(text: str) -> Structure:
    """The sections and tables of ``text``.

    >>> s = find_structure("Seizures since 3 months; no fever.")
    >>> [(x.kind.value, x.start, x.end) for x in s.sections]
    [('note', 0, 34)]
    >>> doc = "A girl with ataxia\\n\\nIntroduction\\nAtaxia is common.\\n\\nCase report\\nShe has ataxia."
    >>> [x.kind.value for x in find_structure(doc).sections]
    ['title', 'introduction', 'case']
    """
    lines = _lines(text)
    builder = _Builder(text)
    i = 0
    while i < len(lines):
        start, end = lines[i]
        line = text[start:end]
        if not line.strip():
            i += 1
            continue
        # A paragraph starts after a blank line or right under a heading of its own line
        # ("ABSTRACT" then "Background: ..." in a structured abstract).
        paragraph_start = (i == 0 or not text[lines[i - 1][0]:lines[i - 1][1]].strip()
                           or _is_heading_line(text, *lines[i - 1]) is not None)
        if _TABLE_CAPTION.match(line) or (_is_row(text, start, end) and i + 1 < len(lines)
                                           and _is_row(text, *lines[i + 1])):
            i, table = _read_table(text, lines, i)
            builder.tables.append(table)
            builder.insert(table.start, table.end, SectionKind.TABLE, table.caption[:80])
            continue
        if paragraph_start and _FIGURE_CAPTION.match(line):
            j = _paragraph_end(text, lines, i)
            builder.insert(start, lines[j - 1][1], SectionKind.FIGURE, line.strip()[:80])
            i = j
            continue
        kind = _is_heading_line(text, start, end)
        if kind is not None:
            builder.open(start, kind, line.strip())
            i += 1
            continue
        inline = _inline_heading(text, start, end) if paragraph_start or _starts_field(text, lines, i) else None
        if inline is not None:
            # The field runs to the end of its paragraph, or to the next field or heading.
            j = i + 1
            while (j < len(lines) and text[lines[j][0]:lines[j][1]].strip()
                   and _is_heading_line(text, *lines[j]) is None
                   and _inline_heading(text, *lines[j]) is None):
                j += 1
            builder.insert(start, lines[j - 1][1], inline[0], text[start:inline[1]].strip())
            i = j
            continue
        i += 1
    return builder.build()


class _Builder:
    """Collects sections: ``open`` starts one that runs to the next ``open``; ``insert`` puts
    one inside the open section (a field, a table, a legend), which resumes after it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tables: list[Table] = []
        self._open: list[tuple[int, SectionKind, str]] = []  # own-line headings, in order
        self._inserted: list[Section] = []

    def open(self, at: int, kind: SectionKind, heading: str) -> None:
        self._open.append((at, kind, heading))

    def insert(self, start: int, end: int, kind: SectionKind, heading: str) -> None:
        self._inserted.append(Section(start, end, kind, heading))

    def _base(self) -> list[Section]:
        """Sections of the own-line headings, the text before the first one a title (short)
        or a note."""
        n = len(self.text)
        if not self._open:
            return [Section(0, n, SectionKind.NOTE)]
        out = []
        first = self._open[0][0]
        if self.text[:first].strip():
            lead = self.text[:first].strip()
            short = len(lead) <= 300 and lead.count("\n") <= 3
            out.append(Section(0, first, SectionKind.TITLE if short else SectionKind.NOTE))
        for k, (at, kind, heading) in enumerate(self._open):
            end = self._open[k + 1][0] if k + 1 < len(self._open) else n
            out.append(Section(at, end, kind, heading))
        return out

    def build(self) -> Structure:
        sections = self._base()
        if not self._open and self._inserted:
            # A note with fields ("FH: ...") and no own-line heading: the rest stays a note.
            sections = [Section(0, len(self.text), SectionKind.NOTE)]
        for inner in self._inserted:
            sections = _cut_in(sections, inner)
        return Structure(tuple(_merge(sections)), tuple(self.tables))


def _cut_in(sections: Sequence[Section], inner: Section) -> list[Section]:
    out = []
    for s in sections:
        if s.end <= inner.start or inner.end <= s.start:
            out.append(s)
            continue
        if s.start < inner.start:
            out.append(Section(s.start, inner.start, s.kind, s.heading))
        if inner.start >= s.start and (not out or out[-1] is not inner):
            out.append(inner)
        if inner.end < s.end:
            out.append(Section(inner.end, s.end, s.kind, s.heading))
    if inner not in out:
        out.append(inner)
        out.sort(key=lambda x: x.start)
    return out


def _paragraph_end(text: str, lines: Sequence[tuple[int, int]], i: int) -> int:
    j = i + 1
    while j < len(lines) and text[lines[j][0]:lines[j][1]].strip():
        j += 1
    return j


def _starts_field(text: str, lines: Sequence[tuple[int, int]], i: int) -> bool:
    """A note's fields stand on consecutive lines ("HPI: ...\\nFH: ..."): a line whose
    previous line was itself a field starts a field too."""
    return i > 0 and _inline_heading(text, *lines[i - 1]) is not None


def _read_table(text: str, lines: Sequence[tuple[int, int]], i: int) -> tuple[int, Table]:
    """The table starting at line ``i``: (index of the line after it, the table)."""
    start = lines[i][0]
    caption = ""
    j = i
    if _TABLE_CAPTION.match(text[lines[i][0]:lines[i][1]]):
        caption = text[lines[i][0]:lines[i][1]].strip()
        j += 1
        # A caption may wrap onto following lines before the first row.
        while j < len(lines) and text[lines[j][0]:lines[j][1]].strip() and not _is_row(text, *lines[j]):
            caption += " " + text[lines[j][0]:lines[j][1]].strip()
            j += 1
        while j < len(lines) and not text[lines[j][0]:lines[j][1]].strip():
            j += 1
    rows = []
    end = lines[j - 1][1] if j > i else lines[i][1]
    while j < len(lines):
        s, e = lines[j]
        line = text[s:e]
        if not line.strip():
            # A blank line ends the table unless more rows follow it.
            if j + 1 < len(lines) and _is_row(text, *lines[j + 1]):
                j += 1
                continue
            break
        if _is_row(text, s, e):
            rows.append(TableRow(s, e, _cells(text, s, e)))
        elif rows and (_is_heading_line(text, s, e) is not None or _FIGURE_CAPTION.match(line)
                       or _TABLE_CAPTION.match(line)):
            break
        # Other lines inside the table are footnotes or wrapped cells: part of it.
        end = e
        j += 1
    if rows:
        end = max(end, rows[-1].end)
    return j, Table(start, end, caption, tuple(rows))


def _merge(sections: Sequence[Section]) -> list[Section]:
    """Empty sections dropped; neighbours of one kind and heading joined."""
    out: list[Section] = []
    for section in sections:
        if section.end <= section.start:
            continue
        if out and out[-1].kind is section.kind and out[-1].heading == section.heading \
                and out[-1].end == section.start:
            out[-1] = Section(out[-1].start, section.end, section.kind, section.heading)
        else:
            out.append(section)
    return out
