"""As-of views, hub masks and path finding, checked against networkx on the fixture graph."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import numpy as np

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.packs.finance.temporal import AsOfView, hub_rows, shortest_paths, valid_mask, week_of


def _oracle(graph: ArrayGraph, day: dt.date | None) -> nx.MultiGraph:
    """The as-of graph built edge by edge from the stored properties (the slow, readable way)."""
    g = nx.MultiGraph()
    g.add_nodes_from(range(len(graph)))
    for name, rel in graph.relations.items():
        for k in range(len(rel)):
            props = rel.properties(k)
            start, end = props.get("valid_from"), props.get("valid_to")
            if day is not None and ((start and dt.date.fromisoformat(str(start)) > day)
                                    or (end and dt.date.fromisoformat(str(end)) <= day)):
                continue
            g.add_edge(int(rel.subjects[k]), int(rel.objects[k]), relation=name)
    return g


def test_view_keeps_exactly_the_edges_valid_on_the_day(finance_graph: ArrayGraph) -> None:
    for day in (dt.date(2018, 1, 3), dt.date(2018, 2, 1), dt.date(2023, 7, 1), None):
        view = AsOfView.build(finance_graph, day)
        assert len(view) == _oracle(finance_graph, day).number_of_edges(), day


def test_news_after_the_day_is_left_out(finance_graph: ArrayGraph) -> None:
    rel = finance_graph.relations["negative_impact_on"]
    # Virus -> Travel Industry first reported week 3 (Monday 2018-01-22).
    assert valid_mask(rel, dt.date(2018, 1, 21)).sum() == 0
    assert valid_mask(rel, dt.date(2018, 1, 22)).sum() == 1


def test_holdings_are_valid_only_in_their_quarter(finance_graph: ArrayGraph) -> None:
    rel = finance_graph.relations["holds"]
    assert valid_mask(rel, dt.date(2023, 6, 29)).sum() == 0
    assert valid_mask(rel, dt.date(2023, 7, 15)).sum() == len(rel)
    assert valid_mask(rel, dt.date(2023, 9, 30)).sum() == 0


def test_degree_matches_networkx(finance_graph: ArrayGraph) -> None:
    view = AsOfView.build(finance_graph, None)
    simple = nx.Graph(_oracle(finance_graph, None))
    simple.remove_edges_from(nx.selfloop_edges(simple))
    expected = np.array([simple.degree(i) for i in range(len(finance_graph))])
    assert np.array_equal(view.degree, expected)


def test_shortest_paths_match_networkx_and_avoid_hubs(finance_graph: ArrayGraph) -> None:
    view = AsOfView.build(finance_graph, None)
    hubs = hub_rows(view, 5)
    us = finance_graph.row("FINDKG:3")
    oracle = nx.Graph(_oracle(finance_graph, None))
    assert set(np.flatnonzero(hubs).tolist()) == {n for n in oracle if oracle.degree(n) > 5}
    assert hubs[us]
    source, target = finance_graph.row("FINDKG:0"), finance_graph.row("TICKER:ACME")
    oracle.remove_nodes_from(np.flatnonzero(hubs).tolist())
    found = shortest_paths(view, source, target, 4, 10, hubs)
    assert found and all(len(p) == nx.shortest_path_length(oracle, source, target) for p in found)
    for path in found:
        visited = [int(view.dst[s.edge] if s.forward else view.src[s.edge]) for s in path]
        assert not hubs[visited[:-1]].any() and visited[-1] == target


def test_week_arithmetic() -> None:
    assert week_of(dt.date(2018, 1, 1)) == 0 and week_of(dt.date(2017, 12, 31)) == -1
