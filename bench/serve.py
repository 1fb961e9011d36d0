"""End to end: ``kgdecide serve`` (gunicorn) under a bounded locust load on 127.0.0.1.

    python bench/serve.py [--home KGDECIDE_HOME] [--workers 2] [--duration 20] [--no-write]

Starts the server on a free loopback port with a fresh KGDECIDE_HOME under .bench/serve/ (the
clinical store and trained models copied from ``--home``, default $KGDECIDE_HOME; built with
``kgdecide build clinical`` when there is none), the rate limit off and the audit log on as by
default, and a new analyst key (it may decide and read nodes). Request bodies come from the
development cases' observed and excluded HPO terms (never their diagnoses): coded findings (5-10
ids, present and excluded) and the same findings written out as free text from their labels.

Runs, each bounded by ``--duration`` seconds and a request count, closed loop with two users per
worker sending without pause (throughput, p50/p99):

1. response cache off (every request decides): node reads (``GET /api/v1/nodes/<id>``), coded
   input, free text; then the capacity of coded input: a fixed request rate stepped up by 1.5x
   from ``--start-rate`` until errors appear or the server falls behind the rate; the highest
   rate that also kept p99 <= 50 ms is the capacity, written to .bench/capacity.json for the
   overload tests (which run at 2x capacity) with the highest rate served at all;
2. a second server as by default (response cache on; the coded bodies repeat): node reads and
   coded input;
3. bench/_bare_flask.py, a bare Flask JSON endpoint under the same gunicorn settings: the
   ceiling.

Before the runs Chinese notes are sent until every worker has loaded the multilingual embedding
model (E5); peak RSS and PSS of master + workers (psutil, sampled every 0.2 s) cover all runs.
Writes the ``## Serving`` section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import REPO, SCRATCH, command_line, machine, replace_section  # noqa: E402

WORK = SCRATCH / "serve"
LOCUSTFILE = Path(__file__).resolve().parent / "_locust_decide.py"
BIN = Path(sys.executable).parent
P99_TARGET_MS = 50.0
CHINESE_NOTE = "患儿发育迟缓，反复癫痫发作，小头畸形，肌张力低下，无发热。"


# --- the server ----------------------------------------------------------------------------------


def prepare_home(source: Path | None) -> Path:
    """A fresh KGDECIDE_HOME with the clinical store (copied from ``source`` or built)."""
    home = WORK / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    if source is not None and (source / "stores" / "clinical").is_dir():
        shutil.copytree(source / "stores" / "clinical", home / "stores" / "clinical")
        if (source / "models").is_dir():  # trained attention model and calibrations
            shutil.copytree(source / "models", home / "models")
    else:
        subprocess.run([str(BIN / "kgdecide"), "build", "clinical"], check=True,
                       env={**os.environ, "KGDECIDE_HOME": str(home)})
    return home


def create_key(home: Path) -> str:
    """An analyst key: it may decide and read the graph (the node reads compared with)."""
    run = subprocess.run([str(BIN / "kgdecide"), "keys", "create", "--role", "analyst",
                          "--name", "bench/serve.py"], check=True, capture_output=True, text=True,
                         env={**os.environ, "KGDECIDE_HOME": str(home)})
    return run.stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(home: Path, workers: int, cache_entries: int | None = None, bare: bool = False
           ) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``kgdecide serve`` on a free loopback port (``cache_entries``: its response cache size,
    None: the default; ``bare``: bench/_bare_flask.py under the same gunicorn settings instead);
    stopped (SIGTERM, then SIGKILL) on exit."""
    port = free_port()
    env = {**os.environ, "KGDECIDE_HOME": str(home), "KGDECIDE_RATE_LIMIT_PER_MINUTE": "0"}
    if cache_entries is not None:
        env["KGDECIDE_RESPONSE_CACHE_ENTRIES"] = str(cache_entries)
    log = open(WORK / "server.log", "wb")
    command = ([sys.executable, str(Path(__file__).resolve().parent / "_bare_flask.py"),
                "--port", str(port), "--workers", str(workers)] if bare else
               [str(BIN / "kgdecide"), "serve", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers)])
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        _wait_healthy(proc, url, path="/bare" if bare else "/api/v1/healthz")
        print(f"server up in {time.perf_counter() - started:.1f} s at {url}", file=sys.stderr)
        yield proc, url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, timeout: float = 900,
                  path: str = "/api/v1/healthz") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"kgdecide serve exited ({proc.returncode}); see {WORK / 'server.log'}")
        try:
            with urllib.request.urlopen(f"{url}{path}", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"kgdecide serve not healthy after {timeout:.0f} s; see {WORK / 'server.log'}")


