"""What the commands print on a terminal, shared by the CLI and the packs' commands (which must not
import :mod:`kgdecide.cli`: packs sit below it)."""

from __future__ import annotations

from typing import Any


def print_counts(counts: Any, version: str) -> None:
    """A store's version and its :class:`~kgdecide.types.GraphCounts` (nodes by type, edges by
    relation), as two tables."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"graph version: [bold]{version}[/bold]")
    for title, rows, total in (("node type", counts.nodes_by_type, counts.nodes),
                               ("relation", counts.edges_by_relation, counts.edges)):
        table = Table(title=None)
        table.add_column(title)
        table.add_column("count", justify="right")
        for key, value in sorted(rows.items(), key=lambda kv: (-kv[1], kv[0])):
            table.add_row(key, f"{value:,}")
        table.add_row("[bold]total[/bold]", f"[bold]{total:,}[/bold]")
        console.print(table)
