"""Variant matching: names written in another word order or another word form.

The exact lexicon needs the words of a name in the name's order. Clinical prose says the same
thing in many shapes: "hypopigmentation of skin" for *Hypopigmentation of the skin*, "cleft of
the palate" for *Cleft palate*, "kidney anomalies" for *Abnormality of the kidney*, "mentally
retarded" for *Mental retardation*. A :class:`VariantIndex` keys every name by its *bag* of
content-word stems (:func:`bag_key`): function words dropped, derivational suffixes stripped, the
words that only say "abnormal" folded to one marker, the order forgotten. A run of text with
the same bag names the same thing.

These matches are looser than exact ones, so the linker scores them lower and lets an exact
match of the same span win.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from kgdecide.link.lexicon import Entry, Hit, node_names
from kgdecide.link.text import Token, phrase_key
from kgdecide.types import Node

#: Words a bag ignores: they join a name's words without changing what it names.
BAG_FUNCTION_WORDS = frozenset("of the in on at to its their".split())
#: Words that end a run: a bag never spans a coordination or a clause ("X and Y", "X but").
BAG_BREAK_WORDS = frozenset("and or but nor not no with without which that who is are was were "
                            "has have had be been for from by as".split())
#: Stems of words that only say "something is wrong with": folded to one marker, so
#: "renal anomalies", "abnormal kidney" and "Abnormality of the kidney" share a bag.
ABNORMAL_STEMS = frozenset(("abnorm", "anoma", "malform", "defect", "morpholog"))
#: Vague nouns of clinical prose that, after an organ, only say "something is wrong with it"
#: ("skin changes", "cutaneous manifestations", "foot involvement"): folded to the same marker.
#: Stems (see :func:`stem`), matched whole.
VAGUE_STEMS = frozenset(("manifest", "chang", "involv", "problem", "disorder", "finding"))
_ABNORMAL = "~abnormal"
#: Anatomical adjectives and the organ noun they stand for, as stems: "renal agenesis" and
#: "kidney agenesis", "cutaneous manifestations" and "Abnormality of the skin" share a bag.
#: General English morphology, not corpus strings. Each pair but those marked * is also a
#: substitution HPO itself makes between two names of one term, in at least two terms of HPO
#: 2025-01-16 ("Renal agenesis" / "Kidney agenesis": renal 21 terms, nasal 54, dental 25).
ANATOMICAL_ADJECTIVES: dict[str, str] = {
    "renal": "kidn", "hepa": "liver", "pulmonar": "lung", "cardiac": "heart",
    "ocular": "eye", "ophthalm": "eye",  # * ophthalmic
    "cutan": "skin", "derm": "skin", "nasal": "nose", "dent": "tooth", "lingu": "tongu",
    "gastr": "stomach", "splen": "spleen", "oral": "mouth", "labi": "lip",
    "otic": "ear",  # *
}
#: Derivational suffixes, longest first, with what replaces them. Both a name and the text
#: go through the same stripping, so the stems only need to agree, not to be words.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ically", "ic"), ("ality", "al"), ("ally", "al"), ("ities", ""), ("ation", ""),
    ("ness", ""), ("ment", ""), ("ity", ""), ("ism", ""), ("ies", ""), ("ous", ""), ("tic", ""),
    ("ial", ""), ("ly", ""), ("ed", ""), ("al", ""), ("ic", ""), ("ia", ""),
    ("us", ""), ("y", ""), ("e", ""),
)
#: A stem shorter than this is kept whole: short words are too easily confused once cut.
_MIN_STEM = 4
_BREAK = re.compile(r"[,.;:!?()\[\]{}\"/|•·\n]")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """Strip derivational suffixes (repeatedly) from a normalised token key.

    >>> [stem(w) for w in ("retardation", "retarded", "mentally", "mental", "dysplastic", "dysplasia")]
    ['retard', 'retard', 'ment', 'ment', 'dysplas', 'dysplas']
    >>> stem("developmentally") == stem("development"), stem("eye")
    (True, 'eye')
    """
    if not word.isalpha():
        return word
    changed = True
    while changed:
        changed = False
        for suffix, replacement in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) + len(replacement) >= _MIN_STEM:
                word = word[: len(word) - len(suffix)] + replacement
                changed = True
                break
    return word


@lru_cache(maxsize=100_000)
def _bag_word(key: str) -> str:
    """A token key as a bag word: its stem, an organ for an anatomical adjective, or the
    "abnormal" marker.

    >>> _bag_word("renal") == _bag_word("kidney"), _bag_word("change") == _bag_word("anomaly")
    (True, True)
    """
    stemmed = stem(key)
    if stemmed in VAGUE_STEMS or any(stemmed.startswith(s) for s in ABNORMAL_STEMS):
        return _ABNORMAL
    return ANATOMICAL_ADJECTIVES.get(stemmed, stemmed)


def bag_key(keys: Sequence[str]) -> str | None:
    """The order-free key of a run of token keys; None when it holds a break word or fewer
    than two content words (a single word is the exact lexicon's job).

    >>> bag_key(["hypopigmentation", "of", "skin"]) == bag_key(phrase_key("Hypopigmentation of the skin").split())
    True
    >>> bag_key(["kidney", "anomaly"]) == bag_key(["abnormality", "of", "the", "kidney"])
    True
    >>> bag_key(["cleft", "lip", "and", "palate"]) is None
    True
    """
    words = set()
    for key in keys:
        if key in BAG_BREAK_WORDS:
            return None
        if key not in BAG_FUNCTION_WORDS:
            words.add(_bag_word(key))
    return " ".join(sorted(words)) if len(words) >= 2 else None


@dataclass(frozen=True, slots=True)
class VariantIndex:
    """Names keyed by :func:`bag_key`, searched over short runs of tokens.

    >>> index = VariantIndex.from_nodes([Node("HP:1", "T", "Hypopigmentation of the skin", ())])
    >>> from kgdecide.link.text import tokenize
    >>> text = "Skin hypopigmentation was seen."
    >>> [(h.first, h.last, h.entries[0].name) for h in index.find(tokenize(text), text)]
    [(0, 1, 'Hypopigmentation of the skin')]
    """

    entries: Mapping[str, tuple[Entry, ...]]  #: bag key -> names with that bag
    max_tokens: int = 8  #: longest run of tokens looked at
    #: every word of every bag: a run with any other word cannot match
    vocabulary: frozenset[str] = frozenset()

    @classmethod
    def from_nodes(cls, nodes: Iterable[Node], stop_keys: Iterable[str] = (),
                   max_tokens: int = 8) -> VariantIndex:
        """Index every name of ``nodes`` with at least two content words, except stop names."""
        stop = {phrase_key(s) for s in stop_keys}
        by_bag: dict[str, list[Entry]] = {}
        for row, node in enumerate(nodes):
            for name, kind in node_names(node):
                key = phrase_key(name)
                if key in stop:
                    continue
                bag = bag_key(key.split(" "))
                if bag is not None:
                    by_bag.setdefault(bag, []).append(Entry(row, kind, name, False))
        entries = {bag: _distinct(found) for bag, found in by_bag.items()}
        vocabulary = frozenset(w for bag in entries for w in bag.split(" "))
        return cls(entries, max_tokens, vocabulary)

    def find(self, tokens: Sequence[Token], text: str, keys: Sequence[str] | None = None) -> list[Hit]:
        """Runs of tokens (not crossing punctuation, starting and ending on a content word)
        whose bag is some name's bag."""
        keys = [t.key for t in tokens] if keys is None else list(keys)
        vocabulary = self.vocabulary
        # Per token, once: its bag word (None for a function word) and whether a run may
        # continue into it (no break word, no punctuation before it, a word some bag uses).
        words = [None if k in BAG_FUNCTION_WORDS else _bag_word(k) for k in keys]
        joinable = [k not in BAG_BREAK_WORDS and (w is None or w in vocabulary)
                    and (i == 0 or not _BREAK.search(text, tokens[i - 1].end, tokens[i].start))
                    for i, (k, w) in enumerate(zip(keys, words))]
        hits = []
        for first in range(len(tokens)):
            if words[first] is None or keys[first] in BAG_BREAK_WORDS or words[first] not in vocabulary:
                continue
            bag = {words[first]}
            for last in range(first + 1, min(len(tokens), first + self.max_tokens)):
                if not joinable[last]:
                    break
                if words[last] is None:
                    continue
                bag.add(words[last])
                found = self.entries.get(" ".join(sorted(bag))) if len(bag) >= 2 else None
                if found and not _cut_short(tokens, keys, text, first, last):
                    hits.append(Hit(first, last, found, variant=True))
        return hits


def _cut_short(tokens: Sequence[Token], keys: Sequence[str], text: str, first: int, last: int) -> bool:
    """True for "anomalies of the facial" in "anomalies of the facial nerve": after "of" the
    run names a whole noun phrase, so it may not stop before the phrase's next word."""
    if "of" not in keys[first:last] or last + 1 >= len(tokens):
        return False
    following = keys[last + 1]
    return (following not in BAG_FUNCTION_WORDS and following not in BAG_BREAK_WORDS
            and not _BREAK.search(text, tokens[last].end, tokens[last + 1].start))


def _distinct(entries: list[Entry]) -> tuple[Entry, ...]:
    # One entry per node (its most trustworthy name), best first.
    best: dict[int, Entry] = {}
    for entry in sorted(entries, key=lambda e: (e.kind, e.row)):
        best.setdefault(entry.row, entry)
    return tuple(best.values())
