"""One GraphStore contract suite, run against every backend on the same graph.

Each backend has a factory ``make_store(graph, tmp_path) -> GraphStore`` in a module
``tests/contract/factory_<backend>.py``. A backend whose server is not reachable skips locally and
fails under ``CI=true`` (the factory calls ``require``).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tests.conftest import require
from tests.contract.graphs import contract_graph

BACKENDS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("neo4j", id="neo4j", marks=pytest.mark.neo4j),
    pytest.param("rdf", id="rdf"),
]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path):
    name = request.param
    try:
        factory = importlib.import_module(f"tests.contract.factory_{name}")
    except ModuleNotFoundError as e:
        if e.name != f"tests.contract.factory_{name}":
            raise
        require(False, f"the {name} backend has no contract factory yet")
    return factory.make_store(contract_graph(), tmp_path)
