"""Cursor pagination shared by the finance answers: a cursor is an opaque token holding the next
offset and the graph version, so a page from another graph version is refused, not mixed."""

from __future__ import annotations

import base64
import json

from kgdecide.errors import InvalidQuery


def encode_cursor(offset: int, version: str, key: str) -> str:
    """An opaque cursor for ``offset`` of the answer to question ``key`` on graph ``version``.

    >>> decode_cursor(encode_cursor(20, "v1", "q"), "v1", "q")
    20
    """
    raw = json.dumps({"o": offset, "v": version, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, version: str, key: str) -> int:
    """The offset a cursor points at (0 for none); ``InvalidQuery`` for a foreign or stale one."""
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset, cursor_version, cursor_key = int(data["o"]), str(data["v"]), str(data["k"])
    except (ValueError, KeyError, TypeError):
        raise InvalidQuery("cursor", "is not a cursor this API returned; send next_cursor as "
                           "given, or none for the first page") from None
    if cursor_version != version:
        raise InvalidQuery("cursor", "was made on another graph version; start again without a cursor")
    if cursor_key != key or offset < 0:
        raise InvalidQuery("cursor", "belongs to a different question; send it with the same "
                           "request it came from")
    return offset


def page(items: list, offset: int, limit: int, version: str, key: str) -> tuple[list, str | None]:
    """``items[offset:offset+limit]`` and the cursor of the next page (None at the end).

    >>> page(list(range(5)), 0, 2, "v", "k")[0]
    [0, 1]
    """
    chunk = items[offset:offset + limit]
    more = offset + limit < len(items)
    return chunk, encode_cursor(offset + limit, version, key) if more else None
