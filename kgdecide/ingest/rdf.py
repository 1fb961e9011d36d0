"""RDF files (N-Triples, Turtle, RDF/XML, JSON-LD) into the property graph: the parsers.

Each reader parses a file into interned columns (:class:`~kgdecide.graph.rdf_mapping.Triples`)
and hands them to :func:`~kgdecide.graph.rdf_mapping.apply_triples`, whose docstring gives the
mapping onto nodes, labels, types, properties and edges (the RDF store reads its triples through
the same mapping).

Parsing is Oxigraph's, for all four formats (rdflib is not needed: pyoxigraph 0.5 reads JSON-LD
too, though only with inline contexts, since nothing is fetched at run time), in its default
strict mode (IRIs and language tags are checked).

N-Triples goes through the native extension ``kgdecide_native`` (the ``native/`` folder of the
repository: Oxigraph's parser crate ``oxttl``, the version pyoxigraph is built from) when it is
installed: it parses on ``THREADS`` threads without the GIL and hands over interned columns,
one Python string per *unique* term and integer arrays for the triples. Without it, or with the
environment variable ``KGDECIDE_NATIVE=0``, pyoxigraph parses and every triple becomes Python
objects (three terms and a triple) that are then interned one by one, which makes the fallback
two to three times slower (docs/BENCHMARKS.md); ``KGDECIDE_NATIVE=1`` makes a missing extension
an error instead. Both paths cut the file into the same blocks, read the same triples and name
the same bad lines.

Bad input: a malformed line raises :class:`~kgdecide.errors.IngestError` with its line (and
column) and nothing is added. With ``skip_bad``:

* N-Triples skips exactly the bad lines and counts them (a block of lines that fails to parse is
  parsed again line by line);
* Turtle resumes after the statement that failed (at the next line ending in ``.``), keeping the
  prefixes declared so far; each failure counts as one skipped record, and triples of the broken
  statement read before the error are kept;
* RDF/XML and JSON-LD cannot resume inside a document: the triples read before the error are kept
  and the rest of the file counts as one skipped record.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyoxigraph as ox

from kgdecide.errors import ConfigError, IngestError
from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.rdf_mapping import TRIPLE_TERMS, TripleCollector, Triples, apply_triples, int_column
from kgdecide.ingest import IngestOptions, IngestReport

#: Bytes of N-Triples parsed at a time (the block ends at the next line end); progress advances
#: per block.
BLOCK_BYTES = 4 << 20
#: Parser threads of the native N-Triples path.
THREADS = 2
#: ``0``: never use the native N-Triples parser; ``1``: require it; unset: use it if installed.
NATIVE_ENV = "KGDECIDE_NATIVE"


# --- N-Triples -----------------------------------------------------------------------------------


def _native_parser() -> Callable[..., dict[str, Any]] | None:
    """``kgdecide_native.parse_ntriples``, or None when absent or switched off."""
    wanted = os.environ.get(NATIVE_ENV, "").strip()
    if wanted == "0":
        return None
    try:
        import kgdecide_native
    except ImportError as e:
        if wanted == "1":
            raise ConfigError(
                f"{NATIVE_ENV}=1 but the native N-Triples parser is not installed ({e}); install "
                "it with `pip install ./native` (needs cargo) or unset the variable"
            ) from e
        return None
    parse: Callable[..., dict[str, Any]] = kgdecide_native.parse_ntriples
    return parse


def _parse_nt_native(
    parse: Callable[..., dict[str, Any]], path: Path, options: IngestOptions
) -> Triples:
    out = parse(str(path), skip_bad=options.skip_bad, progress=options.advance,
                block_bytes=BLOCK_BYTES, threads=THREADS)
    return _from_native(out)


def _from_native(out: dict[str, Any]) -> Triples:
    """The columns ``kgdecide_native.parse_ntriples`` returns, as :class:`Triples`."""
    return Triples(
        out["terms"], np.frombuffer(out["term_blank"], dtype=np.uint8).astype(bool),
        out["predicates"], int_column(out["edge_s"]), int_column(out["edge_p"]),
        int_column(out["edge_o"]), int_column(out["lit_s"]), int_column(out["lit_p"]),
        out["lit_value"], int_column(out["lit_datatype"]), out["datatypes"],
        int_column(out["lit_lang"]), out["langs"],
        [(line, f"column {column}: {message}") for line, column, message in out["bad"]],
    )


def _parse_nt_python(path: Path, options: IngestOptions) -> Triples:
    """The same blocks and the same line-by-line retry as the native path, with pyoxigraph."""
    collector = TripleCollector()
    offset = 0  # lines before the block
    for data in _nt_blocks(path, BLOCK_BYTES):
        triples = _parse_nt_text(data)
        if triples is not None:
            for triple in triples:
                collector.add(triple)
        else:
            _parse_lines(collector, data, offset)
        offset += data.count(b"\n") + (not data.endswith(b"\n"))
        options.advance(len(data))
        if collector.bad and not options.skip_bad:
            break  # the first bad line stops the ingest: no need to read on
    return collector.triples()


def _parse_nt_text(data: bytes) -> list[ox.Triple] | None:
    """The triples of whole lines, or None if any line is bad or holds a triple term."""
    try:
        triples = list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
    except SyntaxError:
        return None
    if any(isinstance(t.object, ox.Triple) for t in triples):
        return None
    return triples


def _parse_lines(collector: TripleCollector, data: bytes, offset: int) -> None:
    # Split at \n only, as the native parser does (str.splitlines would split at \r too).
    for i, line in enumerate(data.split(b"\n"), start=offset + 1):
        try:
            triples = list(ox.parse(line, format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as e:
            collector.bad.append((i, _reason(e)))
            continue
        if any(isinstance(t.object, ox.Triple) for t in triples):
            collector.bad.append((i, f"column 1: {TRIPLE_TERMS}"))
            continue
        for triple in triples:
            collector.add(triple)


def _nt_blocks(path: Path, block_bytes: int) -> Iterator[bytes]:
    """The file in blocks of whole lines (a block ends after its last ``\\n``)."""
    with open(path, "rb") as f:
        rest = b""
        while True:
            data = f.read(block_bytes)
            if not data:
                if rest:
                    yield rest
                return
            data = rest + data
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            rest = data[cut:]
            yield data[:cut]


def _reason(error: SyntaxError) -> str:
    message = str(error.args[0]) if error.args else str(error)
    reason = message.split(": ", 1)[1] if message.startswith("Parser error") else message
    return f"column {error.offset}: {reason}" if error.offset else reason


# --- bad lines ---------------------------------------------------------------------------------


def _check_bad(triples: Triples, path: Path, options: IngestOptions, report: IngestReport) -> None:
    for line, reason in sorted(triples.bad):
        if not options.skip_bad:
            raise IngestError(path, line, reason)
        report.skip(line, reason)


# --- the readers --------------------------------------------------------------------------------


def read_ntriples(builder: GraphBuilder, path: Path, options: IngestOptions) -> IngestReport:
    """Read an N-Triples file (the two parsers: the module docstring; the mapping:
    :func:`~kgdecide.graph.rdf_mapping.apply_triples`).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "one.nt"
    ...     _ = path.write_text('<http://purl.obolibrary.org/obo/HP_1> '
    ...                         '<http://www.w3.org/2000/01/rdf-schema#label> "Seizure" .\\n')
    ...     builder = GraphBuilder("demo")
    ...     report = read_ntriples(builder, path, IngestOptions())
    >>> report.records, builder.build().node(0).label
    (1, 'Seizure')
    """
    path = Path(path)
    report = IngestReport(path, "nt")
    parse = _native_parser()
    if parse is not None:
        triples = _parse_nt_native(parse, path, options)
    else:
        triples = _parse_nt_python(path, options)
    _check_bad(triples, path, options, report)
    report.records += apply_triples(builder, triples)
    return report


def read_turtle(builder: GraphBuilder, path: Path, options: IngestOptions) -> IngestReport:
    """Read a Turtle file; ``skip_bad`` resumes after a failed statement."""
    return _read_document(builder, Path(path), options, "ttl", ox.RdfFormat.TURTLE)


def read_rdfxml(builder: GraphBuilder, path: Path, options: IngestOptions) -> IngestReport:
    """Read an RDF/XML file; ``skip_bad`` keeps the triples read before an error."""
    return _read_document(builder, Path(path), options, "rdfxml", ox.RdfFormat.RDF_XML)


def read_jsonld(builder: GraphBuilder, path: Path, options: IngestOptions) -> IngestReport:
    """Read a JSON-LD file (inline ``@context`` only); ``skip_bad`` as for RDF/XML."""
    return _read_document(builder, Path(path), options, "jsonld", ox.RdfFormat.JSON_LD)


def _read_document(
    builder: GraphBuilder, path: Path, options: IngestOptions, name: str, fmt: ox.RdfFormat
) -> IngestReport:
    report = IngestReport(path, name)
    data = path.read_bytes()
    collector = TripleCollector()
    base = path.resolve().as_uri()
    counting = _Counting(io.BytesIO(data), options)
    source: IO[bytes] | bytes = counting
    header_lines, offset = 0, 0  # on resuming: prefix lines added, original lines dropped
    while True:
        parser = ox.parse(source, format=fmt, base_iri=base)
        try:
            for triple in parser:
                collector.add(triple)
            break
        except SyntaxError as e:
            line = (e.lineno or 1) - header_lines + offset
            collector.bad.append((line, _reason(e)))
            if fmt != ox.RdfFormat.TURTLE or not options.skip_bad:
                break
            rest, offset = _after_statement(data, line)
            if rest is None:
                break
            prefixes = parser.prefixes or {}
            header = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items())
            header_lines = len(prefixes)
            source = header.encode() + rest
    options.advance(len(data) - counting.consumed)
    triples = collector.triples()
    _check_bad(triples, path, options, report)
    report.records += apply_triples(builder, triples)
    return report


def _after_statement(data: bytes, line: int) -> tuple[bytes | None, int]:
    """The text after the first line at or after ``line`` (1-based) that ends a statement."""
    lines = data.split(b"\n")
    for i in range(line - 1, len(lines)):
        if lines[i].rstrip().endswith(b"."):
            return b"\n".join(lines[i + 1 :]), i + 1
    return None, len(lines)


class _Counting(io.RawIOBase):
    """A reader that reports the bytes pyoxigraph consumes as progress."""

    def __init__(self, inner: IO[bytes], options: IngestOptions) -> None:
        self._inner = inner
        self._advance = options.advance
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        self._advance(len(data))
        self.consumed += len(data)
        return len(data)
