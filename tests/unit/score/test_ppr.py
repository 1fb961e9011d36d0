"""``ppr`` against networkx's PageRank on the same weighted walk."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from kgdecide.score import create_scorer
from kgdecide.score.ppr import PPRSettings
from kgdecide.score.toy import TOY_SPEC, toy_graph
from tests.unit.score.graphs import random_graph


def _networkx_scores(graph, findings: list[str], settings: PPRSettings) -> dict[str, float]:
    undirected = nx.Graph()
    for relation in ("is_a", "has_finding"):
        for edge in graph.iter_edges(relation):
            undirected.add_edge(edge.subject, edge.object)
    walk = nx.DiGraph()
    for u, v in undirected.edges():
        walk.add_edge(u, v, weight=undirected.degree(v) ** -settings.hub_exponent)
        walk.add_edge(v, u, weight=undirected.degree(u) ** -settings.hub_exponent)
    restart = {f: 1.0 / len(findings) for f in findings}
    rank = nx.pagerank(walk, alpha=1 - settings.restart, personalization=restart,
                       weight="weight", tol=1e-13, max_iter=1000)
    return {n: rank[n] / undirected.degree(n) ** settings.target_exponent
            for n in walk if n.startswith("T:")}


@pytest.mark.parametrize("seed", [1, 2])
def test_matches_networkx_pagerank(seed: int) -> None:
    g = random_graph(seed)
    settings = PPRSettings(iterations=300)
    findings = ["S:3", "S:11", "S:25"]
    result = create_scorer("ppr", TOY_SPEC, settings).score(g, [g.row(f) for f in findings], [True] * 3)
    expected = _networkx_scores(g, findings, settings)
    for j, row in enumerate(result.targets.tolist()):
        assert result.scores[j] == pytest.approx(expected[g.id_list[row]], rel=1e-6)


def test_contributions_are_one_walk_per_finding() -> None:
    g = toy_graph()
    scorer = create_scorer("ppr", TOY_SPEC)
    both = scorer.score(g, [g.row("S:eczema"), g.row("S:murmur")], [True, True])
    alone = scorer.score(g, [g.row("S:eczema")], [True])
    np.testing.assert_allclose(both.scores, both.contributions.sum(axis=0))
    np.testing.assert_allclose(both.contributions[0] * 2, alone.scores, rtol=1e-5)  # float32 walk


def test_hub_suppression_lowers_the_most_connected_target() -> None:
    g = toy_graph()  # targets with 2 and 3 annotations: degrees differ
    rows = [g.row("S:neuro"), g.row("S:skin")]
    plain = create_scorer("ppr", TOY_SPEC).score(g, rows, [True, True])
    damped = create_scorer("ppr", TOY_SPEC, PPRSettings(hub_exponent=0.0, target_exponent=1.0)).score(g, rows, [True, True])
    degree = np.asarray(g.undirected(["is_a", "has_finding"]).sum(axis=1)).ravel()[plain.targets]
    assert degree.min() < degree.max()
    hub = int(np.argmax(degree))
    assert damped.scores[hub] / damped.scores.sum() < plain.scores[hub] / plain.scores.sum()
