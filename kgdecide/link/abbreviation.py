"""Abbreviations a text defines for itself: "basal cell carcinomas (BCCs)".

Papers and notes introduce a short form in brackets after the long one and then use only the
short form. When the long form was linked, every later (and the bracketed) use of the short
form is linked to the same node. A short form counts when it has at least two capitals and
starts with the long form's first letter (the light check of Schwartz & Hearst 2003).
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
