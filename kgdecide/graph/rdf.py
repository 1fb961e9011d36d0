"""The RDF backend: a :class:`~kgdecide.graph.store.GraphStore` over an Oxigraph store on disk.

The triples are the truth; scorers and the protocol's reads use :meth:`RdfStore.projection`, an
:class:`~kgdecide.graph.arrays.ArrayGraph` built from all triples once per graph version and
cached (like :mod:`kgdecide.graph.neo4j`), so a request never issues one SPARQL query per node.
Point reads (``get_node``, ``neighbors``, paths, ...) go through that projection too: the mapping
from triples to nodes (first label wins, blank nodes numbered, CURIEs compressed, OWL types giving
way to domain classes) is :mod:`kgdecide.graph.rdf_mapping`'s, the one the RDF file readers use,
and is defined over the whole triple set, so reading it back per node in SPARQL would be a second,
diverging copy of it. SPARQL itself is
served to explorers by :mod:`kgdecide.web.sparql`.

The RDF shape of a kgdecide graph (``write_graph``), in the default graph:

* a node is its IRI (:func:`~kgdecide.curie.node_iri` of its CURIE) with ``rdf:type kgd:<Type>``
  (``kgd:Entity`` for untyped nodes, so isolated ones survive), ``rdfs:label``, one
  ``skos:altLabel`` per synonym, one literal per property value (``kgd:<key>``; numbers as
  ``xsd:double``) and ``kgd:row``, its row in the projection (so ties in rankings break the same
  way as in the embedded store);
* an edge is one triple ``s kgd:<relation> o`` (``rdfs:subClassOf`` for ``is_a``); its
  properties sit on a reifier, RDF 1.2 style: ``_:e rdf:reifies <<( s p o )>> ; kgd:frequency
  0.9``. That is what Turtle 1.2's annotation syntax ``s p o {| kgd:frequency 0.9 |}`` produces.
  pyoxigraph 0.5 implements RDF 1.2 (triple terms, ``rdf:reifies``, SPARQL's ``<<( )>>`` and
  ``TRIPLE()``), while the older RDF-star quoted-triple *subjects* are gone from it; classic
  ``rdf:Statement`` reification would need four triples per edge instead of two;
* RDF has no order, but synonyms and tuple values (``publications``) have one: where it is not
  their sorted order, each value triple gets a reifier with ``kgd:position`` (the reader sorts
  values that have none). RDF cannot tell a one-element tuple from a string either, so the keys
  that hold tuples are listed once in the metadata graph.

A small named graph ``kgd:meta`` holds the graph's name, version, those keys and a revision
counter that every write through this module bumps; :meth:`RdfStore.projection` compares it (one index lookup)
to decide whether its cached arrays are still current. A change made behind this module's back
(another program's SPARQL UPDATE) is not detected unless it bumps ``kgd:revision``; the web
endpoint refuses updates, and Oxigraph's lock keeps a second process from writing while a server
has the store open.

Files ingested as they are (``kgdecide ingest rdf FILE --store rdf:DIR``) keep every triple; the
projection maps them exactly as ``kgdecide ingest ttl/rdfxml/nt`` would.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kgdecide.curie import KGD, compress, expand, node_id, node_iri, relation_name, schema_curie, schema_name
from kgdecide.errors import ConfigError, StoreUnavailable
from kgdecide.graph import is_rdf_store
from kgdecide.graph.arrays import ArrayGraph, content_version
from kgdecide.graph.builder import UNTYPED, GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.graph.ntriples import nt_double, nt_string, nt_term
from kgdecide.graph.versioned import Versioned
from kgdecide.progress import Advance, no_progress
from kgdecide.types import Direction, Edge, GraphCounts, Node, Path as GraphPath, PropertyValue, Subgraph

if TYPE_CHECKING:
    import pyoxigraph as ox

logger = logging.getLogger(__name__)

#: The ``--store`` prefix naming an RDF store directory: ``rdf:DIR`` (see ``is_rdf_store``).
RDF_PREFIX = "rdf:"

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_TYPE = _RDF + "type"
_REIFIES = _RDF + "reifies"
_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
_ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER = _XSD + "integer"
_ROW = KGD + "row"
_POSITION = KGD + "position"
#: The named graph with the graph's metadata, and the node that carries it.
META_GRAPH = KGD + "meta"
_META_NODE = KGD + "graph"
_META_KEYS = ("name", "version", "source_version", "revision", "shape")


class RdfStore:
    """A :class:`~kgdecide.graph.store.GraphStore` over a pyoxigraph store.

    The constructor takes an open ``pyoxigraph.Store`` and does no I/O; :meth:`from_path` opens
    (or creates) one on disk. :attr:`oxigraph` is the store itself, for SPARQL.

    >>> import pyoxigraph as ox
    >>> from kgdecide.graph.builder import GraphBuilder
    >>> b = GraphBuilder("demo", "v1")
    >>> b.add_edge("OMIM:1", "has_phenotype", "HP:1", {"frequency": 0.5})
    >>> store = RdfStore(ox.Store())
    >>> store.write_graph(b.build()).startswith("demo/v1/")
    True
    >>> store.neighbors("OMIM:1"), store.edges("OMIM:1")[0].properties["frequency"]
    (('HP:1',), 0.5)
    """

    def __init__(self, oxigraph: ox.Store, path: Path | None = None) -> None:
        #: The Oxigraph store (read it with SPARQL; write only through this class).
        self.oxigraph = oxigraph
        #: The directory it lives in, or None for an in-memory store.
        self.path = path
        self._view: Versioned[EmbeddedStore] = Versioned()

    @classmethod
    def from_path(cls, directory: Path | str) -> RdfStore:
        """Open the store in ``directory``, creating it if it does not exist.

        Raises ``StoreUnavailable`` when another process holds it open for writing.
        """
        import pyoxigraph as ox

        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        try:
            return cls(ox.Store(str(path)), path)
        except OSError as e:
            raise StoreUnavailable(
                f"cannot open the RDF store in {path} ({e}); another process (kgdecide serve or "
                "ingest?) may have it open: stop it and try again"
            ) from e

    def __repr__(self) -> str:
        return f"RdfStore({str(self.path) if self.path else 'in memory'!r})"

    # --- writing -------------------------------------------------------------------------------

    def write_graph(self, graph: ArrayGraph | Any, advance: Advance = no_progress) -> str:
        """Replace the store's content with a built graph in kgdecide's RDF shape; returns the
        graph version. ``graph`` is an :class:`ArrayGraph` or a store with ``projection()``."""
        g: ArrayGraph = graph if isinstance(graph, ArrayGraph) else graph.projection()
        version = g.version or content_version(g)
        with tempfile.TemporaryDirectory(prefix="kgdecide-rdf-") as tmp:
            text = Path(tmp) / "graph.nt"
            with open(text, "w", encoding="utf-8", newline="\n") as out:
                for lines in _graph_lines(g):
                    out.writelines(lines)
                    advance(len(lines))
            meta = {"name": str(g.meta.get("name", "graph")), "version": version,
                    "source_version": str(g.meta.get("source_version", "unversioned")), "shape": "kgdecide"}
            extra = [(kind, expand(schema_curie(k))) for kind, keys in list_keys(g).items() for k in keys]
            self._replace([(text, "nt")], meta, extra)
        return version

    def load_files(self, paths: Sequence[Path], name: str, advance: Advance = no_progress) -> str:
        """Replace the store's content with the triples of RDF files as they are (format from
        the file ending: .ttl, .nt, .rdf/.owl/.xml, .jsonld, ...); returns the version
        ``name/unversioned/<hash of the files>``."""
        digest = hashlib.sha256()
        for path in paths:
            digest.update(Path(path).read_bytes())
            advance(1)
        version = f"{name}/unversioned/{digest.hexdigest()[:12]}"
        self._replace([(Path(p), _format_of(Path(p))) for p in paths],
                      {"name": name, "version": version, "source_version": "unversioned"}, validate=True)
        return version

    def _replace(self, files: list[tuple[Path, str]], meta: dict[str, str],
                 extra: Sequence[tuple[str, str]] = (), validate: bool = False) -> None:
        import pyoxigraph as ox

        from kgdecide.errors import IngestError

        formats = [(path, _rdf_format(path, fmt)) for path, fmt in files]
        if validate:
            # Bulk loads are not transactions: parse every file first, so a malformed one
            # leaves the store as it was (as a failed embedded ingest leaves its snapshot).
            for path, rdf_format in formats:
                try:
                    for _ in ox.parse(path=str(path), format=rdf_format, base_iri=path.resolve().as_uri()):
                        pass
                except SyntaxError as e:
                    raise IngestError(path, e.lineno, str(e).replace("\n", " ")) from e
        revision = int(self._meta().get("revision", "0") or 0) + 1
        store = self.oxigraph
        store.clear()
        for path, rdf_format in formats:
            store.bulk_load(path=str(path), format=rdf_format, base_iri=path.resolve().as_uri())
        meta_graph = ox.NamedNode(META_GRAPH)
        subject = ox.NamedNode(_META_NODE)
        store.extend([ox.Quad(subject, ox.NamedNode(KGD + key), ox.Literal(value), meta_graph)
                      for key, value in {**meta, "revision": str(revision)}.items()])
        store.extend([ox.Quad(subject, ox.NamedNode(KGD + kind), ox.NamedNode(iri), meta_graph)
                      for kind, iri in extra])
        store.flush()
        self._view.clear()

    # --- versions and the projection -----------------------------------------------------------

    def _meta(self) -> dict[str, str]:
        import pyoxigraph as ox

        quads = self.oxigraph.quads_for_pattern(ox.NamedNode(_META_NODE), None, None, ox.NamedNode(META_GRAPH))
        return {q.predicate.value[len(KGD):]: q.object.value for q in quads
                if q.predicate.value[len(KGD):] in _META_KEYS}

    def _change_key(self) -> tuple[str, str]:
        meta = self._meta()
        return meta.get("version", ""), meta.get("revision", "0")

    @property
    def version(self) -> str:
        return self._change_key()[0]

    def projection(self) -> ArrayGraph:
        return self._store().projection()

    def _store(self) -> EmbeddedStore:
        """The embedded view over the current projection, rebuilt when the revision changed."""
        return self._view.get(self._change_key(), self._read_view)

    def _read_view(self) -> EmbeddedStore:
        started = time.perf_counter()
        graph = read_graph(self.oxigraph, self._meta())
        logger.info("built the RDF projection %s (%d nodes) in %.1f s",
                    graph.version, len(graph), time.perf_counter() - started)
        return EmbeddedStore(graph)

    # --- GraphStore: answered from the projection ------------------------------------------------

    def get_node(self, node_id: str) -> Node:
        return self._store().get_node(node_id)

    def get_nodes(self, node_ids: Iterable[str]) -> tuple[Node, ...]:
        return self._store().get_nodes(node_ids)

    def has_node(self, node_id: str) -> bool:
        return self._store().has_node(node_id)

    def neighbors(self, node_id: str, relation: str | None = None, direction: Direction = Direction.OUT,
                  node_type: str | None = None) -> tuple[str, ...]:
        return self._store().neighbors(node_id, relation, direction, node_type)

    def edges(self, node_id: str, relation: str | None = None,
              direction: Direction = Direction.OUT) -> tuple[Edge, ...]:
        return self._store().edges(node_id, relation, direction)

    def nodes_by_type(self, node_type: str) -> tuple[str, ...]:
        return self._store().nodes_by_type(node_type)

    def iter_nodes(self, node_type: str | None = None) -> Iterator[Node]:
        return self._store().iter_nodes(node_type)

    def iter_edges(self, relation: str | None = None) -> Iterator[Edge]:
        return self._store().iter_edges(relation)

    def lookup(self, text: str, node_type: str | None = None) -> tuple[str, ...]:
        return self._store().lookup(text, node_type)

    def subgraph(self, seeds: Sequence[str], hops: int = 1, relations: Sequence[str] | None = None,
                 max_nodes: int = 10_000) -> Subgraph:
        return self._store().subgraph(seeds, hops, relations, max_nodes)

    def shortest_paths(self, source: str, target: str, max_hops: int = 4,
                       relations: Sequence[str] | None = None, limit: int = 10) -> tuple[GraphPath, ...]:
        return self._store().shortest_paths(source, target, max_hops, relations, limit)

    def counts(self) -> GraphCounts:
        return self._store().counts()


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    return {"owl": "rdf", "xml": "rdf"}.get(suffix, suffix)


def _rdf_format(path: Path, ending: str) -> ox.RdfFormat:
    import pyoxigraph as ox

    found = ox.RdfFormat.N_TRIPLES if ending == "nt" else ox.RdfFormat.from_extension(ending)
    if found is None:
        raise ConfigError(f"{path}: unknown RDF file ending {ending!r}; use .ttl, .nt, .nq, .rdf, "
                          ".owl, .xml, .trig, .n3 or .jsonld")
    return found


# --- writing: a graph as N-Triples 1.2 lines ------------------------------------------------------


def list_keys(g: ArrayGraph) -> dict[str, list[str]]:
    """Property keys whose values are tuples, for nodes and for edges (recorded in ``kgd:meta``:
    RDF cannot tell a one-element tuple from a string)."""
    from kgdecide.graph.columns import STRS

    edge_keys = {k for rel in g.relations.values() for k, c in rel.columns.items() if c.kind == STRS}
    return {"node_list_key": sorted(k for k, c in g.node_columns.items() if c.kind == STRS),
            "edge_list_key": sorted(edge_keys)}


def _graph_lines(g: ArrayGraph) -> Iterator[list[str]]:
    """The graph's triples as N-Triples lines, in batches (nodes, then edges relation by
    relation, the order of ``iter_edges``)."""
    counter = iter(range(1 << 62))
    terms = [nt_term(node_id) for node_id in g.id_list]  # each IRI written once, not per edge
    batch: list[str] = []
    for row, node in enumerate(g.iter_nodes()):
        batch.extend(_node_lines(node, terms[row], row, counter))
        if len(batch) >= 50_000:
            yield batch
            batch = []
    for name in sorted(g.relations):
        rel = g.relations[name]
        predicate = f"<{_SUBCLASS}>" if name == "is_a" else f"<{expand(schema_curie(name))}>"
        columns = [(_key_iri(key), _column_literals(column)) for key, column in sorted(rel.columns.items())]
        for position, (s, o) in enumerate(zip(rel.subjects.tolist(), rel.objects.tolist())):
            triple = f"{terms[s]} {predicate} {terms[o]}"
            batch.append(f"{triple} .\n")
            props = [(iri, value) for iri, values in columns if (value := values[position]) is not None]
            if props:
                reifier = f"_:e{next(counter)}"
                batch.append(f"{reifier} <{_REIFIES}> <<( {triple} )>> .\n")
                for iri, value in props:
                    if isinstance(value, str):
                        batch.append(f"{reifier} {iri} {value} .\n")
                    else:
                        batch.extend(_ordered_lines(reifier, iri, value, counter))
            if len(batch) >= 50_000:
                yield batch
                batch = []
    if batch:
        yield batch


def _node_lines(node: Node, s: str, row: int, counter: Iterator[int]) -> list[str]:
    lines = [f"{s} <{_TYPE}> <{expand(schema_curie(node.type or UNTYPED))}> .\n",
             f'{s} <{_ROW}> "{row}"^^<{_INTEGER}> .\n']
    if node.label:
        lines.append(f"{s} <{_LABEL}> {_literal(node.label)} .\n")
    lines.extend(_values(s, f"<{_ALT_LABEL}>", node.synonyms, counter))
    for key, value in sorted(node.properties.items()):
        lines.extend(_values(s, _key_iri(key), value, counter))
    return lines


def _column_literals(column: Any) -> list[Any]:
    """Each row's value as N-Triples literal text (a tuple of (value, literal) pairs for a
    tuple-valued column; None where absent), decoding the column in bulk rather than per row:
    on the clinical KG this is three million values, mostly a few repeated evidence codes."""
    import numpy as np

    from kgdecide.graph.columns import FLOAT, STR

    if column.kind == FLOAT:
        return [None if np.isnan(v) else _literal(v) for v in column.values.tolist()]
    vocab = column.vocab.to_list()
    if column.kind == STR:
        literals = [_literal(v) for v in vocab]
        return [literals[c] if c >= 0 else None for c in column.values.tolist()]
    pairs = [(v, _literal(v)) for v in vocab]
    codes = column.values.tolist()
    bounds = column.ptr.tolist()
    return [tuple(pairs[c] for c in codes[a:b]) or None for a, b in zip(bounds, bounds[1:])]


def _values(subject: str, predicate: str, value: PropertyValue | Sequence[str],
            counter: Iterator[int]) -> list[str]:
    """One triple per value; tuples and synonyms as :func:`_ordered_lines` writes them."""
    if not isinstance(value, (tuple, list)):
        return [f"{subject} {predicate} {_literal(value)} .\n"]
    return _ordered_lines(subject, predicate, [(v, _literal(v)) for v in value], counter)


def _ordered_lines(subject: str, predicate: str, pairs: Sequence[tuple[str, str]],
                   counter: Iterator[int]) -> list[str]:
    """One triple per (value, literal). Values whose order is not their sorted order get a
    positioned reifier each; sorted ones need none, as the reader sorts unpositioned ones."""
    unique = list(dict.fromkeys(pairs))  # RDF keeps a value once
    items = [v for v, _ in unique]
    triples = [f"{subject} {predicate} {literal}" for _, literal in unique]
    lines = [f"{t} .\n" for t in triples]
    if items != sorted(items):
        for position, t in enumerate(triples):
            reifier = f"_:v{next(counter)}"
            lines += [f"{reifier} <{_REIFIES}> <<( {t} )>> .\n",
                      f'{reifier} <{_POSITION}> "{position}"^^<{_INTEGER}> .\n']
    return lines


def _key_iri(key: str) -> str:
    return f"<{expand(schema_curie(key))}>"


def _literal(value: PropertyValue) -> str:
    # Booleans stay the strings Python writes ("True"): the reader gives back what was stored.
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        return nt_double(float(value))
    return nt_string(str(value))


# --- reading: all triples into an ArrayGraph -------------------------------------------------------


class _Names:
    """Memoised term conversions (the same predicates and nodes recur hundreds of thousands of
    times)."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}
        self.ids: dict[Any, str] = {}

    def key(self, iri: str) -> str:
        name = self.keys.get(iri)
        if name is None:
            name = self.keys[iri] = schema_name(compress(iri))
        return name

    def node(self, term: Any) -> str:
        found = self.ids.get(term)
        if found is None:
            import pyoxigraph as ox

            found = self.ids[term] = f"_:{term.value}" if isinstance(term, ox.BlankNode) else node_id(term.value)
        return found


