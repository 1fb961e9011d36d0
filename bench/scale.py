"""Scale: synthetic KGs of 1x, 10x, 100x... the clinical one, built, loaded and queried.

    python bench/scale.py [--scales 1,10,100] [--no-write]

Each graph has the clinical KG's node-type and relation mix (counts per type and per relation
times the scale): a random is_a hierarchy over the phenotypes (each term under an earlier one,
about 1.27 parents per term, depth ~ln n, as in HPO), diseases annotated with phenotypes skewed
towards general terms (about 20 each), and the small relations (genes, modes of inheritance,
clinical course...) between random nodes of the right types. Edges carry no properties (the
clinical has_phenotype edges carry frequency and evidence columns), so snapshots are somewhat
smaller than a real graph of that size would be.

Each scale runs in two child processes, so each measures its own peak memory:

1. generate + build (GraphBuilder bulk calls, ``build()``) + write the snapshot;
2. load the snapshot, then time ``get_node``, ``neighbors``, ``shortest_paths`` and ranking one
   case (resnik; its per-graph annotation index is timed apart, as "rank set-up").

A scale whose child fails (memory) or runs over ``--timeout`` is reported as such. Writes the
``## Scale`` section of docs/BENCHMARKS.md and docs/img/scale.png.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import REPO, SCRATCH, command_line, machine, replace_section  # noqa: E402

WORK = SCRATCH / "scale"
PLOT = REPO / "docs" / "img" / "scale.png"

#: The clinical KG (HPO 2025-01-16 build): nodes per type.
NODE_MIX = {"PhenotypicFeature": 18_387, "Disease": 12_687, "Gene": 5_132,
            "ClinicalAttribute": 534, "ObsoleteClass": 450, "ClinicalCourse": 65,
            "ModeOfInheritance": 41, "Frequency": 7}
#: Its relations other than is_a and has_phenotype: (subject type, object type, edges).
OTHER_RELATIONS = {
    "gene_associated_with_condition": ("Gene", "Disease", 12_302),
    "has_mode_of_inheritance": ("Disease", "ModeOfInheritance", 8_854),
    "has_clinical_course": ("Disease", "ClinicalCourse", 8_018),
    "lacks_phenotype": ("Disease", "PhenotypicFeature", 711),
    "replaced_by": ("ObsoleteClass", "PhenotypicFeature", 357),
    "consider": ("ObsoleteClass", "PhenotypicFeature", 82),
    "has_clinical_modifier": ("Disease", "ClinicalAttribute", 77),
}
IS_A_EDGES = 23_392
HAS_PHENOTYPE_EDGES = 253_451
PREFIX = {"PhenotypicFeature": "HP", "Disease": "OMIM", "Gene": "NCBIGene",
          "ClinicalAttribute": "HPCA", "ObsoleteClass": "HPOB", "ClinicalCourse": "HPCC",
          "ModeOfInheritance": "HPMI", "Frequency": "HPFQ"}


# --- child 1: generate, build, write -------------------------------------------------------------


def generate(scale: float, seed: int = 7) -> Any:
    """A GraphBuilder filled with the synthetic graph (bulk calls only)."""
    from kgdecide.graph.builder import GraphBuilder

    rng = np.random.default_rng(seed)
    builder = GraphBuilder(f"synthetic-{scale:g}x")
    rows: dict[str, np.ndarray] = {}
    for node_type, count in NODE_MIX.items():
        n = max(1, round(count * scale))
        ids = [f"{PREFIX[node_type]}:{i:08d}" for i in range(n)]
        interned = builder.intern_many(ids)
        builder.set_types(interned, [node_type] * n)
        builder.set_labels(interned, [f"{node_type} {i}" for i in range(n)])
        rows[node_type] = np.asarray(interned, dtype=np.int64)
    phen = rows["PhenotypicFeature"]
    n = len(phen)
    # hierarchy: term i under a random earlier term (a random recursive tree, depth ~ ln n),
    # plus extra parents for some terms, up to the clinical ratio of is_a edges per term
    child = np.arange(1, n)
    parent = (rng.random(n - 1) * child).astype(np.int64)
    extra = round(IS_A_EDGES * scale) - (n - 1)
    extra_child = rng.integers(2, n, max(extra, 0))
    extra_parent = (rng.random(len(extra_child)) * extra_child).astype(np.int64)
    builder.add_edge_rows("is_a", phen[np.concatenate([child, extra_child])].tolist(),
                          phen[np.concatenate([parent, extra_parent])].tolist())
    # annotations skewed to general (early, high in the tree) terms
    disease = rows["Disease"]
    m = round(HAS_PHENOTYPE_EDGES * scale)
    builder.add_edge_rows("has_phenotype", disease[rng.integers(0, len(disease), m)].tolist(),
                          phen[(rng.random(m) ** 2 * n).astype(np.int64)].tolist())
    for relation, (subject_type, object_type, count) in OTHER_RELATIONS.items():
        k = round(count * scale)
        subjects, objects = rows[subject_type], rows[object_type]
        builder.add_edge_rows(relation, subjects[rng.integers(0, len(subjects), k)].tolist(),
                              objects[rng.integers(0, len(objects), k)].tolist())
    return builder


def child_build(scale: float, store_dir: Path) -> dict[str, Any]:
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.graph.snapshot import current_snapshot

    shutil.rmtree(store_dir, ignore_errors=True)
    t0 = time.perf_counter()
    builder = generate(scale)
    t1 = time.perf_counter()
    graph = builder.build()
    del builder
    t2 = time.perf_counter()
    EmbeddedStore.write(graph, store_dir, rebuild_hint="python bench/scale.py")
    t3 = time.perf_counter()
    counts = graph.counts()
    size = sum(p.stat().st_size for p in current_snapshot(store_dir).iterdir())
    return {"nodes": counts.nodes, "edges": counts.edges, "generate_s": t1 - t0,
            "build_s": t2 - t1, "write_s": t3 - t2, "snapshot_mb": size / 1e6,
            "build_peak_rss_mb": _peak_rss_mb()}


# --- child 2: load and query ---------------------------------------------------------------------


def child_query(store_dir: Path, calls: int, rank: bool) -> dict[str, Any]:
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.packs.clinical.cases import CLINICAL_DOMAIN
    from kgdecide.pipeline import Ranker

    t0 = time.perf_counter()
    store = EmbeddedStore.from_path(store_dir)
    load_s = time.perf_counter() - t0
    rss_loaded = _current_rss_mb()
    rng = np.random.default_rng(11)
    diseases = list(store.nodes_by_type("Disease"))
    phenotypes = list(store.nodes_by_type("PhenotypicFeature"))
    pick = [diseases[i] for i in rng.integers(0, len(diseases), calls)]
    out: dict[str, Any] = {"load_s": load_s, "rss_after_load_mb": rss_loaded}
    out["get_node_ms"] = _median_ms([lambda i=i: store.get_node(i) for i in pick])
    out["neighbors_ms"] = _median_ms([lambda i=i: store.neighbors(i, "has_phenotype") for i in pick])
    pairs = list(zip(pick[: calls // 4], pick[calls // 4: calls // 2]))
    out["shortest_path_ms"] = _median_ms(
        [lambda a=a, b=b: store.shortest_paths(a, b, max_hops=4, limit=10) for a, b in pairs])
    out["query_peak_rss_mb"] = _peak_rss_mb()
    if not rank:
        return out
    case = [phenotypes[i] for i in (rng.random(8) ** 0.5 * len(phenotypes)).astype(int)]
    t0, c0 = time.perf_counter(), time.process_time()
    ranker = Ranker.create(store, CLINICAL_DOMAIN, "resnik")
    ranker.scorer.prepare(ranker.graph)
    out["rank_setup_s"] = time.perf_counter() - t0
    out["rank_setup_cpu_s"] = time.process_time() - c0
    out["rank_setup_peak_rss_mb"] = _peak_rss_mb()
    out["rank_ms"] = _median_ms([lambda: ranker.rank(case, top=10)] * 5)
    out["query_peak_rss_mb"] = _peak_rss_mb()
    return out


def _median_ms(calls: list[Any]) -> float:
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _current_rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


# --- parent --------------------------------------------------------------------------------------


def run_child(args: list[str], timeout: float) -> dict[str, Any] | str:
    """Run this script as a child; its last stdout line is JSON, or the failure as text."""
    try:
        run = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"over {timeout:.0f} s"
    if run.returncode:
        tail = run.stderr.strip().splitlines()[-1:] or [f"exit {run.returncode}"]
        return f"failed: {tail[0][:120]}"
    return json.loads(run.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def plot(results: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in results if "load_s" in r]
    x = [r["edges"] for r in ok]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, label in (("build_s", "build (s)"), ("write_s", "write snapshot (s)"),
                       ("load_s", "load snapshot (s)"), ("rank_setup_s", "rank set-up (s)")):
        have = [r for r in ok if key in r]
        left.plot([r["edges"] for r in have], [r[key] for r in have], marker="o", label=label)
    left.set(xscale="log", yscale="log", xlabel="edges", ylabel="seconds",
             title="Build, load, set-up time")
    for key, label in (("get_node_ms", "get_node"), ("neighbors_ms", "neighbors"),
                       ("shortest_path_ms", "shortest path <=4 hops"), ("rank_ms", "rank one case")):
        have = [r for r in ok if key in r]
        right.plot([r["edges"] for r in have], [r[key] for r in have], marker="o", label=label)
    right.set(xscale="log", yscale="log", xlabel="edges", ylabel="median ms",
              title="Query latency")
    memory = right.twinx()
    memory.plot(x, [r["rss_after_load_mb"] for r in ok], "k--", marker="s", label="RSS after load")
    memory.set(yscale="log", ylabel="RSS after load (MiB)")
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    memory.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PLOT, dpi=110)


def report(results: list[dict[str, Any]], load: tuple[tuple[float, ...], ...],
           rank_max_scale: float) -> str:
    rows = ["| scale | nodes | edges | build s | write s | snapshot MB | build peak RSS MiB | "
            "load s | RSS after load MiB | get_node ms | neighbors ms | shortest path ms | "
            "rank set-up s (CPU s) | rank ms | query peak RSS MiB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        head = f"| {r['scale']:g}x | {r.get('nodes', 0):,} | {r.get('edges', 0):,} |"
        if "build_s" not in r:
            rows.append(f"{head} {r['error']} |" + " |" * 12)
            continue
        build = (f" {r['build_s']:.1f} | {r['write_s']:.1f} | {r['snapshot_mb']:,.0f} | "
                 f"{r['build_peak_rss_mb']:,.0f} |")
        if "load_s" not in r:
            rows.append(f"{head}{build} {r['error']} |" + " |" * 7)
            continue
        rows.append(f"{head}{build} {r['load_s']:.2f} | {r['rss_after_load_mb']:,.0f} | "
                    f"{r['get_node_ms']:.3f} | {r['neighbors_ms']:.3f} | "
                    f"{r['shortest_path_ms']:.2f} | {_fmt(r, 'rank_setup_s', 1)}"
                    f"{_cpu(r)} | "
                    f"{_fmt(r, 'rank_ms', 1)} | "
                    f"{r['query_peak_rss_mb']:,.0f} |")
    return "\n".join([
        f"Command: `{command_line()}`",
        "",
        f"Date: {time.strftime('%Y-%m-%d')}. Machine: {machine(['numpy', 'scipy'])}, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM. "
        f"Load average (1/5/15 min) before: {'/'.join(f'{x:.1f}' for x in load[0])}, after: "
        f"{'/'.join(f'{x:.1f}' for x in load[1])}.",
        "",
        "Synthetic graphs with the clinical KG's type and relation mix at each scale (see "
        "`bench/scale.py` for how they are generated; edges carry no properties). Build = "
        "GraphBuilder.build() after bulk-adding the generated nodes and edges (generation "
        "itself not counted); load = EmbeddedStore.from_path (checksums verified); latencies "
        "are medians over random diseases; rank = resnik over every disease for one 8-finding "
        "case, its annotation index built once first (rank set-up: wall seconds, the "
        "process's CPU seconds in brackets; the machine is shared and busy, so wall time "
        "includes waiting for a core). Peak RSS is each child process's own maximum "
        f"(`ru_maxrss`). Ranking runs up to {rank_max_scale:g}x (`--rank-max-scale`). The "
        "annotation index propagates each disease's annotations to their ancestors a block of "
        "diseases at a time (bounded scratch memory, one sort per block) and keeps a dense "
        "block only for terms covering at least 1/8 of the diseases (at most 8 cells per "
        "propagated entry), so its time and memory follow the propagated annotations.",
        "",
        *rows,
        "",
        "![Build, load and query time against graph size](img/scale.png)",
    ])


def _cpu(result: dict[str, Any]) -> str:
    return f" ({result['rank_setup_cpu_s']:.1f})" if "rank_setup_cpu_s" in result else ""


def _fmt(result: dict[str, Any], key: str, digits: int) -> str:
    return f"{result[key]:.{digits}f}" if key in result else "not run"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,100", help="comma-separated multiples")
    parser.add_argument("--calls", type=int, default=200, help="random calls per latency figure")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per child process")
    parser.add_argument("--rank-max-scale", type=float, default=10.0,
                        help="rank only up to this scale (the annotation index grows fastest)")
    parser.add_argument("--no-rank", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the generated stores")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", choices=["build", "query"], help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "build":
        print(json.dumps(child_build(float(args.scales), args.store)))
        return
    if args.child == "query":
        print(json.dumps(child_query(args.store, args.calls, not args.no_rank)))
        return

    load_before = os.getloadavg()
    results = []
    for scale in (float(s) for s in args.scales.split(",")):
        store = WORK / f"x{scale:g}"
        result: dict[str, Any] = {"scale": scale}
        built = run_child(["--child", "build", "--scales", str(scale), "--store", str(store)],
                          args.timeout)
        if isinstance(built, str):
            result["error"] = f"build {built}"
        else:
            result.update(built)
            no_rank = ["--no-rank"] if scale > args.rank_max_scale else []
            queried = run_child(["--child", "query", "--store", str(store), "--calls",
                                 str(args.calls), *no_rank], args.timeout)
            if isinstance(queried, str):
                result["error"] = f"query {queried}"
            else:
                result.update(queried)
        print(json.dumps(result), file=sys.stderr)
        results.append(result)
        if not args.keep:
            shutil.rmtree(store, ignore_errors=True)
    body = report(results, (load_before, os.getloadavg()), args.rank_max_scale)
    print(body)
    if not args.no_write:
        plot(results)
        replace_section("Scale", body)


if __name__ == "__main__":
    main()
