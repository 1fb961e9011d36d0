"""``kgdecide serve`` really serves: gunicorn in a subprocess on 127.0.0.1, answered over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kgdecide.web.serve import gunicorn_options

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_options_bind_to_the_given_host_with_the_given_workers() -> None:
    options = gunicorn_options("127.0.0.1", 5000, 2)
    assert options["bind"] == ["127.0.0.1:5000"] and options["workers"] == 2
    assert options["preload_app"] is True  # heavy objects built once, before the fork
    assert gunicorn_options("::1", 80, 0)["bind"] == ["[::1]:80"]
    assert gunicorn_options("::1", 80, 0)["workers"] == 1


@pytest.mark.slow
def test_serve_answers_over_http(graph_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    code = ("import sys; from pathlib import Path; from kgdecide.settings import Settings; "
            "from kgdecide.web.serve import run; "
            f"run(Settings(Path(sys.argv[1])), sys.argv[2], '127.0.0.1', {port}, 2)")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen([sys.executable, "-c", code, str(tmp_path), str(graph_dir)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = _wait_for(f"http://127.0.0.1:{port}/api/v1/healthz", server)
        assert body["status"] == "ok" and body["nodes"] == 11
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
        assert "Case findings" in page
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert output.count("Booting worker") == 2, output


def _wait_for(url: str, server: subprocess.Popen) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"server exited: {server.communicate()[0].decode()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.3)
    pytest.fail("server did not answer within 60 s")
