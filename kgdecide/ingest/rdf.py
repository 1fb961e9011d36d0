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

Parsing is pyoxigraph's, for all four formats (rdflib is not needed: pyoxigraph 0.5 reads JSON-LD
too, though only with inline contexts, since nothing is fetched at run time).

N-Triples takes a fast path: the file is read in line-aligned blocks, numpy finds the three terms
of every line in one pass, and lines of the plain form ``<s> <p> <o> .`` or ``<s> <p> "text" .``
(optionally ``@lang`` or ``^^<datatype>``, no escapes) are split without creating a Python object
per term. Every other line (blank nodes, escapes, comments, odd spacing, errors) goes through
pyoxigraph. The fast path checks what N-Triples allows in each term but, like pyoxigraph's lenient
mode, not the finer IRI syntax of RFC 3987 or the shape of language tags.

Bad input: a malformed line raises :class:`~kgdecide.errors.IngestError` with its line (and
column) and nothing is added. With ``skip_bad``:

* N-Triples skips exactly the bad lines and counts them;
* Turtle resumes after the statement that failed (at the next line ending in ``.``), keeping the
  prefixes declared so far; each failure counts as one skipped record, and triples of the broken
  statement read before the error are kept;
* RDF/XML and JSON-LD cannot resume inside a document: the triples read before the error are kept
  and the rest of the file counts as one skipped record.
