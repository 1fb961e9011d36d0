"""Whose finding a mention is: this patient, a relative, other patients, the disease in
general, or an animal or cell model.

ConText (Harkema et al. 2009) decides a mention's *experiencer* from cue words in its sentence;
its cues only know patient and family. Case reports need three more: previously reported
patients and cohorts ("5 of 12 reported patients", "Smith et al."), the disease in general
("X syndrome is characterised by ..."), animal and cell models ("knockout mice"). The decision
here takes, in order:

1. the section (:mod:`kgdecide.link.sections`) gives a default: a note, the title, the case
   description, the abstract, a figure legend are about the patient; the introduction, the
   discussion and the conclusion about the disease in general; the references and the methods
   about others; a family-history field about relatives;
2. a table decides by its caption, its header row and its first column ("Our patient",
   "Smith et al. 2010", "P3", "Father"): in a table of features by person, the cell under the
   patient's column says whether the patient has the row's finding (+/-) or it is unknown;
3. inside the mention's clause (its sentence cut at ";" and at contrastive joints such as
   "whereas"), the nearest cue before the mention wins, else the nearest one after it: "our
   patient had X" makes X the patient's even in the discussion, "X has been reported in 60 %
   of patients" makes X others' even in the case description.

Rules are plain data (:class:`ExperiencerRules`), English only: other languages get the section
default, which is the patient for a note.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from kgdecide.link.sections import SectionKind, Structure, Table, TableRow
from kgdecide.types import AssertionStatus, Experiencer

_P, _R, _O, _G, _M = (Experiencer.PATIENT, Experiencer.RELATIVE, Experiencer.OTHERS,
                      Experiencer.GENERAL, Experiencer.MODEL)

#: Whose findings a section holds when its sentences do not say.
SECTION_DEFAULTS: Mapping[SectionKind, Experiencer] = {
    SectionKind.NOTE: _P, SectionKind.TITLE: _P, SectionKind.ABSTRACT: _P, SectionKind.CASE: _P,
    SectionKind.RESULTS: _P, SectionKind.FIGURE: _P, SectionKind.PAST_HISTORY: _P,
    SectionKind.TABLE: _P, SectionKind.INTRODUCTION: _G, SectionKind.DISCUSSION: _G,
    SectionKind.CONCLUSION: _G, SectionKind.BACK_MATTER: _G, SectionKind.METHODS: _O,
    SectionKind.REFERENCES: _O, SectionKind.FAMILY_HISTORY: _R,
}

_NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundreds|dozens)"
_PEOPLE = r"(?:patients|cases|individuals|children|families|subjects|probands|persons|people|adults|infants|carriers|males|females|boys|girls|sibships|kindreds|participants|fetuses)"

#: Cue patterns per experiencer (English, case-insensitive, whole words).
ENGLISH_CUES: Mapping[Experiencer, tuple[str, ...]] = {
    _P: (
        r"our (?:patient|proband|case|index (?:patient|case)|subject)",
        r"the (?:proband|propositus|proposita|index (?:patient|case)|present (?:patient|case|report|study))",
        r"(?:this|the) (?:patient|child|boy|girl|infant|baby|neonate|newborn|toddler|adolescent|"
        r"man|woman|fetus|foetus|individual|proband)(?!s)",
        r"in (?:our|the present|this) (?:case|report|patient)",
        r"(?:we|here we|herein we|here,? we) (?:report|describe|present|document)",
        r"(?:he|she|his|him|himself|herself)",
        r"(?:at|on) (?:admission|examination|presentation|follow[- ]up)",
    ),
    _O: (
        r"previously (?:reported|described|published|identified|documented)",
        r"(?:reported|described|published|documented|previous|prior|other|affected|all|most|many|"
        r"some|several|these|those|remaining|additional|further|unrelated|literature) " + _PEOPLE,
        rf"(?:{_NUMBER})(?: \w+)? (?:of (?:the |these )?(?:{_NUMBER}) )?(?:\w+ )?{_PEOPLE}",
        r"(?:patients?|cases?|individuals?|families|family|subjects?|P|pt|F)\s?\d+(?:\s?(?:and|,|-|to)\s?\d+)*",
        r"\(\d+\s?/\s?\d+\)", r"\d+ (?:of|out of) \d+", r"(?:in|of) \d+(?:\.\d+)?\s?%",
        r"\d+(?:\.\d+)?\s?% of", r"n\s?=\s?\d+",
        r"cohorts?", r"case series", r"(?:in|of) the literature", r"et al", r"the majority of",
        r"(?:frequency|frequencies|proportion) of", r"(?:has|have) (?:also )?been (?:reported|described|documented)",
        r"(?:was|were) (?:reported|described) (?:in|by)", r"reported (?:in|by)", r"registry",
        r"in (?:a|another|one|two|three) (?:other |previously \w+ )?(?:patient|case|report|family|individual)",
        r"(?:patients|individuals|children|carriers) with",
    ),
    _G: (
        r"(?:is|are) characteri[sz]ed by", r"characteri[sz]ed by", r"(?:is|are) (?:a|an) (?:rare|common|"
        r"heterogeneous|autosomal|x-linked|genetic|congenital|inherited|multisystem(?:ic)?|"
        r"neurodevelopmental|progressive|severe|complex|clinically)",
        r"(?:cardinal|classic|classical|hallmark|core) (?:features?|findings?|manifestations?|signs?)",
        r"hallmarks?", r"manifests? (?:as|with|by)", r"(?:is|are) associated with",
        r"(?:can|may|might|could) (?:cause|lead to|result in|include|present with|manifest|occur|be seen|be present)",
        r"(?:phenotypic|clinical) (?:spectrum|variability|heterogeneity)", r"the spectrum of",
        r"(?:is|are|was|were) (?:caused by|defined by|first described)", r"(?:incidence|prevalence)",
        r"mode of inheritance",
        r"(?:typically|usually|classically|generally|commonly) (?:present|presents|show|shows|have|has|develop|develops|include|includes)",
        r"(?:patients|individuals|children|people) with (?:this|the) (?:syndrome|disease|disorder|condition)",
        r"in general", r"differential diagnos[ie]s",
    ),
    _M: (
        r"mice|mouse|murine|rats?|rodents?|zebrafish|drosophila|(?:fruit )?flies|xenopus|"
        r"c\.? elegans|nematodes?|yeast|primates?|pigs?|dogs?|canine|cattle|bovine|sheep|ovine",
        r"knock[- ]?out|knock[- ]?in|knock[- ]?down|morphants?|morpholinos?|transgenic|"
        r"(?:animal|mouse|murine|rat|fish|cell(?:ular)?|disease) models?",
        r"in vitro|cell lines?|cultured (?:cells|neurons)|hek ?293t?|hela|organoids?|ipscs?|"
        r"induced pluripotent|larvae|pups|embryonic (?:mice|fish)|homozygous (?:null|mutant) (?:mice|animals)",
    ),
}

#: Where a clause ends inside a sentence: the cues of one clause do not reach the next.
_CLAUSE_BREAK = re.compile(r";|\b(?:whereas|while|but|unlike|in contrast(?: to)?|however|"
                           r"although|compared (?:with|to)|as opposed to|similar to|similarly|"
                           r"like)\b|,\s*(?:which|who)\b", re.IGNORECASE)
#: A sentence end: ".", "!" or "?" before spaces and a capital or a digit, or a blank line,
#: or a line break before a capital or a bullet; a full stop after an abbreviation ("et al.",
#: "e.g.", "Fig.") or an initial ("J.") is no end (checked in :func:`_sentence_ends`).
_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"'(\[]?[A-Z0-9])|\n\s*\n|\n(?=\s*[A-Z•*-])")
_ABBREVIATIONS = frozenset(("al", "e.g", "i.e", "fig", "vs", "dr", "no", "ref", "approx", "cf", "etc"))


def _sentence_ends(text: str) -> list[int]:
    ends = []
    for match in _SENTENCE_END.finditer(text):
        if match.group() == ".":
            word = text[max(0, match.start() - 8):match.start()].rsplit(None, 1)[-1:] or [""]
            token = word[0].lstrip("([").casefold()
            if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
                continue
        ends.append(match.end())
    return ends


#: Cell values of a table of features by person.
_CELL_YES = re.compile(r"^\s*(?:\+{1,3}|yes|y|present|positive|pos|✓|√|x|\(\+\))\s*$", re.IGNORECASE)
_CELL_NO = re.compile(r"^\s*(?:-|−|–|—|no|n|absent|negative|neg|none|not present|\(-\))\s*$", re.IGNORECASE)
_CELL_UNKNOWN = re.compile(r"^\s*(?:na|n/a|nr|nd|n\.r\.|ne|unknown|unk|not (?:reported|known|assessed|tested|available|done)|\?|\.\.\.)\s*$",
                           re.IGNORECASE)
_PLURAL_PEOPLE = re.compile(rf"\b{_PEOPLE}\b", re.IGNORECASE)
_FEATURE_HEADER = re.compile(r"^\s*(?:(?:clinical |main |phenotypic )?(?:features?|findings?|characteristics?|"
                             r"signs?|symptoms?|phenotypes?|manifestations?|hpo terms?)|"
                             r"(?:patient|case)s?|)\s*$", re.IGNORECASE)
_RELATIVE_CELL = re.compile(r"\b(?:father|mother|parents?|brother|sister|sibling|sib|son|daughter|"
                            r"uncle|aunt|cousin|grand(?:father|mother|parent)|twin|niece|nephew|"
                            r"paternal|maternal|relatives?)\b", re.IGNORECASE)
_PATIENT_CELL = re.compile(r"\b(?:our (?:patient|proband|case)|(?:this|present|current) "
                           r"(?:patient|case|report|study|proband)|proband|index (?:patient|case)|"
                           r"the patient)\b", re.IGNORECASE)
_OTHERS_CELL = re.compile(r"\bet al\b|\b(?:19|20)\d\d\b|\bref(?:erence)?s?\b|\[\d+|\b(?:P|pt|patient|case|F|"
                          r"family|individual|subject)\s?\d+\b|\b(?:reported|published|literature|previous|total)\b|%|\bn\s?=",
                          re.IGNORECASE)


@dataclass(frozen=True)
class ExperiencerRules:
    """Cue patterns per experiencer and the section defaults."""

    cues: Mapping[Experiencer, tuple[str, ...]]
    defaults: Mapping[SectionKind, Experiencer] = field(default_factory=lambda: dict(SECTION_DEFAULTS))
    #: words a cue after the mention may be from it ("X was seen in 3 of 5 patients")
    post_window: int = 6

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        # One pattern, one named group per experiencer: the text is scanned once.
        groups = "|".join(f"(?P<{who.name}>{'|'.join(f'(?:{c})' for c in cues)})"
                          for who, cues in self.cues.items())
        return re.compile(rf"(?<![\w-])(?:{groups})(?![\w])", re.IGNORECASE)


ENGLISH_EXPERIENCER = ExperiencerRules(ENGLISH_CUES)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the text says about one mention's experiencer."""

    experiencer: Experiencer
    section: SectionKind
    #: a status the text forces: a table cell "-" under the patient's column excludes the row's
    #: finding; None keeps the assertion rules' status
    status: AssertionStatus | None = None


