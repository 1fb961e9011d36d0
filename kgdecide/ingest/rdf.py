"""RDF files (N-Triples, Turtle, RDF/XML, JSON-LD) into the property graph.

Mapping, triple by triple (predicates and classes are compared as CURIEs, see
:mod:`kgdecide.curie`):

* ``rdfs:label`` / ``skos:prefLabel`` with a literal -> the node's label. The first one in the
  file wins; further distinct labels (other languages, say) become synonyms.
* ``skos:altLabel`` and ``oboInOwl:has{Exact,Related,Broad,Narrow}Synonym`` -> synonyms.
* ``rdf:type C`` -> the node type, :func:`~kgdecide.curie.type_name` of ``C`` (``kgd:Disease``
  gives ``Disease``, ``owl:Class`` stays ``owl:Class``). With several types, the first one
  outside the ``owl:``/``rdfs:``/``rdf:`` vocabularies wins (``owl:NamedIndividual`` gives way to
  the individual's class); the others are kept in the property ``rdf:type`` (a tuple).
* Any other literal -> a node property keyed by the predicate's CURIE (``kgd:`` terms by their
  local name, so ``kgd:definition`` gives ``definition``); numbers typed ``xsd:double``,
  ``xsd:integer``, ... become floats, everything else a string (language tags are dropped). A
  key seen more than once for a node holds a tuple of its values, in file order.
* An IRI or blank-node object -> an edge; the relation is
  :func:`~kgdecide.curie.relation_name` of the predicate (``rdfs:subClassOf`` gives ``is_a``,
  ``kgd:has_phenotype`` gives ``has_phenotype``, anything else its CURIE). RDF has no edge
  properties, so edges read from RDF have none.
* Node ids are the CURIEs of the IRIs (or the IRIs themselves where no prefix fits). Blank nodes
  become ``_:b0``, ``_:b1``, ... numbered in the order the reader meets them, so a file read again
  gives the same ids; the k-th RDF file read into the same builder (k >= 2) gets
  ``_:b<k>.<n>``, so blank nodes of different files never merge.

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
the same bad lines. The mapping above runs on those columns with numpy.

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
import weakref
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyoxigraph as ox

from kgdecide.curie import compress, node_id, relation_name, schema_name, type_name
from kgdecide.errors import ConfigError, IngestError
from kgdecide.graph.builder import GraphBuilder
from kgdecide.ingest import IngestOptions, IngestReport
from kgdecide.types import PropertyValue

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_OBO_IN_OWL = "http://www.geneontology.org/formats/oboInOwl#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_TYPE = f"{_RDF}type"
_LABELS = {f"{_RDFS}label", f"{_SKOS}prefLabel"}
_SYNONYMS = {f"{_SKOS}altLabel"} | {
    f"{_OBO_IN_OWL}has{kind}Synonym" for kind in ("Exact", "Related", "Broad", "Narrow")
}
_NUMBERS = {
    f"{_XSD}{name}"
    for name in (
        "double float decimal integer int long short byte nonNegativeInteger positiveInteger "
        "negativeInteger nonPositiveInteger unsignedLong unsignedInt unsignedShort unsignedByte"
    ).split()
}
#: Classes from these vocabularies give way to a domain class as the node type.
_GENERIC_CLASSES = ("http://www.w3.org/2002/07/owl#", _RDFS, _RDF)

#: Bytes of N-Triples parsed at a time (the block ends at the next line end); progress advances
#: per block.
BLOCK_BYTES = 4 << 20
#: Parser threads of the native N-Triples path.
THREADS = 2
#: ``0``: never use the native N-Triples parser; ``1``: require it; unset: use it if installed.
NATIVE_ENV = "KGDECIDE_NATIVE"

_LABEL, _SYNONYM, _TYPE_KIND, _OTHER = 0, 1, 2, 3

#: Why a line with an RDF 1.2 triple term is skipped (the property graph has no place for it);
#: the native parser gives the same reason.
TRIPLE_TERMS = "RDF 1.2 triple terms (<<( ... )>>) are not supported"

# How many RDF files each builder has read, for blank-node ids that differ between files.
_FILES_READ: weakref.WeakKeyDictionary[GraphBuilder, int] = weakref.WeakKeyDictionary()


# --- triples as columns ------------------------------------------------------------------------


def _ints(values: Sequence[int] | bytes | None = None) -> np.ndarray:
    if isinstance(values, bytes):  # little-endian uint32 from the native parser
        return np.frombuffer(values, dtype="<u4").astype(np.int64)
    return np.array(values if values is not None else [], dtype=np.int64)


@dataclass(slots=True)
class _Triples:
    """The triples of one file with their terms interned, in file order.

    Terms are IRIs, or ``_:label`` for blank nodes (``blank`` tells which: a relative IRI such as
    ``_:x`` cannot occur, but the flag saves the guess). Literals carry a datatype IRI and a
    language tag (``""`` for none) by index into ``datatypes`` and ``langs``. ``bad`` holds
    (line, reason) of malformed lines, lines counted from 1.
    """

    terms: list[str] = field(default_factory=list)
    blank: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    predicates: list[str] = field(default_factory=list)
    edge_s: np.ndarray = field(default_factory=_ints)
    edge_p: np.ndarray = field(default_factory=_ints)
    edge_o: np.ndarray = field(default_factory=_ints)
    lit_s: np.ndarray = field(default_factory=_ints)
    lit_p: np.ndarray = field(default_factory=_ints)
    lit_value: list[str] = field(default_factory=list)
    lit_datatype: np.ndarray = field(default_factory=_ints)
    datatypes: list[str] = field(default_factory=list)
    lit_lang: np.ndarray = field(default_factory=_ints)
    langs: list[str] = field(default_factory=lambda: [""])
    bad: list[tuple[int, str]] = field(default_factory=list)

    @classmethod
    def from_native(cls, out: dict[str, Any]) -> _Triples:
        """From what ``kgdecide_native.parse_ntriples`` returns."""
        return cls(
            out["terms"], np.frombuffer(out["term_blank"], dtype=np.uint8).astype(bool),
            out["predicates"], _ints(out["edge_s"]), _ints(out["edge_p"]), _ints(out["edge_o"]),
            _ints(out["lit_s"]), _ints(out["lit_p"]), out["lit_value"],
            _ints(out["lit_datatype"]), out["datatypes"], _ints(out["lit_lang"]), out["langs"],
            [(line, f"column {column}: {message}") for line, column, message in out["bad"]],
        )


class _Collector:
    """Builds :class:`_Triples` from pyoxigraph's triples, one Python object at a time (the
    path of Turtle, RDF/XML, JSON-LD and of N-Triples without the native parser)."""

    def __init__(self) -> None:
        self.terms: dict[str, int] = {}
        self.blank: list[bool] = []
        self.predicates: dict[str, int] = {}
        self.datatypes: dict[str, int] = {}
        self.langs: dict[str, int] = {"": 0}
        self.edges: tuple[list[int], list[int], list[int]] = ([], [], [])
        self.lits: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
        self.values: list[str] = []
        self.bad: list[tuple[int, str]] = []

    def add(self, triple: ox.Triple | ox.Quad) -> None:
        o = triple.object
        if isinstance(o, ox.Triple):  # checked first: a refused triple interns no term
            raise ValueError(f"{TRIPLE_TERMS} ({o})")
        s = self._term(triple.subject)
        p = self.predicates.setdefault(triple.predicate.value, len(self.predicates))
        if isinstance(o, ox.Literal):
            language = o.language or ""
            datatype = self.datatypes.setdefault(o.datatype.value, len(self.datatypes))
            lang = self.langs.setdefault(language, len(self.langs))
            for column, value in zip(self.lits, (s, p, datatype, lang)):
                column.append(value)
            self.values.append(o.value)
        else:
            for column, value in zip(self.edges, (s, p, self._term(o))):
                column.append(value)

    def _term(self, term: object) -> int:
        if isinstance(term, ox.NamedNode):
            key, blank = term.value, False
        elif isinstance(term, ox.BlankNode):
            key, blank = f"_:{term.value}", True
        else:
            raise ValueError(f"{TRIPLE_TERMS} ({term})")
        index = self.terms.setdefault(key, len(self.terms))
        if index == len(self.blank):
            self.blank.append(blank)
        return index

    def triples(self) -> _Triples:
        return _Triples(
            list(self.terms), np.array(self.blank, dtype=bool), list(self.predicates),
            *(_ints(c) for c in self.edges), _ints(self.lits[0]), _ints(self.lits[1]),
            self.values, _ints(self.lits[2]), list(self.datatypes), _ints(self.lits[3]),
            list(self.langs), self.bad,
        )


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
) -> _Triples:
    out = parse(str(path), skip_bad=options.skip_bad, progress=options.advance,
                block_bytes=BLOCK_BYTES, threads=THREADS)
    return _Triples.from_native(out)


def _parse_nt_python(path: Path, options: IngestOptions) -> _Triples:
    """The same blocks and the same line-by-line retry as the native path, with pyoxigraph."""
    collector = _Collector()
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


def _parse_lines(collector: _Collector, data: bytes, offset: int) -> None:
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


# --- the mapping into the builder ---------------------------------------------------------------


def _check_bad(triples: _Triples, path: Path, options: IngestOptions, report: IngestReport) -> None:
    for line, reason in sorted(triples.bad):
        if not options.skip_bad:
            raise IngestError(path, line, reason)
        report.skip(line, reason)


def _apply(builder: GraphBuilder, t: _Triples, report: IngestReport) -> None:
    """Map the file's triples onto nodes, labels, types, properties and edges."""
    kinds = np.array(
        [_LABEL if p in _LABELS else _SYNONYM if p in _SYNONYMS else _TYPE_KIND if p == _TYPE
         else _OTHER for p in t.predicates] or [0],
        dtype=np.int8,
    )
    names = [compress(p) for p in t.predicates]
    # rdf:type with an IRI object sets a type; with a blank node (an OWL class expression) it
    # stays an edge.
    typing = (kinds[t.edge_p] == _TYPE_KIND) & ~t.blank[t.edge_o]
    node = np.zeros(len(t.terms), dtype=bool)
    node[t.edge_s] = True
    node[t.lit_s] = True
    node[t.edge_o[~typing]] = True
    row = np.full(len(t.terms), -1, dtype=np.int64)
    node_terms = np.flatnonzero(node)
    row[node_terms] = builder.intern_many(_node_ids(builder, t, node_terms))
    _add_edges(builder, t, ~typing, row, names)
    _add_types(builder, t, typing, row)
    _add_literals(builder, t, kinds, names, row)
    report.records += len(t.edge_s) + len(t.lit_s)


