"""Neo4j stops answering, then returns; Neo4j dies: kgdecide answers 503 + Retry-After, never
hangs, and recovers by itself (the kgdecide processes are never restarted).

The test runs its own throwaway server (scripts/neo4j-start into a temporary run directory), loads
the 11-node contract graph into it, serves ``--store bolt://…`` and drives graph reads.

* Stopped (SIGSTOP for :data:`OUTAGE` s, then SIGCONT): the JVM keeps its port and data, as after
  a long GC pause or a frozen VM; requests must get 200 or 503 + Retry-After, none may hang past
  the client timeout, and 200s must return after SIGCONT.
* Killed (SIGKILL): every request gets 503 + Retry-After. Not restarted here: the launcher cannot
  start again on the same data directory (its start-up ``ALTER USER … SET PASSWORD`` fails with
  "Old password and new password cannot be the same"), and a fresh start has a new port and
  password, so "recovery" would be a configuration change, not a recovery.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, require
from tests.reliability.server import CLIENT_TIMEOUT, Call, Server, drive, serving

pytestmark = [pytest.mark.slow, pytest.mark.neo4j]

#: Seconds Neo4j stays stopped.
OUTAGE = 5.0


class Neo4jProcess:
    """A server started by scripts/neo4j-start, which this test may kill and bring back."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        subprocess.run([str(REPO / "scripts" / "neo4j-start"), str(run_dir)], check=True,
                       capture_output=True, timeout=240)
        self.env = dict(line.split("=", 1) for line in
                        (run_dir / "connection.env").read_text().split() if "=" in line)
        self.pid = int(self.env["KGDECIDE_NEO4J_PID"])

    def signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def stop(self) -> None:
        try:
            os.kill(self.pid, signal.SIGCONT)  # a stopped JVM cannot handle neo4j-stop's SIGTERM
        except ProcessLookupError:
            pass
        subprocess.run([str(REPO / "scripts" / "neo4j-stop"), str(self.run_dir)], check=False,
                       capture_output=True, timeout=120)


@pytest.fixture
def neo4j(tmp_path: Path):  # type: ignore[no-untyped-def]
    require(shutil.which("java") is not None and shutil.which("mvn") is not None,
            "java and mvn are needed to run a Neo4j server of this test's own")
    server = Neo4jProcess(tmp_path / "neo4j")
    try:
        yield server
    finally:
        server.stop()


def test_neo4j_stopped_then_killed_mid_load(neo4j: Neo4jProcess, small_store: Path,
                                            home: Path, admin_key: str) -> None:
    env = {"KGDECIDE_NEO4J_USER": neo4j.env["KGDECIDE_NEO4J_USER"],
           "KGDECIDE_NEO4J_PASSWORD": neo4j.env["KGDECIDE_NEO4J_PASSWORD"],
           "KGDECIDE_RATE_LIMIT_PER_MINUTE": "100000000"}
    uri = neo4j.env["KGDECIDE_NEO4J_URI"]
    loaded = subprocess.run(
        [sys.executable, "-m", "kgdecide", "--home", str(home), "ingest", "neo4j", uri,
         "--from-store", str(small_store)], env={**os.environ, **env, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    server = Server(home, uri, workers=2, env=env)
    call = Call("GET", "/api/v1/nodes/HP:0001250", None, {"X-API-Key": admin_key})
    with serving(server):
        kgdecide_pids = {server.process.pid, *server.worker_pids()}  # type: ignore[union-attr]
        before = drive(server.port, call, 1, 2)
        neo4j.signal(signal.SIGSTOP)
        back = threading.Timer(OUTAGE, neo4j.signal, (signal.SIGCONT,))
        back.start()
        stopped = drive(server.port, call, OUTAGE, 4)
        back.join()
        recovered_after = None
        started = time.monotonic()
        while time.monotonic() - started < 60:
            window = drive(server.port, call, 1, 2)
            if window.statuses[200] and set(window.statuses) == {200}:
                recovered_after = time.monotonic() - started
                break
        neo4j.signal(signal.SIGKILL)
        killed = drive(server.port, call, 3, 4)
        status, headers, body = server.get(call.path, headers=call.headers)
        same_processes = {server.process.pid, *server.worker_pids()} == kgdecide_pids  # type: ignore[union-attr]
    report = (f"before {before.summary()}; stopped {stopped.summary()}; back after "
              f"{recovered_after} s; killed {killed.summary()}")
    print(report)
    assert same_processes, "kgdecide restarted or lost a worker"
    assert set(before.statuses) == {200}, report
    for outage in (stopped, killed):
        assert set(outage.statuses) <= {200, 503} and outage.statuses[503] > 0, report
        assert outage.missing_retry_after == 0, report
        assert not outage.errors, f"requests hung past {CLIENT_TIMEOUT} s or failed: {report}"
    assert recovered_after is not None, f"no recovery within 60 s of SIGCONT: {report}"
    assert set(killed.statuses) == {503}, report
    assert status == 503 and int(headers["retry-after"]) > 0, body
    assert b"store_unavailable" in body or b"overloaded" in body, body
