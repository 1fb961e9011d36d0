"""What the scorer contract suite needs per registered scorer: how to make it ready on a graph, and
what its contributions claim about deleting a finding.

A new scorer joins :data:`kgdecide.score.SCORERS` and the suite runs it at once; it fails until the
scorer declares how it combines findings (``Scorer.combines``) and, if it needs training, until it
is declared in :data:`TRAINED`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder
from kgdecide.score import Scorer, create_scorer, scorer_class
from kgdecide.score.toy import TOY_SPEC, toy_graph

@cache
def _attention_weights() -> object:
    """The attention weights the explanation tests train (tests/unit/explain/test_evidence.py):
    simulated patients of a random graph of 120 candidates. Trained on the toy graph's four
    candidates the model learns nothing that helps (every contribution comes out negative, so
    nothing would be explained); its features do not depend on the graph, so these weights serve."""
    from tests.unit.score.graphs import random_graph, trained_attention

    return trained_attention(random_graph(21, findings=70, targets=120, per_target=6))


def _attention(graph: ArrayGraph) -> Scorer:
    from kgdecide.score.attention import AttentionScorer

    scorer = create_scorer("attention", TOY_SPEC)
    assert isinstance(scorer, AttentionScorer)
    return scorer.with_weights(graph, _attention_weights())  # type: ignore[arg-type]


#: Scorers that need ``kgdecide train``: name -> a function making one ready on a graph (the toy
#: graph or an edited copy of it).
TRAINED: dict[str, Callable[[ArrayGraph], Scorer]] = {
    "attention": _attention,
}


def ready_scorer(name: str, graph: ArrayGraph) -> Scorer:
    """A scorer of that name, ready to score ``graph`` (trained where it must be)."""
    if not scorer_class(name).needs_training:
        return create_scorer(name, TOY_SPEC)
    if name not in TRAINED:
        pytest.fail(f"scorer {name!r} needs training: add to TRAINED in {__name__} how to make it "
                    "ready on the toy graph", pytrace=False)
    return TRAINED[name](graph)


def deletion_rule(name: str) -> str:
    """What the scorer says deleting a finding from a query of ``n`` present findings does to every
    score (its ``combines``): ``"sum"``: the score drops by exactly ``contributions[i]``;
    ``"mean"``: the others are re-weighted, ``(score - bias - contributions[i]) * n / (n - 1) +
    bias``; ``"attention"``: a softmax re-weighs the others, no claim beyond
    ``scores = bias + contributions.sum(0)``."""
    declared = scorer_class(name).combines
    if declared not in ("sum", "mean", "attention"):
        pytest.fail(f"scorer {name!r}: set its combines class attribute to 'sum', 'mean' or "
                    f"'attention' (what deleting a finding does to its scores), not {declared!r}",
                    pytrace=False)
    return declared


def twin_graphs(graph: ArrayGraph, target: str, relation: str, annotation: str
                ) -> tuple[ArrayGraph, ArrayGraph]:
    """Two graphs that differ only in whether ``target`` or its twin holds the edge
    ``target -relation-> annotation``.

    The twin is a new candidate with every other out-edge of ``target``. In ``before`` the target
    holds the edge, in ``after`` the twin does. Every count over candidates (information content,
    background frequencies, how many candidates a finding reaches) is the same in both, so the
    target's score in ``after`` is its score with that one annotation deleted and nothing else
    changed: the counterfactual an explanation's path share states.
    """
    twin = f"{target}#twin"
    node = graph.node(graph.row(target))
    graphs = []
    for holder in (target, twin):
        b = GraphBuilder("twins", "twins")
        for n in graph.iter_nodes():
            b.add_node(n.id, n.type, n.label, n.synonyms, dict(n.properties))
        b.add_node(twin, node.type, f"twin of {node.label}")
        moved = 0
        for edge in graph.iter_edges():
            props = dict(edge.properties) or None
            if (edge.subject, edge.relation, edge.object) == (target, relation, annotation):
                b.add_edge(holder, relation, annotation, props)
                moved += 1
                continue
            b.add_edge(edge.subject, edge.relation, edge.object, props)
            if edge.subject == target:
                b.add_edge(twin, edge.relation, edge.object, props)
        assert moved == 1, f"no edge {target} -{relation}-> {annotation}"
        built = b.build()
        built.meta["version"] = f"{graph.version}/{holder}/{relation}/{annotation}"
        graphs.append(built)
    return graphs[0], graphs[1]