class ExperiencerTagger:
    """Experiencer of each mention of one text (build one per text: it indexes the text's
    sentences, clauses and cues once)."""

    def __init__(self, text: str, structure: Structure, rules: ExperiencerRules = ENGLISH_EXPERIENCER,
                 cues: bool = True) -> None:
        self.text = text
        self.structure = structure
        self.rules = rules
        self._cues: list[tuple[int, int, Experiencer]] = []
        if cues:
            for match in rules.pattern.finditer(text):
                who = next(Experiencer[name] for name, value in match.groupdict().items() if value)
                self._cues.append((match.start(), match.end(), who))
        self._cue_starts = [c[0] for c in self._cues]
        self._sentence_ends = _sentence_ends(text)
        self._breaks = sorted(x for m in _CLAUSE_BREAK.finditer(text) for x in (m.start(), m.end()))
        self._tables: dict[int, _TableReading] = {}

    def read(self, start: int, end: int) -> Reading:
        """Whose the mention ``text[start:end]`` is, and the section it sits in."""
        section = self.structure.section_at(start)
        kind = section.kind if section is not None else SectionKind.NOTE
        if kind is SectionKind.TABLE:
            table = self.structure.table_at(start)
            if table is not None:
                reading = self._table(table).read(start, end)
                if reading is not None:
                    return reading
        default = self.rules.defaults.get(kind, _P)
        left, right = self._clause(start, end, section)
        who = self._nearest_cue(start, end, left, right)
        return Reading(who or default, kind)

    # --- clauses and cues ----------------------------------------------------------------

    def _clause(self, start: int, end: int, section: object) -> tuple[int, int]:
        s_left = _before(self._sentence_ends, start)
        s_right = _after(self._sentence_ends, end, len(self.text))
        left = max(s_left, _before(self._breaks, start))
        right = min(s_right, _after(self._breaks, end, len(self.text)))
        if section is not None:
            left = max(left, section.start)  # type: ignore[attr-defined]
            right = min(right, section.end)  # type: ignore[attr-defined]
        return left, right

    def _nearest_cue(self, start: int, end: int, left: int, right: int) -> Experiencer | None:
        i = bisect.bisect_left(self._cue_starts, start)
        # Before the mention, nearest first (a cue ending inside the mention does not count).
        for j in range(i - 1, -1, -1):
            c_start, c_end, who = self._cues[j]
            if c_start < left:
                break
            if c_end <= start:
                return who
        limit = self.rules.post_window
        for j in range(i, len(self._cues)):
            c_start, _, who = self._cues[j]
            if c_start >= right or c_start < end:
                if c_start >= right:
                    break
                continue
            if len(self.text[end:c_start].split()) > limit:
                break
            return who
        return None

    def _table(self, table: Table) -> _TableReading:
        if table.start not in self._tables:
            self._tables[table.start] = _TableReading(self.text, table, self)
        return self._tables[table.start]


