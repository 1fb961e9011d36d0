"""The annotation index build on a synthetic graph, this checkout against another, in one run.

    python bench/index_build.py --scale 10 --vs ../main [--no-write]

Generates the graph of bench/scale.py at ``--scale`` once (written to .bench/index/), then for
each checkout (this one, then ``--vs``) builds ``AnnotationIndex`` over it in a child process
whose ``kgdecide`` is that checkout's: wall and CPU seconds, peak RSS (``ru_maxrss``, the graph
loaded included), the propagated entries. Appends the table to the ``## Scale`` section of
docs/BENCHMARKS.md (after what bench/scale.py wrote) unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import REPO, SCRATCH, command_line  # noqa: E402

WORK = SCRATCH / "index"
MARK = "<!-- index_build.py -->"

CHILD = """
import json, os, resource, sys, time
import kgdecide
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.packs.clinical.cases import CLINICAL_DOMAIN
from kgdecide.score.annotations import AnnotationIndex
graph = EmbeddedStore.from_path(sys.argv[1]).projection()
loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
wall, cpu = time.perf_counter(), time.process_time()
index = AnnotationIndex.build(graph, CLINICAL_DOMAIN)
print(json.dumps({"code": os.path.dirname(os.path.dirname(kgdecide.__file__)),
                  "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "graph_rss_mb": loaded, "closure_nnz": int(index.closure.nnz),
                  "load": os.getloadavg()[0]}))
"""


def build_store(scale: float) -> Path:
    from bench.scale import generate
    from kgdecide.graph.embedded import EmbeddedStore

    store = WORK / f"x{scale:g}"
    if not (store / "CURRENT").exists():
        EmbeddedStore.write(generate(scale).build(), store)
    return store


def measure(code: Path, store: Path, timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(store)], env=env, cwd="/",
                         capture_output=True, text=True, timeout=timeout, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--vs", type=Path, required=True, help="the other checkout (before)")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    store = build_store(args.scale)
    load = os.getloadavg()
    after = measure(REPO, store, args.timeout)
    before = measure(args.vs.resolve(), store, args.timeout)
    rows = [f"| {name} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_rss_mb']:,.0f} | "
            f"{r['graph_rss_mb']:,.0f} | {r['closure_nnz']:,} |"
            for name, r in (("before (--vs)", before), ("after (this checkout)", after))]
    body = "\n".join([
        MARK,
        f"**Annotation index build at {args.scale:g}x, before and after, one run.** Command: "
        f"`{command_line()}` ({time.strftime('%Y-%m-%d')}; load average before "
        f"{'/'.join(f'{x:.1f}' for x in load)}, after {'/'.join(f'{x:.1f}' for x in os.getloadavg())}"
        "; the machine is shared and busy, so wall time includes waiting for a core). "
        "`AnnotationIndex.build` over the stored synthetic graph, each in its own process; peak "
        "RSS includes the loaded graph.",
        "",
        "| code | wall s | CPU s | peak RSS MiB | RSS with the graph loaded MiB | propagated entries |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"After / before: CPU {after['cpu_s'] / before['cpu_s']:.2f}x, peak RSS "
        f"{after['peak_rss_mb'] / before['peak_rss_mb']:.2f}x.",
    ])
    print(body)
    if not args.no_write:
        docs = REPO / "docs" / "BENCHMARKS.md"
        text = docs.read_text(encoding="utf-8")
        start = text.index("## Scale")
        end = text.find("\n## ", start + 1)
        end = len(text) if end < 0 else end
        section = text[start:end]
        if MARK in section:
            section = section[:section.index(MARK)].rstrip("\n") + "\n"
        section = section.rstrip("\n") + "\n\n" + body + "\n"
        docs.write_text(text[:start] + section + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
