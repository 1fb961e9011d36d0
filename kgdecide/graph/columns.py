"""Compact column encodings shared by the array graph and its snapshot files.

A :class:`StringTable` keeps many strings as one UTF-8 blob plus offsets, so a snapshot loads with
a few array reads instead of millions of Python objects. A :class:`Column` holds one property for
every row (node or edge): floats as float64 with NaN for missing, strings and string lists
dictionary-encoded (most provenance values repeat: evidence codes, sources, onset terms).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from kgdecide.types import PropertyValue

FLOAT, STR, STRS = "float", "str", "strs"


@dataclass(frozen=True, slots=True)
class StringTable:
    """Strings ``i`` = ``blob[offsets[i]:offsets[i+1]]`` decoded as UTF-8.

    >>> t = StringTable.from_strings(["a", "βc", ""])
    >>> len(t), t[1], t.to_list()
    (3, 'βc', ['a', 'βc', ''])
    """

    blob: np.ndarray  #: uint8
    offsets: np.ndarray  #: int64, one more than the number of strings

    @classmethod
    def from_strings(cls, strings: Iterable[str]) -> StringTable:
        strings = strings if isinstance(strings, list) else list(strings)
        offsets = np.zeros(len(strings) + 1, dtype=np.int64)
        joined = "".join(strings)
        if joined.isascii():
            # The common case (ids, most labels): one encode, and characters are bytes.
            np.cumsum(np.fromiter(map(len, strings), np.int64, len(strings)), out=offsets[1:])
            return cls(np.frombuffer(joined.encode("ascii"), dtype=np.uint8), offsets)
        encoded = [s.encode("utf-8") for s in strings]
        np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)), out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self.blob[self.offsets[i] : self.offsets[i + 1]].tobytes().decode("utf-8")

    def to_list(self) -> list[str]:
        data = self.blob.tobytes()
        bounds = self.offsets.tolist()
        return [data[a:b].decode("utf-8") for a, b in zip(bounds, bounds[1:])]


@dataclass(frozen=True, slots=True)
class Column:
    """One property over all rows.

    ``kind`` FLOAT: ``values`` float64, NaN where absent. STR: ``values`` int32 codes into
    ``vocab``, -1 where absent. STRS (a tuple of strings per row): row ``i`` has codes
    ``values[ptr[i]:ptr[i+1]]``; an absent value is an empty tuple.
    """

    kind: str
    values: np.ndarray
    vocab: StringTable | None = None
    ptr: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ptr) - 1 if self.kind == STRS else len(self.values)

    def get(self, row: int) -> PropertyValue | None:
        """The value at ``row``, or None where absent."""
        if self.kind == FLOAT:
            value = float(self.values[row])
            return None if np.isnan(value) else value
        assert self.vocab is not None
        if self.kind == STR:
            code = int(self.values[row])
            return None if code < 0 else self.vocab[code]
        assert self.ptr is not None
        codes = self.values[self.ptr[row] : self.ptr[row + 1]]
        return tuple(self.vocab[int(c)] for c in codes) or None

    def take(self, order: np.ndarray) -> Column:
        """The column with rows reordered (``new[i] = old[order[i]]``)."""
        if self.kind != STRS:
            return Column(self.kind, self.values[order], self.vocab)
        assert self.ptr is not None
        lengths = np.diff(self.ptr)[order]
        ptr = np.zeros(len(order) + 1, dtype=np.int64)
        np.cumsum(lengths, out=ptr[1:])
        starts = self.ptr[:-1][order]
        # Gather each row's codes: index = start of its old row + position within the row.
        within = np.arange(ptr[-1]) - np.repeat(ptr[:-1], lengths)
        values = self.values[np.repeat(starts, lengths) + within]
        return Column(STRS, values.astype(np.int32), self.vocab, ptr)


def column_from_values(values: Sequence[PropertyValue | None]) -> Column:
    """Encode one property's values (None where a row lacks it); the kind follows the values:
    all numbers make FLOAT, any tuple/list makes STRS, anything else STR.

    >>> column_from_values([0.5, None, 1]).get(1) is None
    True
    >>> column_from_values(["PCS", None, "PCS"]).get(2)
    'PCS'
    >>> column_from_values([("PMID:1", "PMID:2"), None]).get(0)
    ('PMID:1', 'PMID:2')
    """
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return Column(
            FLOAT, np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        )
    codes: dict[str, int] = {}
    if any(isinstance(v, (tuple, list)) for v in present):
        lengths = np.zeros(len(values), dtype=np.int64)
        flat: list[int] = []
        for i, v in enumerate(values):
            if v is None:
                continue
            items = v if isinstance(v, (tuple, list)) else (v,)
            flat.extend(codes.setdefault(str(x), len(codes)) for x in items)
            lengths[i] = len(items)
        ptr = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum(lengths, out=ptr[1:])
        return Column(STRS, np.array(flat, dtype=np.int32), StringTable.from_strings(codes), ptr)
    encoded = [-1 if v is None else codes.setdefault(_as_text(v), len(codes)) for v in values]
    return Column(STR, np.array(encoded, dtype=np.int32), StringTable.from_strings(codes))


def _as_text(value: PropertyValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
