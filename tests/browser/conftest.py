"""Browser tests: Debian's Chromium driven by Playwright against real servers on 127.0.0.1.

* ``served``: ``kgdecide serve`` (gunicorn, the real CLI, the real pipeline) on a small graph;
* ``decide_server``: the app in a werkzeug thread with the stand-in decision function of
  tests/web/doubles.py, whose order is predictable, for re-ranking (toggles, questions);
* ``no_scorer_server``: the app with decisions off, as a build without the pipeline.

``browser``, ``page`` and ``artifacts`` come from tests/browser/fixtures.py (loaded for the whole
run by tests/conftest.py). ``open_signed_in`` signs a page in to any of these servers.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.settings import Settings
from tests.contract.graphs import contract_graph

REPO = Path(__file__).resolve().parents[2]
#: Who signs in to each server these fixtures start: base URL -> (user, password).
CREDENTIALS: dict[str, tuple[str, str]] = {}
PASSWORD = "browser test password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen | None = None,  # type: ignore[type-arg]
          log: Path | None = None) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            output = log.read_text()[-3000:] if log else ""
            pytest.fail(f"server exited early: {output}")
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer within 90 s")


@pytest.fixture(scope="session")
def browser_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser-store")
    EmbeddedStore.write(contract_graph(), path)
    return path


@pytest.fixture(scope="session")
def served(browser_graph: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``kgdecide serve`` in a subprocess; yields its base URL."""
    home = tmp_path_factory.mktemp("serve-home")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "KGDECIDE_HOME": str(home)}
    # The server's output goes to a file: a pipe nobody reads fills up and stalls the server
    # mid-test once it has logged enough requests.
    log_path = home / "serve.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgdecide", "serve", "--store", str(browser_graph), "--host",
         "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url + "/api/v1/healthz", proc, log_path)
        # the first start on loopback made the local admin, as `make run` does for a newcomer
        CREDENTIALS[url] = ("admin", (home / "local-admin-password").read_text().strip())
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def thread_server(app: Any, user: str = "clinician", role: str = "clinician") -> Iterator[str]:
    """Serve ``app`` in a thread on a free loopback port with one signed-up user (``role``);
    yields its base URL (``open_signed_in`` signs in as that user)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    app.extensions["kgdecide"].users.create(user, role, PASSWORD)
    CREDENTIALS[url] = (user, PASSWORD)
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(10)


def _app(browser_graph: Path, home: Path, decider: Any) -> Any:
    from kgdecide.link import LinkerConfig
    from kgdecide.web import create_app
    from tests.web.doubles import CountingDecider

    store = EmbeddedStore.from_path(browser_graph)
    return create_app({"SETTINGS": Settings(home), "STORE": store,
                       "DECIDE": CountingDecider(store) if decider == "counting" else decider,
                       "LINKER_CONFIG": LinkerConfig(multilingual=False)})


@pytest.fixture(scope="session")
def decide_server(browser_graph: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the stand-in decision function, served by werkzeug in a thread."""
    yield from thread_server(_app(browser_graph, tmp_path_factory.mktemp("home"), "counting"))


@pytest.fixture(scope="session")
def no_scorer_server(browser_graph: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app as a build without the decision pipeline serves it."""
    yield from thread_server(_app(browser_graph, tmp_path_factory.mktemp("home"), None))


def open_signed_in(page: Any, url: str) -> None:
    """Open ``url``; when the server sends the browser to its sign-in form, sign in there as a
    person would (the fixture's user) and land back on ``url``."""
    page.goto(url)
    if "/sign-in" not in page.url:
        return
    base = next(b for b in CREDENTIALS if url.startswith(b))
    user, password = CREDENTIALS[base]
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_url(url)


def wait_until(page: Any, expression: str, timeout: float = 15.0) -> None:
    """Poll a JavaScript expression until it is truthy. (``page.wait_for_function`` evaluates a
    string with eval(), which the pages' Content-Security-Policy rightly forbids.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(100)
