"""Typo tolerance: a word the lexicon does not know is replaced by the closest word it does
know, when that word is at most one or two edits away (``rapidfuzz``).

Correcting words, not whole phrases, keeps the one-pass automaton match: the corrected keys go
through the same :meth:`~kgdecide.link.lexicon.Lexicon.find`, and a mention built from corrected
words is scored lower.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from kgdecide.link.text import Token


class TypoCorrector:
    """Maps unknown words to known ones within a small edit distance.

    >>> fix = TypoCorrector(["seizure", "microcephaly", "hypotonia"], known_words=["patient"])
    >>> fix.correct("microcefaly"), fix.correct("patient"), fix.correct("cat")
    (('microcephaly', 2), ('patient', 0), ('cat', 0))
    """

    def __init__(self, vocabulary: Iterable[str], known_words: Iterable[str] = (),
                 min_chars: int = 5, cache_size: int = 50_000) -> None:
        self._by_length: dict[int, list[str]] = {}
        self._vocabulary = frozenset(vocabulary)
        # Sorted: extractOne keeps the first of tied words, so the pool's order decides ties,
        # and a set's order changes with the hash seed.
        for word in sorted(self._vocabulary):
            if word.isalpha() and len(word) >= min_chars:
                self._by_length.setdefault(len(word), []).append(word)
        #: words never corrected: ordinary language that happens to be near a medical word
        self._known = frozenset(known_words) | self._vocabulary
        self._min_chars = min_chars
        self.correct = lru_cache(maxsize=cache_size)(self._correct)  # type: ignore[method-assign]

    @staticmethod
    def max_edits(word: str) -> int:
        """One edit for words of 5-8 letters, two for longer ones."""
        return 1 if len(word) <= 8 else 2

    def _correct(self, word: str) -> tuple[str, int]:
        if word in self._known or len(word) < self._min_chars or not word.isalpha():
            return word, 0
        from rapidfuzz.distance import Levenshtein
        from rapidfuzz.process import extractOne

        limit = self.max_edits(word)
        best: tuple[str, int] | None = None
        for length in range(len(word) - limit, len(word) + limit + 1):
            pool = self._by_length.get(length)
            if not pool:
                continue
            found = extractOne(word, pool, scorer=Levenshtein.distance, score_cutoff=limit)
            # A tie keeps the first found; the first letter must agree (typos rarely hit it,
            # and it halves the false corrections of unrelated words).
            if found and found[0][0] == word[0] and (best is None or found[1] < best[1]):
                best = (found[0], int(found[1]))
        return best if best is not None else (word, 0)

    def correct_tokens(self, tokens: Sequence[Token]) -> tuple[list[str], list[int]]:
        """Keys to match with, and the number of edits made in each."""
        keys, edits = [], []
        for token in tokens:
            key, cost = self.correct(token.key)
            keys.append(key)
            edits.append(cost)
        return keys, edits
