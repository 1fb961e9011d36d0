"""The array algorithms checked against slow, readable oracles on small random graphs:
networkx for traversal and shortest paths, plain dicts for adjacency and properties."""

from __future__ import annotations

import random
from collections import defaultdict
from math import prod

import networkx as nx
import pytest

from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.types import Direction

RELATIONS = ("r1", "r2", "r3")


def random_graph(seed: int, nodes: int = 40, edges: int = 90):
    rng = random.Random(seed)
    b = GraphBuilder("oracle")
    triples: dict[tuple[str, str, str], float] = {}
    for i in range(nodes):
        b.add_node(f"N:{i}", rng.choice(["A", "B"]), f"node {i}")
    for _ in range(edges):
        s, o = f"N:{rng.randrange(nodes)}", f"N:{rng.randrange(nodes)}"
        relation = rng.choice(RELATIONS)
        weight = round(rng.random(), 3)
        triples.setdefault((s, relation, o), weight)  # the first properties win, as in the builder
        b.add_edge(s, relation, o, {"w": weight})
    return EmbeddedStore(b.build()), triples


def as_multigraph(triples, relations=RELATIONS) -> nx.MultiGraph:
    g = nx.MultiGraph()
    for (s, r, o) in triples:
        if r in relations:
            g.add_edge(s, o, key=(s, r, o))
    return g


SEEDS = range(8)


@pytest.mark.parametrize("seed", SEEDS)
def test_neighbors_and_edges_match_a_dict_oracle(seed: int) -> None:
    store, triples = random_graph(seed)
    out, inc = defaultdict(set), defaultdict(set)
    for (s, r, o) in triples:
        out[(s, r)].add(o)
        inc[(o, r)].add(s)
    for node in store.nodes_by_type("A") + store.nodes_by_type("B"):
        for r in RELATIONS:
            assert store.neighbors(node, r) == tuple(sorted(out[(node, r)]))
            assert store.neighbors(node, r, Direction.IN) == tuple(sorted(inc[(node, r)]))
            got = {(e.subject, e.relation, e.object): e.properties["w"] for e in store.edges(node, r)}
            assert got == {k: w for k, w in triples.items() if k[0] == node and k[1] == r}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("hops", [0, 1, 2, 3])
def test_k_hop_subgraph_matches_networkx(seed: int, hops: int) -> None:
    store, triples = random_graph(seed)
    g = as_multigraph(triples)
    g.add_nodes_from(f"N:{i}" for i in range(40))
    seeds = ["N:0", "N:7"]
    expected = set()
    for s in seeds:
        expected |= set(nx.single_source_shortest_path_length(g, s, cutoff=hops))
    sub = store.subgraph(seeds, hops=hops)
    assert {n.id for n in sub.nodes} == expected
    assert {(e.subject, e.relation, e.object) for e in sub.edges} == {
        t for t in triples if t[0] in expected and t[2] in expected}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("relations", [None, ("r1", "r2")])
def test_shortest_paths_match_networkx(seed: int, relations) -> None:
    store, triples = random_graph(seed)
    g = as_multigraph(triples, relations or RELATIONS)
    rng = random.Random(seed + 100)
    for _ in range(15):
        source, target = f"N:{rng.randrange(40)}", f"N:{rng.randrange(40)}"
        paths = store.shortest_paths(source, target, max_hops=6, relations=relations, limit=10_000)
        if source not in g or target not in g or not nx.has_path(g, source, target) or \
                nx.shortest_path_length(g, source, target) > 6:
            assert paths == () or source == target
            continue
        expected = {tuple(p) for p in nx.all_shortest_paths(g, source, target)}
        assert {p.nodes for p in paths} == expected
        # Each parallel edge is its own path: count = product of edge multiplicities per step.
        multiplicity = sum(
            prod(g.number_of_edges(a, b) for a, b in zip(p, p[1:])) for p in expected)
        assert len(paths) == multiplicity
        for p in paths:  # every step is a real edge, followed the stated way
            for (a, b), r, forward in zip(zip(p.nodes, p.nodes[1:]), p.relations, p.forward):
                assert ((a, r, b) if forward else (b, r, a)) in triples
