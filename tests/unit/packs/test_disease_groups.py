"""Which OMIM, ORPHA and DECIPHER ids are one disease (kgdecide.packs.clinical.groups)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder
from kgdecide.packs.clinical import DISEASE_TYPE, GENE_ASSOCIATED_WITH_CONDITION, GENE_TYPE
from kgdecide.packs.clinical.groups import (
    SAME_GENES, SAME_NAME, Equivalence, _join, disease_equivalences, name_key,
)


def _graph(diseases: Mapping[str, str], genes: Mapping[str, Sequence[str]] = {}) -> ArrayGraph:
    """Diseases (id -> name) and their causal genes (disease id -> gene symbols)."""
    b = GraphBuilder("groups-test")
    for disease, name in diseases.items():
        b.add_node(disease, DISEASE_TYPE, name)
    for disease, symbols in genes.items():
        for symbol in symbols:
            gene = f"NCBIGene:{symbol}"
            if not b.has_node(gene):
                b.add_node(gene, GENE_TYPE, symbol)
            b.add_edge(gene, GENE_ASSOCIATED_WITH_CONDITION, disease)
    return b.build()


def _pairs(graph: ArrayGraph) -> set[tuple[str, str, str]]:
    return {(e.subject, e.object, e.rule) for e in disease_equivalences(graph)}


def test_names_are_compared_as_word_sets_without_generic_words() -> None:
    assert name_key("Spastic paraplegia 15, autosomal recessive") == name_key(
        "Autosomal recessive spastic paraplegia type 15")
    assert name_key("Sjögren-Larsson syndrome") == name_key("Sjogren-Larsson syndrome")
    assert name_key("Mucopolysaccharidosis, type II") == name_key("Mucopolysaccharidosis type 2")
    assert name_key("Glycogen storage disease Ia") == name_key("Glycogen storage disease type 1A")
    # Single letters stay letters unless a type or group number: factor V is not factor 5.
    assert name_key("Factor V deficiency") != name_key("Factor 5 deficiency")
    assert name_key("Noonan syndrome 1") != name_key("Noonan syndrome")


def test_the_same_name_joins_an_orpha_and_an_omim_disease() -> None:
    graph = _graph({"OMIM:154700": "Marfan syndrome", "ORPHA:558": "Marfan syndrome",
                    "ORPHA:284979": "Neonatal Marfan syndrome"}, {"OMIM:154700": ["FBN1"]})
    assert _pairs(graph) == {("ORPHA:558", "OMIM:154700", SAME_NAME)}


def test_an_umbrella_name_with_subtypes_is_never_joined_to_one_of_them() -> None:
    graph = _graph({
        "OMIM:227650": "Fanconi anemia", "ORPHA:84": "Fanconi anemia",
        "OMIM:227645": "Fanconi anemia, complementation group C",
        "OMIM:300000": "Retinitis pigmentosa", "ORPHA:791": "Retinitis pigmentosa",
        "ORPHA:999": "Retinitis pigmentosa type 19",
    }, {"OMIM:227650": ["FANCA"], "ORPHA:84": ["FANCA", "FANCC"], "OMIM:227645": ["FANCC"]})
    assert _pairs(graph) == set()


def test_the_same_name_with_unrelated_genes_or_two_bearers_is_no_match() -> None:
    graph = _graph({
        "OMIM:127500": "Dyschromatosis universalis hereditaria",
        "ORPHA:241": "Dyschromatosis universalis hereditaria",
        "OMIM:227300": "Factor V and factor VIII, combined deficiency of",
        "OMIM:613625": "Factor V and factor VIII, combined deficiency of",
        "ORPHA:35909": "Combined deficiency of factor V and factor VIII",
    }, {"OMIM:127500": ["SASH1"], "ORPHA:241": ["ABCB6"]})
    assert _pairs(graph) == set()


def test_genes_join_only_when_no_third_disease_shares_them() -> None:
    graph = _graph({
        "OMIM:212065": "Congenital disorder of glycosylation, type Ia", "ORPHA:79318": "PMM2-CDG",
        # One gene, two OMIM subtypes with different inheritance, one ORPHA entry: ambiguous.
        "OMIM:100001": "Myopathy 1A, autosomal dominant",
        "OMIM:100002": "Myopathy 1B, autosomal recessive", "ORPHA:5001": "GENEX-related myopathy",
        # Equal gene sets, but the gene also causes another ORPHA disease.
        "OMIM:100003": "Dysplasia Q", "ORPHA:5002": "Q dysplasia of bone",
        "ORPHA:5003": "Unrelated syndrome",
    }, {"OMIM:212065": ["PMM2"], "ORPHA:79318": ["PMM2"],
        "OMIM:100001": ["GENEX"], "OMIM:100002": ["GENEX"], "ORPHA:5001": ["GENEX"],
        "OMIM:100003": ["GENEQ"], "ORPHA:5002": ["GENEQ"], "ORPHA:5003": ["GENEQ", "GENER"]})
    assert _pairs(graph) == {("ORPHA:79318", "OMIM:212065", SAME_GENES)}


def test_decipher_joins_by_name_alias_and_deletion_class() -> None:
    graph = _graph({
        "OMIM:176270": "Prader-Willi syndrome", "ORPHA:739": "Prader-Willi syndrome",
        "DECIPHER:14": "Prader-Willi syndrome (Type 1)", "DECIPHER:53": "Prader-Willi Syndrome (Type 2)",
        "OMIM:188400": "Digeorge syndrome",
        "DECIPHER:16": "22q11 deletion syndrome (Velocardiofacial / DiGeorge syndrome)",
        "DECIPHER:3": "Williams-Beuren Syndrome (WBS)", "ORPHA:904": "Williams syndrome",
    })
    # One edge per join: DECIPHER:14 -> ORPHA:739 would add nothing once both are with OMIM.
    assert _pairs(graph) == {
        ("ORPHA:739", "OMIM:176270", SAME_NAME), ("DECIPHER:14", "OMIM:176270", SAME_NAME),
        ("DECIPHER:53", "OMIM:176270", SAME_NAME), ("DECIPHER:16", "OMIM:188400", SAME_NAME),
    }


def test_a_join_that_would_hold_two_omim_ids_is_refused() -> None:
    pairs = [Equivalence("ORPHA:1", "OMIM:1", SAME_NAME), Equivalence("ORPHA:2", "OMIM:2", SAME_NAME),
             Equivalence("DECIPHER:1", "ORPHA:1", SAME_NAME),
             Equivalence("DECIPHER:1", "OMIM:2", SAME_NAME),  # would join OMIM:1 and OMIM:2
             Equivalence("DECIPHER:1", "OMIM:1", SAME_NAME)]  # already one group: nothing new
    assert list(_join(pairs)) == pairs[:3]
