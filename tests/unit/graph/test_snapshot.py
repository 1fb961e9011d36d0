"""Snapshots: atomic replacement, verification at load, clear messages when damaged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kgdecide.errors import SnapshotError
from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.graph.snapshot import CURRENT, MANIFEST, SNAPSHOTS, current_snapshot
from tests.contract.graphs import contract_graph


def _small(label: str):
    b = GraphBuilder("small", "s1")
    b.add_node("A:1", "Thing", label)
    b.add_edge("A:1", "r", "A:2", {"w": 0.5})
    return b.build()


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    graph = contract_graph()
    written = EmbeddedStore.write(graph, tmp_path)
    loaded = EmbeddedStore.from_path(tmp_path)
    assert loaded.version == written.version == graph.meta["version"]
    assert list(loaded.iter_nodes()) == list(EmbeddedStore(graph).iter_nodes())
    assert list(loaded.iter_edges()) == list(EmbeddedStore(graph).iter_edges())


def test_version_changes_with_content_only(tmp_path: Path) -> None:
    first = EmbeddedStore.write(_small("one"), tmp_path / "a").version
    same = EmbeddedStore.write(_small("one"), tmp_path / "b").version
    other = EmbeddedStore.write(_small("two"), tmp_path / "c").version
    assert first == same and first != other
    assert first.startswith("small/s1/")


def test_new_snapshot_replaces_current_and_keeps_one_previous(tmp_path: Path) -> None:
    for label in ("one", "two", "three"):
        EmbeddedStore.write(_small(label), tmp_path)
    assert EmbeddedStore.from_path(tmp_path).get_node("A:1").label == "three"
    assert len([p for p in (tmp_path / SNAPSHOTS).iterdir()]) == 2


def test_missing_store_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="kgdecide build clinical"):
        EmbeddedStore.from_path(tmp_path / "nothing")


def test_damaged_array_is_detected_with_rebuild_hint(tmp_path: Path) -> None:
    EmbeddedStore.write(_small("one"), tmp_path, rebuild_hint="kgdecide ingest nt x.nt")
    snapshot = current_snapshot(tmp_path)
    target = snapshot / "labels.blob.npy"
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(SnapshotError, match=r"damaged.*kgdecide ingest nt x\.nt"):
        EmbeddedStore.from_path(tmp_path)


def test_truncated_or_missing_file_is_detected(tmp_path: Path) -> None:
    EmbeddedStore.write(_small("one"), tmp_path)
    snapshot = current_snapshot(tmp_path)
    (snapshot / "ids.offsets.npy").unlink()
    with pytest.raises(SnapshotError, match="cannot be read"):
        EmbeddedStore.from_path(tmp_path)


def test_incompatible_format_is_refused(tmp_path: Path) -> None:
    EmbeddedStore.write(_small("one"), tmp_path)
    manifest_path = current_snapshot(tmp_path) / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 999
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(SnapshotError, match="format 999.*Rebuild"):
        EmbeddedStore.from_path(tmp_path)


def test_garbage_manifest_is_refused(tmp_path: Path) -> None:
    EmbeddedStore.write(_small("one"), tmp_path)
    (current_snapshot(tmp_path) / MANIFEST).write_text("{not json")
    with pytest.raises(SnapshotError, match="unreadable"):
        EmbeddedStore.from_path(tmp_path)


def test_abandoned_temporary_snapshot_is_cleaned_and_ignored(tmp_path: Path) -> None:
    EmbeddedStore.write(_small("one"), tmp_path)
    dead_pid = 2**22 + 12345  # above the kernel's pid_max default: no such process
    abandoned = tmp_path / SNAPSHOTS / f".tmp-{dead_pid}-deadbeef"
    abandoned.mkdir()
    (abandoned / "ids.blob.npy").write_bytes(b"partial")
    assert EmbeddedStore.from_path(tmp_path).get_node("A:1").label == "one"
    EmbeddedStore.write(_small("two"), tmp_path)
    assert not abandoned.exists()


def test_current_pointer_is_replaced_atomically(tmp_path: Path) -> None:
    EmbeddedStore.write(_small("one"), tmp_path)
    assert not (tmp_path / f"{CURRENT}.tmp").exists()
    assert (tmp_path / CURRENT).read_text().strip() == current_snapshot(tmp_path).name
    assert os.path.isdir(current_snapshot(tmp_path))
