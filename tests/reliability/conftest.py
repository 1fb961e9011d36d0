"""Fixtures for the fault tests: a small graph on disk and a fresh data directory with a key."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgdecide.graph.embedded import EmbeddedStore
from tests.contract.graphs import contract_graph
from tests.reliability.server import make_key


@pytest.fixture(scope="session")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 11-node contract graph as an embedded store: decisions in a few ms, no build wait."""
    path = tmp_path_factory.mktemp("reliability-store")
    EmbeddedStore.write(contract_graph(), path)
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def admin_key(home: Path) -> str:
    return make_key(home, "admin")