def read_graph(store: ox.Store, meta: dict[str, str] | None = None) -> ArrayGraph:
    """The projection of a store's default graph (see the module docstring for the shape)."""
    import pyoxigraph as ox

    from kgdecide.graph.rdf_mapping import TripleCollector, apply_triples

    meta = meta or {}
    shaped = _list_keys(store)  # None: not written by kgdecide, every triple maps as ingest does
    node_lists = {_ALT_LABEL, *(shaped or {}).get("node_list_key", ())}
    default = ox.DefaultGraph()
    reified: dict[Any, ox.Triple] = {}  # reifier -> the triple it reifies
    for q in store.quads_for_pattern(None, ox.NamedNode(_REIFIES), None, default):
        if isinstance(q.object, ox.Triple):
            reified[q.subject] = q.object
    positions: dict[ox.Triple, int] = {}
    annotations: dict[ox.Triple, list[tuple[Any, str, Any]]] = {}
    groups: dict[tuple[Any, str], list[ox.Triple]] = {}
    rows: dict[Any, int] = {}
    declared: list[tuple[int, ox.Triple]] = []
    plain: list[ox.Triple] = []
    for q in store.quads_for_pattern(None, None, None, default):
        s, p = q.subject, q.predicate.value
        if s in reified:
            if p == _POSITION:
                positions[reified[s]] = int(q.object.value)
            elif p != _REIFIES:
                annotations.setdefault(reified[s], []).append((s, p, q.object))
        elif p == _ROW:
            rows[s] = int(q.object.value)
        elif shaped is not None and p in node_lists:
            groups.setdefault((s, p), []).append(q.triple)
        else:
            plain.append(q.triple)
    builder = GraphBuilder(meta.get("name") or "rdf", meta.get("source_version") or "unversioned")
    collector = TripleCollector()
    # Nodes in their recorded row order first, so the projection's rows match the graph written.
    rest = []
    for t in plain:
        if t.predicate.value == _TYPE and t.subject in rows:
            declared.append((rows[t.subject], t))
        else:
            rest.append(t)
    declared.sort(key=lambda item: item[0])
    for _, t in declared:
        collector.add(t)
    for t in rest:
        collector.add(t)
    apply_triples(builder, collector.triples())
    names = _Names()
    _add_node_lists(builder, groups, positions, names)
    edge_lists = set((shaped or {}).get("edge_list_key", ()))
    _add_edge_properties(builder, annotations, positions, edge_lists, names)
    graph = builder.build()
    graph.meta["version"] = meta.get("version") or f"{builder.name}/unversioned/{_digest(store)}"
    return graph


