"""The small graph every backend is checked on, built the same way for each."""

from __future__ import annotations

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder


def contract_graph() -> ArrayGraph:
    """A little disease/phenotype/gene graph with the shapes that trip backends up: parallel
    edges of two relations between one pair, a node reached only as an endpoint, a cycle,
    edge properties of every kind, shared synonyms, an isolated node."""
    b = GraphBuilder("contract", "v1")
    b.add_node("HP:0000001", "PhenotypicFeature", "All")
    b.add_node("HP:0000118", "PhenotypicFeature", "Phenotypic abnormality")
    b.add_node("HP:0001250", "PhenotypicFeature", "Seizure", ["Seizures", "Fits"],
               {"definition": "A sudden surge of electrical activity.", "alt_ids": ("HP:0002279",)})
    b.add_node("HP:0000252", "PhenotypicFeature", "Microcephaly", ["Small head", "Fits"])
    b.add_node("HP:0001263", "PhenotypicFeature", "Global developmental delay")
    b.add_node("OMIM:100100", "Disease", "Epileptic encephalopathy A", ["EEA"])
    b.add_node("OMIM:100200", "Disease", "Microcephaly syndrome B")
    b.add_node("ORPHA:300", "Disease", "Rare thing C", properties={"prevalence": 0.0001})
    b.add_node("NCBIGene:1", "Gene", "GENE1")
    b.add_node("HP:9999999", "PhenotypicFeature", "Isolated term")
    for child, parent in [("HP:0000118", "HP:0000001"), ("HP:0001250", "HP:0000118"),
                          ("HP:0000252", "HP:0000118"), ("HP:0001263", "HP:0000118")]:
        b.add_edge(child, "is_a", parent)
    b.add_edge("OMIM:100100", "has_phenotype", "HP:0001250",
               {"frequency": 0.9, "evidence": "PCS", "publications": ("PMID:1", "PMID:2")})
    b.add_edge("OMIM:100100", "has_phenotype", "HP:0001263", {"frequency": 0.5, "evidence": "TAS"})
    b.add_edge("OMIM:100200", "has_phenotype", "HP:0000252", {"frequency": 1.0, "evidence": "PCS"})
    b.add_edge("OMIM:100200", "has_phenotype", "HP:0001263", {"evidence": "IEA"})
    b.add_edge("ORPHA:300", "lacks_phenotype", "HP:0001250", {"evidence": "TAS"})
    b.add_edge("ORPHA:300", "has_phenotype", "HP:0001250", {"frequency": 0.17})
    b.add_edge("NCBIGene:1", "gene_associated_with_condition", "OMIM:100100")
    b.add_edge("NCBIGene:1", "gene_associated_with_condition", "OMIM:100200")
    b.add_edge("OMIM:100200", "has_phenotype", "MONDO:0000001")  # endpoint only, untyped
    b.add_edge("MONDO:0000001", "related_to", "OMIM:100200")  # a 2-cycle
    return b.build()
