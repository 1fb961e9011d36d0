"""Profile of the hot path: ``POST /api/v1/decide`` in process (Flask test client), pyinstrument.

    KGDECIDE_HOME=... python bench/hotpath.py [--requests 40] [--no-write]

Builds the app over the clinical store of $KGDECIDE_HOME (read only: the key and audit databases
go to .bench/profile/), sends the same coded and free-text bodies as bench/serve.py and reports
CPU milliseconds per request (``time.process_time``, which other processes on a busy machine do
not inflate), p50 and mean, with the response cache off, in one run: "before" explains the
candidates pair by pair as the code did before the batched pass (the oracle of
tests/integration/test_explain_batched.py, paths walked per request), "after" with the batched
pass (interleaved rounds, the best of each kept). A last row per input sends the coded bodies
again with the response cache on (every request a hit). The pyinstrument call trees of the
"after" runs go to .bench/profile/<kind>.txt; the frames over 4% of the time go into the
``## Profile`` section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import SCRATCH, command_line, machine, replace_section  # noqa: E402
from kgdecide.web.cache import MemoryCache  # noqa: E402

WORK = SCRATCH / "profile"


def make_app(home: Path) -> tuple[Any, str]:
    """The app over ``home``'s clinical store, its databases in WORK; and a clinician key."""
    from kgdecide.settings import Settings
    from kgdecide.web import create_app
    from kgdecide.web.auth import KeyStore

    for name in ("keys.sqlite3", "audit.sqlite3"):
        (WORK / name).unlink(missing_ok=True)
    settings = Settings(home, rate_limit_per_minute=0)
    app = create_app({"SETTINGS": settings, "STORE": str(home / "stores" / "clinical"),
                      "KEYS_DB": WORK / "keys.sqlite3", "AUDIT_DB": WORK / "audit.sqlite3"})
    _, secret = KeyStore.open(WORK / "keys.sqlite3").create("clinician", "bench/hotpath.py")
    return app, secret


@contextlib.contextmanager
def before_batching(app: Any) -> Iterator[None]:
    """Explanations as before the batched pass, for the duration: per (finding, annotation,
    candidate) ``pair_contribution`` calls, per-candidate attention matches, paths walked anew
    (the oracle of tests/integration/test_explain_batched.py, cut to TOP_PATHS)."""
    import kgdecide.pipeline as pipeline
    from kgdecide.explain import evidence
    from tests.integration import test_explain_batched as oracle

    def explain(graph: Any, spec: Any, scorer: Any, result: Any, candidates: Any) -> Any:
        return oracle.oracle_explain(graph, spec, scorer, result, candidates,
                                     top_paths=evidence.TOP_PATHS)

    saved = pipeline.explain_candidates, evidence.finding_path
    pipeline.explain_candidates, evidence.finding_path = explain, evidence._finding_path
    try:
        yield
    finally:
        pipeline.explain_candidates, evidence.finding_path = saved


def cpu_ms_per_request(client: Any, key: str, bodies: list[dict[str, Any]]
                       ) -> tuple[float, float, float]:
    """CPU ms per request, p50 and mean, and wall ms p50, over ``bodies`` (every answer must be
    200)."""
    cpu, wall = [], []
    for body in bodies:
        started, clock = time.process_time(), time.perf_counter()
        response = client.post("/api/v1/decide", json=body, headers={"X-API-Key": key})
        cpu.append((time.process_time() - started) * 1000)
        wall.append((time.perf_counter() - clock) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"/decide answered {response.status_code}: {response.data[:300]!r}")
    return statistics.median(cpu), statistics.fmean(cpu), statistics.median(wall)


def long_note(note: str, words: int) -> str:
    """``note`` padded to ``words`` words with clinical prose that names no finding."""
    filler = ("The history was taken from both parents at the first visit. The family lives "
              "nearby and attends every appointment. Growth was followed in the clinic over "
              "several years. ").split()
    out = note.split()
    while len(out) < words:
        out += filler[:words - len(out)]
    return " ".join(out)


def link_cpu_ms(engine: Any, text: str) -> float:
    """CPU ms to link one note (what free text adds to a decision), best of three."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        engine.link(text)
        best = min(best, (time.process_time() - started) * 1000)
    return best


def profile_tree(client: Any, key: str, bodies: list[dict[str, Any]], kind: str) -> list[str]:
    """pyinstrument over the bodies; the full tree to a file, frames over 4% returned."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    cpu_ms_per_request(client, key, bodies)
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False)
    (WORK / f"{kind}.txt").write_text(text, encoding="utf-8")
    return _significant(text, 0.04)


