"""Two ``kgdecide serve`` processes sharing one PostgreSQL, under load; one is killed with SIGKILL.

Every decision either server answered with a 200 must be in the shared audit log, byte for byte,
and the surviving server must go on answering.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from kgdecide.web.postgres import PgAuditLog, PgKeyStore, migrate
from tests.reliability.conftest import small_store  # noqa: F401  (fixture reused here)
from tests.reliability.server import Outcome, Server, drive
from tests.reliability.test_kill import ALLOWED_ON_KILL, decide_call

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

THREADS = 3  # per server
SECONDS = 6.0
KILL_AFTER = 2.5
RATE = 60.0  # requests a second per server at most: a refused victim is not hammered


def test_killing_one_of_two_servers_loses_no_answered_decision(small_store: Path,  # noqa: F811
                                                               pg_url: str, tmp_path: Path) -> None:
    migrate(pg_url)
    keys = PgKeyStore(pg_url)
    secret = keys.create("admin", "fault test")[1]
    keys.close()
    env = {"KGDECIDE_DATABASE_URL": pg_url, "KGDECIDE_RATE_LIMIT_PER_MINUTE": "100000000"}
    servers = []
    for name in ("victim", "survivor"):
        home = tmp_path / name / "home"
        home.mkdir(parents=True)
        servers.append(Server(home, str(small_store), workers=1, env=env))
    answered: dict[str, bytes] = {}
    lock = threading.Lock()

    def keep(status: int, headers: dict[str, str], body: bytes) -> None:
        with lock:
            answered[json.loads(body)["id"]] = body

    outcomes: dict[str, Outcome] = {}

    def load(name: str, server: Server) -> None:
        outcomes[name] = drive(server.port, decide_call(secret), SECONDS, THREADS, rate=RATE,
                               on_response=keep)

    victim, survivor = servers
    try:
        for server in servers:  # one after the other: the first creates the local admin
            server.start()
        threads = [threading.Thread(target=load, args=(n, s))
                   for n, s in (("victim", victim), ("survivor", survivor))]
        for t in threads:
            t.start()
        timer = threading.Timer(KILL_AFTER, victim.kill)
        timer.start()
        for t in threads:
            t.join()
        timer.join()
        assert victim.process is not None and victim.process.returncode is not None
        after = drive(survivor.port, decide_call(secret), 1.0, 2, on_response=keep)
    finally:
        for server in servers:
            server.stop()
    log = PgAuditLog(pg_url)
    try:
        missing = [i for i in answered if log.get(i) is None]
        changed = [i for i, body in answered.items()
                   if (r := log.get(i)) is not None and r.response.encode() != body]
        stored = log.count()
    finally:
        log.close()
    report = (f"{len(answered)} answered; victim {outcomes['victim'].summary()}; "
              f"survivor {outcomes['survivor'].summary()}; after the kill {after.summary()}")
    print(report)
    assert outcomes["victim"].statuses[200] > 5 and outcomes["survivor"].statuses[200] > 5, report
    assert not missing, f"{len(missing)} answered decisions are not in the audit log; {report}"
    assert not changed, f"{len(changed)} audit rows differ from the response sent; {report}"
    assert stored >= len(answered)
    assert set(outcomes["victim"].errors) <= ALLOWED_ON_KILL | {"ConnectionRefusedError"}, report
    assert not outcomes["survivor"].errors and set(outcomes["survivor"].statuses) == {200}, report
    assert set(after.statuses) == {200} and not after.errors, report
