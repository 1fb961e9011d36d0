"""A read-only or full data directory: ``kgdecide serve`` refuses to start with a message naming
the directory and what to do, and a disk that fills while serving costs a 503 with Retry-After,
never a 500 or a decision sent without its audit row.

root ignores file modes, so the directories are real tmpfs mounts (read-only, or 64 KiB and
filled). Where mounting is not permitted the tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kgdecide.settings import Settings
from kgdecide.web import create_app
from tests.conftest import REPO, require
from tests.reliability.server import free_port

pytestmark = pytest.mark.slow


@contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                             capture_output=True, text=True)
    require(mounted.returncode == 0,
            f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'mount failed'}): needs root "
            "and CAP_SYS_ADMIN")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory: Path) -> None:
    """Write until the file system says it is full."""
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 1024)
    except OSError as e:
        assert e.errno == errno.ENOSPC, e
    finally:
        os.close(fd)


def serve_output(home: Path, store: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kgdecide", "--home", str(home), "serve", "--store", str(store),
         "--port", str(free_port()), "--workers", "1"],
        env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120)


def assert_clear_refusal(result: subprocess.CompletedProcess[str], home: Path) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    assert f"the data directory {home}" in output and "KGDECIDE_HOME" in output, output
    assert "Booting worker" not in output, output  # refused before any worker started


def test_read_only_data_directory_is_refused_at_start(tmp_path: Path, small_store: Path) -> None:
    with tmpfs(tmp_path / "ro", "ro,size=1m") as home:
        result = serve_output(home, small_store)
    assert_clear_refusal(result, home)
    assert "Read-only file system" in result.stderr, result.stderr


def test_full_data_directory_is_refused_at_start(tmp_path: Path, small_store: Path) -> None:
    with tmpfs(tmp_path / "full", "size=64k") as home:
        fill(home)
        result = serve_output(home, small_store)
    assert_clear_refusal(result, home)
    assert "No space left on device" in result.stderr, result.stderr


def test_disk_filling_while_serving_sends_no_unaudited_decision(tmp_path: Path,
                                                                small_store: Path) -> None:
    """The audit database's disk fills after start: the decision is not sent (it could not be
    recorded), the client is told to retry later (503 ``audit_unavailable`` + Retry-After), and the
    error body names no file, no SQL and no trace."""
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.link import LinkerConfig
    from kgdecide.web.auth import KeyStore

    with tmpfs(tmp_path / "small", "size=1m") as audit_dir:
        app = create_app({"SETTINGS": Settings(tmp_path / "home"), "TESTING": True,
                          "STORE": EmbeddedStore.from_path(small_store),
                          "AUDIT_DB": audit_dir / "audit.sqlite3",
                          "LINKER_CONFIG": LinkerConfig(multilingual=False)})
        key = KeyStore.open(tmp_path / "home" / "keys.sqlite3").create("admin")[1]
        client = app.test_client()
        body = {"findings": [{"id": "HP:0001250"}]}
        first = client.post("/api/v1/decide", json=body, headers={"X-API-Key": key})
        assert first.status_code == 200, first.get_data(as_text=True)
        fill(audit_dir)
        answers = [client.post("/api/v1/decide", json=body, headers={"X-API-Key": key})
                   for _ in range(3)]
        stored = app.extensions["kgdecide"].engine.audit.count()
        health = client.get("/api/v1/healthz").status_code
    for response in answers:
        text = response.get_data(as_text=True)
        assert response.status_code == 503 and response.headers["Retry-After"], text
        assert json.loads(text)["error"]["code"] == "audit_unavailable"
        assert "candidates" not in text  # no ranking leaves the server unaudited
        assert "sqlite" not in text.lower() and "INSERT" not in text and str(audit_dir) not in text
    assert stored == 1  # only the decision that was answered 200
    assert health == 200  # reads still work: only decisions need the disk
