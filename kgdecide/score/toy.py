"""A tiny typed graph for examples and unit tests: findings in a hierarchy, targets annotated with
them. Domain-neutral on purpose (``S:`` findings, ``T:`` targets)."""

from __future__ import annotations

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder
from kgdecide.score.base import DomainSpec

#: The toy graph's domain.
TOY_SPEC = DomainSpec(
    target_type="Target", finding_type="Finding", finding_relation="has_finding",
    hierarchy_relation="is_a", excluded_relation="lacks_finding",
    replacement_relations=("replaced_by",),
)

_HIERARCHY = {
    "S:neuro": "S:root", "S:seizure": "S:neuro", "S:focal": "S:seizure", "S:tonic": "S:seizure",
    "S:ataxia": "S:neuro", "S:skin": "S:root", "S:rash": "S:skin", "S:eczema": "S:rash",
    "S:heart": "S:root", "S:murmur": "S:heart",
}
_ANNOTATIONS = {
    "T:epilepsy": {"S:focal": 0.9, "S:tonic": 0.5, "S:ataxia": 0.2},
    "T:ataxia": {"S:ataxia": 1.0, "S:seizure": 0.1},
    "T:atopic": {"S:eczema": 0.8, "S:murmur": None},
    "T:cardiac": {"S:murmur": 0.9, "S:rash": 0.3},
}


def toy_builder() -> GraphBuilder:
    """The toy graph's builder, for tests that change it before building."""
    b = GraphBuilder("toy", "v1")
    b.add_node("S:root", "Finding", "root")
    for child, parent in _HIERARCHY.items():
        b.add_node(child, "Finding", child[2:])
        b.add_edge(child, "is_a", parent)
    for target, annotations in _ANNOTATIONS.items():
        b.add_node(target, "Target", target[2:] + " disorder")
        for finding, frequency in annotations.items():
            props = {"source": "toy"} if frequency is None else {"frequency": frequency, "source": "toy"}
            b.add_edge(target, "has_finding", finding, props)
    b.add_edge("T:atopic", "lacks_finding", "S:seizure", {"source": "toy"})
    b.add_node("S:old", "Obsolete", "old seizure term")
    b.add_edge("S:old", "replaced_by", "S:seizure")
    b.add_node("X:gene", "Gene", "a gene")
    b.add_edge("X:gene", "linked_to", "T:epilepsy")
    return b


def toy_graph() -> ArrayGraph:
    """The toy graph, built fresh (a new version string each time it differs).

    >>> toy_graph().counts().nodes_by_type["Target"]
    4
    """
    graph = toy_builder().build()
    graph.meta["version"] = "toy/v1"
    return graph
