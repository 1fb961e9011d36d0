"""A real ``kgdecide serve`` (gunicorn) in a subprocess on 127.0.0.1, and a small HTTP load driver.

Everything here talks to loopback only. The driver uses one keep-alive connection per client
thread and a client timeout on every request, so a request that hangs is counted, never waited on.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[2]

#: Seconds any one request may take before the driver counts it as hung.
CLIENT_TIMEOUT = 15.0


def long_faults() -> bool:
    """Whether the long variants (60 s overload and the like) run: ``KGDECIDE_LONG_FAULTS=1``."""
    return os.environ.get("KGDECIDE_LONG_FAULTS") == "1"


LONG_SKIP = "long fault variant: run with KGDECIDE_LONG_FAULTS=1 (see docs/RELIABILITY.md)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_key(home: Path, role: str = "admin") -> str:
    from kgdecide.web.auth import KeyStore

    return KeyStore.open(home / "keys.sqlite3").create(role, f"reliability {role}")[1]


@dataclass
class Server:
    """One ``kgdecide serve`` process tree; :meth:`start` waits until it answers."""

    home: Path
    store: str
    workers: int = 1
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "kgdecide", "--home", str(self.home), "serve",
                "--store", self.store, "--port", str(self.port), "--workers", str(self.workers)]

    def start(self, wait: float = 90.0) -> Server:
        self.log_path = self.home.parent / f"serve-{self.port}.log"
        env = {**os.environ, "PYTHONPATH": str(REPO), **self.env}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command(), env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited {self.process.returncode}:\n{self.log()}")
            try:
                if self.get("/api/v1/healthz", timeout=5)[0] == 200 and \
                        len(self.worker_pids()) == self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"server did not answer within {wait} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path else ""

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        try:
            return [c.pid for c in psutil.Process(self.process.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def rss(self) -> int:
        """Summed RSS of the workers, bytes."""
        total = 0
        for pid in self.worker_pids():
            try:
                total += psutil.Process(pid).memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def kill(self) -> None:
        """SIGKILL the whole process group (master and workers): no clean-up runs."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def get(self, path: str, timeout: float = CLIENT_TIMEOUT,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        return request("127.0.0.1", self.port, "GET", path, None, headers or {}, timeout)


def request(host: str, port: int, method: str, path: str, body: bytes | None,
            headers: dict[str, str], timeout: float) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@contextmanager
def serving(server: Server) -> Iterator[Server]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Outcome:
    """What the driver saw: statuses, failures by kind, latencies of successes (seconds)."""

    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    missing_retry_after: int = 0
    decision_ids: list[str] = field(default_factory=list)
    sent: int = 0
    seconds: float = 0.0

    def merge(self, other: Outcome) -> None:
        self.statuses.update(other.statuses)
        self.errors.update(other.errors)
        self.latencies.extend(other.latencies)
        self.missing_retry_after += other.missing_retry_after
        self.decision_ids.extend(other.decision_ids)
        self.sent += other.sent

    @property
    def ok_per_second(self) -> float:
        return self.statuses[200] / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (f"sent={self.sent} in {self.seconds:.1f}s statuses={dict(self.statuses)} "
                f"errors={dict(self.errors)} missing Retry-After={self.missing_retry_after} "
                f"p50={percentile(self.latencies, 50) * 1000:.1f}ms "
                f"p99={percentile(self.latencies, 99) * 1000:.1f}ms")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


@dataclass(frozen=True)
class Call:
    """One request the driver repeats."""

    method: str
    path: str
    body: dict[str, Any] | None
    headers: dict[str, str]

    def encoded(self) -> bytes | None:
        return json.dumps(self.body).encode() if self.body is not None else None


def drive(port: int, call: Call, seconds: float, threads: int, rate: float | None = None,
          on_response: Callable[[int, dict[str, str], bytes], None] | None = None) -> Outcome:
    """Send ``call`` for ``seconds``: closed loop when ``rate`` is None (each thread sends again
    as soon as it has an answer), else open loop at ``rate`` requests a second over all threads
    (a send that falls behind the schedule goes out late, never skipped)."""
    lock = threading.Lock()
    started = time.monotonic()
    schedule = [started]
    outcome = Outcome()

    def next_slot() -> float | None:
        with lock:
            slot = schedule[0]
            if slot - started >= seconds:
                return None
            if rate:
                schedule[0] = slot + 1.0 / rate
            return slot

    def client() -> None:
        mine = Outcome()
        connection: http.client.HTTPConnection | None = None
        body = call.encoded()
        while True:
            slot = next_slot()
            if slot is None or (not rate and time.monotonic() - started >= seconds):
                break
            delay = slot - time.monotonic()
            if rate and delay > 0:
                time.sleep(delay)
            mine.sent += 1
            sent_at = time.monotonic()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", port,
                                                            timeout=CLIENT_TIMEOUT)
                connection.request(call.method, call.path, body=body, headers=call.headers)
                response = connection.getresponse()
                data = response.read()
                status = response.status
                headers = {k.lower(): v for k, v in response.getheaders()}
                if response.getheader("connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except TimeoutError:
                mine.errors["timeout"] += 1
                connection = _drop(connection)
                continue
            except (ConnectionError, http.client.HTTPException, OSError) as e:
                mine.errors[type(e).__name__] += 1
                connection = _drop(connection)
                continue
            mine.statuses[status] += 1
            if status in (429, 503) and "retry-after" not in headers:
                mine.missing_retry_after += 1
            if status == 200:
                mine.latencies.append(time.monotonic() - sent_at)
                if on_response:
                    on_response(status, headers, data)
        _drop(connection)
        with lock:
            outcome.merge(mine)

    workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(seconds + CLIENT_TIMEOUT * 3)
    outcome.seconds = time.monotonic() - started
    return outcome


def _drop(connection: http.client.HTTPConnection | None) -> None:
    if connection is not None:
        connection.close()
