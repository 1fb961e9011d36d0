"""``kgdecide link``: free text to graph nodes, as a table or JSON lines.

:func:`make_link_command` builds the command around a function that picks the settings for a
graph (:mod:`kgdecide.packs.linking` passes the packs' one, and the CLI registers that). Heavy
imports happen inside the command so ``kgdecide --help`` stays fast. The text itself is never
logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import click

#: Largest input line ``--in`` accepts; a longer one gets an error record, not a crash.
MAX_LINE_BYTES = 1_000_000


#: Picks the linker settings for a graph: ``config_for(store, dense=...)``.
ConfigFor = Callable[..., Any]


def make_link_command(config_for: ConfigFor) -> click.Command:
    """The ``link`` command, with ``config_for`` choosing the settings for the store it opens
    (the packs pass theirs: :mod:`kgdecide.packs.linking`)."""

    @click.command("link")
    @click.argument("text", required=False)
    @click.option("--in", "in_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help='JSON lines, one {"id", "text"} object per line.')
    @click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="Where to write the mentions as JSON lines (default: standard output).")
    @click.option("--store", default="clinical", show_default=True,
                  help="A store name (under --home) or a directory path.")
    @click.option("--dense/--no-dense", default=False, show_default=True,
                  help="Also find English paraphrases by dense retrieval (slower).")
    @click.option("--all", "show_all", is_flag=True, help="Also show abstained (low-confidence) spans.")
    @click.pass_obj
    def link_command(settings: Any, text: str | None, in_path: Path | None, out_path: Path | None,
                     store: str, dense: bool, show_all: bool) -> None:
        """Link TEXT (or every line of --in) to the graph's nodes, with negation, family
        history, uncertainty, and whose finding each one is (this patient, a relative, other
        patients, the disease in general, an animal model).

        \b
        kgdecide link "Seizures since 3 months; no fever. Mother has short stature."
        kgdecide link --in notes.jsonl --out mentions.jsonl
        """
        if (text is None) == (in_path is None):
            raise click.UsageError("give either TEXT or --in FILE")
        linker = _load_linker(settings, store, dense, config_for)
        if in_path is not None:
            with _open_out(out_path) as out:
                done, failed = link_jsonl(linker, in_path, out)
            click.echo(f"{done:,} texts linked, {failed:,} lines with errors", err=True)
            return
        assert text is not None
        result = linker.link(text)
        if out_path is not None:
            out_path.write_text(json.dumps(result_record(None, result), ensure_ascii=False) + "\n",
                                encoding="utf-8")
        _print_table(result, show_all)

    return link_command


def _load_linker(settings: Any, store: str, dense: bool, config_for: ConfigFor) -> Any:
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.link.linker import Linker

    graph = EmbeddedStore.from_path(settings.store_dir(store))
    return Linker.from_store(graph, config_for(graph, dense=dense), home=settings.home)


class _open_out:
    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._handle: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        if self._path is None:
            return click.get_text_stream("stdout")
        self._handle = open(self._path, "w", encoding="utf-8")
        return self._handle

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()


def mention_record(m: Any) -> dict[str, Any]:
    record = {"start": m.start, "end": m.end, "text": m.text, "id": m.node_id, "label": m.label,
              "score": m.score, "status": m.status.value, "experiencer": m.experiencer.value,
              "section": m.section, "scored": m.scored}
    if m.implied:  # optional key: a nested general term the enclosing one implies
        record["implied"] = True
    return record


def result_record(doc_id: Any, result: Any) -> dict[str, Any]:
    mentions = [mention_record(m) for m in result.mentions]
    record: dict[str, Any] = {"id": doc_id, "mentions": mentions}
    if result.notes:
        record["notes"] = list(result.notes)
    return record


def link_jsonl(linker: Any, in_path: Path, out: IO[str]) -> tuple[int, int]:
    """Link every line of ``in_path``; a bad line (not UTF-8, not JSON, no text, too long)
    becomes ``{"id", "line", "error"}`` and the others go on. Returns (linked, failed)."""
    from kgdecide.errors import KgdecideError

    done = failed = 0
    with open(in_path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            obj: dict[str, Any] = {}
            try:
                obj = _parse_line(raw, number)
                record = result_record(obj.get("id"), linker.link(_text_of(obj, number)))
                done += 1
            except (ValueError, KgdecideError) as e:
                record = {"id": obj.get("id"), "line": number, "error": str(e)}
                failed += 1
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return done, failed


def _parse_line(raw: bytes, number: int) -> dict[str, Any]:
    if len(raw) > MAX_LINE_BYTES:
        raise ValueError(f"line {number} is {len(raw):,} bytes; the limit is {MAX_LINE_BYTES:,}")
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"line {number} is not UTF-8 (byte {e.start}); re-encode the file") from None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise ValueError(f"line {number} is not JSON ({e.msg}, column {e.colno})") from None
    if not isinstance(obj, dict):
        raise ValueError(f'line {number} is not a JSON object; write {{"id": ..., "text": ...}}')
    return obj


def _text_of(obj: dict[str, Any], number: int) -> str:
    text = obj.get("text")
    if not isinstance(text, str):
        raise ValueError(f'line {number} needs a "text" string')
    return text


def _print_table(result: Any, show_all: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table()
    rows = list(result.mentions) + (list(result.abstained) if show_all else [])
    # A note has one section: the column only appears for documents with headings.
    sections = any(m.section not in ("", "note") for m in rows)
    for column in ("span", "text", "id", "label", "score", "status", *(["section"] if sections else [])):
        table.add_column(column, justify="right" if column == "score" else "left")
    for m in sorted(rows, key=lambda m: m.start):
        status = m.status.value if m in result.mentions else f"{m.status.value} (abstained)"
        if m.experiencer.value not in ("patient", "relative"):  # a relative's is "family"
            status += f" ({m.experiencer.value})"
        status += " (implied)" if m.implied else ""
        table.add_row(f"{m.start}-{m.end}", m.text, m.node_id, m.label, f"{m.score:.2f}", status,
                      *([m.section] if sections else []))
    console.print(table)
    for note in result.notes:
        console.print(f"[dim]{note}[/dim]")
