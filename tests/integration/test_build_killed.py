"""A build killed with SIGKILL half-way leaves the previous snapshot current, loadable and
answering; the next build cleans up after it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.graph.snapshot import CURRENT, SNAPSHOTS

pytestmark = pytest.mark.slow


def _build(home: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "kgdecide", "--home", str(home), "build", "clinical"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.001)
    return False


def _answers(store_dir: Path, version: str) -> None:
    store = EmbeddedStore.from_path(store_dir)
    assert store.version == version
    assert store.get_node("HP:0001250").label == "Seizure"
    # Abnormal nervous system physiology is_a Abnormality of the nervous system.
    assert store.neighbors("HP:0012638", "is_a") == ("HP:0000707",)


def test_sigkill_during_a_build_keeps_the_previous_snapshot(tmp_path: Path) -> None:
    first = _build(tmp_path)
    assert first.wait(timeout=300) == 0
    store_dir = tmp_path / "stores" / "clinical"
    version = EmbeddedStore.from_path(store_dir).version
    pointer = (store_dir / CURRENT).read_text()
    snapshots = store_dir / SNAPSHOTS

    # Killed while reading the sources, before anything is written.
    reading = _build(tmp_path)
    time.sleep(1.0)
    os.kill(reading.pid, signal.SIGKILL)
    reading.wait()
    _answers(store_dir, version)

    # Killed half-way through writing the new snapshot's files.
    writing = _build(tmp_path)
    partial = lambda: any(len(list(t.glob("*.npy"))) >= 3 for t in snapshots.glob(".tmp-*"))
    assert _wait_until(partial, timeout=300), "the build never started writing a snapshot"
    os.kill(writing.pid, signal.SIGKILL)
    writing.wait()
    assert writing.returncode == -signal.SIGKILL
    assert any(snapshots.glob(".tmp-*")), "the kill should leave a half-written snapshot behind"
    assert (store_dir / CURRENT).read_text() == pointer
    _answers(store_dir, version)

    # The next build succeeds, removes the abandoned half-snapshot, and serves the same content.
    again = _build(tmp_path)
    assert again.wait(timeout=300) == 0
    assert not any(snapshots.glob(".tmp-*"))
    _answers(store_dir, version)
