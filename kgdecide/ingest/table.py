"""CSV/TSV edge lists with a column mapping, and the row reading KGX shares.

``--map`` roles (:attr:`~kgdecide.ingest.IngestOptions.column_map`):

* ``subject``, ``object``: the columns holding the endpoint ids (required);
* ``relation``: the column holding each row's relation, or ``relation_value``: one relation for
  every row (exactly one of the two);
* ``subject_type``, ``object_type``: a node type given to every subject/object (a value, not a
  column);
* any other role: an edge property, ``--map evidence=ev_code`` stores column ``ev_code`` as the
  property ``evidence``.

A column whose every non-empty cell is a number is stored as floats; empty cells are absent. The
delimiter defaults to a tab for ``.tsv``/``.tab`` files and a comma otherwise.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from kgdecide.errors import ConfigError, IngestError
from kgdecide.graph.builder import GraphBuilder
from kgdecide.ingest import IngestOptions, IngestReport
from kgdecide.types import PropertyValue

_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_VALUE_ROLES = {"relation_value", "subject_type", "object_type"}


def default_delimiter(path: Path) -> str:
    """Tab for ``.tsv``/``.tab`` (also when compressed names end so), comma otherwise.

    >>> default_delimiter(Path("edges.tsv")), default_delimiter(Path("edges.csv"))
    ('\\t', ',')
    """
    return "\t" if Path(path).suffix.lower() in (".tsv", ".tab") else ","


def read_rows(
    path: Path, options: IngestOptions, report: IngestReport, delimiter: str | None = None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the (line, cells) rows of a delimited file; a row with another number of
    cells than the header raises ``IngestError`` (or is skipped under ``skip_bad``)."""
    delimiter = delimiter or options.delimiter or default_delimiter(path)
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(_progress(f, options), delimiter=delimiter)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise IngestError(path, 1, "the file is empty; a header line is needed") from None
        rows = []
        for cells in reader:
            if not cells or cells == [""]:
                continue
            if len(cells) != len(header):
                reason = (f"{len(cells)} cells where the header has {len(header)} "
                          f"(delimiter {delimiter!r})")
                if not options.skip_bad:
                    raise IngestError(path, reader.line_num, reason)
                report.skip(reader.line_num, reason)
                continue
            rows.append((reader.line_num, cells))
    return header, rows


def _progress(lines: Iterator[str], options: IngestOptions) -> Iterator[str]:
    for line in lines:
        options.advance(len(line))
        yield line


def numeric_columns(rows: Sequence[tuple[int, list[str]]], columns: Sequence[int]) -> set[int]:
    """The columns (by index) whose every non-empty cell is a number."""
    numeric = set()
    for col in columns:
        cells = [cells[col] for _, cells in rows if cells[col] != ""]
        if cells and all(_NUMBER.fullmatch(c.strip()) for c in cells):
            numeric.add(col)
    return numeric


def cell_value(text: str, numeric: bool, split: bool) -> PropertyValue | None:
    """A cell as a property value: None when empty, float in a numeric column, a tuple when
    ``split`` (pipe-separated), else the text."""
    if text == "":
        return None
    if numeric:
        return float(text)
    if split:
        return tuple(part for part in text.split("|") if part)
    return text


def read_table(builder: GraphBuilder, path: Path, options: IngestOptions) -> IngestReport:
    """Read a CSV/TSV edge list as mapped by ``options.column_map`` (see the module docstring)."""
    path = Path(path)
    report = IngestReport(path, "table")
    mapping = dict(options.column_map)
    _check_roles(mapping)
    header, rows = read_rows(path, options, report)
    position = {name: i for i, name in enumerate(header)}
    columns = {role: col for role, col in mapping.items() if role not in _VALUE_ROLES}
    missing = [f"{role}={col}" for role, col in columns.items() if col not in position]
    if missing:
        raise ConfigError(
            f"{path}: mapped column(s) {', '.join(missing)} not in the header; its columns are: "
            f"{', '.join(header)}"
        )
    s_col, o_col = position[columns.pop("subject")], position[columns.pop("object")]
    r_col = position[columns.pop("relation")] if "relation" in columns else None
    fixed_relation = mapping.get("relation_value")
    props = {key: position[col] for key, col in columns.items()}
    numeric = numeric_columns(rows, list(props.values()))
    s_type, o_type = mapping.get("subject_type"), mapping.get("object_type")
    for line, cells in rows:
        subject, obj = cells[s_col].strip(), cells[o_col].strip()
        relation = fixed_relation or (cells[r_col].strip() if r_col is not None else "")
        empty = [name for name, v in (("subject", subject), ("object", obj), ("relation", relation)) if not v]
        if empty:
            reason = f"empty {', '.join(empty)}"
            if not options.skip_bad:
                raise IngestError(path, line, reason)
            report.skip(line, reason)
            continue
        properties = {}
        for key, col in props.items():
            value = cell_value(cells[col].strip(), col in numeric, False)
            if value is not None:
                properties[key] = value
        builder.add_edge(subject, relation, obj, properties or None)
        if s_type:
            builder.add_node(subject, s_type)
        if o_type:
            builder.add_node(obj, o_type)
        report.records += 1
    return report


def _check_roles(mapping: dict[str, str]) -> None:
    needed = [role for role in ("subject", "object") if role not in mapping]
    if needed:
        raise ConfigError(
            f"the column mapping lacks {' and '.join(needed)}: pass --map {needed[0]}=COLUMN"
        )
    if ("relation" in mapping) == ("relation_value" in mapping):
        raise ConfigError(
            "give either --map relation=COLUMN (a relation per row) or --map relation_value=NAME "
            "(one relation for every row), not both or neither"
        )