def _list_keys(store: ox.Store) -> dict[str, list[str]] | None:
    import pyoxigraph as ox

    quads = list(store.quads_for_pattern(ox.NamedNode(_META_NODE), None, None, ox.NamedNode(META_GRAPH)))
    if not any(q.predicate.value == KGD + "shape" for q in quads):
        return None
    found: dict[str, list[str]] = {"node_list_key": [], "edge_list_key": []}
    for q in quads:
        name = q.predicate.value[len(KGD):]
        if name in found:
            found[name].append(q.object.value)
    return found


def _ordered(values: list[tuple[Any, str]], positions: dict[Any, int]) -> tuple[str, ...]:
    """Values by recorded position, or sorted when none was recorded (they were sorted)."""
    if any(t in positions for t, _ in values):
        return tuple(v for _, v in sorted(values, key=lambda tv: (positions.get(tv[0], 0), tv[1])))
    return tuple(sorted(v for _, v in values))


def _add_node_lists(builder: GraphBuilder, groups: dict[tuple[Any, str], list[Any]],
                    positions: dict[Any, int], names: _Names) -> None:
    """Synonyms and tuple-valued node properties, in their recorded order."""
    for (subject, predicate), triples in groups.items():
        row = builder.intern(names.node(subject))
        values = _ordered([(t, t.object.value) for t in triples], positions)
        if predicate == _ALT_LABEL:
            for synonym in values:
                builder.add_synonym(row, synonym)
        else:
            builder.set_property(row, names.key(predicate), values)


