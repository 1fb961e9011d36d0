"""Composed names: a term's modifiers crossed with its heads.

A term's synonyms often vary the modifier and the head independently, but list only some of the
combinations: *Vestibular schwannoma* has "Acoustic neuroma" and "Vestibular neurinoma", and
prose writes "acoustic neurinoma". Each name is split into a head and a modifier ("acoustic" +
"neuroma"; "Neoplasm" + "of the CNS"), and the missing combinations of one term's own modifiers
and heads become extra names of that term (:attr:`~kgdecide.link.lexicon.NameKind.DERIVED`,
scored lower than the graph's own names). Nothing comes from outside the graph.

Two guards keep the products sensible: the head must itself be a name of an ancestor of the
term (*neurinoma* names Schwannoma, above Vestibular schwannoma), so it is a noun for the kind
of thing the term is; and the modifier must be specific, i.e. start few names of the graph
("acoustic" does; "severe", "malignant", "early" start hundreds and would make "severe
disease" a name of Severe periodontitis).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

from kgdecide.link.lexicon import DERIVED_PROPERTY, NameKind, node_names
from kgdecide.link.text import phrase_key
from kgdecide.types import Node

#: Kinds of names whose parts are crossed: the looser related synonyms are left out.
_SOURCE_KINDS = frozenset((NameKind.LABEL, NameKind.EXACT, NameKind.SYNONYM))
#: A term with more names than this is left alone (the products grow quadratically).
MAX_NAMES = 12
#: A modifier whose first word starts more names of the graph than this is too general.
MAX_MODIFIER_NAMES = 30
#: Levels of ancestors whose names count as heads.
ANCESTOR_LEVELS = 3


def split_name(name: str) -> tuple[str, str, str] | None:
    """(shape, head, modifier) of a name of two or more words: "of" names ("Neoplasm of the
    CNS": head before "of") or else modifier-then-head ("Acoustic neuroma": last word).

    >>> split_name("Acoustic neuroma"), split_name("Neoplasm of the CNS")
    (('pre', 'neuroma', 'Acoustic'), ('of', 'Neoplasm', 'the CNS'))
    >>> split_name("Seizure") is None
    True
    """
    words = name.split()
    if len(words) < 2:
        return None
    if "of" in words[1:-1]:
        at = words.index("of", 1)
        return "of", " ".join(words[:at]), " ".join(words[at + 1:])
    return "pre", words[-1], " ".join(words[:-1])


def _join(shape: str, head: str, modifier: str) -> str:
    return f"{head} of {modifier}" if shape == "of" else f"{modifier} {head}"


def composed_names(names: Sequence[str], heads_allowed: Callable[[str], bool] = lambda h: True,
                   modifier_allowed: Callable[[str], bool] = lambda m: True) -> list[str]:
    """The head x modifier combinations of one term's names that it does not list, per shape.

    >>> sorted(composed_names(["Vestibular schwannoma", "Acoustic neuroma", "Vestibular neurinoma"]))
    ['Acoustic neurinoma', 'Acoustic schwannoma', 'Vestibular neuroma']
    >>> sorted(composed_names(["Vestibular schwannoma", "Acoustic neuroma", "Vestibular neurinoma"],
    ...                       heads_allowed=lambda h: h != "neuroma"))
    ['Acoustic neurinoma', 'Acoustic schwannoma']
    """
    known = {phrase_key(n) for n in names}
    parts: dict[str, tuple[dict[str, None], dict[str, None]]] = {}
    for name in names:
        split = split_name(name)
        if split is not None:
            heads, modifiers = parts.setdefault(split[0], ({}, {}))
            heads.setdefault(split[1], None)
            modifiers.setdefault(split[2], None)
    found: dict[str, str] = {}
    for shape, (heads, modifiers) in parts.items():
        for modifier in filter(modifier_allowed, modifiers):
            for head in filter(heads_allowed, heads):
                name = _join(shape, head, modifier)
                key = phrase_key(name)
                if key not in known and key not in found:
                    found[key] = name[0].upper() + name[1:]
    return list(found.values())


def with_composed_names(nodes: Sequence[Node], parents: Sequence[Sequence[int]]) -> list[Node]:
    """``nodes`` with their composed names added under ``DERIVED_PROPERTY``; ``parents`` gives
    the rows of each node's parents. Names another node already has are not added (the graph's
    own names win)."""
    if not any(parents):
        return list(nodes)  # no hierarchy, no ancestor heads: nothing to compose
    names = [[n for n, kind in node_names(node) if kind in _SOURCE_KINDS] for node in nodes]
    taken = {phrase_key(name) for node in nodes for name, _ in node_names(node)}
    starts = Counter(phrase_key(n).split(" ")[0] for found in names for n in found)
    def modifier_allowed(modifier: str) -> bool:
        return starts[phrase_key(modifier).split(" ")[0]] <= MAX_MODIFIER_NAMES
    out = []
    for row, node in enumerate(nodes):
        if not 2 <= len(names[row]) <= MAX_NAMES:
            out.append(node)
            continue
        above = {phrase_key(n) for r in _ancestors(row, parents, ANCESTOR_LEVELS) for n in names[r]}
        extra = tuple(n for n in composed_names(names[row], lambda h: phrase_key(h) in above,
                                                modifier_allowed)
                      if phrase_key(n) not in taken)
        out.append(replace(node, properties={**node.properties, DERIVED_PROPERTY: extra})
                   if extra else node)
    return out


def _ancestors(row: int, parents: Sequence[Sequence[int]], levels: int) -> set[int]:
    found: set[int] = set()
    frontier = [row]
    for _ in range(levels):
        frontier = [p for r in frontier for p in parents[r] if p not in found]
        found.update(frontier)
    return found