"""

from __future__ import annotations

import io
import re
import weakref
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pyoxigraph as ox

from kgdecide.curie import compress, node_id, relation_name, schema_name, type_name
from kgdecide.errors import IngestError
from kgdecide.graph.builder import GraphBuilder
from kgdecide.ingest import IngestOptions, IngestReport
from kgdecide.types import PropertyValue

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_OBO_IN_OWL = "http://www.geneontology.org/formats/oboInOwl#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_TYPE = f"<{_RDF}type>"
_LABELS = {f"<{_RDFS}label>", f"<{_SKOS}prefLabel>"}
_SYNONYMS = {f"<{_SKOS}altLabel>"} | {
    f"<{_OBO_IN_OWL}has{kind}Synonym>" for kind in ("Exact", "Related", "Broad", "Narrow")
}
_NUMBERS = {
    f"^^<{_XSD}{name}>"
    for name in (
        "double float decimal integer int long short byte nonNegativeInteger positiveInteger "
        "negativeInteger nonPositiveInteger unsignedLong unsignedInt unsignedShort unsignedByte"
    ).split()
}
#: Classes from these vocabularies give way to a domain class as the node type.
_GENERIC_CLASSES = ("<http://www.w3.org/2002/07/owl#", f"<{_RDFS}", f"<{_RDF}")

#: Bytes read per N-Triples block (the block ends at the next line end).
BLOCK_BYTES = 8 << 20

_LABEL, _SYNONYM, _TYPE_KIND, _OTHER = 0, 1, 2, 3

# Byte classes the fast path counts per line segment (0: nothing to count).
_SPACE, _LT, _GT, _QUOTE, _BACKSLASH, _COLON, _CONTROL, _TAB, _FORBIDDEN, _CARET = range(1, 11)
_CLASSES = 11
_CLASS = np.zeros(256, dtype=np.uint8)
_CLASS[list(range(0x20))] = _CONTROL
_CLASS[[ord("\t"), ord("\n")]] = [_TAB, 0]
for _byte, _code in ((" ", _SPACE), ("<", _LT), (">", _GT), ('"', _QUOTE), ("\\", _BACKSLASH),
                     (":", _COLON), ("^", _CARET), ("{", _FORBIDDEN), ("}", _FORBIDDEN),
                     ("|", _FORBIDDEN), ("`", _FORBIDDEN)):
    _CLASS[ord(_byte)] = _code
_LETTER = np.zeros(256, dtype=bool)
_LETTER[[*range(ord("a"), ord("z") + 1), *range(ord("A"), ord("Z") + 1)]] = True

# How many RDF files each builder has read, for blank-node ids that differ between files.
_FILES_READ: weakref.WeakKeyDictionary[GraphBuilder, int] = weakref.WeakKeyDictionary()


# --- triples as columns ------------------------------------------------------------------------


@dataclass(slots=True)
class _Block:
    """Triples of one stretch of a file, terms interned locally. Terms are N-Triples tokens:
    ``<iri>`` or ``_:label``; literals are (value, suffix) with suffix ``""``, ``@lang`` or
    ``^^<datatype>``. Lines count from 0 within the block."""

    lines: int = 0
    terms: list[str] = field(default_factory=list)
    predicates: list[str] = field(default_factory=list)
    edge_line: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    edge_s: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    edge_p: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    edge_o: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    lit_line: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    lit_s: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    lit_p: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    lit_value: list[str] = field(default_factory=list)
    lit_suffix: list[str] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)  #: (line, reason)


class _Collector:
    """Builds a :class:`_Block` one triple at a time (the slow path)."""

    def __init__(self) -> None:
        self.terms: dict[str, int] = {}
        self.predicates: dict[str, int] = {}
        self.edges: tuple[list[int], ...] = ([], [], [], [])
        self.lits: tuple[list[int], ...] = ([], [], [])
        self.values: list[str] = []
        self.suffixes: list[str] = []
        self.bad: list[tuple[int, str]] = []

    def add(self, line: int, triple: ox.Triple | ox.Quad) -> None:
        terms, predicates = self.terms, self.predicates
        s = terms.setdefault(_token(triple.subject), len(terms))
        p = predicates.setdefault(f"<{triple.predicate.value}>", len(predicates))
        o = triple.object
        if isinstance(o, ox.Literal):
            for column, value in zip(self.lits, (line, s, p)):
                column.append(value)
            self.values.append(o.value)
            if o.language:
                self.suffixes.append("@" + o.language)
            else:
                datatype = o.datatype.value
                self.suffixes.append("" if datatype == _XSD + "string" else f"^^<{datatype}>")
        else:
            o_id = terms.setdefault(_token(o), len(terms))
            for column, value in zip(self.edges, (line, s, p, o_id)):
                column.append(value)

    def block(self, lines: int) -> _Block:
        def ints(values: list[int]) -> np.ndarray:
            return np.array(values, dtype=np.int64)

        return _Block(
            lines, list(self.terms), list(self.predicates),
            *(ints(c) for c in self.edges), *(ints(c) for c in self.lits),
            self.values, self.suffixes, self.bad,
        )


def _token(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    raise ValueError(f"RDF-star quoted triples are not supported ({term})")


# --- N-Triples: the fast path ------------------------------------------------------------------


def _parse_nt_block(data: bytes) -> _Block:
    """Parse a block of whole N-Triples lines.

    Each line is cut at its first two spaces and, for a literal, after its last quote, into four
    segments: subject, `` <predicate>``, `` object`` and the rest (`` .``, or ``@lang .`` /
    ``^^<datatype> .`` after a literal). One pass counts the bytes of each class in every segment;
    a line is fast when those counts and a few fixed bytes are exactly what the plain form has.
    """
    if not data:
        return _Block()
    if not data.endswith(b"\n"):
        data += b"\n"
    n = len(data)
    a = np.frombuffer(data + b"\0\0\0\0", dtype=np.uint8)  # padding: look-ahead never overruns
    newlines = np.flatnonzero(a[:n] == 10)
    starts = np.concatenate(([0], newlines[:-1] + 1))
    crlf = (a[newlines - 1] == 13) & (newlines > starts)
    ends = newlines - crlf  # the line without its final \r
    classes = _CLASS[a[:n]]
    classes[ends[crlf]] = 0
    where = np.flatnonzero(classes)
    kind = classes[where]
    spaces = where[kind == _SPACE]
    quotes = where[kind == _QUOTE]
    k = np.searchsorted(spaces, starts)
    padded = np.concatenate((spaces, [n, n]))
    sp1 = np.clip(padded[k], starts, ends)
    sp2 = np.clip(padded[k + 1], sp1, ends)
    q = np.concatenate(([0], quotes))[np.searchsorted(quotes, ends)]  # last quote before the end
    is_literal = (a[sp2 + 1] == 34) & (q > sp2 + 1)
    x = np.clip(np.where(is_literal, q + 1, ends - 2), sp2, ends)
    bounds = np.stack((starts, sp1, sp2, x), axis=1).ravel()
    segment = np.searchsorted(bounds, where, side="right") - 1
    counts = np.bincount(segment * _CLASSES + kind, minlength=len(bounds) * _CLASSES)
    c = counts.reshape(len(starts), 4, _CLASSES)

    def iri(seg: int, lead: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Segment ``seg`` is ``lead`` spaces and one IRI with a scheme, ``lo``..``hi``."""
        seg_counts = c[:, seg]
        others = seg_counts.sum(axis=1) - seg_counts[:, _SPACE] - seg_counts[:, _COLON]
        return (
            (a[lo + lead] == 60) & (a[hi - 1] == 62) & _LETTER[a[lo + lead + 1]]
            & (seg_counts[:, _SPACE] == lead) & (seg_counts[:, _COLON] > 0)
            & (seg_counts[:, _LT] == 1) & (seg_counts[:, _GT] == 1) & (others == 2)
        )

    tail = c[:, 3]
    tail_total = tail.sum(axis=1)
    dot = (a[ends - 1] == 46) & (a[ends - 2] == 32) & (ends - starts >= 11)
    subject_predicate = iri(0, 0, starts, sp1) & iri(1, 1, sp1, sp2) & dot
    edge = subject_predicate & ~is_literal & iri(2, 1, sp2, x) & (tail_total == 1)
    value = c[:, 2]
    plain = x == ends - 2
    lang = (a[x] == 64) & _LETTER[a[x + 1]] & (tail_total == 1)
    typed = (
        (a[x] == 94) & (a[x + 1] == 94) & (a[x + 2] == 60) & (a[ends - 3] == 62)
        & _LETTER[a[x + 3]] & (tail[:, _CARET] == 2) & (tail[:, _LT] == 1)
        & (tail[:, _GT] == 1) & (tail_total - tail[:, _COLON] == 5) & (tail[:, _COLON] > 0)
    )
    literal = (
        subject_predicate & is_literal & (value[:, _QUOTE] == 2) & (value[:, _BACKSLASH] == 0)
        & (value[:, _CONTROL] == 0) & (tail[:, _SPACE] == 1) & ((plain & (tail_total == 1)) | lang | typed)
    )
    fast = edge | literal
    if not _is_utf8(data):  # send lines that are not UTF-8 to pyoxigraph, which names them
        for i in np.flatnonzero(fast).tolist():
            if not _is_utf8(data[starts[i] : newlines[i]]):
                edge[i] = literal[i] = False
    block = _Block(lines=len(starts))
    collector = _Collector()
    edge_rows, lit_rows = np.flatnonzero(edge), np.flatnonzero(literal)
    terms: dict[str, int] = {}
    predicates: dict[str, int] = {}
    lengths = newlines - starts + 1
    if len(edge_rows):
        mask = np.repeat(edge, lengths)  # whole lines: "<s> <p> <o> .\n" splits in four
        tokens = a[:n][mask].tobytes().decode("utf-8").split()
        block.edge_line = edge_rows.astype(np.int64)
        block.edge_s = _intern(terms, tokens[0::4])
        block.edge_p = _intern(predicates, tokens[1::4])
        block.edge_o = _intern(terms, tokens[2::4])
    if len(lit_rows):
        b = a.copy()
        # Separate subject, predicate, value and suffix by NUL (a fast line has none).
        for positions in (sp1, sp2, q, ends - 2):
            b[positions[lit_rows]] = 0
        mask = np.repeat(literal, lengths)
        for drop in (sp2 + 1, ends - 1, ends, newlines):  # opening quote, dot, \r, \n
            mask[drop[lit_rows]] = False
        tokens = b[:n][mask].tobytes().decode("utf-8").split("\0")[:-1]
        block.lit_line = lit_rows.astype(np.int64)
        block.lit_s = _intern(terms, tokens[0::4])
        block.lit_p = _intern(predicates, tokens[1::4])
        block.lit_value = tokens[2::4]
        block.lit_suffix = tokens[3::4]
    slow = np.flatnonzero(~(edge | literal)).tolist()
    collector.terms, collector.predicates = terms, predicates
    line_ends = newlines.tolist()
    starts_list = starts.tolist()
    _parse_slow_lines(collector, [(i, data[starts_list[i] : line_ends[i]]) for i in slow])
    block.terms, block.predicates = list(terms), list(predicates)
    slow_block = collector.block(block.lines)
    _append(block, slow_block)
    block.bad = slow_block.bad
    return block


