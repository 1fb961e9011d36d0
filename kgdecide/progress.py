"""Progress reporting for long work, kept out of the library code: work takes a callback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

#: Called with how much more work is done (bytes, lines, items: the task says which).
Advance = Callable[[int], None]


def no_progress(_: int) -> None:
    """An :data:`Advance` that reports nothing."""


@contextmanager
def progress_bar(description: str, total: int | None, in_bytes: bool = False) -> Iterator[Advance]:
    """A rich progress bar on stderr; yields the callback that advances it."""
    columns = [TextColumn("{task.description}"), BarColumn()]
    columns.append(DownloadColumn() if in_bytes else TextColumn("{task.completed:,}"))
    columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield lambda amount: progress.advance(task, amount)
