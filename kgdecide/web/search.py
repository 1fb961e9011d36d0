"""Search-as-you-type over node labels, synonyms and ids: an in-memory prefix index built once.

Two sorted key lists: whole names (label, synonyms, id) and the later words of multi-word names
(so "seiz" finds "Focal seizure"). A query is a binary search plus a short scan; whole-name hits
rank before word hits, labels before synonyms, shorter names first.
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from kgdecide.types import Node

_SPACES = re.compile(r"\s+")
_WORD_START = re.compile(r"(?<=[\s\-/(,])(?=\w)")

# Kinds, best first: exact id, label, synonym (whole names); then a word inside a label/synonym.
_ID, _LABEL, _SYNONYM = 0, 1, 2
_SCAN = 400  #: entries read per list per query: bounds the work for one-letter queries


def fold(text: str) -> str:
    """Case and spacing folded, as keys are stored.

    >>> fold("  Focal   SEIZURE ")
    'focal seizure'
    """
    return _SPACES.sub(" ", text.casefold()).strip()


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    label: str
    type: str
    matched: str  #: the name that matched the query


class PrefixIndex:
    """Prefix search over nodes.

    >>> index = PrefixIndex.build([Node("HP:1", "PhenotypicFeature", "Focal seizure", ("Fits",)),
    ...                            Node("HP:2", "PhenotypicFeature", "Seizure")])
    >>> [h.id for h in index.search("seiz")]
    ['HP:2', 'HP:1']
    >>> [h.matched for h in index.search("fit")]
    ['Fits']
    """

    def __init__(self, nodes: list[tuple[str, str, str]], names: list[str],
                 whole: tuple[list[str], array, array, array],
                 words: tuple[list[str], array, array, array]) -> None:
        self._nodes = nodes  #: (id, label, type) per node number
        self._names = names  #: every distinct name as written
        self._whole = whole  #: sorted keys, node numbers, name numbers, kinds
        self._words = words

    @classmethod
    def build(cls, nodes: Iterable[Node]) -> PrefixIndex:
        """Index every node (label, synonyms, id)."""
        node_rows: list[tuple[str, str, str]] = []
        names: list[str] = []
        whole: list[tuple[str, int, int, int]] = []
        words: list[tuple[str, int, int, int]] = []
        for number, node in enumerate(nodes):
            node_rows.append((node.id, node.label, node.type))
            named = [(node.id, _ID)] + [(node.label, _LABEL)] * bool(node.label) + \
                    [(s, _SYNONYM) for s in node.synonyms if s and s != node.label]
            for name, kind in named:
                names.append(name)
                key = fold(name)
                whole.append((key, number, len(names) - 1, kind))
                if kind != _ID:
                    words += ((key[m.start():], number, len(names) - 1, kind)
                              for m in _WORD_START.finditer(key))
        return cls(node_rows, names, _columns(whole), _columns(words))

    def __len__(self) -> int:
        return len(self._nodes)

    def search(self, query: str, node_type: str | None = None, limit: int = 10) -> list[Hit]:
        """Up to ``limit`` nodes with a name starting with ``query`` (or a word of it)."""
        key = fold(query)
        if not key:
            return []
        found: dict[int, tuple[tuple[int, int, int, str], int]] = {}
        for tier, (keys, node_nums, name_nums, kinds) in enumerate((self._whole, self._words)):
            start = bisect.bisect_left(keys, key)
            for i in range(start, min(start + _SCAN, len(keys))):
                if not keys[i].startswith(key):
                    break
                node = node_nums[i]
                if node_type is not None and self._nodes[node][2] != node_type:
                    continue
                exact = 0 if keys[i] == key else 1
                rank = (tier, exact, kinds[i], len(keys[i]))
                rank_key = (*rank, self._nodes[node][0])
                if node not in found or rank_key < found[node][0]:
                    found[node] = (rank_key, name_nums[i])  # type: ignore[assignment]
        best = sorted(found.items(), key=lambda item: item[1][0])[:limit]
        return [Hit(*self._nodes[node], self._names[name]) for node, (_, name) in best]


def _columns(entries: list[tuple[str, int, int, int]]) -> tuple[list[str], array, array, array]:
    entries.sort()
    return ([e[0] for e in entries], array("i", (e[1] for e in entries)),
            array("i", (e[2] for e in entries)), array("b", (e[3] for e in entries)))