def _intern(index: dict[str, int], tokens: list[str]) -> np.ndarray:
    for token in dict.fromkeys(tokens):
        if token not in index:
            index[token] = len(index)
    return np.fromiter(map(index.__getitem__, tokens), dtype=np.int64, count=len(tokens))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_BLANK_OR_COMMENT = re.compile(rb"\s*(#.*)?\s*")


def _parse_slow_lines(collector: _Collector, lines: list[tuple[int, bytes]]) -> None:
    """Lines the fast path left: parsed by pyoxigraph together, then one by one where a line
    does not give exactly one triple."""
    lines = [(i, text) for i, text in lines if not _BLANK_OR_COMMENT.fullmatch(text)]
    while lines:
        pending: list[ox.Quad] = []  # kept only once it is clear which line gave which triple
        try:
            for triple in ox.parse(b"\n".join(t for _, t in lines), format=ox.RdfFormat.N_TRIPLES):
                if len(pending) >= len(lines):
                    raise _Misaligned
                pending.append(triple)
            if len(pending) == len(lines):
                for (i, _), triple in zip(lines, pending):
                    collector.add(i, triple)
                return
        except SyntaxError as e:
            where = (e.lineno or len(pending) + 1) - 1
            if where == len(pending):
                for (i, _), triple in zip(lines, pending):
                    collector.add(i, triple)
                collector.bad.append((lines[where][0], _reason(e)))
                lines = lines[where + 1 :]
                continue
        except _Misaligned:
            pass
        _parse_one_by_one(collector, lines)  # some line gave no or several triples
        return


