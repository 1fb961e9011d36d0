"""The same development cases ranked from each backend give the same top 10 with the same scores.

The graph is a subgraph of the real clinical KG, chosen so that rankings stay real: the diseases
the cases are diagnosed with plus every 25th other disease (about 500 in all), all their
phenotype annotations (with frequencies and evidence), the case findings, the obsolete-term
replacements, and the whole ``is_a`` closure above those phenotypes. It loads into Neo4j in
seconds, where the full 307k-edge KG took about three minutes (docs/BENCHMARKS.md, bench/stores.py
measures that); every backend gets the identical subgraph, so parity on it is parity of the
backends. The attention scorer needs a model trained on the graph it ranks; training one per test
run costs minutes, so only ``lr`` and ``resnik`` are compared here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.graph.rdf import RdfStore
from kgdecide.graph.store import GraphStore
from kgdecide.packs.clinical.cases import CLINICAL_DOMAIN, LabelledCase, read_labelled_cases
from kgdecide.pipeline import Ranker

pytestmark = pytest.mark.shared_data

CASES = 20
SCORERS = ("lr", "resnik")
#: How deep rankings are compared to see whole groups of tied scores around rank 10.
TIE_DEPTH = 60
#: Relations kept whole among the kept nodes (hierarchy and obsolete-term replacements).
KEEP_AMONG = ("is_a", "replaced_by", "consider")
DISEASE_EDGES = ("has_phenotype", "lacks_phenotype")


@pytest.fixture(scope="module")
def cases(shared_data: Path) -> list[LabelledCase]:
    every = read_labelled_cases(shared_data / "clinical" / "phenopackets_dev.jsonl")
    # Spread over the file (not the first 20, which share one disease), and with findings.
    picked = [c for c in every[:: max(1, len(every) // CASES)] if c.case.observed][:CASES]
    assert len(picked) == CASES
    return picked


@pytest.fixture(scope="module")
def parity_graph(clinical_store: EmbeddedStore, cases: list[LabelledCase]) -> ArrayGraph:
    return clinical_subgraph(clinical_store.projection(), cases)


def clinical_subgraph(g: ArrayGraph, cases: list[LabelledCase]) -> ArrayGraph:
    diseases = g.rows_of_type(CLINICAL_DOMAIN.target_type).tolist()
    wanted = {d for c in cases for d in c.diagnosis if d in g.index}
    chosen = sorted({g.row(d) for d in wanted} | set(diseases[::25]))
    keep = np.zeros(len(g), dtype=bool)
    keep[chosen] = True
    findings = [f for c in cases for f in c.case.observed + c.case.excluded if f in g.index]
    keep[g.rows(findings)] = True
    for name in DISEASE_EDGES:
        rel = g.relation(name)
        keep[rel.objects[np.isin(rel.subjects, chosen)]] = True
    _close_upwards(g, keep)
    b = GraphBuilder("parity", str(g.meta.get("source_version", "unversioned")))
    for row in np.flatnonzero(keep).tolist():  # the original row order, so ties break alike
        node = g.node(row)
        b.add_node(node.id, node.type, node.label, node.synonyms, node.properties)
    for name in (*DISEASE_EDGES, *KEEP_AMONG):
        rel = g.relation(name)
        for position in np.flatnonzero(keep[rel.subjects] & keep[rel.objects]).tolist():
            edge = g.edge(name, position)
            b.add_edge(edge.subject, name, edge.object, dict(edge.properties) or None)
    return b.build()


def _close_upwards(g: ArrayGraph, keep: np.ndarray) -> None:
    """Add every ``is_a`` ancestor and replacement target of the kept nodes."""
    for _ in range(64):
        before = int(keep.sum())
        for name in KEEP_AMONG:
            rel = g.relation(name)
            keep[rel.objects[keep[rel.subjects]]] = True
        if int(keep.sum()) == before:
            return
    raise AssertionError("is_a closure did not converge")


# --- the backends, each loaded once per module ----------------------------------------------------


@pytest.fixture(scope="module")
def embedded(parity_graph: ArrayGraph, tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    path = tmp_path_factory.mktemp("parity-embedded")
    EmbeddedStore.write(parity_graph, path)
    return EmbeddedStore.from_path(path)


@pytest.fixture(scope="module")
def rdf(parity_graph: ArrayGraph, tmp_path_factory: pytest.TempPathFactory) -> RdfStore:
    store = RdfStore.from_path(tmp_path_factory.mktemp("parity-rdf"))
    store.write_graph(parity_graph)
    return store


@pytest.fixture(scope="module")
def neo4j(parity_graph: ArrayGraph) -> Iterator[GraphStore]:
    from kgdecide.graph.neo4j import Neo4jStore
    from kgdecide.graph.neo4j_load import load_graph
    from tests.contract.factory_neo4j import shared_driver, wipe
    from tests.neo4j_server import require_neo4j

    connection = require_neo4j()
    driver = shared_driver(connection)
    wipe(driver)
    load_graph(parity_graph, driver)
    yield Neo4jStore(connection.uri, (connection.user, connection.password), driver=driver)


def top10(store: GraphStore, scorer: str, cases: list[LabelledCase],
          n: int = 10) -> list[list[tuple[str, float]]]:
    ranker = Ranker.create(store, CLINICAL_DOMAIN, scorer)
    return [[(c.id, c.score) for c in ranker.rank(case.case.observed, case.case.excluded, top=n)[0]]
            for case in cases]


@pytest.fixture(scope="module")
def reference(embedded: EmbeddedStore, cases: list[LabelledCase]) -> dict[str, Any]:
    return {scorer: top10(embedded, scorer, cases) for scorer in SCORERS}


def test_the_subgraph_ranks_real_diagnoses(reference: dict[str, Any], cases: list[LabelledCase],
                                           parity_graph: ArrayGraph) -> None:
    """Guard against a degenerate subgraph: it must still rank the right disease high."""
    assert parity_graph.counts().nodes_by_type["Disease"] > 400
    hits = sum(bool(set(case.diagnosis) & {i for i, _ in ranked})
               for case, ranked in zip(cases, reference["lr"]))
    assert hits >= CASES // 2
    assert all(len(ranked) == 10 for ranked in itertools.chain(*reference.values()))


def test_rdf_ranks_exactly_alike(rdf: RdfStore, embedded: EmbeddedStore, reference: dict[str, Any],
                                 cases: list[LabelledCase]) -> None:
    """Same ids in the same order (the RDF projection keeps the embedded rows, so even exact ties
    break alike) and the same scores."""
    assert rdf.counts() == embedded.counts()
    for scorer in SCORERS:
        for case, expected, got in zip(cases, reference[scorer], top10(rdf, scorer, cases)):
            assert [i for i, _ in got] == [i for i, _ in expected], (scorer, case.case.id)
            assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-9, rel=0)


@pytest.mark.neo4j
@pytest.mark.parametrize("scorer", SCORERS)
def test_neo4j_ranks_alike(scorer: str, neo4j: GraphStore, embedded: EmbeddedStore,
                           cases: list[LabelledCase]) -> None:
    """Same scores rank by rank, and the same ids except in the order of exactly tied scores:
    Neo4j's projection numbers nodes by id, not in the embedded store's row order, and the
    ranking's stable sort keeps row order among ties."""
    assert neo4j.counts() == embedded.counts()
    expected_all = top10(embedded, scorer, cases, n=TIE_DEPTH)
    got_all = top10(neo4j, scorer, cases, n=TIE_DEPTH)
    for case, expected, got in zip(cases, expected_all, got_all):
        assert [s for _, s in got[:10]] == pytest.approx([s for _, s in expected[:10]], abs=1e-9, rel=0)
        for group in tie_groups(expected):
            if group[0] >= 10 or group[-1] == len(expected) - 1:
                continue  # below the top 10, or possibly cut off at TIE_DEPTH
            inside = [p for p in group if p < 10]
            assert {got[p][0] for p in inside} <= {expected[p][0] for p in group}, case.case.id
            if group[-1] < 10:
                assert {got[p][0] for p in group} == {expected[p][0] for p in group}, case.case.id


def tie_groups(ranked: list[tuple[str, float]]) -> list[list[int]]:
    """Positions of runs of equal scores (within 1e-9).

    >>> tie_groups([("a", 3.0), ("b", 2.0), ("c", 2.0), ("d", 1.0)])
    [[0], [1, 2], [3]]
    """
    groups: list[list[int]] = []
    for position, (_, score) in enumerate(ranked):
        if groups and abs(ranked[groups[-1][-1]][1] - score) <= 1e-9:
            groups[-1].append(position)
        else:
            groups.append([position])
    return groups


@pytest.mark.neo4j
def test_projections_of_one_version_do_not_share_an_index(rdf: RdfStore, neo4j: GraphStore,
                                                          reference: dict[str, Any],
                                                          cases: list[LabelledCase]) -> None:
    """Both projections carry the same graph version but number rows differently (Neo4j's by
    id): the scorers' annotation index must belong to the projection, not to the version."""
    top10(rdf, "lr", cases)
    assert rdf.version == neo4j.version
    got = top10(neo4j, "lr", cases)
    for expected, ranked in zip(reference["lr"], got):
        assert [s for _, s in ranked] == pytest.approx([s for _, s in expected], abs=1e-9, rel=0)
