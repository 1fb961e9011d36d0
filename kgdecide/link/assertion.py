"""Assertion status of a mention: negated, family history, uncertain, hypothetical, historical
or present.

A NegEx-style rule set (Chapman et al. 2001, extended as in ConText): cue phrases before
(``pre``) or after (``post``) a mention put it in a category when no terminating word and no
sentence boundary lies between cue and mention and the cue is close enough. Pseudo-cues
("no increase", "not only") are blanked first so they never trigger. When several categories
apply, the first of :data:`PRIORITY` wins: "no family history of seizures" is family history,
"possible absence seizures cannot be ruled out" uncertain.

Rules are plain data (:class:`AssertionRules`), one object per language; English and Chinese are
defined here because they are about language, not about any one knowledge graph.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from kgdecide.types import AssertionStatus

#: Which category wins when cues of several apply to one mention.
PRIORITY = (AssertionStatus.FAMILY, AssertionStatus.UNCERTAIN, AssertionStatus.HYPOTHETICAL,
            AssertionStatus.EXCLUDED, AssertionStatus.HISTORICAL)


@dataclass(frozen=True)
class AssertionRules:
    """Cue phrases of one language.

    ``pre``/``post`` map a category to its cues; ``window`` is how many words (``word_unit``) or
    characters (Chinese) a cue reaches. Cues are matched case-insensitively, on word boundaries
    when ``word_boundaries`` is set.
    """

    name: str
    pre: Mapping[AssertionStatus, tuple[str, ...]]
    post: Mapping[AssertionStatus, tuple[str, ...]]
    pseudo: tuple[str, ...] = ()  #: look like cues but are not ("no increase")
    terminators: tuple[str, ...] = ()  #: end a cue's reach ("but", "however")
    #: extra terminators for one category ("patient" ends a family cue's reach)
    category_terminators: Mapping[AssertionStatus, tuple[str, ...]] = field(default_factory=dict)
    pre_window: Mapping[AssertionStatus, int] = field(default_factory=dict)
    post_window: Mapping[AssertionStatus, int] = field(default_factory=dict)
    sentence_ends: str = ".!?;\n"  #: characters no cue reaches across
    #: A list separator between a pre-cue and its mention ends the cue's reach, unless the list
    #: is joined by one of ``list_joiners``: "no fever, small head" negates fever only, while
    #: "no fever, rash or cough" and "denies fever, chills, and sweats" negate every item.
    list_separators: str = ""
    list_joiners: tuple[str, ...] = ()
    word_boundaries: bool = True  #: English: cues are whole words; Chinese: substrings
    default_window: int = 6
    #: post-cues too many to list, as regular expressions matched whole and case-insensitively
    #: (English: "in her older brother", "in both parents")
    post_patterns: Mapping[AssertionStatus, str] = field(default_factory=dict)

    def _alternation(self, cues: list[str]) -> str:
        # Longest first, so "cannot be ruled out" wins over "ruled out" at the same place.
        # Ties in length sorted by the cue itself: the same pattern whatever the hash seed.
        ordered = sorted(set(cues), key=lambda c: (-len(c), c))
        if not self.word_boundaries:
            return "(?:" + "|".join(re.escape(c) for c in ordered) + ")"
        def bounded(cue: str) -> str:
            # A cue of punctuation ("?") needs no word boundary: "Ptosis?" is a question.
            body = re.escape(cue).replace(r"\ ", r"\s+")
            before = r"(?<![\w/])" if re.match(r"\w", cue) else ""
            after = r"(?![\w/])" if re.search(r"\w$", cue) else ""
            return before + body + after
        return "(?:" + "|".join(bounded(c) for c in ordered) + ")"

    @cached_property
    def _cue_category(self) -> dict[tuple[str, str], AssertionStatus]:
        return {(side, " ".join(cue.casefold().split())): status
                for side, table in (("pre", self.pre), ("post", self.post))
                for status, cues in table.items() for cue in cues}

    def _pattern(self, side: str) -> re.Pattern[str] | None:
        cues = [cue for (s, cue) in self._cue_category if s == side]
        extra = [f"(?:{self.post_patterns[k]})" for k in PRIORITY if k in self.post_patterns] if side == "post" else []
        if not cues and not extra:
            return None
        # The patterns go first: at one place, "in her older brother" beats a listed "in her".
        return re.compile("|".join([*extra, *([self._alternation(cues)] if cues else [])]), re.IGNORECASE)

    @cached_property
    def _post_regexes(self) -> tuple[tuple[re.Pattern[str], AssertionStatus], ...]:
        return tuple((re.compile(self.post_patterns[k], re.IGNORECASE), k)
                     for k in PRIORITY if k in self.post_patterns)

    @cached_property
    def pre_pattern(self) -> re.Pattern[str] | None:
        return self._pattern("pre")

    @cached_property
    def post_pattern(self) -> re.Pattern[str] | None:
        return self._pattern("post")

    @cached_property
    def pseudo_pattern(self) -> re.Pattern[str] | None:
        return re.compile(self._alternation(list(self.pseudo)), re.IGNORECASE) if self.pseudo else None

    def terminator_pattern(self, status: AssertionStatus) -> re.Pattern[str] | None:
        words = [*self.terminators, *self.category_terminators.get(status, ())]
        return re.compile(self._alternation(words), re.IGNORECASE) if words else None

    @cached_property
    def _terminators(self) -> dict[AssertionStatus, re.Pattern[str] | None]:
        return {status: self.terminator_pattern(status) for status in PRIORITY}

    def category(self, side: str, cue: str) -> AssertionStatus:
        found = self._cue_category.get((side, " ".join(cue.casefold().split())))
        if found is not None:
            return found
        return next(k for pattern, k in self._post_regexes if side == "post" and pattern.fullmatch(cue))

    def distance(self, between: str) -> int:
        """How far apart two places are: words in English, characters in Chinese."""
        if self.word_boundaries:
            return len(re.findall(r"[^\W_]+", between))
        return len(between.strip())

    @cached_property
    def _joiner_pattern(self) -> re.Pattern[str] | None:
        if not self.list_joiners:
            return None
        return re.compile(self._alternation(list(self.list_joiners)), re.IGNORECASE)

    def ends_at_list_item(self, between: str, rest_of_clause: str) -> bool:
        """True when a pre-cue's reach ends at a list separator in ``between`` (cue to mention):
        a separator is there and no joiner follows it in ``between`` or in the rest of the
        clause."""
        cut = max((between.rfind(c) for c in self.list_separators), default=-1)
        if cut < 0:
            return False
        joiner = self._joiner_pattern
        return joiner is None or not joiner.search(between[cut:] + " " + rest_of_clause)

    def reaches(self, status: AssertionStatus, between: str, window: int) -> bool:
        terminator = self._terminators[status]
        if terminator is not None and terminator.search(between):
            return False
        return self.distance(between) <= window


def _sentence_bounds(text: str, start: int, end: int, ends: str) -> tuple[int, int]:
    left = max((text.rfind(c, 0, start) for c in ends), default=-1) + 1
    rights = [i for i in (text.find(c, end) for c in ends) if i != -1]
    return left, min(rights, default=len(text))


def _blank(text: str, pattern: re.Pattern[str] | None) -> str:
    if pattern is None:
        return text
    return pattern.sub(lambda m: " " * (m.end() - m.start()), text)


def assertion_status(text: str, start: int, end: int, rules: AssertionRules,
                     sentences: dict[tuple[int, int], _Sentence] | None = None) -> AssertionStatus:
    """The status of the mention ``text[start:end]``.

    ``sentences`` may be kept by the caller across the mentions of one text: each sentence is
    then blanked and scanned for cues once.

    >>> s = "Seizures since 3 months; no fever. Mother has short stature."
    >>> [assertion_status(s, s.index(w), s.index(w) + len(w), ENGLISH).value
    ...  for w in ("Seizures", "fever", "short stature")]
    ['present', 'excluded', 'family']
    >>> s = "Seizures from 3 months, no fever, small head"
    >>> [assertion_status(s, s.index(w), s.index(w) + len(w), ENGLISH).value
    ...  for w in ("fever", "small head")]
    ['excluded', 'present']
    >>> z = "癫痫发作，无发热"
    >>> assertion_status(z, 0, 4, CHINESE).value, assertion_status(z, 6, 8, CHINESE).value
    ('present', 'excluded')
    """
    left, right = _sentence_bounds(text, start, end, rules.sentence_ends)
    if text[right:right + 1] in ("?", "？"):  # "Ptosis?": the question mark is itself a cue
        right += 1
    if sentences is None:
        sentences = {}
    sentence = sentences.get((left, right))
    if sentence is None:
        sentence = sentences[(left, right)] = _Sentence.scan(text[left:right], rules)
    at, to = start - left, end - left
    before, after = sentence.blanked[:at], sentence.blanked[to:]
    found: set[AssertionStatus] = set()
    for c_start, c_end, status in sentence.pre:
        if c_end > at:
            break
        window = rules.pre_window.get(status, rules.default_window)
        between = before[c_end:]
        if rules.reaches(status, between, window) and not rules.ends_at_list_item(
                between, text[start:right]):
            found.add(status)
    for c_start, _, status in sentence.post:
        if c_start < to:
            continue
        window = rules.post_window.get(status, rules.default_window)
        if rules.reaches(status, after[:c_start - to], window):
            found.add(status)
    return next((s for s in PRIORITY if s in found), AssertionStatus.PRESENT)


@dataclass(frozen=True, slots=True)
class _Sentence:
    """A sentence with its pseudo-cues blanked and its cues found, once."""

    blanked: str
    pre: tuple[tuple[int, int, AssertionStatus], ...]  #: (start, end, category), in order
    post: tuple[tuple[int, int, AssertionStatus], ...]

    @classmethod
    def scan(cls, sentence: str, rules: AssertionRules) -> _Sentence:
        blanked = _blank(sentence, rules.pseudo_pattern)
        def cues(side: str, pattern: re.Pattern[str] | None) -> tuple[tuple[int, int, AssertionStatus], ...]:
            if pattern is None:
                return ()
            return tuple((m.start(), m.end(), rules.category(side, m.group()))
                         for m in pattern.finditer(blanked))
        return cls(blanked, cues("pre", rules.pre_pattern), cues("post", rules.post_pattern))


_X, _F, _U, _H, _Y = (AssertionStatus.EXCLUDED, AssertionStatus.FAMILY, AssertionStatus.UNCERTAIN,
                      AssertionStatus.HISTORICAL, AssertionStatus.HYPOTHETICAL)

_RELATIVES = (
    "mother", "mom", "mum", "father", "dad", "sister", "sisters", "brother", "brothers", "sibling",
    "siblings", "sib", "sibs", "aunt", "aunts", "uncle", "uncles", "cousin", "cousins",
    "grandmother", "grandfather", "grandparent", "grandparents", "parent", "parents", "son",
    "sons", "daughter", "daughters", "twin", "niece", "nephew", "relative", "relatives",
    "maternal", "paternal", "family history", "family history of", "fh", "fhx",
    "mother's", "father's", "in the family", "family members", "family member",
)

#: A relative named after the mention: "(noted) in her older brother", "in both parents",
#: "in two maternal aunts".
_RELATIVE_AFTER = (
    r"(?<![\w/])in\s+(?:(?:his|her|the|a|an|their|both|two|three|several)\s+)?"
    r"(?:(?:older|younger|elder|twin|half-|affected|maternal|paternal)\s*)*"
    r"(?:mother|father|sisters?|brothers?|siblings?|sibs?|aunts?|uncles?|cousins?|"
    r"grand(?:mother|father|parents?)|parents|sons?|daughters?|twin|relatives)(?![\w/])")

#: English rules (NegEx/ConText cue lists, trimmed and extended for clinical notes).
ENGLISH = AssertionRules(
    name="en",
    list_separators=",",
    list_joiners=("or", "nor", "and", "and/or"),
    pre={
        _X: ("no", "not", "denies", "denied", "deny", "denying", "without", "negative for",
             "ruled out", "rules out", "free of", "no evidence of", "no sign of", "no signs of",
             "no history of", "no hx of", "never", "nor", "neither", "none", "non", "lack of",
             "lacks", "lacked", "lacking", "did not have", "does not have", "do not have",
             "did not show", "does not show", "has not had", "have not had", "had not had",
             "has not developed", "have not developed", "had not developed", "has not shown",
             "have not shown", "never had", "never has", "has never had", "no complaints of", "not have", "absence of any",
             "resolution of", "excluded", "exclude", "unremarkable for", "nil",
             "in the absence of", "absence of", "in the absence of any"),
        _F: _RELATIVES,
        _U: ("possible", "possibly", "probable", "probably", "suspected", "suspect", "suspects",
             "suspicion of", "suspicious for", "likely", "may have", "might have", "could have",
             "could be", "may be", "might be", "questionable", "question of", "rule out", "r/o",
             "concern for", "concerning for", "differential diagnosis", "versus", "vs",
             "suggestive of", "suggests", "evaluate for", "evaluation for", "to exclude",
             "presumed", "presumptive", "uncertain", "unclear", "query", "borderline",
             "cannot exclude", "can not exclude", "cannot rule out", "not excluded",
             "either", "whether"),
        _H: ("history of", "h/o", "hx of", "previous", "previously", "prior", "past",
             "formerly", "earlier", "in childhood", "as a child", "as an infant", "had had",
             "used to have", "old"),
        # Hypothetical (ConText's HYPOTHETICAL, extended for counselling and surveillance).
        _Y: ("if", "should he develop", "should she develop", "in case of", "in the event of",
             "at risk of", "at risk for", "at increased risk of", "at increased risk for",
             "risk of", "risk for", "monitor for", "monitored for", "monitoring for",
             "watch for", "screen for", "screened for", "screening for", "surveillance for",
             "to prevent", "prevention of", "prophylaxis against", "prophylaxis for",
             "to avoid", "predisposition to", "predisposed to", "return if", "will develop",
             "would develop", "may develop", "might develop", "could develop",
             "likely to develop", "expected to develop", "warning signs of"),
    },
    post={
        _X: ("ruled out", "was ruled out", "were ruled out", "is absent", "are absent",
             "was absent", "were absent", "not seen", "not observed", "not present",
             "not detected", "not found", "negative", "was excluded", "were excluded",
             "is excluded", "was denied", "were denied", "none", "resolved"),
        _F: ("in the family", "runs in the family"),
        _U: ("?", "cannot be excluded", "cannot be ruled out", "can not be excluded",
             "not excluded", "not ruled out", "is suspected", "was suspected",
             "were suspected", "is possible", "is likely", "is probable", "unlikely",
             "is questionable", "to be excluded", "to be ruled out", "suspected"),
        _H: ("in the past", "years ago", "months ago", "in childhood", "as a child",
             "previously", "in infancy", "has resolved", "had resolved", "resolved"),
        _Y: ("may develop", "might develop", "could develop", "would develop", "may occur",
             "may appear", "may recur", "is expected", "are expected", "should it occur"),
    },
    pseudo=("no increase", "no change", "no significant change", "not only", "not necessarily",
            "no further", "not certain if", "not certain whether", "without difficulty",
            "gram negative", "not cause", "no suspicious change", "not extend",
            "mother reports", "mother reported", "mother says", "mother said", "mother states",
            "mother stated", "mother noted", "mother notes", "father reports", "father reported",
            "father says", "father noted", "parents report", "parents reported",
            "according to his mother", "according to her mother", "per mother", "per parents",
            "history of present illness", "past medical history", "no longer",
            # "relative" names no relative in these
            "relative afferent", "relative macrocephaly", "relative microcephaly",
            "relative risk", "relatively", "relative to", "relative frequency",
            # "a 6-year-old girl with ...": "old" here is an age, not a historical cue
            "year-old", "years-old", "month-old", "months-old", "week-old", "day-old",
            "years old", "months old", "weeks old", "days old",
            "family history of present", "previously described", "previously reported"),
    terminators=("but", "however", "although", "though", "except", "apart from", "aside from",
                 "yet", "whereas", "nevertheless", "still", "which", "who", "presents with",
                 "presented with", "now has", "now with", "cause of", "source of", "reason for"),
    post_patterns={_F: _RELATIVE_AFTER},
    category_terminators={
        _X: ("has", "have", "had", "shows", "showed", "shown", "with", "reports", "reported",
             "complains", "complained", "developed", "develops", "and has", "but has",
             "presents", "presented", "exhibits", "exhibited", "noted"),
        _F: ("patient", "proband", "index case", "the child", "the boy", "the girl", "he", "she",
             "himself", "herself", "our patient", "the infant"),
        _U: ("has", "shows", "showed", "with"),
        _Y: ("has", "had", "shows", "showed", "presented", "presents", "was", "were"),
    },
    pre_window={_X: 6, _F: 14, _U: 6, _H: 5, _Y: 6},
    post_window={_X: 3, _F: 4, _U: 3, _H: 4, _Y: 3},
)

#: Chinese rules: cues are substrings; windows count characters.
CHINESE = AssertionRules(
    name="zh",
    pre={
        _X: ("无", "未见", "未发现", "未闻及", "未触及", "未及", "未见明显", "未诉", "未出现", "未",
             "否认", "排除", "没有", "不伴", "不伴有", "无明显", "否", "非", "不"),
        _F: ("母亲", "父亲", "其母", "其父", "母", "父", "哥哥", "姐姐", "弟弟", "妹妹", "兄", "姐",
             "弟", "妹", "祖父", "祖母", "外祖父", "外祖母", "外婆", "外公", "爷爷", "奶奶", "舅舅",
             "姨", "叔叔", "姑姑", "家族史", "家族中", "家族", "家人", "亲属", "同胞", "双亲",
             "父母", "儿子", "女儿", "表哥", "表姐", "堂兄"),
        _U: ("可能", "疑似", "疑为", "疑", "怀疑", "考虑", "待排", "可疑", "不排除", "不除外",
             "似", "或许"),
        _H: ("既往", "曾", "曾有", "曾经", "以前", "幼时", "过去", "既往史", "往年"),
    },
    post={
        _X: ("阴性", "已排除", "被排除", "未见", "不明显", "消失"),
        _F: ("家族史",),
        _U: ("待排", "待查", "可能", "不除外", "不能排除", "?", "？", "可能性大"),
        _H: ("史", "病史", "已愈", "已缓解", "痊愈"),
    },
    pseudo=("无明显诱因", "未成年", "不久", "不规则", "不对称", "不全", "不良", "不能", "不自主",
            "不稳", "不清", "不足", "不齐", "非典型"),
    terminators=("但", "但是", "然而", "而", "却"),
    category_terminators={_X: ("有", "伴有", "出现", "伴"), _F: ("患者", "患儿", "本人", "病人")},
    pre_window={_X: 8, _F: 12, _U: 8, _H: 8},
    post_window={_X: 2, _F: 3, _U: 2, _H: 3},
    sentence_ends="。！？；;!?\n，,",
    word_boundaries=False,
)

#: Rules by language code.
RULES: Mapping[str, AssertionRules] = {"en": ENGLISH, "zh": CHINESE}