def _parse_one_by_one(collector: _Collector, lines: list[tuple[int, bytes]]) -> None:
    for i, text in lines:
        try:
            triples = list(ox.parse(text, format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as e:
            collector.bad.append((i, _reason(e)))
            continue
        for triple in triples:
            collector.add(i, triple)


class _Misaligned(Exception):
    pass


def _reason(error: SyntaxError) -> str:
    message = str(error.args[0]) if error.args else str(error)
    reason = message.split(": ", 1)[1] if message.startswith("Parser error") else message
    return f"column {error.offset}: {reason}" if error.offset else reason


def _append(block: _Block, more: _Block) -> None:
    """Add ``more`` (whose term ids already index ``block``'s tables) to ``block``."""
    for name in ("edge_line", "edge_s", "edge_p", "edge_o", "lit_line", "lit_s", "lit_p"):
        setattr(block, name, np.concatenate((getattr(block, name), getattr(more, name))))
    block.lit_value = block.lit_value + more.lit_value
    block.lit_suffix = block.lit_suffix + more.lit_suffix


def _nt_blocks(path: Path, block_bytes: int) -> Iterator[bytes]:
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


# --- the file-level table and the mapping into the builder --------------------------------------


class _FileTriples:
    """All triples of one file, terms interned file-wide, lines numbered from 1."""

    def __init__(self) -> None:
        self.term_index: dict[str, int] = {}
        self.pred_index: dict[str, int] = {}
        self.parts: list[_Block] = []
        self.lines = 0
        self.bad: list[tuple[int, str]] = []

    def add(self, block: _Block) -> None:
        terms = _remap(self.term_index, block.terms)
        preds = _remap(self.pred_index, block.predicates)
        offset = self.lines + 1
        self.parts.append(
            _Block(
                block.lines, [], [],
                block.edge_line + offset, terms[block.edge_s], preds[block.edge_p],
                terms[block.edge_o], block.lit_line + offset, terms[block.lit_s],
                preds[block.lit_p], block.lit_value, block.lit_suffix,
            )
        )
        self.bad.extend((line + offset, reason) for line, reason in block.bad)
        self.lines += block.lines

    def merged(self) -> _Block:
        out = _Block(self.lines, list(self.term_index), list(self.pred_index))
        for part in self.parts:
            _append(out, part)
        return out


def _remap(index: dict[str, int], local: list[str]) -> np.ndarray:
    return np.fromiter(
        (index.setdefault(t, len(index)) for t in local), dtype=np.int64, count=len(local)
    )


def _check_bad(triples: _FileTriples, path: Path, options: IngestOptions, report: IngestReport) -> None:
    for line, reason in sorted(triples.bad):
        if not options.skip_bad:
            raise IngestError(path, line, reason)
        report.skip(line, reason)


def _apply(builder: GraphBuilder, block: _Block, path: Path, report: IngestReport) -> None:
    """Map the file's triples onto nodes, labels, types, properties and edges."""
    terms, preds = block.terms, block.predicates
    kinds = np.array(
        [_LABEL if p in _LABELS else _SYNONYM if p in _SYNONYMS else _TYPE_KIND if p == _TYPE
         else _OTHER for p in preds] or [0],
        dtype=np.int8,
    )
    names = [_predicate_curie(p) for p in preds]
    is_blank = np.fromiter((t.startswith("_") for t in terms), dtype=bool, count=len(terms))
    # rdf:type with an IRI object sets a type; with a blank node (an OWL class expression) it
    # stays an edge.
    typing = (kinds[block.edge_p] == _TYPE_KIND) & ~is_blank[block.edge_o]
    node = np.zeros(len(terms), dtype=bool)
    node[block.edge_s] = True
    node[block.lit_s] = True
    node[block.edge_o[~typing]] = True
    ids = _node_ids(builder, terms, node, is_blank)
    node_gids = np.flatnonzero(node)
    row = np.full(len(terms), -1, dtype=np.int64)
    row[node_gids] = builder.intern_many([ids[g] for g in node_gids.tolist()])
    _add_edges(builder, block, ~typing, row, names)
    _add_types(builder, block, typing, ids)
    _add_literals(builder, block, kinds, names, ids)
    report.records += len(block.edge_s) + len(block.lit_s)


def _predicate_curie(token: str) -> str:
    return compress(token[1:-1])


def _node_ids(
    builder: GraphBuilder, terms: list[str], node: np.ndarray, is_blank: np.ndarray
) -> dict[int, str]:
    files = _FILES_READ.get(builder, 0) + 1
    _FILES_READ[builder] = files
    ids: dict[int, str] = {}
    blank = 0
    for g in np.flatnonzero(node | is_blank).tolist():
        token = terms[g]
        if token.startswith("_"):
            ids[g] = f"_:b{blank}" if files == 1 else f"_:b{files}.{blank}"
            blank += 1
        else:
            ids[g] = node_id(token[1:-1])
    return ids


def _add_edges(
    builder: GraphBuilder, block: _Block, keep: np.ndarray, row: np.ndarray, names: list[str]
) -> None:
    p = block.edge_p[keep]
    s, o = row[block.edge_s[keep]], row[block.edge_o[keep]]
    order = np.argsort(p, kind="stable")
    p, s, o = p[order], s[order], o[order]
    bounds = np.flatnonzero(np.diff(p)) + 1
    for lo, hi in zip(np.concatenate(([0], bounds)).tolist(), np.concatenate((bounds, [len(p)])).tolist()):
        if hi > lo:
            relation = relation_name(names[int(p[lo])])
            builder.add_edge_rows(relation, _int_array(s[lo:hi]), _int_array(o[lo:hi]))


def _int_array(values: np.ndarray) -> array[int]:
    out = array("q")
    out.frombytes(values.astype(np.int64).tobytes())
    return out


def _add_types(builder: GraphBuilder, block: _Block, typing: np.ndarray, ids: dict[int, str]) -> None:
    s, o, line = block.edge_s[typing], block.edge_o[typing], block.edge_line[typing]
    if not len(s):
        return
    terms = block.terms
    generic = np.fromiter(
        (terms[g].startswith(_GENERIC_CLASSES) for g in o.tolist()), dtype=bool, count=len(o)
    )
    order = np.lexsort((line, generic, s))
    s, o = s[order], o[order]
    first = np.ones(len(s), dtype=bool)
    first[1:] = s[1:] != s[:-1]
    class_names: dict[int, str] = {}

    def name(g: int) -> str:
        if g not in class_names:
            class_names[g] = type_name(compress(terms[g][1:-1]))
        return class_names[g]

    extra: dict[int, list[str]] = {}
    for subject, cls, is_first in zip(s.tolist(), o.tolist(), first.tolist()):
        if is_first:
            builder.add_node(ids[subject], name(cls))
        else:
            extra.setdefault(subject, []).append(name(cls))
    for subject, more in extra.items():
        builder.add_node(ids[subject], properties={"rdf:type": tuple(dict.fromkeys(more))})


def _add_literals(
    builder: GraphBuilder, block: _Block, kinds: np.ndarray, names: list[str], ids: dict[int, str]
) -> None:
    order = np.argsort(block.lit_line, kind="stable").tolist()
    subjects, preds = block.lit_s.tolist(), block.lit_p.tolist()
    values, suffixes = block.lit_value, block.lit_suffix
    labels: dict[int, str] = {}
    properties: dict[int, dict[str, list[PropertyValue]]] = {}
    keys = [schema_name(n) for n in names]
    for i in order:
        s, p, value = subjects[i], preds[i], values[i]
        kind = kinds[p]
        if kind == _LABEL or kind == _SYNONYM:
            if kind == _LABEL and s not in labels:
                labels[s] = value
                builder.add_node(ids[s], label=value)
            elif value != labels.get(s):
                builder.add_synonym(builder.intern(ids[s]), value)
            continue
        suffix = suffixes[i]
        literal: PropertyValue = value
        if suffix in _NUMBERS:
            try:
                literal = float(value)
            except ValueError:
                pass
        properties.setdefault(s, {}).setdefault(keys[p], []).append(literal)
    for s, by_key in properties.items():
        builder.add_node(
            ids[s],
            properties={k: v[0] if len(v) == 1 else tuple(str(x) for x in v) for k, v in by_key.items()},
        )


# --- the readers --------------------------------------------------------------------------------


def read_ntriples(builder: GraphBuilder, path: Path, options: IngestOptions) -> IngestReport:
    """Read an N-Triples file (see the module docstring for the mapping and the fast path)."""
    report = IngestReport(Path(path), "nt")
    triples = _FileTriples()
    for data in _nt_blocks(Path(path), BLOCK_BYTES):
        triples.add(_parse_nt_block(data))
        options.advance(len(data))
    _check_bad(triples, path, options, report)
    _apply(builder, triples.merged(), path, report)
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
    count = 0
    base = path.resolve().as_uri()
    counting = _Counting(io.BytesIO(data), options)
    source: IO[bytes] | bytes = counting
    header_lines, offset = 0, 0  # on resuming: prefix lines added, original lines dropped
    while True:
        parser = ox.parse(source, format=fmt, base_iri=base)
        try:
            for triple in parser:
                collector.add(count, triple)
                count += 1
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
    triples = _FileTriples()
    triples.add(collector.block(count))
    triples.bad = list(collector.bad)
    _check_bad(triples, path, options, report)
    _apply(builder, triples.merged(), path, report)
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
