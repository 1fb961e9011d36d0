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
        # A newcomer's first start on loopback: a local admin exists, its password kept for
        # them; the page sends them to sign in and, signed in, shows the clinician's form.
        password = (tmp_path / "local-admin-password").read_text().strip()
        assert (tmp_path / "local-admin-password").stat().st_mode & 0o077 == 0
        page = sign_in_over_http(f"http://127.0.0.1:{port}", "admin", password)
        assert "Case findings" in page and "Signed in as admin" in page
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert output.count("Booting worker") == 2, output


def sign_in_over_http(base: str, user: str, password: str) -> str:
    """Open ``base``/ as a browser would: follow the redirect to the sign-in form, post it with
    its CSRF token, and return the page it lands on."""
    import http.cookiejar
    import re
    import urllib.parse

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(base + "/", timeout=10) as response:
        assert "/sign-in" in response.url
        form = response.read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode({"csrf_token": token, "username": user, "password": password,
                                   "next": "/"}).encode()
    with opener.open(base + "/sign-in", data=data, timeout=10) as response:
        return response.read().decode()


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
