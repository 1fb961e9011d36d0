"""Abbreviations a text defines for itself: "basal cell carcinomas (BCCs)", "ASD, atrial
septal defect".

Papers and notes introduce a short form in brackets after the long one, or list them in a
glossary or under a table ("ASD, atrial septal defect; VSD, ventricular septal defect"), and
then use only the short form. A short form counts when it has at least two capitals and starts
with the long form's first letter (the light check of Schwartz & Hearst 2003).

:func:`short_form_uses` finds the uses of short forms defined after a linked span (linked to
the same node when ``LinkerConfig.abbreviations`` is on); :func:`definitions` finds every
definition, so that the graph's own reading of an acronym never overrides the text's ("ASD" is
a name of Autistic behavior in HPO, but not in a report that defines it as atrial septal
defect).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

#: "(SF)" or "(SF;" / "(SF," right after a long form.
_DEFINITION = re.compile(r"\s*[(\[]\s*([A-Za-z][A-Za-z0-9-]{1,9})\s*[)\];,]")


def is_short_form(candidate: str, long_form: str) -> bool:
    """True when ``candidate`` can abbreviate ``long_form``.

    >>> is_short_form("BCCs", "basal cell carcinomas"), is_short_form("Fig", "fever")
    (True, False)
    """
    capitals = sum(c.isupper() for c in candidate)
    return (capitals >= 2 and candidate[0].casefold() == long_form.lstrip()[:1].casefold()
            and len(candidate) < len(long_form))


#: "SF, long form" / "SF: long form" / "SF = long form" in a glossary list: after a line start
#: or a semicolon (or a full stop ending the previous item), up to the next ";", "." or line end.
_GLOSSARY = re.compile(r"(?:^|(?<=[;.])|(?<=Abbreviations:))[ \t]*([A-Z][A-Za-z0-9-]{1,9})[ \t]*[,:=][ \t]*"
                       r"([A-Za-z][A-Za-z' -]{2,80}?)[ \t]*(?=[;.]|$)", re.MULTILINE)
#: "(SF)" right after the long form.
_BRACKETED = re.compile(r"[(\[]\s*([A-Z][A-Za-z0-9-]{1,9})\s*[)\];,]")


def definitions(text: str) -> dict[str, tuple[int, int]]:
    """Short forms the text defines, each with the offsets of its long form (the first
    definition wins). A bracketed short form's long form is the words before it whose initials
    spell its capitals; a glossary item's is the text after the comma.

    >>> text = "An atrial septal defect (ASD) was closed.\\nASD, atrial septal defect; MR, mitral regurgitation."
    >>> {k: text[s:e] for k, (s, e) in definitions(text).items()}
    {'ASD': 'atrial septal defect', 'MR': 'mitral regurgitation'}
    """
    found: dict[str, tuple[int, int, int]] = {}
    for match in _GLOSSARY.finditer(text):
        short, start, end = match.group(1), match.start(2), match.end(2)
        if is_short_form(short, text[start:end]):
            found.setdefault(short, (start, end, match.start()))
    for match in _BRACKETED.finditer(text):
        short = match.group(1)
        capitals = [c.casefold() for c in short if c.isupper()]
        words = list(re.finditer(r"[A-Za-z][\w'-]*", text[max(0, match.start() - 200):match.start()]))
        offset = max(0, match.start() - 200)
        if len(capitals) < 2 or len(words) < len(capitals):
            continue
        chosen = words[-len(capitals):]
        if [w.group()[0].casefold() for w in chosen] == capitals:
            start, end = offset + chosen[0].start(), offset + chosen[-1].end()
            if short not in found or match.start() < found[short][2]:
                found[short] = (start, end, match.start())
    return {short: (start, end) for short, (start, end, _) in found.items()}


def is_use_of(word: str, short: str) -> bool:
    """True when ``word`` is ``short`` or its plural ("ASDs")."""
    return word == short or word == short + "s"


def short_form_uses(text: str, spans: Iterable[tuple[int, int]]) -> Iterator[tuple[int, int, int, int]]:
    """For each span followed by a bracketed short form: ``(start, end)`` of each use of the
    short form in ``text`` (its plural with -s included), with the defining span's offsets.

    >>> text = "basal cell carcinomas (BCCs) and later BCC."
    >>> list(short_form_uses(text, [(0, 21)]))
    [(23, 27, 0, 21), (39, 42, 0, 21)]
    """
    for start, end in spans:
        match = _DEFINITION.match(text, end)
        if not match or not is_short_form(match.group(1), text[start:end]):
            continue
        short = match.group(1)
        stem = short[:-1] if short.endswith("s") and short[:-1].isupper() else short
        for use in re.finditer(rf"(?<![\w-]){re.escape(stem)}s?(?![\w-])", text):
            yield use.start(), use.end(), start, end