def _add_edge_properties(builder: GraphBuilder, annotations: dict[Any, list[tuple[Any, str, Any]]],
                         positions: dict[Any, int], edge_lists: set[str], names: _Names) -> None:
    import pyoxigraph as ox

    for triple, notes in annotations.items():
        props: dict[str, PropertyValue] = {}
        lists: dict[str, list[tuple[Any, str]]] = {}
        for reifier, predicate, value in notes:
            if predicate in edge_lists:
                lists.setdefault(predicate, []).append(
                    (ox.Triple(reifier, ox.NamedNode(predicate), value), value.value))
            else:
                props[names.key(predicate)] = _python_value(value)
        for predicate, values in lists.items():
            props[names.key(predicate)] = _ordered(values, positions)
        relation = relation_name(compress(triple.predicate.value))
        builder.add_edge(names.node(triple.subject), relation, names.node(triple.object), props)


def _python_value(literal: Any) -> PropertyValue:
    """Numbers (any XSD numeric type) as floats, as the RDF ingest reads them; else the text."""
    from kgdecide.graph.rdf_mapping import NUMERIC_DATATYPES

    if literal.datatype.value in NUMERIC_DATATYPES:
        try:
            return float(literal.value)
        except ValueError:
            pass
    return str(literal.value)


def _digest(store: ox.Store) -> str:
    """A short hash of the store's size, for stores no kgdecide write gave a version."""
    return hashlib.sha256(str(len(store)).encode()).hexdigest()[:12]


def open_rdf_store(store: str) -> RdfStore:
    """The store an ``rdf:DIR`` value names (``~`` and environment variables expanded)."""
    if not is_rdf_store(store):
        raise ConfigError(f"{store!r} is not an RDF store; write rdf:DIR, e.g. rdf:/data/kg-rdf")
    return RdfStore.from_path(os.path.expandvars(os.path.expanduser(store[len(RDF_PREFIX):])))
