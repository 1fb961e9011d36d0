"""Write a store's graph as N-Triples or as KGX TSV.

N-Triples: each node gets ``rdf:type`` (our types as ``kgd:`` classes, other types as their IRI;
extra types kept in the property ``rdf:type`` as further ``rdf:type`` triples), ``rdfs:label``,
one ``skos:altLabel`` per synonym, and one literal per property value (keys as ``kgd:`` terms or
their own IRI; numbers as ``xsd:double``). Each edge is one triple whose predicate is
``rdfs:subClassOf`` for ``is_a``, ``kgd:<relation>`` for our relations and the original IRI for
CURIE relations. Edge properties are not written to RDF (that would need reification or RDF-star);
export KGX to keep them. Reading the file back with ``kgdecide ingest nt`` gives the same nodes,
types, labels, synonyms and edges (blank nodes are renumbered).

KGX: ``PREFIX_nodes.tsv`` (id, category, name, synonym, description, then one column per node
property) and ``PREFIX_edges.tsv`` (subject, predicate, object, then one column per edge
property), with the inverse of the mapping :mod:`kgdecide.ingest.kgx` reads
(:func:`~kgdecide.curie.category_of`, :func:`~kgdecide.curie.predicate_of`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from kgdecide.curie import category_of, expand, predicate_of, schema_curie
from kgdecide.graph.ntriples import nt_double, nt_string, nt_term
from kgdecide.graph.store import GraphStore
from kgdecide.types import Edge, Node, PropertyValue

_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
_ALT_LABEL = "<http://www.w3.org/2004/02/skos/core#altLabel>"


def export_ntriples(store: GraphStore, out: Path | str) -> list[Path]:
    """Write every node and edge of ``store`` to the N-Triples file ``out``.

    >>> import tempfile
    >>> from kgdecide.graph.builder import GraphBuilder
    >>> from kgdecide.graph.embedded import EmbeddedStore
    >>> b = GraphBuilder("demo")
    >>> _ = b.add_node("HP:1", "PhenotypicFeature", "Seizure")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [path] = export_ntriples(EmbeddedStore(b.build()), Path(d) / "g.nt")
    ...     print(path.read_text().splitlines()[1])
    <http://purl.obolibrary.org/obo/HP_1> <http://www.w3.org/2000/01/rdf-schema#label> "Seizure" .
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for node in store.iter_nodes():
            f.writelines(_node_triples(node))
        for edge in store.iter_edges():
            f.write(f"{nt_term(edge.subject)} {_relation_iri(edge.relation)} {nt_term(edge.object)} .\n")
    return [out]


def _class_iri(node_type: str) -> str:
    return f"<{expand(schema_curie(node_type))}>"


def _relation_iri(relation: str) -> str:
    curie = "rdfs:subClassOf" if relation == "is_a" else schema_curie(relation)
    return f"<{expand(curie)}>"


def _literal(value: PropertyValue) -> str:
    if isinstance(value, bool):
        return f'"{str(value).lower()}"'
    if isinstance(value, (int, float)):
        return nt_double(float(value))
    return nt_string(str(value))


def _node_triples(node: Node) -> Iterable[str]:
    s = nt_term(node.id)
    yield f"{s} {_RDF_TYPE} {_class_iri(node.type)} .\n"
    if node.label:
        yield f"{s} {_LABEL} {_literal(node.label)} .\n"
    for synonym in node.synonyms:
        yield f"{s} {_ALT_LABEL} {_literal(synonym)} .\n"
    for key, value in node.properties.items():
        values = value if isinstance(value, tuple) else (value,)
        if key == "rdf:type":
            for extra in values:
                yield f"{s} {_RDF_TYPE} {_class_iri(str(extra))} .\n"
            continue
        predicate = f"<{expand(schema_curie(key))}>"
        for v in values:
            yield f"{s} {predicate} {_literal(v)} .\n"


# --- KGX ---------------------------------------------------------------------------------------


def export_kgx(store: GraphStore, out_prefix: Path | str) -> list[Path]:
    """Write ``PREFIX_nodes.tsv`` and ``PREFIX_edges.tsv``; returns the two paths."""
    prefix = Path(out_prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    nodes_path = prefix.parent / f"{prefix.name}_nodes.tsv"
    edges_path = prefix.parent / f"{prefix.name}_edges.tsv"
    nodes = list(store.iter_nodes())
    keys = sorted({k for n in nodes for k in n.properties} - {"category", "definition"})
    with open(nodes_path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["id", "category", "name", "synonym", "description", *keys])
        for node in nodes:
            writer.writerow(_node_row(node, keys))
    edges = list(store.iter_edges())
    edge_keys = sorted({k for e in edges for k in e.properties})
    with open(edges_path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["subject", "predicate", "object", *edge_keys])
        for edge in edges:
            writer.writerow(_edge_row(edge, edge_keys))
    return [nodes_path, edges_path]


def _cell(value: PropertyValue | None) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return "|".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _node_row(node: Node, keys: list[str]) -> list[str]:
    extra = node.properties.get("category", ())
    categories = [category_of(node.type), *(extra if isinstance(extra, tuple) else (str(extra),))]
    return [
        node.id, "|".join(categories), node.label, "|".join(node.synonyms),
        _cell(node.properties.get("definition")),
        *(_cell(node.properties.get(k)) for k in keys),
    ]


def _edge_row(edge: Edge, keys: list[str]) -> list[str]:
    return [edge.subject, predicate_of(edge.relation), edge.object,
            *(_cell(edge.properties.get(k)) for k in keys)]