def breakdown(app: Any, client: Any, key: str, bodies: list[dict[str, Any]]) -> dict[str, float]:
    """CPU ms per request spent in each stage, by wrapping the stages' functions for one pass
    (the wrappers add a little time of their own)."""
    import kgdecide.pipeline as pipeline
    from kgdecide.web import present

    scorer_class = type(app.extensions["kgdecide"].engine.decider.ranker(
        app.extensions["kgdecide"].engine.decider.default_scorer).scorer)
    audit = app.extensions["kgdecide"].engine.audit
    linker = app.extensions["kgdecide"].engine.linker
    spent: dict[str, float] = {}
    targets = [("request (whole)", client, "post"),
               ("decide (pipeline)", pipeline, "decide"),
               ("rank (resolve + score)", pipeline.Ranker, "score"),
               ("explain_candidates", pipeline, "explain_candidates"),
               ("deleted_contributions (in explain)", scorer_class, "deleted_contributions"),
               ("next_questions", pipeline, "next_questions"),
               ("link text", linker, "link"),
               ("response body (decision_json)", present, "decision_json"),
               ("audit log append (commit)", audit, "append")]
    targets = [t for t in targets if t[1] is not None]  # no linker in a build without it
    saved = [(owner, attr, getattr(owner, attr)) for _, owner, attr in targets]

    def timed(label: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - started
        return wrapper

    for (label, owner, attr), (_, _, original) in zip(targets, saved):
        setattr(owner, attr, timed(label, original))
    try:
        for body in bodies:
            client.post("/api/v1/decide", json=body, headers={"X-API-Key": key})
    finally:
        for owner, attr, original in saved:
            if owner is client or owner is audit or owner is linker:
                del owner.__dict__[attr]  # the wrapper shadowed the bound method
            else:
                setattr(owner, attr, original)
    return {label: spent.get(label, 0.0) * 1000 / len(bodies) for label, _, _ in targets}


def _significant(text: str, share: float) -> list[str]:
    """Lines of a pyinstrument text tree whose time is at least ``share`` of the root's."""
    lines = [line for line in text.splitlines() if line.strip()[:1].isdigit() or "- " in line]
    timed = []
    for line in lines:
        try:
            seconds = float(line.lstrip(" |`-").split()[0])
        except (ValueError, IndexError):
            continue
        timed.append((seconds, line.replace(str(Path.cwd()), ".")))
    if not timed:
        return []
    root = max(s for s, _ in timed)
    return [line for s, line in timed if s >= share * root]


def main() -> None:
    from bench.serve import make_payloads

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2, help="before/after rounds, best kept")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    home = Path(os.environ.get("KGDECIDE_HOME", "")).expanduser()
    if not (home / "stores" / "clinical").is_dir():
        raise SystemExit("set KGDECIDE_HOME to a home with a built clinical store "
                         "(kgdecide build clinical)")
    WORK.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    app, key = make_app(home)
    payloads = make_payloads(home, args.requests)
    client = app.test_client()
    cpu_ms_per_request(client, key, payloads["coded"][:5] + payloads["text"][:5])  # warm up

    engine = app.extensions["kgdecide"].engine
    default = engine.decider.default_scorer
    cache, engine.cache = engine.cache, None  # compute is measured, not the cache
    variants = [("coded", None), ("coded", "resnik"), ("text", None)]
    rows, trees, parts, p50 = [], {}, {}, {}
    for kind, scorer in variants:
        bodies = [{**b, "scorer": scorer} if scorer else b for b in payloads[kind]]
        before = after = (float("inf"),) * 3
        for _ in range(args.rounds):  # interleaved, best round kept: the machine is shared
            with before_batching(app):
                before = min(before, cpu_ms_per_request(client, key, bodies))
            after = min(after, cpu_ms_per_request(client, key, bodies))
        name = f"{kind}, {scorer or default}{'' if scorer else ' (default)'}"
        p50[name] = after[0]
        rows.append(f"| {name} | {len(bodies)} | {before[0]:.1f} | {after[0]:.1f} | "
                    f"{before[0] / after[0]:.2f}x | {before[1]:.1f} | {after[1]:.1f} | "
                    f"{before[2]:.1f} | {after[2]:.1f} |")
        if scorer is None:
            parts[kind] = breakdown(app, client, key, bodies)
            trees[kind] = profile_tree(client, key, bodies, kind)
    engine.cache = cache or MemoryCache(1024)
    cpu_ms_per_request(client, key, payloads["coded"])  # fills the cache
    hit = cpu_ms_per_request(client, key, payloads["coded"])
    engine.cache = None
    rows.append(f"| coded, {default}, response cache hit | {len(payloads['coded'])} | | "
                f"{hit[0]:.1f} | | | {hit[1]:.1f} | | {hit[2]:.1f} |")
    notes = [long_note(b["text"], 200) for b in payloads["text"]]
    link = [link_cpu_ms(engine, note) for note in notes]
    link_p50 = statistics.median(link)
    stages = list(next(iter(parts.values())))
    split = ["| stage | " + " | ".join(f"{k} ms" for k in parts) + " |",
             "|---|" + "---:|" * len(parts)]
    split += [f"| {stage} | " + " | ".join(f"{parts[k][stage]:.1f}" for k in parts) + " |"
              for stage in stages]
    coded_default = p50[f"coded, {default} (default)"]

    body = "\n".join([
        f"Command: `{command_line()}`",
        "",
        f"Date: {time.strftime('%Y-%m-%d')}. Machine: {machine(['flask', 'numpy', 'pyinstrument'])}. "
        f"Load average (1/5/15 min) before: {'/'.join(f'{x:.1f}' for x in load_before)}, after: "
        f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())}. The machine is shared with other "
        "jobs: CPU time is not inflated by them, but shared caches and frequency "
        "still slow it, so read the ratios before the absolute figures.",
        "",
        f"`POST /api/v1/decide` in process (Flask test client, audit on, response cache off "
        f"unless said; default scorer `{default}`), the bodies of bench/serve.py (development "
        "cases: up to 8 present and 2 excluded findings, coded or as a short note), top 10, "
        "explanations and 3 next questions. CPU ms per request is the process's CPU time; wall "
        "ms is what a client would wait here. Before = explanations pair by pair as before the "
        "batched pass (the oracle of tests/integration/test_explain_batched.py), in the same "
        f"process; best of {args.rounds} interleaved rounds.",
        "",
        "| input, scorer | requests | CPU ms p50 before | CPU ms p50 after | speed-up (p50) | "
        "CPU ms mean before | CPU ms mean after | wall ms p50 before | wall ms p50 after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Target: coded decide with the default scorer <= 8 CPU ms p50: **{coded_default:.1f} ms, "
        f"{'met' if coded_default <= 8 else 'not met'}**. Free text: linking a 200-word note "
        f"(the notes above padded with prose naming no finding) costs {link_p50:.1f} CPU ms "
        f"p50 over {len(notes)} notes (target <= 3 ms: "
        f"**{'met' if link_p50 <= 3 else 'not met'}**).",
        "",
        "Where a request's CPU goes, after (CPU ms per request, default scorer; the rows nest: "
        "`deleted_contributions` is part of `explain_candidates`, which is part of `decide`):",
        "",
        *split,
        "",
        "**What changed.** Explanations were the largest part of a decision: for each "
        "annotation a shown candidate's findings matched, the share asked the scorer for each "
        "present finding what it would contribute without that annotation, one "
        "`pair_contribution` call per (finding, annotation, candidate), several hundred small "
        "Python and numpy calls per request (for attention each one rescored the whole "
        "candidate). Now `explain/evidence.py` makes one call, "
        "`Scorer.deleted_contributions`, which returns [candidates x findings x annotations]: "
        "resnik and lr from `score/matching.py:annotation_values` (each finding's best match "
        "through each annotation alone; deleting one leaves the runner-up), attention in "
        "closed form for all candidates at once; the matches of all findings in all candidates "
        "come from one pass too (`matches_many`), and paths are kept per graph. Per graph and "
        "model version instead of per request: the attention annotation weights `h(a)`. The "
        "equality with the per-pair computation is tested on 200 development cases for "
        "resnik, lr and the shipped attention model (tests/integration/test_explain_batched.py). "
        "What is left is mostly scoring itself (for attention, a finding's compatibility row "
        "over all terms is computed per finding and kept for 256 findings) and next questions "
        "(issue 15 rewrites them).",
        "",
        "Frames over 4% of the time after (pyinstrument; full trees in "
        ".bench/profile/):",
        "",
        *[line for kind in trees for line in
          [f"`{kind}`:", "", "```", *trees[kind], "```", ""]],
    ])
    print(body)
    if not args.no_write:
        replace_section("Profile", body)


if __name__ == "__main__":
    main()
