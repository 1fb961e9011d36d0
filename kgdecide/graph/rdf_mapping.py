"""RDF triples onto the property graph: the one mapping every RDF path shares.

:mod:`kgdecide.ingest.rdf` parses files into :class:`Triples` (interned columns) and
:mod:`kgdecide.graph.rdf` reads an Oxigraph store's triples through :class:`TripleCollector`;
both hand them to :func:`apply_triples`. The mapping, triple by triple (predicates and classes
are compared as CURIEs, see :mod:`kgdecide.curie`):

* ``rdfs:label`` / ``skos:prefLabel`` with a literal -> the node's label. The first one in the
  file wins; further distinct labels (other languages, say) become synonyms.
* ``skos:altLabel`` and ``oboInOwl:has{Exact,Related,Broad,Narrow}Synonym`` -> synonyms.
* ``rdf:type C`` -> the node type, :func:`~kgdecide.curie.type_name` of ``C`` (``kgd:Disease``
  gives ``Disease``, ``owl:Class`` stays ``owl:Class``). With several types, the first one
  outside the ``owl:``/``rdfs:``/``rdf:`` vocabularies wins (``owl:NamedIndividual`` gives way to
  the individual's class); the others are kept in the property ``rdf:type`` (a tuple).
* Any other literal -> a node property keyed by the predicate's CURIE (``kgd:`` terms by their
  local name, so ``kgd:definition`` gives ``definition``); numbers typed ``xsd:double``,
  ``xsd:integer``, ... (:data:`NUMERIC_DATATYPES`) become floats, everything else a string
  (language tags are dropped). A key seen more than once for a node holds a tuple of its values,
  in file order.
* An IRI or blank-node object -> an edge; the relation is
  :func:`~kgdecide.curie.relation_name` of the predicate (``rdfs:subClassOf`` gives ``is_a``,
  ``kgd:has_phenotype`` gives ``has_phenotype``, anything else its CURIE). RDF has no edge
  properties, so edges read from RDF have none.
* Node ids are the CURIEs of the IRIs (or the IRIs themselves where no prefix fits). Blank nodes
  become ``_:b0``, ``_:b1``, ... numbered in the order the reader meets them, so a file read again
  gives the same ids; the k-th set of triples applied to the same builder (k >= 2) gets
  ``_:b<k>.<n>``, so blank nodes of different files never merge.

The mapping runs on the columns with numpy, never one Python object per triple.
"""

from __future__ import annotations

import weakref
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyoxigraph as ox

from kgdecide.curie import compress, node_id, relation_name, schema_name, type_name
from kgdecide.graph.builder import GraphBuilder
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
#: XSD datatypes whose literals are read as numbers.
NUMERIC_DATATYPES = {
    f"{_XSD}{name}"
    for name in (
        "double float decimal integer int long short byte nonNegativeInteger positiveInteger "
        "negativeInteger nonPositiveInteger unsignedLong unsignedInt unsignedShort unsignedByte"
    ).split()
}
#: Classes from these vocabularies give way to a domain class as the node type.
_GENERIC_CLASSES = ("http://www.w3.org/2002/07/owl#", _RDFS, _RDF)

_LABEL, _SYNONYM, _TYPE_KIND, _OTHER = 0, 1, 2, 3

#: Why a line with an RDF 1.2 triple term is skipped (the property graph has no place for it);
#: the native parser gives the same reason.
TRIPLE_TERMS = "RDF 1.2 triple terms (<<( ... )>>) are not supported"

# How many sets of triples each builder has taken, for blank-node ids that differ between files.
_FILES_READ: weakref.WeakKeyDictionary[GraphBuilder, int] = weakref.WeakKeyDictionary()


# --- triples as columns ------------------------------------------------------------------------


def int_column(values: Sequence[int] | bytes | None = None) -> np.ndarray:
    """An int64 column from a sequence, or from the native parser's little-endian uint32 bytes."""
    if isinstance(values, bytes):  # little-endian uint32 from the native parser
        return np.frombuffer(values, dtype="<u4").astype(np.int64)
    return np.array(values if values is not None else [], dtype=np.int64)


@dataclass(slots=True)
class Triples:
    """The triples of one file with their terms interned, in file order.

    Terms are IRIs, or ``_:label`` for blank nodes (``blank`` tells which: a relative IRI such as
    ``_:x`` cannot occur, but the flag saves the guess). Literals carry a datatype IRI and a
    language tag (``""`` for none) by index into ``datatypes`` and ``langs``. ``bad`` holds
    (line, reason) of malformed lines, lines counted from 1.
    """

    terms: list[str] = field(default_factory=list)
    blank: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    predicates: list[str] = field(default_factory=list)
    edge_s: np.ndarray = field(default_factory=int_column)
    edge_p: np.ndarray = field(default_factory=int_column)
    edge_o: np.ndarray = field(default_factory=int_column)
    lit_s: np.ndarray = field(default_factory=int_column)
    lit_p: np.ndarray = field(default_factory=int_column)
    lit_value: list[str] = field(default_factory=list)
    lit_datatype: np.ndarray = field(default_factory=int_column)
    datatypes: list[str] = field(default_factory=list)
    lit_lang: np.ndarray = field(default_factory=int_column)
    langs: list[str] = field(default_factory=lambda: [""])
    bad: list[tuple[int, str]] = field(default_factory=list)


class TripleCollector:
    """Builds :class:`Triples` from pyoxigraph's triples, one Python object at a time (the
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

    def triples(self) -> Triples:
        return Triples(
            list(self.terms), np.array(self.blank, dtype=bool), list(self.predicates),
            *(int_column(c) for c in self.edges), int_column(self.lits[0]), int_column(self.lits[1]),
            self.values, int_column(self.lits[2]), list(self.datatypes), int_column(self.lits[3]),
            list(self.langs), self.bad,
        )


# --- the mapping into the builder ---------------------------------------------------------------


def apply_triples(builder: GraphBuilder, t: Triples) -> int:
    """Map a file's (or a store's) triples onto nodes, labels, types, properties and edges of
    ``builder``; returns how many triples were read."""
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
    return len(t.edge_s) + len(t.lit_s)


def _node_ids(builder: GraphBuilder, t: Triples, node_terms: np.ndarray) -> list[str]:
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
    builder: GraphBuilder, t: Triples, keep: np.ndarray, row: np.ndarray, names: list[str]
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


def _add_types(builder: GraphBuilder, t: Triples, typing: np.ndarray, row: np.ndarray) -> None:
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
    builder: GraphBuilder, t: Triples, kinds: np.ndarray, names: list[str], row: np.ndarray
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
    builder: GraphBuilder, t: Triples, rest: np.ndarray, names: list[str], row: np.ndarray
) -> None:
    """Other literals: properties by predicate, numbers as floats, repeats as tuples."""
    if not len(rest):
        return
    numeric = np.array([d in NUMERIC_DATATYPES for d in t.datatypes] or [False], dtype=bool)
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


def _literal_values(t: Triples, rest: np.ndarray, number: np.ndarray) -> list[PropertyValue]:
    """The literals ``rest``: floats where typed as numbers and readable as such, else text."""
    out: list[PropertyValue] = [t.lit_value[i] for i in rest.tolist()]
    for j in np.flatnonzero(number).tolist():
        try:
            out[j] = float(out[j])  # type: ignore[arg-type]
        except ValueError:
            pass
    return out