def _node_ids(builder: GraphBuilder, t: _Triples, node_terms: np.ndarray) -> list[str]:
    """Ids of the node terms: CURIEs for IRIs; ``_:b<n>`` (``_:b<k>.<n>`` for the k-th file) for
    blank nodes, numbered in the order the file shows them."""
    files = _FILES_READ.get(builder, 0) + 1
    _FILES_READ[builder] = files
    terms = t.terms
    ids = list(map(node_id, [terms[g] for g in node_terms.tolist()]))  # blank ones replaced below
    blank_nodes = np.flatnonzero(t.blank[node_terms])
    if len(blank_nodes):
        number = (np.cumsum(t.blank) - 1)[node_terms[blank_nodes]]
        stem = "_:b" if files == 1 else f"_:b{files}."
        for i, n in zip(blank_nodes.tolist(), number.tolist()):
            ids[i] = f"{stem}{n}"
    return ids


def _add_edges(
    builder: GraphBuilder, t: _Triples, keep: np.ndarray, row: np.ndarray, names: list[str]
) -> None:
    p = t.edge_p[keep]
    s, o = row[t.edge_s[keep]], row[t.edge_o[keep]]
    order = np.argsort(p, kind="stable")
    p, s, o = p[order], s[order], o[order]
    bounds = np.flatnonzero(np.diff(p)) + 1
    starts = [0, *bounds.tolist()]
    ends = [*bounds.tolist(), len(p)]
    for lo, hi in zip(starts, ends):
        if hi > lo:
            relation = relation_name(names[int(p[lo])])
            builder.add_edge_rows(relation, _int_array(s[lo:hi]), _int_array(o[lo:hi]))


