"""CURIE compression round-trips for every IRI."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kgdecide.curie import PREFIXES, compress, expand, node_id, node_iri


@pytest.mark.parametrize(
    ("iri", "curie"),
    [
        ("http://purl.obolibrary.org/obo/HP_0001250", "HP:0001250"),
        ("http://purl.obolibrary.org/obo/IAO_0000115", "obo:IAO_0000115"),
        ("http://www.orpha.net/ORDO/Orphanet_558", "ORPHA:558"),
        ("http://identifiers.org/ncbigene/2", "NCBIGene:2"),
        ("https://w3id.org/biolink/vocab/has_phenotype", "biolink:has_phenotype"),
        ("http://www.geneontology.org/formats/oboInOwl#hasExactSynonym", "oboInOwl:hasExactSynonym"),
        ("http://purl.org/dc/terms/title", "dcterms:title"),
        ("https://w3id.org/kgdecide/schema#Disease", "kgd:Disease"),
        ("https://spec.edmcouncil.org/fibo/ontology/BE/LegalEntities/LegalPersons/LegalPerson",
         "fibo-be-le-lp:LegalPerson"),
        ("https://www.omg.org/spec/Commons/Designators/Name", "cmns-dsg:Name"),
        ("https://example.org/x/y", "https://example.org/x/y"),
        ("OMIM:123", "<OMIM:123>"),
    ],
)
def test_known_iris(iri: str, curie: str) -> None:
    assert compress(iri) == curie
    assert expand(curie) == iri


def test_alternative_prefix_expands_alike() -> None:
    assert expand("dct:title") == expand("dcterms:title")


namespaces = st.sampled_from(sorted(set(PREFIXES.values())) + ["https://example.org/", "urn:x:", "HP:"])
locals_ = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@given(namespaces, locals_)
def test_compress_round_trips(namespace: str, local: str) -> None:
    iri = namespace + local
    assert expand(compress(iri)) == iri


@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20).filter(lambda t: ":" not in t))
def test_plain_node_ids_round_trip_through_iris(text: str) -> None:
    assert ":" in node_iri(text)  # an absolute IRI, whatever the id
    assert node_id(node_iri(text)) == text


def test_curie_node_ids_round_trip_through_iris() -> None:
    for curie in ("HP:0001250", "OMIM:619340", "fibo-fnd-rel-rel:causes"):
        assert node_id(node_iri(curie)) == curie
