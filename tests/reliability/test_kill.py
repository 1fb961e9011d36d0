"""SIGKILL under load: of one gunicorn worker, and of the whole server with the audit log on.

SIGKILL during ``kgdecide build`` is covered by tests/integration/test_build_killed.py.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psutil
import pytest

from kgdecide.web.audit import AuditLog
from tests.reliability.server import CLIENT_TIMEOUT, Call, Server, drive, serving

pytestmark = pytest.mark.slow

#: Failures a killed worker may cause: the requests on its keep-alive connections see the socket
#: closed or reset. Each client thread holds one connection, so at most one failure per thread.
ALLOWED_ON_KILL = {"RemoteDisconnected", "ConnectionResetError", "BrokenPipeError",
                   "ConnectionAbortedError"}

THREADS = 6


def decide_call(key: str) -> Call:
    return Call("POST", "/api/v1/decide",
                {"findings": [{"id": "HP:0001250"}, {"id": "HP:0000252", "status": "excluded"}]},
                {"X-API-Key": key, "Content-Type": "application/json"})


def after(seconds: float, action: "callable[[], None]") -> threading.Thread:  # type: ignore[valid-type]
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


def test_killed_worker_is_replaced_and_no_request_hangs(small_store: Path, home: Path,
                                                        admin_key: str) -> None:
    server = Server(home, str(small_store), workers=2,
                    env={"KGDECIDE_RATE_LIMIT_PER_MINUTE": "100000000"})
    with serving(server):
        victim = server.worker_pids()[0]
        timer = after(2.0, lambda: psutil.Process(victim).kill())
        load = drive(server.port, decide_call(admin_key), 6, THREADS)
        timer.join()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pids = server.worker_pids()
            if len(pids) == 2 and victim not in pids:
                break
            time.sleep(0.2)
        assert len(pids) == 2 and victim not in pids, f"no replacement worker: {pids}\n{server.log()}"
        again = drive(server.port, decide_call(admin_key), 1, 2)
    report = f"{load.summary()}; after replacement: {again.summary()}"
    print(report)
    assert load.errors["timeout"] == 0, f"a request hung past {CLIENT_TIMEOUT} s: {report}"
    assert set(load.errors) <= ALLOWED_ON_KILL, report
    assert sum(load.errors.values()) <= THREADS, report
    assert set(load.statuses) <= {200, 503} and load.statuses[200] > 0, report
    assert set(again.statuses) == {200} and not again.errors, report


def test_killed_server_keeps_every_answered_decision(small_store: Path, home: Path,
                                                      admin_key: str) -> None:
    """Every decision a client got a 200 for is in the audit log, byte for byte, after SIGKILL of
    the master and all workers mid-load (the audit row is committed, WAL + synchronous=FULL,
    before the response is written)."""
    server = Server(home, str(small_store), workers=2,
                    env={"KGDECIDE_RATE_LIMIT_PER_MINUTE": "100000000"})
    answered: dict[str, bytes] = {}
    lock = threading.Lock()

    def keep(status: int, headers: dict[str, str], body: bytes) -> None:
        with lock:
            answered[json.loads(body)["id"]] = body

    with serving(server):
        timer = after(3.0, server.kill)
        load = drive(server.port, decide_call(admin_key), 4, THREADS, on_response=keep)
        timer.join()
        assert server.process is not None and server.process.returncode is not None
        assert load.errors["timeout"] == 0, load.summary()
        server.start()  # same data directory, same port
        log = AuditLog.open(home / "audit.sqlite3")
        missing = [i for i in answered if log.get(i) is None]
        changed = [i for i, body in answered.items()
                   if (r := log.get(i)) is not None and r.response.encode() != body]
        status, _, body = server.get(f"/api/v1/decisions/{next(iter(answered))}",
                                     headers={"X-API-Key": admin_key})
    print(f"{len(answered)} decisions answered before the kill; {load.summary()}")
    assert len(answered) > 10, load.summary()
    assert not missing, f"{len(missing)} answered decisions are not in the audit log"
    assert not changed, f"{len(changed)} audit rows differ from the response sent"
    assert status == 200 and json.loads(body)["response"]["id"] in answered
    assert log.count() >= len(answered)