def _int_array(values: np.ndarray) -> array[int]:
    out = array("q")
    out.frombytes(values.astype(np.int64).tobytes())
    return out


def _add_types(builder: GraphBuilder, t: _Triples, typing: np.ndarray, row: np.ndarray) -> None:
    s, o = t.edge_s[typing], t.edge_o[typing]
    if not len(s):
        return
    classes, o_index = np.unique(o, return_inverse=True)
    class_terms = [t.terms[g] for g in classes.tolist()]
    generic = np.array([c.startswith(_GENERIC_CLASSES) for c in class_terms], dtype=bool)[o_index]
    class_names = [type_name(compress(c)) for c in class_terms]
    # Per subject: domain classes before generic ones, each in file order.
    order = np.lexsort((np.arange(len(s)), generic, s))
    s, o_index = s[order], o_index[order]
    first = np.ones(len(s), dtype=bool)
    first[1:] = s[1:] != s[:-1]
    builder.set_types(
        row[s[first]].tolist(), [class_names[c] for c in o_index[first].tolist()]
    )
    extra: dict[int, list[str]] = {}
    for subject, c in zip(s[~first].tolist(), o_index[~first].tolist()):
        extra.setdefault(subject, []).append(class_names[c])
    for subject, more in extra.items():
        builder.merge_properties(int(row[subject]), {"rdf:type": tuple(dict.fromkeys(more))})


