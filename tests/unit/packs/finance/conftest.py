"""The finance fixture graph, built once from ``data/fixtures/finance`` (no index membership, so
the tests need nothing outside the repo)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.packs.finance.analysis import FinanceGraph, WalkSettings
from kgdecide.packs.finance.build import FinanceSources, build_finance_graph

FIXTURES = Path(__file__).resolve().parents[4] / "data" / "fixtures" / "finance"


def fixture_sources() -> FinanceSources:
    return FinanceSources(FIXTURES / "findkg", FIXTURES / "us-stock-symbols",
                          FIXTURES / "sec-form13", indices=False)


@pytest.fixture(scope="session")
def finance_graph() -> ArrayGraph:
    return build_finance_graph(fixture_sources())


@pytest.fixture
def fg(finance_graph: ArrayGraph) -> FinanceGraph:
    # max_degree 5: "United States" (joined to 8 nodes) is a hub, nothing else is.
    return FinanceGraph(finance_graph, WalkSettings(max_degree=5))
