"""ontology/finance.ttl declares every node type and relation the finance build emits, and every
FIBO / OMG Commons IRI it maps to is declared in the FIBO release in the shared data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.packs.finance import FINDKG_TYPES, RELATIONS

TTL = Path(__file__).resolve().parents[4] / "ontology" / "finance.ttl"
KGD = rdflib.Namespace("https://w3id.org/kgdecide/schema/")
MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.relatedMatch)


@pytest.fixture(scope="module")
def schema() -> rdflib.Graph:
    return rdflib.Graph().parse(TTL)


def test_every_type_and_relation_is_declared_and_described(schema: rdflib.Graph, finance_graph: ArrayGraph) -> None:
    types = set(finance_graph.type_names) | set(FINDKG_TYPES.values()) | {"FundManager", "StockIndex", "Exchange", "Industry"}
    for name in types:
        assert (KGD[name], RDF.type, OWL.Class) in schema, name
        assert schema.value(KGD[name], RDFS.label) and schema.value(KGD[name], RDFS.comment), name
        assert any(schema.value(KGD[name], m) for m in MAPPINGS), f"{name} has no mapping"
    for name in set(RELATIONS) | set(finance_graph.relations):
        assert (KGD[name], RDF.type, OWL.ObjectProperty) in schema, name
        assert schema.value(KGD[name], RDFS.comment), name


def test_edge_and_node_properties_are_declared(schema: rdflib.Graph, finance_graph: ArrayGraph) -> None:
    declared = {s for s in schema.subjects(RDF.type, None)}
    edge_keys = {k for rel in finance_graph.relations.values() for k in rel.columns}
    # valid_from, valid_to and source are declared in ontology/kgdecide.ttl
    for key in (edge_keys | set(finance_graph.node_columns)) - {"valid_from", "valid_to", "source"}:
        assert KGD[key] in declared, key


@pytest.mark.shared_data
def test_fibo_iris_exist_in_the_fibo_release(schema: rdflib.Graph, shared_data: Path) -> None:
    declared: set[str] = set()
    pattern = re.compile(r'<(?:owl:Class|owl:ObjectProperty|owl:DatatypeProperty)\s+rdf:about="&([\w-]+);([^"]+)"')
    for path in (shared_data / "finance" / "fibo").rglob("*.rdf"):
        text = path.read_text(encoding="utf-8")
        entities = dict(re.findall(r'<!ENTITY\s+([\w-]+)\s+"([^"]+)"', text))
        declared |= {entities.get(p, p) + term for p, term in pattern.findall(text)}
    used = {str(o) for m in MAPPINGS for o in schema.objects(None, m)
            if "edmcouncil.org/fibo" in str(o) or "omg.org/spec/Commons" in str(o)}
    assert used and not used - declared, sorted(used - declared)
