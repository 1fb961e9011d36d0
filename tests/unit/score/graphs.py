"""Small random graphs for the scorer tests (domain-neutral, like kgdecide.score.toy)."""

from __future__ import annotations

import numpy as np

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder
from kgdecide.score.toy import TOY_SPEC


def random_builder(seed: int, findings: int = 40, targets: int = 25, per_target: int = 5,
                   second_parents: int = 5) -> GraphBuilder:
    """A random finding DAG (a tree plus a few second parents) and annotated targets."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder("random", f"seed{seed}")
    b.add_node("S:0", "Finding", "root")
    for i in range(1, findings):
        b.add_node(f"S:{i}", "Finding", f"finding {i}")
        b.add_edge(f"S:{i}", "is_a", f"S:{int(rng.integers(0, i))}")
    for _ in range(second_parents):
        child = int(rng.integers(2, findings))
        b.add_edge(f"S:{child}", "is_a", f"S:{int(rng.integers(0, child))}")
    for t in range(targets):
        b.add_node(f"T:{t}", "Target", f"target {t}")
        for f in rng.choice(np.arange(1, findings), per_target, replace=False).tolist():
            props = {} if rng.random() < 0.2 else {"frequency": float(rng.choice([0.1, 0.5, 0.9, 1.0]))}
            b.add_edge(f"T:{t}", "has_finding", f"S:{f}", {"source": "random", **props})
    b.add_edge("T:0", "lacks_finding", "S:1", {"source": "random"})
    return b


def random_graph(seed: int, **sizes: int) -> ArrayGraph:
    graph = random_builder(seed, **sizes).build()
    graph.meta["version"] = f"random/{seed}/{sorted(sizes.items())}"
    return graph


SPEC = TOY_SPEC


def trained_attention(graph: ArrayGraph, cases: int = 300, seed: int = 1, epochs: int = 4):  # noqa: ANN201
    """Attention weights trained on simulated patients of a small graph (tests only; torch)."""
    from kgdecide.score.annotations import annotation_index
    from kgdecide.score.attention import AttentionScorer
    from kgdecide.score.simulate import parents_of, simulate
    from kgdecide.score.train import ExampleMaker, TrainSettings, train

    index = annotation_index(graph, SPEC)
    settings = TrainSettings(hard=8, random=8, epochs=epochs, patience=epochs, batch=16,
                             learning_rate=0.05, seed=seed)
    maker = ExampleMaker(AttentionScorer(SPEC).with_weights(graph, None), graph, settings)
    rng = np.random.default_rng(seed)
    parents = parents_of(graph, SPEC, index)
    examples = [maker.make(list(c.observed), list(c.excluded), [c.target], (), rng)
                for c in simulate(index, parents, cases, seed)]
    held_out = simulate(index, parents, 60, seed + 1000)

    def mrr(weights) -> float:  # noqa: ANN001
        scorer = AttentionScorer(SPEC).with_weights(graph, weights)
        ranks = []
        for c in held_out:
            rows = [int(index.term_rows[t]) for t in (*c.observed, *c.excluded)]
            s = scorer.score(graph, rows, [True] * len(c.observed) + [False] * len(c.excluded)).scores
            ranks.append((s >= s[c.target]).sum())
        return float(np.mean(1.0 / np.asarray(ranks)))

    return train([e for e in examples if e is not None], mrr, graph.version, settings)