def post(url: str, key: str, body: dict[str, object], timeout: float = 120) -> int:
    request = urllib.request.Request(f"{url}/api/v1/decide", data=json.dumps(body).encode(),
                                     headers={"X-API-Key": key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def warm_multilingual(url: str, key: str, workers: int) -> int:
    """Send a Chinese note ``workers`` at a time, a few rounds (503s from load shedding are
    retried after a pause), so each worker takes one and loads E5, the embedding model, before
    the measured runs. Returns how many workers logged loading it."""
    for _ in range(4):
        statuses: list[int] = []
        threads = [threading.Thread(target=lambda: statuses.append(
            post(url, key, {"text": CHINESE_NOTE}))) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if 503 in statuses:
            time.sleep(1.0)  # Retry-After
    log = (WORK / "server.log").read_text(encoding="utf-8", errors="replace")
    return log.count("dense index multilingual")


def warm_coded(url: str, key: str, bodies: list[dict[str, object]], n: int = 50) -> None:
    """``n`` coded requests one at a time, so every worker's code paths and caches are warm
    before anything is timed (the load shedder's estimate, a median of recent service times,
    then reflects coded requests too)."""
    for body in (bodies * (n // max(len(bodies), 1) + 1))[:n]:
        post(url, key, body)


class MemorySampler:
    """Peak summed RSS and PSS of a process and its children, sampled in a thread."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_rss = 0
        self.peak_pss = 0
        self.per_process: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> None:
        import psutil

        try:
            master = psutil.Process(self.pid)
            processes = [master, *master.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        rss = pss = 0
        for p in processes:
            try:
                info = p.memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
            self.per_process[p.pid] = max(self.per_process.get(p.pid, 0), info.rss)
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_pss = max(self.peak_pss, pss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)


# --- request bodies ------------------------------------------------------------------------------


def make_payloads(home: Path, cases: int) -> dict[str, list[dict[str, object]]]:
    """Coded and free-text bodies from development cases' observed/excluded terms."""
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.packs.clinical.commands import shared_data_dir

    store = EmbeddedStore.from_path(home / "stores" / "clinical")
    path = shared_data_dir() / "clinical" / "phenopackets_dev.jsonl"
    coded: list[dict[str, object]] = []
    text: list[dict[str, object]] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)  # only "observed" and "excluded" are read: never the diagnosis
            present = [t for t in row["observed"] if store.has_node(t)][:8]
            excluded = [t for t in row["excluded"] if store.has_node(t) and t not in present][:2]
            if len(present) < 5:
                continue
            findings = [{"id": t, "status": "present"} for t in present]
            findings += [{"id": t, "status": "excluded"} for t in excluded]
            coded.append({"findings": findings, "top_k": 10})
            text.append({"text": _note([store.get_node(t).label for t in present],
                                       [store.get_node(t).label for t in excluded]), "top_k": 10})
            if len(coded) == cases:
                break
    nodes = [f["id"] for body in coded for f in body["findings"]][:cases]  # type: ignore[index]
    return {"coded": coded, "text": text, "node": nodes}


def _note(present: list[str], excluded: list[str]) -> str:
    """A short note naming the findings by label; excluded ones after "no"."""
    words = [label[0].lower() + label[1:] for label in present]
    note = f"The patient presents with {', '.join(words[:-1])} and {words[-1]}."
    if excluded:
        note += " There is no " + " and no ".join(e[0].lower() + e[1:] for e in excluded) + "."
    return note


# --- load ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunResult:
    kind: str
    users: int
    target_rate: float  #: requests/s asked for (0: closed loop, as fast as answered)
    requests: int
    failures: int  #: every answer but 200, 503s included (connection resets not)
    shed: int  #: 503 + Retry-After from the server's load shedding
    resets: int  #: "HTTP 0": the client's kept-alive connection was closed under it
    rate: float  #: requests/s answered (any status)
    ok_rate: float  #: requests/s answered with 200
    p50_ms: float
    p99_ms: float

    def sustained(self) -> bool:
        """Whether this fixed-rate step was served: no errors, >= 90% of the rate delivered."""
        return self.failures == 0 and self.rate >= 0.9 * self.target_rate

    def held(self) -> bool:
        """Whether this fixed-rate step was sustained and met the p99 target."""
        return self.sustained() and self.p99_ms <= P99_TARGET_MS


def run_locust(url: str, key: str, payloads: Path, kind: str, users: int, duration: int,
               max_requests: int, rate: float = 0.0) -> RunResult:
    """One headless locust run, bounded by ``duration`` seconds and ``max_requests``."""
    prefix = WORK / f"locust-{kind}-{int(rate)}"
    env = {**os.environ, "KGDECIDE_BENCH_PAYLOADS": str(payloads), "KGDECIDE_BENCH_KIND": kind,
           "KGDECIDE_BENCH_KEY": key, "KGDECIDE_BENCH_RATE": str(rate / users if rate else 0),
           "KGDECIDE_BENCH_MAX_REQUESTS": str(max_requests)}
    # fixed-rate runs spawn users at the asked rate, so their first requests (sent as each user
    # starts) arrive spread out rather than as one burst
    spawn = min(users, max(rate, 1.0)) if rate else users
    subprocess.run([str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--host", url,
                    "-u", str(users), "-r", f"{spawn:g}", "-t", f"{duration}s", "--stop-timeout", "10",
                    "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
                    "--exit-code-on-error", "0"],
                   env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=open(f"{prefix}.log", "wb"), cwd=REPO)
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["Name"] == f"decide {kind}")
    with open(f"{prefix}_failures.csv", encoding="utf-8") as f:
        failed = list(csv.DictReader(f))
    shed = sum(int(r["Occurrences"]) for r in failed if "HTTP 503" in r["Error"])
    # A reset kept-alive connection (gunicorn closes idle ones after its keep-alive time, and a
    # user of a slow fixed-rate run may reuse one just then) is no answer from the app: counted
    # apart, so it does not stop the capacity steps.
    resets = sum(int(r["Occurrences"]) for r in failed if "HTTP 0" in r["Error"])
    requests, failures = int(row["Request Count"]), int(row["Failure Count"]) - resets
    return RunResult(kind, users, rate, requests, failures, shed, resets, float(row["Requests/s"]),
                     float(row["Requests/s"]) * (1 - failures / max(requests, 1)),
                     float(row["50%"]), float(row["99%"]))


def find_capacity(url: str, key: str, payloads: Path, users: int, duration: int,
                  start: float, limit: float) -> tuple[float, float, list[RunResult]]:
    """Step a fixed coded-input rate up by 1.5x from ``start`` while the server sustains it
    (no errors, >= 90% of the rate delivered). Returns the capacity (the highest sustained rate
    whose p99 also stayed <= 50 ms; 0 when none did), the highest sustained rate, and the steps."""
    steps: list[RunResult] = []
    capacity = sustained = 0.0
    rate = start
    while rate <= limit:
        result = run_locust(url, key, payloads, "coded", users, duration,
                            max_requests=int(rate * duration * 1.5) + users, rate=rate)
        steps.append(result)
        print(f"  {rate:.1f} req/s asked: {result.rate:.1f} got, p99 {result.p99_ms:.0f} ms, "
              f"{result.failures} errors, {result.resets} connection resets", file=sys.stderr)
        if not result.sustained():
            break
        sustained = result.rate
        if result.held():
            capacity = result.rate
        rate *= 1.5
    return capacity, sustained, steps


# --- report --------------------------------------------------------------------------------------


def report(runs: list[RunResult], steps: list[RunResult], capacity: float, sustained: float,
           memory: MemorySampler, workers: int, load: tuple[tuple[float, ...], ...],
           e5_workers: int) -> str:
    rows = ["| input | users | requests | 503 (shed) | other errors | req/s | 200s/s | p50 ms | p99 ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    rows += [f"| {r.kind} | {r.users} | {r.requests:,} | {r.shed} | {r.failures - r.shed} | "
             f"{r.rate:.0f} | {r.ok_rate:.0f} | {r.p50_ms:.0f} | {r.p99_ms:.0f} |" for r in runs]
    cap = ["| asked req/s | got req/s | errors | connection resets | p50 ms | p99 ms | sustained | p99 <= 50 ms |",
           "|---:|---:|---:|---:|---:|---:|---|---|"]
    cap += [f"| {s.target_rate:.1f} | {s.rate:.1f} | {s.failures} | {s.resets} | {s.p50_ms:.0f} | "
            f"{s.p99_ms:.0f} | {'yes' if s.sustained() else 'no'} | "
            f"{'yes' if s.held() else 'no'} |" for s in steps]
    by = {r.kind: r for r in runs}
    node, uncached, cached = (by["node read (cache off)"], by["coded (cache off)"],
                              by["coded (cache on)"])
    node_on, bare = by["node read (cache on)"], by["bare Flask JSON"]
    per_process = ", ".join(f"{v / 2**20:.0f}" for v in sorted(memory.per_process.values()))

    def verdict(ok: bool) -> str:
        return "met" if ok else "not met"

    return "\n".join([
        f"Command: `{command_line()}`",
        "",
        f"Date: {time.strftime('%Y-%m-%d')}. Machine: {machine(['gunicorn', 'flask', 'locust'])}. "
        f"Load average (1/5/15 min) before: {'/'.join(f'{x:.1f}' for x in load[0])}, "
        f"after: {'/'.join(f'{x:.1f}' for x in load[1])}. The machine is shared with other "
        "jobs (a load average above its 2 cores means processes here waited for a core): "
        "compare rows of one run, not these figures with another day's.",
        "",
        f"`kgdecide serve` with {workers} gunicorn workers (as the command sets them up) on "
        "127.0.0.1, the clinical KG, the default scorer, audit log on, rate limit off, first "
        "with the response cache off (`KGDECIDE_RESPONSE_CACHE_ENTRIES=0`: every request "
        "decides), then as by default (cache on: the 200 coded bodies repeat, so after each "
        "worker has decided a body once it answers it from its cache, audited all the same), "
        "then a bare Flask JSON endpoint (bench/_bare_flask.py) under the same gunicorn "
        "settings and load shedder: the ceiling of server + locust with no app work. locust "
        "(FastHttpUser) runs on the same 2 cores, so the load generator takes CPU from the "
        "server. Bodies: development cases' observed terms (5-8 present, up to 2 excluded; never "
        "their diagnoses), as ids (`coded`) or written out as a short English note from their "
        "labels (`text`); node reads are `GET /api/v1/nodes/<id>` of those terms. Closed loop, "
        f"{runs[0].users} users; each run is bounded by its duration and a request count.",
        "",
        *rows,
        "",
        "Targets (issue 16), in this run:",
        "",
        f"- decide p50 <= 4x a node read's p50: cache off {uncached.p50_ms:.0f} / "
        f"{node.p50_ms:.0f} ms = {uncached.p50_ms / max(node.p50_ms, 1):.1f}x "
        f"(**{verdict(uncached.p50_ms <= 4 * max(node.p50_ms, 1))}**); cache on "
        f"{cached.p50_ms:.0f} / {node_on.p50_ms:.0f} ms = "
        f"{cached.p50_ms / max(node_on.p50_ms, 1):.1f}x "
        f"(**{verdict(cached.p50_ms <= 4 * max(node_on.p50_ms, 1))}**);",
        f"- >= 200 req/s closed loop with p99 <= 100 ms: cache off {uncached.ok_rate:.0f} req/s, "
        f"p99 {uncached.p99_ms:.0f} ms (**{verdict(uncached.ok_rate >= 200 and uncached.p99_ms <= 100)}**); "
        f"cache on {cached.ok_rate:.0f} req/s, p99 {cached.p99_ms:.0f} ms "
        f"(**{verdict(cached.ok_rate >= 200 and cached.p99_ms <= 100)}**); the bare Flask "
        f"ceiling under the same settings: {bare.ok_rate:.0f} req/s, p99 {bare.p99_ms:.0f} ms.",
        "",
        "p50/p99 are over every answer, 503s included (locust's percentiles, rounded to its "
        "buckets). With more users than workers the server sheds the excess (503 + "
        "Retry-After, kgdecide/web/overload.py) rather than queueing it.",
        "",
        f"**Capacity**, response cache off (fixed-rate coded input stepped up by 1.5x: the highest rate served with "
        f"no errors, at least 90% of it delivered, and p99 <= {P99_TARGET_MS:.0f} ms): "
        f"**{capacity:.1f} req/s**; highest rate served without errors whatever the p99: "
        f"**{sustained:.1f} req/s**. Both are in .bench/capacity.json, with `overload_rps`, "
        "twice the capacity (twice the sustained rate when no step met the p99 target).",
        "",
        *cap,
        "",
        "Warm-up before the runs: Chinese notes until every worker loaded E5, then 50 coded "
        "requests one at a time. Connection resets (`HTTP 0`: gunicorn closed an idle kept-alive "
        "connection as a slow fixed-rate user reused it) are no answer from the app and are "
        "counted apart from errors.",
        "",
        f"Memory, after Chinese notes loaded the multilingual embedding model (E5) in "
        f"{e5_workers} of {workers} workers (the English linker serves lexicon-only by default, so "
        f"MiniLM is not loaded): peak RSS of master + workers "
        f"**{memory.peak_rss / 2**20:,.0f} MiB** (target <= 1.5 GB), peak PSS "
        f"{memory.peak_pss / 2**20:,.0f} MiB (shared copy-on-write pages counted once); peak RSS "
        f"per process (MiB): {per_process}.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=os.environ.get("KGDECIDE_HOME") or None,
                        help="a KGDECIDE_HOME holding stores/clinical (default $KGDECIDE_HOME)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, default=8, help="locust users in the capacity steps")
    parser.add_argument("--closed-users", type=int, default=0,
                        help="users in the closed-loop runs (default: 2 per worker)")
    parser.add_argument("--duration", type=int, default=20, help="seconds per closed-loop run")
    parser.add_argument("--step-duration", type=int, default=10, help="seconds per capacity step")
    parser.add_argument("--max-requests", type=int, default=20_000, help="per closed-loop run")
    parser.add_argument("--start-rate", type=float, default=2.0)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    home = prepare_home(Path(args.home) if args.home else None)
    key = create_key(home)
    payloads = WORK / "payloads.json"
    payloads.write_text(json.dumps(make_payloads(home, args.cases)), encoding="utf-8")
    users = args.closed_users or 2 * args.workers

    def closed(url: str, kind: str, label: str) -> RunResult:
        r = run_locust(url, key, payloads, kind, users, args.duration, args.max_requests)
        r = dataclasses.replace(r, kind=label)
        print(f"  closed loop {label}: {r.rate:.0f} req/s, p50 {r.p50_ms:.0f} ms, p99 "
              f"{r.p99_ms:.0f} ms, {r.failures} errors", file=sys.stderr)
        return r

    coded_bodies = json.loads(payloads.read_text(encoding="utf-8"))["coded"]
    # 1. Response cache off: what deciding costs; memory with E5 loaded; the capacity.
    with server(home, args.workers, cache_entries=0) as (proc, url), \
            MemorySampler(proc.pid) as memory:
        e5_workers = warm_multilingual(url, key, args.workers)
        warm_coded(url, key, coded_bodies)
        runs = [closed(url, "node", "node read (cache off)"),
                closed(url, "coded", "coded (cache off)"),
                closed(url, "text", "text (cache off)")]
        capacity, sustained, steps = find_capacity(url, key, payloads, args.users,
                                                   args.step_duration, args.start_rate, limit=5000)
        memory.sample()
    # 2. The default, response cache on: the coded bodies repeat (every worker decides each
    # once, then answers it from its cache).
    with server(home, args.workers) as (proc, url):
        warm_coded(url, key, coded_bodies, n=len(coded_bodies) * args.workers)
        runs += [closed(url, "node", "node read (cache on)"),
                 closed(url, "coded", "coded (cache on)")]
    # 3. The ceiling: a bare Flask JSON endpoint under the same gunicorn settings.
    with server(home, args.workers, bare=True) as (proc, url):
        runs.append(closed(url, "bare", "bare Flask JSON"))
    load_after = os.getloadavg()
    (SCRATCH / "capacity.json").write_text(json.dumps({
        "capacity_rps": capacity, "sustained_rps": sustained,
        "overload_rps": 2 * (capacity or sustained), "p99_target_ms": P99_TARGET_MS,
        "workers": args.workers, "input": "coded", "measured": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "loadavg_before": load_before, "loadavg_after": load_after}, indent=2), encoding="utf-8")
    body = report(runs, steps, capacity, sustained, memory, args.workers, (load_before, load_after),
                  e5_workers)
    print(body)
    print(f"\ncapacity: {capacity:.1f} req/s, sustained: {sustained:.1f} req/s, overload rate "
          f"for the fault tests: {2 * (capacity or sustained):.1f} req/s")
    if not args.no_write:
        replace_section("Serving", body)


if __name__ == "__main__":
    main()
