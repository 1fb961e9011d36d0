"""Coordinated names: one head shared by several modifiers, or one modifier by several heads.

"palmar and plantar pits" names *Palmar pits* and *Plantar pits*; "cleft lip or palate" names
*Cleft lip* and *Cleft palate*. The lexicon finds the conjunct written in full ("plantar pits",
"cleft lip"); this module rebuilds the elided ones and looks them up again. As annotated corpora
do (GSC+), the rebuilt mention spans from the elided conjunct to the shared word: "palmar and
plantar pits" for *Palmar pits*, "cleft lip or palate" for *Cleft palate*.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from kgdecide.link.lexicon import Entry, Hit
from kgdecide.link.text import Token

#: Words that join conjuncts.
CONJUNCTIONS = frozenset(("and", "or"))
#: What may stand between two conjuncts besides a conjunction: spaces, a comma, a slash.
_GAP = re.compile(r"[\s,/]*")
#: Conjuncts looked at on each side of a match.
MAX_CONJUNCTS = 5

Lookup = Callable[[Sequence[str]], "tuple[Entry, ...] | None"]


def _joint(text: str, left: Token, right: Token, keys: Sequence[str], i: int, j: int) -> str | None:
    """How tokens ``i`` < ``j`` are joined as conjuncts: "and" (a conjunction or slash), ","
    (a comma only), or None when something else stands between them."""
    between = keys[i + 1:j]
    if any(k not in CONJUNCTIONS for k in between):
        return None
    # The only words left between them are conjunctions (checked above): blank them.
    gap = re.sub(r"[^\W_]+", " ", text[left.end:right.start])
    if _GAP.fullmatch(gap) is None:
        return None
    if between or "/" in gap:
        return "and"
    return "," if "," in gap else None


def _conjuncts(text: str, tokens: Sequence[Token], keys: Sequence[str], at: int,
               step: int) -> list[int]:
    """One-word conjuncts joined to token ``at``, walking by ``step`` (-1 left, +1 right);
    empty unless some joint is a conjunction or slash (a bare comma list is not one)."""
    found, joints = [], []
    while len(found) < MAX_CONJUNCTS:
        j = at + step
        while 0 <= j < len(tokens) and keys[j] in CONJUNCTIONS and abs(j - at) < 4:
            j += step
        if not 0 <= j < len(tokens) or not keys[j].isalpha():
            break
        i, k = (j, at) if step < 0 else (at, j)
        joint = _joint(text, tokens[i], tokens[k], keys, i, k)
        if joint is None:
            break
        found.append(j)
        joints.append(joint)
        at = j
    if "and" not in joints:
        return []
    if step < 0:  # "A, B and C pits" read from C: every item before belongs to the list
        return found
    # Read rightwards from A, the list ends at its last conjunction: "A, B and C, D".
    return found[: len(joints) - joints[::-1].index("and")]


def expand_coordinations(hits: Sequence[Hit], tokens: Sequence[Token], keys: Sequence[str],
                         text: str, lookup: Lookup) -> list[Hit]:
    """New hits for the elided conjuncts next to each multi-word hit.

    Head shared ("A, B and C pits"): the first word of a hit is swapped for each earlier
    conjunct. Modifier shared ("cleft lip or palate"): the last word is swapped for each later
    one. A rebuilt name that the ``lookup`` knows becomes a hit marked ``variant``.

    >>> from kgdecide.link.text import tokenize
    >>> text = "palmar and plantar pits"
    >>> tokens = tokenize(text)
    >>> names = {"plantar pit": (Entry(0, 0, "Plantar pits", False),),
    ...          "palmar pit": (Entry(1, 0, "Palmar pits", False),)}
    >>> found = expand_coordinations([Hit(2, 3, names["plantar pit"])], tokens,
    ...                              [t.key for t in tokens], text, lambda k: names.get(" ".join(k)))
    >>> [(h.first, h.last, h.entries[0].name) for h in found]
    [(0, 3, 'Palmar pits')]
    """
    found: list[Hit] = []
    seen: set[tuple[int, int, int]] = set()
    for hit in hits:
        if hit.last == hit.first:
            continue
        head = list(keys[hit.first + 1:hit.last + 1])
        for j in _conjuncts(text, tokens, keys, hit.first, -1):  # shared head
            _add(found, seen, j, hit.last, lookup([keys[j], *head]))
        modifier = list(keys[hit.first:hit.last])
        for j in _conjuncts(text, tokens, keys, hit.last, +1):  # shared modifier
            _add(found, seen, hit.first, j, lookup([*modifier, keys[j]]))
    return found


def expand_lists(hits: Sequence[Hit], tokens: Sequence[Token], keys: Sequence[str], text: str,
                 lookup: Lookup) -> list[Hit]:
    """Hits for the conjuncts of a list whose last item names nothing, so that
    :func:`expand_coordinations` had no anchor: "ophthalmic, orofacial, articular, and auditory
    manifestations" gives *Abnormality of the eye* for "ophthalmic ... manifestations" although
    "auditory manifestations" is no name. Only a one-word shared head is tried, and a span a hit
    already covers exactly is left to that hit.

    >>> from kgdecide.link.text import tokenize
    >>> text = "renal and auditory anomalies"
    >>> tokens = tokenize(text)
    >>> names = {"renal anomaly": (Entry(0, 0, "Abnormality of the kidney", False),)}
    >>> found = expand_lists([], tokens, [t.key for t in tokens], text, lambda k: names.get(" ".join(k)))
    >>> [(h.first, h.last, h.entries[0].name) for h in found]
    [(0, 3, 'Abnormality of the kidney')]
    """
    taken = {(h.first, h.last) for h in hits}
    anchored = {h.last for h in hits if h.last > h.first}  # heads expand_coordinations used
    found: list[Hit] = []
    seen: set[tuple[int, int, int]] = set()
    for k in range(2, len(tokens)):
        if k in anchored or not keys[k].isalpha() or keys[k] in CONJUNCTIONS:
            continue
        if _BREAKS_HEAD.search(text, tokens[k - 1].end, tokens[k].start):
            continue
        conjuncts = _conjuncts(text, tokens, keys, k - 1, -1)
        if not conjuncts:
            continue
        for j in conjuncts:
            if (j, k) not in taken:
                _add(found, seen, j, k, lookup([keys[j], keys[k]]))
    return found


#: Anything but blanks between the last conjunct and the head breaks the phrase.
_BREAKS_HEAD = re.compile(r"\S")


def _add(found: list[Hit], seen: set[tuple[int, int, int]], first: int, last: int,
         entries: tuple[Entry, ...] | None) -> None:
    if not entries or (first, last, entries[0].row) in seen:
        return
    seen.add((first, last, entries[0].row))
    found.append(Hit(first, last, entries, variant=True))
