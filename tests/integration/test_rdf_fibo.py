"""FIBO (294 RDF/XML files) goes into the RDF store without losing a triple, and its projection
is the graph the embedded store's RDF/XML ingest makes of the same files."""

from __future__ import annotations

import gc
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.rdf import RdfStore
from kgdecide.ingest import IngestOptions
from kgdecide.ingest.rdf import read_rdfxml

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def fibo_files(shared_data: Path) -> list[Path]:
    files = sorted((shared_data / "finance" / "fibo").rglob("*.rdf"))
    assert len(files) == 294
    return files


@pytest.fixture(scope="module")
def fibo_store(fibo_files: list[Path], tmp_path_factory: pytest.TempPathFactory) -> RdfStore:
    store = RdfStore.from_path(tmp_path_factory.mktemp("fibo") / "rdf")
    store.load_files(fibo_files, "fibo")
    return store


def parsed_triples(files: list[Path]) -> set[ox.Triple]:
    """What pyoxigraph reads from the files, one set (blank nodes are fresh per parse, so the
    blank nodes of different files stay apart, as in the store)."""
    triples: set[ox.Triple] = set()
    for path in files:
        parsed = ox.parse(path=str(path), format=ox.RdfFormat.RDF_XML, base_iri=path.resolve().as_uri())
        triples.update(q.triple for q in parsed)  # quads in the default graph
    return triples


def test_every_triple_is_kept(fibo_store: RdfStore, fibo_files: list[Path]) -> None:
    expected = parsed_triples(fibo_files)
    stored = list(fibo_store.oxigraph.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    assert len(stored) == len(expected) > 70_000
    # Not only as many: the same triples, up to blank-node names, except that Oxigraph keeps
    # typed literals in canonical form: "1.0"^^xsd:decimal as "1", dateTimes without ".000", and
    # the derived integer types (xsd:nonNegativeInteger) as xsd:integer. Those are the same
    # values; each changed triple must pair with one read from the files.
    ground = {q.triple for q in stored if not _has_blank(q.triple)}
    read = {t for t in expected if not _has_blank(t)}
    changed, original = ground - read, read - ground
    assert len(changed) == len(original) < 100
    assert sorted(map(_canonical, changed)) == sorted(map(_canonical, original))


def test_projection_equals_the_embedded_ingest_up_to_order(fibo_store: RdfStore,
                                                           fibo_files: list[Path]) -> None:
    """The same nodes and edges. What the embedded ingest decides by *file order* (a store has
    none) may differ: which of several domain classes is the type (the others are kept in the
    property ``rdf:type``), which of several labels is the label (the others are synonyms), the
    order of repeated property values; and Oxigraph's canonical literal forms (above)."""
    # Also asserted below: where the embedded ingest keeps fewer values, the store keeps more.
    builder = GraphBuilder("fibo")
    for path in fibo_files:
        read_rdfxml(builder, path, IngestOptions())
    embedded = builder.build()
    projection = fibo_store.projection()
    assert dict(projection.counts().edges_by_relation) == dict(embedded.counts().edges_by_relation)
    assert projection.counts().nodes == embedded.counts().nodes
    mine = {n.id: n for n in projection.iter_nodes() if not n.id.startswith("_:")}
    theirs = {n.id: n for n in embedded.iter_nodes() if not n.id.startswith("_:")}
    assert mine.keys() == theirs.keys() and len(mine) > 10_000
    richer = 0
    for node_id, node in theirs.items():
        got = mine[node_id]
        # Reading file by file, the embedded ingest can drop what a later file states again
        # about a node (GraphBuilder keeps a scalar property already set, and a later file's
        # type replaces the type); the store reads all files at once and keeps every value.
        # So: the store's types, names and values include the embedded ones, and any extra
        # one is in the files (every triple is, see above).
        assert _types(node) <= _types(got), node_id
        assert {node.label, *node.synonyms} <= {got.label, *got.synonyms}, node_id
        mine_values, their_values = _values(got), _values(node)
        assert mine_values.keys() == their_values.keys(), node_id
        assert all(their_values[k] <= mine_values[k] for k in their_values), node_id
        richer += (_types(node), their_values) != (_types(got), mine_values)
    assert richer < len(theirs) // 20  # a few multi-file nodes, not a different graph
    ids = [i for i in theirs if theirs[i].type != "Entity"][::97]
    for node_id in ids:  # edges between named nodes, node by node, through the store's protocol
        assert _named_neighbours(fibo_store.edges(node_id)) == \
            _named_neighbours(_edges(embedded, node_id)), node_id


def test_version_changes_when_the_files_change(fibo_files: list[Path], tmp_path: Path) -> None:
    store = RdfStore.from_path(tmp_path / "rdf")
    first = store.load_files(fibo_files[:2], "fibo")
    nodes = store.counts().nodes
    second = store.load_files(fibo_files[:3], "fibo")
    assert first != second and store.version == second
    assert store.counts().nodes > nodes  # the projection was rebuilt, not served from the cache
    del store
    gc.collect()


def _canonical(t: ox.Triple) -> tuple[str, str, object]:
    """A typed literal's value (numbers as Decimal, dateTimes parsed), with subject and predicate."""
    o = t.object
    assert isinstance(o, ox.Literal), t
    kind = o.datatype.value.rsplit("#", 1)[-1]
    if kind.endswith(("integer", "Integer", "decimal", "int", "long", "short", "byte")):
        value: object = Decimal(o.value)
    elif kind == "dateTime":
        value = datetime.fromisoformat(o.value)
    else:
        raise AssertionError(f"an unexpected literal changed in the store: {t}")
    return t.subject.value, t.predicate.value, value


def _has_blank(t: ox.Triple) -> bool:
    return isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)


def _types(node) -> set[str]:  # type: ignore[no-untyped-def]
    return {node.type, *node.properties.get("rdf:type", ())}


def _values(node) -> dict[str, frozenset[str]]:  # type: ignore[no-untyped-def]
    """Property values as sets of text, numbers and dateTimes in one canonical form."""
    out = {}
    for key, value in node.properties.items():
        if key != "rdf:type":
            items = value if isinstance(value, tuple) else (value,)
            out[key] = frozenset(_text(v) for v in items)
    return out


def _text(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    try:
        return repr(float(text))  # numbers read as text inside tuples: "1.0" and "1" alike
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        return text


def _edges(graph, node_id):  # type: ignore[no-untyped-def]
    from kgdecide.graph.embedded import EmbeddedStore

    return EmbeddedStore(graph).edges(node_id)


def _named_neighbours(edges) -> set[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return {(e.subject, e.relation, e.object) for e in edges
            if not (e.subject.startswith("_:") or e.object.startswith("_:"))}