def _before(points: Sequence[int], at: int) -> int:
    i = bisect.bisect_right(points, at) - 1
    return points[i] if i >= 0 else 0


def _after(points: Sequence[int], at: int, default: int) -> int:
    i = bisect.bisect_left(points, at)
    return points[i] if i < len(points) else default


def _cell_person(text: str) -> Experiencer | None:
    """Whom a header cell or a first cell names."""
    if _PATIENT_CELL.search(text):
        return _P
    if _RELATIVE_CELL.search(text):
        return _R
    if _OTHERS_CELL.search(text):
        return _O
    return None


class _TableReading:
    """Experiencers of a table's cells.

    Person-by-row tables ("Our patient | male | seizures, hypotonia"): a row is its first
    cell's person. Feature-by-column tables ("Feature | Our patient | Smith et al."): a
    column is its header's person, and a finding named in the first column is the patient's
    when the patient's cell of that row says yes (+) or describes it, excluded when it says no
    (-), and others' when it is unknown or the table has no patient column.
    """

    def __init__(self, text: str, table: Table, tagger: ExperiencerTagger) -> None:
        self.text = text
        self.table = table
        rows = [r for r in table.rows if r.cells]
        self.header = rows[0] if rows else None
        caption = table.caption
        header_cells = [text[s:e] for s, e in self.header.cells] if self.header else []
        self.columns = [_cell_person(c) for c in header_cells]
        self.patient_column = next((k for k, who in enumerate(self.columns) if who is _P), None)
        self.by_feature = bool(header_cells) and _FEATURE_HEADER.match(header_cells[0]) is not None \
            and any(who is not None for who in self.columns[1:])
        others = bool(_OTHERS_CELL.search(caption) or _PLURAL_PEOPLE.search(caption))
        if others:
            caption_who: Experiencer | None = _O
        elif _PATIENT_CELL.search(caption):
            caption_who = _P
        else:
            persons = sum(1 for r in rows[1:] if r.cells and _cell_person(text[slice(*r.cells[0])]))
            caption_who = _O if persons >= 3 else _P
        self.default = caption_who

    def read(self, start: int, end: int) -> Reading | None:
        row = next((r for r in self.table.rows if r.start <= start < r.end), None)
        if row is None or self.header is None:
            return Reading(self.default, SectionKind.TABLE)  # caption or footnote
        column = next((k for k, (s, e) in enumerate(row.cells) if s <= start < e), None)
        if row is self.header:
            return Reading(self.default if self.patient_column is None else _O, SectionKind.TABLE)
        if self.by_feature:
            return self._feature_cell(row, column)
        first = _cell_person(self.text[slice(*row.cells[0])]) if row.cells else None
        if first is not None:
            return Reading(first, SectionKind.TABLE,
                           AssertionStatus.FAMILY if first is _R else None)
        if column is not None and column < len(self.columns) and self.columns[column] is not None:
            who = self.columns[column]
            return Reading(who, SectionKind.TABLE, AssertionStatus.FAMILY if who is _R else None)
        return Reading(self.default, SectionKind.TABLE)

    def _feature_cell(self, row: TableRow, column: int | None) -> Reading:
        if column not in (0, None):
            who = self.columns[column] if column < len(self.columns) else None
            return Reading(who or self.default, SectionKind.TABLE)
        if self.patient_column is None or self.patient_column >= len(row.cells):
            return Reading(_O, SectionKind.TABLE)
        value = self.text[slice(*row.cells[self.patient_column])]
        if _CELL_NO.match(value):
            return Reading(_P, SectionKind.TABLE, AssertionStatus.EXCLUDED)
        if _CELL_UNKNOWN.match(value):
            return Reading(_O, SectionKind.TABLE)
        return Reading(_P, SectionKind.TABLE)