def _add_literals(
    builder: GraphBuilder, t: _Triples, kinds: np.ndarray, names: list[str], row: np.ndarray
) -> None:
    kind = kinds[t.lit_p]
    values = t.lit_value
    # Labels: the first label literal of each subject, in file order.
    labelled = np.flatnonzero(kind == _LABEL)
    label_subjects, first = np.unique(t.lit_s[labelled], return_index=True)
    label_at = labelled[first]  # literal index of each subject's label
    builder.set_labels(row[label_subjects].tolist(), [values[i] for i in label_at.tolist()])
    # Synonyms: other label literals and synonym literals, except a repeat of the label already
    # read at that point of the file.
    label_of = np.full(len(t.terms), -1, dtype=np.int64)
    label_of[label_subjects] = label_at
    is_label = np.zeros(len(values), dtype=bool)
    is_label[label_at] = True
    candidates = np.flatnonzero(((kind == _LABEL) | (kind == _SYNONYM)) & ~is_label)
    at = label_of[t.lit_s[candidates]]
    # Only a candidate after its subject's label may repeat it; compare those strings.
    maybe_repeat = ((at >= 0) & (at < candidates)).tolist()
    keep = [
        not (late and values[i] == values[a])
        for i, a, late in zip(candidates.tolist(), at.tolist(), maybe_repeat)
    ]
    synonyms = candidates[np.array(keep, dtype=bool)] if keep else candidates
    builder.add_synonyms(row[t.lit_s[synonyms]].tolist(), [values[i] for i in synonyms.tolist()])
    _add_properties(builder, t, np.flatnonzero(kind == _OTHER), names, row)


def _add_properties(
    builder: GraphBuilder, t: _Triples, rest: np.ndarray, names: list[str], row: np.ndarray
) -> None:
    """Other literals: properties by predicate, numbers as floats, repeats as tuples."""
    if not len(rest):
        return
    numeric = np.array([d in _NUMBERS for d in t.datatypes] or [False], dtype=bool)
    keys = [schema_name(n) for n in names]
    # Group by key (predicates with the same key together), then by subject, in file order.
    key_code = np.unique(np.array(keys, dtype=object), return_inverse=True)[1]
    p = t.lit_p[rest]
    order = np.lexsort((rest, t.lit_s[rest], key_code[p]))
    rest, p = rest[order], p[order]
    s = t.lit_s[rest]
    k = key_code[p]
    starts = np.flatnonzero(np.r_[True, (k[1:] != k[:-1]) | (s[1:] != s[:-1])])
    run_ends = np.r_[starts[1:], len(rest)]
    values = _literal_values(t, rest, numeric[t.lit_datatype[rest]])
    key_starts = np.flatnonzero(np.r_[True, k[starts[1:]] != k[starts[:-1]]])
    key_ends = np.r_[key_starts[1:], len(starts)]
    for lo, hi in zip(key_starts.tolist(), key_ends.tolist()):
        key = keys[int(p[starts[lo]])]
        merged: list[PropertyValue] = [
            values[a] if b - a == 1 else tuple(str(x) for x in values[a:b])
            for a, b in zip(starts[lo:hi].tolist(), run_ends[lo:hi].tolist())
        ]
        builder.merge_property(key, row[s[starts[lo:hi]]].tolist(), merged)


def _literal_values(t: _Triples, rest: np.ndarray, number: np.ndarray) -> list[PropertyValue]:
    """The literals ``rest``: floats where typed as numbers and readable as such, else text."""
    out: list[PropertyValue] = [t.lit_value[i] for i in rest.tolist()]
    for j in np.flatnonzero(number).tolist():
        try:
            out[j] = float(out[j])  # type: ignore[arg-type]
        except ValueError:
            pass
    return out


# --- the readers --------------------------------------------------------------------------------


def read_ntriples(builder: GraphBuilder, path: Path, options: IngestOptions) -> IngestReport:
    """Read an N-Triples file (see the module docstring for the mapping and the two parsers).

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
    _apply(builder, triples, report)
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
    collector = _Collector()
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
    _apply(builder, triples, report)
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
