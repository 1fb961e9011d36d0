"""ontology/kgdecide.ttl declares and maps everything the clinical build emits."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kgdecide.graph.builder import UNTYPED
from kgdecide.packs import clinical
from kgdecide.packs.clinical.build import build_clinical_graph, locate_hpo_files

REPO = Path(__file__).resolve().parents[3]
TTL = REPO / "ontology" / "kgdecide.ttl"
MINI = REPO / "data" / "fixtures" / "hpo-mini"

KGD = "https://w3id.org/kgdecide/schema/"
BIOLINK = "https://w3id.org/biolink/vocab/"
FIBO_NAMESPACES = ("https://spec.edmcouncil.org/fibo/", "https://www.omg.org/spec/Commons/")
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
MATCHES = tuple(SKOS + m for m in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch"))


@pytest.fixture(scope="module")
def schema() -> dict[str, dict[str, set[str]]]:
    """Subject IRI -> predicate IRI -> object values."""
    triples: dict[str, dict[str, set[str]]] = {}
    for quad in ox.parse(path=str(TTL), format=ox.RdfFormat.TURTLE):
        if isinstance(quad.subject, ox.NamedNode):
            triples.setdefault(quad.subject.value, {}).setdefault(
                quad.predicate.value, set()).add(quad.object.value)
    return triples


@pytest.fixture(scope="module")
def emitted() -> dict[str, set[str]]:
    """Node types, relations and property keys the clinical build produces on the fixture."""
    graph = build_clinical_graph(locate_hpo_files(MINI))
    return {
        "types": set(graph.type_names) | set(clinical.NODE_TYPES),
        "relations": set(graph.relations) | set(clinical.RELATIONS),
        "edge properties": {key for r in graph.relations.values() for key in r.columns},
        "node properties": set(graph.node_columns),
    }


def _declared(schema: dict[str, dict[str, set[str]]], name: str, kind: str) -> dict[str, set[str]]:
    description = schema.get(KGD + name)
    assert description is not None, f"{name} is not declared in {TTL.name}"
    assert OWL + kind in description.get(RDF_TYPE, set()), f"{name} is not an owl:{kind}"
    assert description.get(RDFS + "label"), f"{name} has no rdfs:label"
    assert description.get(RDFS + "comment"), f"{name} has no rdfs:comment"
    return description


def _biolink_mappings(description: dict[str, set[str]]) -> set[str]:
    return {o for m in MATCHES for o in description.get(m, ()) if o.startswith(BIOLINK)}


def test_the_file_parses_and_declares_an_ontology(schema: dict[str, dict[str, set[str]]]) -> None:
    assert OWL + "Ontology" in schema["https://w3id.org/kgdecide/schema"][RDF_TYPE]


def test_every_node_type_is_a_class_mapped_to_biolink(
    schema: dict[str, dict[str, set[str]]], emitted: dict[str, set[str]]
) -> None:
    for node_type in emitted["types"] | {UNTYPED, "OntologyClass"}:
        description = _declared(schema, node_type, "Class")
        assert _biolink_mappings(description), f"{node_type} has no Biolink mapping"


def test_every_relation_is_an_object_property_mapped_to_biolink(
    schema: dict[str, dict[str, set[str]]], emitted: dict[str, set[str]]
) -> None:
    for relation in emitted["relations"]:
        description = _declared(schema, relation, "ObjectProperty")
        assert _biolink_mappings(description), f"{relation} has no Biolink mapping"


def test_core_mappings_are_the_biolink_terms_of_the_same_meaning(
    schema: dict[str, dict[str, set[str]]]
) -> None:
    exact = {name: schema[KGD + name].get(SKOS + "exactMatch", set()) for name in (
        "Disease", "PhenotypicFeature", "Gene", "has_phenotype", "is_a",
        "has_mode_of_inheritance", "gene_associated_with_condition")}
    assert exact == {
        "Disease": {BIOLINK + "Disease"},
        "PhenotypicFeature": {BIOLINK + "PhenotypicFeature"},
        "Gene": {BIOLINK + "Gene"},
        "has_phenotype": {BIOLINK + "has_phenotype"},
        "is_a": {BIOLINK + "subclass_of"},
        "has_mode_of_inheritance": {BIOLINK + "has_mode_of_inheritance"},
        "gene_associated_with_condition": {BIOLINK + "gene_associated_with_condition"},
    }
    # No Biolink predicate means "lacks": has_phenotype negated, and only as a close match.
    lacks = schema[KGD + "lacks_phenotype"]
    assert lacks[SKOS + "closeMatch"] == {BIOLINK + "has_phenotype"}
    assert SKOS + "exactMatch" not in lacks
    assert "negated" in next(iter(lacks[RDFS + "comment"]))


def test_every_property_the_build_writes_is_declared(
    schema: dict[str, dict[str, set[str]]], emitted: dict[str, set[str]]
) -> None:
    for key in emitted["edge properties"]:
        _declared(schema, key, "AnnotationProperty")
    # Synonym-type keys other than layperson are not declared one by one: layperson_synonyms'
    # comment names them.
    by_type = {"obsolete_synonyms", "plural_form_synonyms", "abbreviation_synonyms",
               "allelic_requirement_synonyms"}
    for key in emitted["node properties"] - by_type:
        _declared(schema, key, "DatatypeProperty")
    comment = next(iter(schema[KGD + "layperson_synonyms"][RDFS + "comment"]))
    assert all(key in comment for key in by_type)


@pytest.mark.parametrize("key", ["frequency", "evidence", "publications", "source", "onset",
                                 "valid_from", "valid_to"])
def test_named_edge_properties_are_declared(
    schema: dict[str, dict[str, set[str]]], key: str
) -> None:
    _declared(schema, key, "AnnotationProperty")


def test_finance_types_map_to_fibo(schema: dict[str, dict[str, set[str]]]) -> None:
    for name in ("Company", "Organization", "Person", "Country", "Regulator", "Instrument",
                 "holds", "owns"):
        description = schema[KGD + name]
        targets = {o for m in MATCHES for o in description.get(m, ())}
        assert any(t.startswith(FIBO_NAMESPACES) for t in targets), f"{name} has no FIBO mapping"


@pytest.mark.shared_data
def test_fibo_iris_exist_in_the_fibo_release(
    schema: dict[str, dict[str, set[str]]], shared_data: Path
) -> None:
    used = {o for description in schema.values() for m in (*MATCHES, SKOS + "relatedMatch")
            for o in description.get(m, ()) if o.startswith(FIBO_NAMESPACES)}
    assert used
    fibo = shared_data / "finance" / "fibo"
    known: set[str] = set()
    for path in fibo.rglob("*.rdf"):
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.RDF_XML):
            known.add(quad.subject.value)
            if isinstance(quad.object, ox.NamedNode):
                known.add(quad.object.value)
    assert sorted(used - known) == []
