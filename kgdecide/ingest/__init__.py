"""Readers that feed files into a :class:`~kgdecide.graph.builder.GraphBuilder`.

Every reader has the signature of :data:`Reader`. A malformed record raises
:class:`~kgdecide.errors.IngestError` naming file, line and reason, unless ``skip_bad`` is set, in
which case it is counted in the report and reading goes on. Readers never write a snapshot: the
caller does, once everything was read, so a failed ingest leaves the current snapshot untouched.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kgdecide.errors import ConfigError
from kgdecide.graph.builder import GraphBuilder
from kgdecide.progress import Advance, no_progress

#: How many skipped lines a report quotes (the count covers them all).
SKIPPED_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class IngestOptions:
    skip_bad: bool = False  #: count and skip malformed records instead of stopping
    advance: Advance = no_progress  #: called with the number of input bytes consumed
    #: CSV/TSV edge lists: role -> column name; roles ``subject``, ``object`` and either
    #: ``relation`` (a column) or ``relation_value`` (one relation for every row); any other
    #: key maps an edge property to a column.
    column_map: Mapping[str, str] = field(default_factory=dict)
    delimiter: str | None = None  #: CSV/TSV delimiter; by default from the file's ending


@dataclass(slots=True)
class IngestReport:
    path: Path
    format: str
    records: int = 0  #: triples, terms or rows read into the graph
    skipped: int = 0  #: malformed records skipped under ``skip_bad``
    skipped_examples: list[str] = field(default_factory=list)  #: "line N: reason", first few

    def skip(self, line: int | None, reason: str) -> None:
        self.skipped += 1
        if len(self.skipped_examples) < SKIPPED_EXAMPLES:
            self.skipped_examples.append(f"line {line}: {reason}" if line else reason)


Reader = Callable[[GraphBuilder, Path, IngestOptions], IngestReport]

#: Format name -> "module:function". Imported on use so the CLI starts fast.
FORMATS: dict[str, str] = {
    "nt": "kgdecide.ingest.rdf:read_ntriples",
    "ttl": "kgdecide.ingest.rdf:read_turtle",
    "rdfxml": "kgdecide.ingest.rdf:read_rdfxml",
    "jsonld": "kgdecide.ingest.rdf:read_jsonld",
    "obo": "kgdecide.ingest.obo:read_obo",
    "kgx": "kgdecide.ingest.kgx:read_kgx",
    "csv": "kgdecide.ingest.table:read_table",
    "tsv": "kgdecide.ingest.table:read_table",
}


def reader_for(format_name: str) -> Reader:
    """The reader of a format; ``ConfigError`` lists the known ones."""
    target = FORMATS.get(format_name.lower())
    if target is None:
        raise ConfigError(
            f"unknown format {format_name!r}; use one of: {', '.join(sorted(FORMATS))}"
        )
    module, function = target.split(":")
    reader: Reader = getattr(importlib.import_module(module), function)
    return reader
