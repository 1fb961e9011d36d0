"""Exact/normalised candidate generation: every label and synonym of the graph, matched in one
pass over the text with an Aho-Corasick automaton (``pyahocorasick``).

Keys are token keys (:func:`~kgdecide.link.text.phrase_key`) joined by spaces, so case,
punctuation, spacing and English plurals do not matter; matches must begin and end on token
boundaries. Short all-capital synonyms of 3-5 letters (``ASD``, ``VSD``) only match when written in capitals,
since their lower-case forms are often ordinary words.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kgdecide.link.text import Token, phrase_key
from kgdecide.types import Node


class NameKind(enum.IntEnum):
    """Where a name comes from; lower values are more trustworthy."""

    LABEL = 0
    EXACT = 1  #: an exact synonym
    SYNONYM = 2  #: a synonym whose scope the graph does not say
    LAYPERSON = 3  #: a plain-language synonym
    RELATED = 4  #: a related (looser) synonym
    DERIVED = 5  #: composed by the linker from the node's own names (:mod:`kgdecide.link.compose`)


#: Property under which the linker adds names it composed (never stored in a graph).
DERIVED_PROPERTY = "derived_synonyms"
#: Node properties that classify synonyms, checked in this order.
SYNONYM_PROPERTIES: Mapping[str, NameKind] = {
    "exact_synonyms": NameKind.EXACT,
    "layperson_synonyms": NameKind.LAYPERSON,
    "related_synonyms": NameKind.RELATED,
    DERIVED_PROPERTY: NameKind.DERIVED,
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One name of one node."""

    row: int  #: index of the node in :attr:`Lexicon.ids`
    kind: NameKind
    name: str  #: the name as the graph writes it
    case_sensitive: bool  #: an acronym: only matches text written exactly like ``name``


@dataclass(frozen=True, slots=True)
class Hit:
    """A run of tokens whose keys equal some name's key."""

    first: int  #: index of the first token
    last: int  #: index of the last token (inclusive)
    entries: tuple[Entry, ...]
    variant: bool = False  #: matched by word bag (order/word form differ), not exactly


def _is_acronym(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    return 3 <= len(letters) <= 5 and all(c.isupper() for c in letters) and " " not in name.strip()


def node_names(node: Node) -> Iterable[tuple[str, NameKind]]:
    """The label and each synonym of a node with its kind.

    >>> n = Node("X:1", "T", "Seizure", ("Fits", "Epileptic seizure"), {"layperson_synonyms": ("Fits",)})
    >>> [(name, kind.name) for name, kind in node_names(n)]
    [('Seizure', 'LABEL'), ('Fits', 'LAYPERSON'), ('Epileptic seizure', 'SYNONYM')]
    """
    if node.label:
        yield node.label, NameKind.LABEL
    kinds: dict[str, NameKind] = {}
    for prop, kind in SYNONYM_PROPERTIES.items():
        values = node.properties.get(prop)
        for value in values if isinstance(values, tuple) else ():
            kinds.setdefault(value, kind)
    for synonym in dict.fromkeys((*node.synonyms, *kinds)):
        if synonym and synonym != node.label:
            yield synonym, kinds.get(synonym, NameKind.SYNONYM)


class Lexicon:
    """Names of a set of nodes, searchable in one pass.

    >>> lex = Lexicon.from_nodes([Node("HP:1", "T", "Short stature", ("Small stature",))])
    >>> from kgdecide.link.text import tokenize
    >>> [(h.first, h.last, h.entries[0].name) for h in lex.find(tokenize("Small statures."))]
    [(0, 1, 'Small stature')]
    """

    def __init__(self, ids: Sequence[str], labels: Sequence[str], automaton: Any,
                 entries: Mapping[str, tuple[Entry, ...]]) -> None:
        self.ids = tuple(ids)  #: node id of each row
        self.labels = tuple(labels)  #: preferred label of each row
        self._automaton = automaton
        self.entries = entries  #: key -> the names with that key
        #: every token key used by some name: the vocabulary the typo corrector aims at
        self.vocabulary = frozenset(word for key in entries for word in key.split(" "))

    @classmethod
    def from_nodes(cls, nodes: Iterable[Node], stop_keys: Iterable[str] = (),
                   min_key_chars: int = 3) -> Lexicon:
        """Index the names of ``nodes``; names whose key is a stop key or shorter than
        ``min_key_chars`` (acronyms excepted) are left out."""
        import ahocorasick

        stop = {phrase_key(s) for s in stop_keys}
        ids: list[str] = []
        labels: list[str] = []
        by_key: dict[str, list[Entry]] = {}
        for node in nodes:
            row = len(ids)
            ids.append(node.id)
            labels.append(node.label or node.id)
            for name, kind in node_names(node):
                key = phrase_key(name)
                acronym = _is_acronym(name)
                if not key or key in stop or (len(key) < min_key_chars and not acronym):
                    continue
                by_key.setdefault(key, []).append(Entry(row, kind, name, acronym))
        automaton = ahocorasick.Automaton()
        entries = {}
        for key, found in by_key.items():
            entries[key] = tuple(sorted(found, key=lambda e: (e.kind, e.row)))
            automaton.add_word(f" {key} ", (key.count(" ") + 1, key))
        if entries:
            automaton.make_automaton()
        return cls(ids, labels, automaton if entries else None, entries)

    def __len__(self) -> int:
        return len(self.ids)

    def find(self, tokens: Sequence[Token], keys: Sequence[str] | None = None,
             text: str | None = None) -> list[Hit]:
        """Every run of tokens that spells a name (overlapping runs included).

        ``keys`` replaces the tokens' own keys (the typo corrector passes corrected ones);
        ``text`` is the original text, needed to check case-sensitive acronyms.
        """
        if self._automaton is None or not tokens:
            return []
        keys = [t.key for t in tokens] if keys is None else list(keys)
        # Token i's key ends just before position ends[i] (a space) of the joined string.
        joined = " " + " ".join(keys) + " "
        end_to_token = {}
        position = 0
        for i, key in enumerate(keys):
            position += 1 + len(key)
            end_to_token[position] = i
        hits = []
        for end, (n_tokens, key) in self._automaton.iter(joined):
            last = end_to_token[end]
            first = last - n_tokens + 1
            entries = self.entries[key]
            if text is not None and any(e.case_sensitive for e in entries):
                surface = text[tokens[first].start:tokens[last].end]
                entries = tuple(e for e in entries if not e.case_sensitive or e.name == surface)
            if entries:
                hits.append(Hit(first, last, entries))
        return hits
