from __future__ import annotations

from pathlib import Path

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.embedded import EmbeddedStore


def make_store(graph: ArrayGraph, tmp_path: Path) -> EmbeddedStore:
    """Through a real snapshot on disk, so the contract covers writing and reading it."""
    EmbeddedStore.write(graph, tmp_path / "store")
    return EmbeddedStore.from_path(tmp_path / "store")
