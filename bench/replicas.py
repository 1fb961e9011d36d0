"""Shared state: one app server vs two sharing PostgreSQL and Redis; batch ranking local vs on a
Dask cluster of one and of two workers. Figures for docs/SCALING.md (printed, not written).

    python bench/replicas.py --postgres URL --redis URL [--home var] [--cases FILE]

URLs default to ``KGDECIDE_TEST_POSTGRES_URL`` / ``KGDECIDE_TEST_REDIS_URL`` (scripts/state-services).
Everything talks to 127.0.0.1 only and is bounded in time (``--seconds`` of load per run) and in
count (``--batch`` cases).

1. Replicas: ``kgdecide serve --workers 1`` once, then twice (two processes, two ports, the same
   PostgreSQL database and Redis), each under a closed loop of ``--threads`` clients sending
   ``POST /api/v1/decide`` with coded findings (the clients alternate between the two ports, as a
   round-robin proxy would). Reports answered decisions a second and latency percentiles. The
   servers serve the 11-node contract graph of the tests (a decision takes milliseconds), so
   what is measured is the web layer with its shared state: key check, rate limit in Redis,
   audit row committed in PostgreSQL. (On the clinical graph, a server's first start embeds
   40,000 names for the linker, which took over ten minutes on a busy 2-core machine.)
2. Batch: ``kgdecide rank-cases`` on the first ``--batch`` cases, in this process, then with
   ``--cluster`` on a fresh local scheduler with one worker process, then with two; each cluster
   run twice (the first builds the ranker on the workers, the second finds it built).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BODY = json.dumps({"findings": [{"id": "HP:0001250"},
                                {"id": "HP:0000252", "status": "excluded"}]}).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_average() -> str:
    return "%.1f / %.1f / %.1f" % os.getloadavg()


def fresh_database(admin_url: str) -> str:
    import psycopg

    name = f"kgd_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    return admin_url.rsplit("/", 1)[0] + "/" + name


def start_server(home: Path, store: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "kgdecide", "--home", str(home), "serve",
                                 "--store", store, "--port", str(port), "--workers", "1"],
                                env={**os.environ, **env, "PYTHONPATH": str(REPO)}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: see {log}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/healthz")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(1)
    raise SystemExit(f"server did not answer in 900 s: see {log}")


def drive(ports: list[int], key: str, seconds: float, threads: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        port = ports[i % len(ports)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        while time.monotonic() < stop:
            t0 = time.monotonic()
            try:
                conn.request("POST", "/api/v1/decide", body=BODY,
                             headers={"X-API-Key": key, "Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                ok = False
            if ok:
                mine.append(time.monotonic() - t0)
            else:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000  # noqa: E731
    return {"per_second": len(latencies) / elapsed, "answered": len(latencies),
            "errors": errors[0], "p50_ms": pick(0.5), "p99_ms": pick(0.99)}


def replicas(args: argparse.Namespace, work: Path) -> None:
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.web.postgres import PgKeyStore, migrate
    from tests.contract.graphs import contract_graph

    store = work / "contract-store"
    EmbeddedStore.write(contract_graph(), store)
    for count in (1, 2):
        url = fresh_database(args.postgres)
        migrate(url)
        keys = PgKeyStore(url)
        key = keys.create("admin", "bench")[1]
        keys.close()
        env = {"KGDECIDE_DATABASE_URL": url, "KGDECIDE_REDIS_URL": args.redis,
               "KGDECIDE_RATE_LIMIT_PER_MINUTE": "0", "KGDECIDE_SECRET_KEY": "b" * 40}
        procs = []
        try:
            for i in range(count):
                home = work / f"home-{count}-{i}"
                home.mkdir(parents=True)
                procs.append(start_server(home, str(store), env, work / f"serve-{count}-{i}.log"))
            ports = [p for _, p in procs]
            drive(ports, key, 3, args.threads)  # warm-up: first requests build caches
            before = load_average()
            result = drive(ports, key, args.seconds, args.threads)
            print(f"replicas={count} threads={args.threads} {args.seconds:.0f}s: "
                  f"{result['per_second']:.1f} decisions/s, p50 {result['p50_ms']:.0f} ms, "
                  f"p99 {result['p99_ms']:.0f} ms, errors {result['errors']}, "
                  f"load average before {before}, after {load_average()}", flush=True)
        finally:
            for proc, _ in procs:
                proc.terminate()
                proc.wait(timeout=60)


def batch(args: argparse.Namespace, work: Path) -> None:
    cases = work / "cases.jsonl"
    with open(args.cases) as src, cases.open("w") as out:
        for i, line in enumerate(src):
            if i >= args.batch:
                break
            out.write(line)
    base = [sys.executable, "-m", "kgdecide", "--home", str(Path(args.home).resolve()), "rank-cases",
            str(cases), "--chunk-size", "25"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def timed(label: str, extra: list[str]) -> Path:
        out = work / f"{label}.jsonl"
        before = load_average()
        t0 = time.monotonic()
        subprocess.run([*base, "--out", str(out), *extra], env=env, check=True,
                       stderr=subprocess.DEVNULL)
        elapsed = time.monotonic() - t0
        print(f"{label}: {args.batch} cases in {elapsed:.1f} s = {args.batch / elapsed:.1f} cases/s "
              f"(load average before {before}, after {load_average()})", flush=True)
        return out

    local = timed("local", [])
    for workers in (1, 2):
        port = free_port()
        address = f"tcp://127.0.0.1:{port}"
        scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                                      "--host", "127.0.0.1", "--port", str(port), "--no-dashboard",
                                      "--no-show"], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                   "--host", "127.0.0.1", "--nworkers", str(workers), "--nthreads",
                                   "1", "--no-dashboard", "--memory-limit", "0",
                                   "--local-directory", str(work / f"dask-{workers}")],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        try:
            from distributed import Client

            with Client(address, timeout=60) as client:
                client.wait_for_workers(workers, timeout=120)
            for run in ("cold", "warm"):
                out = timed(f"cluster-{workers}-worker-{run}", ["--cluster", address])
                same = out.read_bytes() == local.read_bytes()
                print(f"  output identical to the local run: {same}", flush=True)
        finally:
            for proc in (worker, scheduler):
                proc.terminate()
                proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", default=os.environ.get("KGDECIDE_TEST_POSTGRES_URL", ""))
    parser.add_argument("--redis", default=os.environ.get("KGDECIDE_TEST_REDIS_URL", ""))
    parser.add_argument("--home", default=str(REPO / "var"),
                        help="holds stores/clinical (the batch runs)")
    parser.add_argument("--cases", default=str(REPO.parent / "shared" / "data" / "clinical" /
                                               "phenopackets_dev.jsonl"))
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--batch", type=int, default=300)
    parser.add_argument("--only", choices=["replicas", "batch"], default=None)
    args = parser.parse_args()
    print(f"start: load average {load_average()}, {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="kgdecide-bench-") as tmp:
        if args.only in (None, "replicas"):
            if not (args.postgres and args.redis):
                raise SystemExit("--postgres and --redis are needed (or scripts/state-services)")
            replicas(args, Path(tmp))
        if args.only in (None, "batch"):
            batch(args, Path(tmp))


if __name__ == "__main__":
    main()
