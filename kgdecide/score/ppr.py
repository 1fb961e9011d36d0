"""``ppr``: personalised PageRank from the findings over the typed graph (scipy.sparse).

The walk follows the hierarchy and annotation relations in both directions. Plain PageRank drifts
to hubs (general findings, heavily annotated targets), so transitions are degree-normalised: from a
node the walk moves to neighbour ``j`` with weight ``deg(j) ** -hub_exponent``, and a target's
final score is divided by ``deg(d) ** target_exponent``. PageRank is linear in the restart
vector, so one walk per finding gives exact per-finding contributions (their sum is the walk
restarting uniformly at all present findings). Excluded findings are ignored.

Hub suppression: the plain walk already divides a node's mass among its neighbours (a general
finding linked to thousands of targets passes each only a sliver); the exponents above add
stronger, tunable suppression, off by default because it hurt on the development cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.score.base import ScoreResult, Scorer, softmax


@dataclass(frozen=True, slots=True)
class PPRSettings:
    restart: float = 0.3  #: chance per step of jumping back to a finding
    iterations: int = 15  #: power iterations (error shrinks as (1 - restart) ** iterations)
    #: transitions weighted by deg(next node) ** -hub_exponent. 0 (plain degree-normalised walk)
    #: measured best: at 0.5 targets with a single annotation absorb the walk and took top-1 in
    #: every leak-free case tried (docs/EVALUATION.md)
    hub_exponent: float = 0.0
    target_exponent: float = 0.0  #: final target score divided by deg ** target_exponent
    temperature: float = 2000.0  #: posterior = softmax(score * temperature)
    #: relations walked (empty: hierarchy, finding relation and the spec's evidence relations)
    relations: tuple[str, ...] = ()


@dataclass(eq=False)
class _Walk:
    transition_t: sp.csr_matrix  #: column-stochastic transpose of the transition matrix
    target_rows: np.ndarray
    target_norm: np.ndarray  #: deg ** -target_exponent per target
    finding_type_code: int | None
    types: np.ndarray


class PPRScorer(Scorer):
    """Personalised PageRank with hub suppression.

    >>> from kgdecide.score.toy import toy_graph, TOY_SPEC
    >>> g = toy_graph()
    >>> r = PPRScorer(TOY_SPEC).score(g, [g.row("S:eczema")], [True])
    >>> g.id_list[int(r.targets[r.scores.argmax()])]
    'T:atopic'
    """

    name = "ppr"
    combines = "mean"

    @classmethod
    def default_settings(cls) -> PPRSettings:
        return PPRSettings()

    def _prepare(self, graph: ArrayGraph) -> _Walk:
        s = self.settings
        names = s.relations or (self.spec.hierarchy_relation, self.spec.finding_relation,
                                *self.spec.evidence_relations)
        adjacency = graph.undirected([n for n in names if n in graph.relations]).astype(np.float64)
        degree = np.asarray(adjacency.sum(axis=1)).ravel()
        weight = np.where(degree > 0, np.maximum(degree, 1.0) ** -s.hub_exponent, 0.0)
        weighted = (adjacency @ sp.diags(weight)).tocsr()
        out = np.asarray(weighted.sum(axis=1)).ravel()
        step = sp.diags(np.where(out > 0, 1.0 / np.where(out > 0, out, 1.0), 0.0)) @ weighted
        targets = graph.rows_of_type(self.spec.target_type)
        norm = np.maximum(degree[targets], 1.0) ** -s.target_exponent
        # float32 halves the memory traffic of the power iteration, the whole cost of this scorer
        return _Walk(step.T.tocsr().astype(np.float32), targets, norm, graph.type_code(self.spec.finding_type),
                     graph.types)

    def _score(self, state: Any, findings: list[int], present: list[bool]) -> ScoreResult:
        walk: _Walk = state
        n = walk.transition_t.shape[0]
        seeds = [row for row, is_present in zip(findings, present) if is_present]
        restart = np.zeros((n, len(seeds)), dtype=np.float32)
        restart[seeds, np.arange(len(seeds))] = 1.0
        visits = personalised_pagerank(walk.transition_t, restart, self.settings.restart,
                                       self.settings.iterations)
        per_seed = (visits[walk.target_rows].T.astype(np.float64) * walk.target_norm) / len(seeds)
        contributions = np.zeros((len(findings), len(walk.target_rows)))
        contributions[np.flatnonzero(present)] = per_seed
        scores = contributions.sum(axis=0)
        k = len(walk.target_rows)
        return ScoreResult(
            targets=walk.target_rows, scores=scores, contributions=contributions,
            findings=tuple(findings), present=tuple(present), bias=np.zeros(k),
            probabilities=softmax(scores * self.settings.temperature),
        )


def personalised_pagerank(transition_t: sp.csr_matrix, restart: np.ndarray, alpha: float,
                          iterations: int) -> np.ndarray:
    """Visit probabilities ``x = alpha * s + (1 - alpha) * P^T x`` by power iteration, one column
    per restart vector (columns of ``restart`` sum to 1). Mass reaching a dead end restarts.

    >>> t = sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    >>> personalised_pagerank(t, np.array([[1.0], [0.0]]), 0.5, 50).ravel().round(3).tolist()
    [0.667, 0.333]
    """
    x = restart.copy()
    for _ in range(iterations):
        moved = transition_t @ x
        lost = 1.0 - moved.sum(axis=0)  # mass at nodes without edges goes back to the seeds
        x = alpha * restart + (1.0 - alpha) * (moved + restart * lost)
    return x
