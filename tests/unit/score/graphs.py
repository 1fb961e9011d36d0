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
