"""Ingest speed: kgdecide's N-Triples ingest side by side with rdflib and raw pyoxigraph.

Generates (seeded, so every run reads the same bytes) an N-Triples file with a realistic mix: about
200k nodes per million triples in four namespaces, each with a type and a label, some synonyms,
definitions with escapes and numeric literals, and skewed edges over 20 predicates. Then times on
that one file:

* kgdecide: the CLI's code path (reader -> GraphBuilder -> build -> snapshot written to disk);
* rdflib: ``Graph().parse(format="nt")`` (run once when it takes more than 20 s);
* pyoxigraph: ``Store().bulk_load`` into an in-memory store, and ``pyoxigraph.parse`` iterated
  alone (parsing only, no Python objects kept).

Usage: ``python bench/ingest.py [--triples 1000000] [--repeat 3] [--no-write]``
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SCRATCH, best_of, command_line, machine, replace_section  # noqa: E402

NAMESPACES = (
    "http://purl.obolibrary.org/obo/HP_",
    "http://purl.obolibrary.org/obo/MONDO_",
    "http://identifiers.org/ncbigene/",
    "https://example.org/kg/entity/",
)
KGD = "https://w3id.org/kgdecide/schema#"
CLASSES = tuple(f"<{KGD}{t}>" for t in ("Disease", "PhenotypicFeature", "Gene")) + (
    "<http://www.w3.org/2002/07/owl#Class>", "<https://example.org/kg/schema/Protein>",
    "<https://example.org/kg/schema/Pathway>")
PREDICATES = tuple(
    ["<http://www.w3.org/2000/01/rdf-schema#subClassOf>",
     "<https://w3id.org/biolink/vocab/has_phenotype>", f"<{KGD}has_phenotype>",
     f"<{KGD}associated_gene>", "<http://www.w3.org/2004/02/skos/core#exactMatch>",
     "<http://www.w3.org/2002/07/owl#sameAs>"]
    + [f"<https://example.org/kg/schema/rel{i:02d}>" for i in range(14)])
WORDS = ("abnormal acute anterior bone cardiac cell chronic cortical defect dental distal dorsal "
         "early facial fibrosis growth hepatic hyper hypo infantile joint kidney lateral lipid "
         "muscle nerve ocular onset proximal renal retinal skeletal skin spinal syndrome tissue "
         "tumor valve vascular café naïve").split()
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
ALT = "<http://www.w3.org/2004/02/skos/core#altLabel>"
DEF = "<http://purl.obolibrary.org/obo/IAO_0000115>"
SCORE = f"<{KGD}score>"
DOUBLE = "^^<http://www.w3.org/2001/XMLSchema#double>"


def generate(path: Path, triples: int, seed: int) -> None:
    """Write ``triples`` N-Triples lines to ``path`` (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    nodes = max(10, triples // 5)
    ns = rng.integers(0, len(NAMESPACES), nodes).tolist()
    iris = [f"<{NAMESPACES[k]}{i:07d}>" for i, k in enumerate(ns)]
    n_alt, n_def, n_score = nodes // 4, nodes // 8, nodes // 10
    n_edges = triples - 2 * nodes - n_alt - n_def - n_score
    words = np.array(WORDS)
    # Skewed degrees: a few hubs get many edges, as in real KGs.
    src = np.sort(rng.integers(0, nodes, n_edges))
    dst = np.minimum((rng.pareto(1.2, n_edges) * nodes / 50).astype(np.int64), nodes - 1)
    dst = rng.permutation(nodes)[dst]
    pred = np.minimum(rng.geometric(0.25, n_edges) - 1, len(PREDICATES) - 1)
    label_words = rng.integers(0, len(WORDS), (nodes, 3))
    cls = rng.integers(0, len(CLASSES), nodes).tolist()
    alt_rows = set(rng.choice(nodes, n_alt, replace=False).tolist())
    def_rows = set(rng.choice(nodes, n_def, replace=False).tolist())
    score_rows = set(rng.choice(nodes, n_score, replace=False).tolist())
    starts = np.searchsorted(src, np.arange(nodes + 1)).tolist()
    dst_l, pred_l = dst.tolist(), pred.tolist()
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in range(nodes):
            s = iris[row]
            w = " ".join(words[label_words[row]])
            out = [f"{s} {RDF_TYPE} {CLASSES[cls[row]]} .\n", f'{s} {LABEL} "{w}"@en .\n']
            if row in alt_rows:
                out.append(f'{s} {ALT} "{w} type {row % 7}" .\n')
            if row in def_rows:
                out.append(f'{s} {DEF} "A \\"{w}\\" finding.\\nSecond line." .\n')
            if row in score_rows:
                out.append(f'{s} {SCORE} "{(row % 1000) / 1000}"{DOUBLE} .\n')
            for e in range(starts[row], starts[row + 1]):
                out.append(f"{s} {PREDICATES[pred_l[e]]} {iris[dst_l[e]]} .\n")
            f.write("".join(out))

def scratch_file(triples: int, seed: int) -> Path:
    SCRATCH.mkdir(exist_ok=True)
    path = SCRATCH / f"ingest-{triples}-{seed}.nt"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        generate(tmp, triples, seed)
        tmp.replace(path)
    return path


def run_kgdecide(path: Path) -> int:
    from kgdecide.graph.builder import GraphBuilder
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.ingest import IngestOptions, reader_for

    store_dir = SCRATCH / "ingest-store"
    shutil.rmtree(store_dir, ignore_errors=True)  # a fresh store each run
    builder = GraphBuilder("bench")
    report = reader_for("nt")(builder, path, IngestOptions())
    EmbeddedStore.write(builder.build(), store_dir, rebuild_hint="python bench/ingest.py")
    return report.records


def run_rdflib(path: Path) -> int:
    import rdflib

    return len(rdflib.Graph().parse(str(path), format="nt"))


def run_bulk_load(path: Path) -> int:
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    return len(store)


def run_parse(path: Path) -> int:
    import pyoxigraph as ox

    return sum(1 for _ in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/BENCHMARKS.md")
    args = parser.parse_args()
    path = scratch_file(args.triples, args.seed)
    n = args.triples
    rows = []
    for name, run in (
        ("kgdecide ingest nt (parse + build + write snapshot)", run_kgdecide),
        ("rdflib Graph().parse(format='nt')", run_rdflib),
        ("pyoxigraph Store().bulk_load (in memory)", run_bulk_load),
        ("pyoxigraph.parse, iteration only", run_parse),
    ):
        start = time.perf_counter()
        count = run(path)
        first = time.perf_counter() - start
        repeat = 1 if (run is run_rdflib and first > 20) else args.repeat - 1
        seconds = min(first, best_of(repeat, lambda run=run: run(path))) if repeat else first
        if not 0.99 * n <= count <= n:  # stores drop the few duplicate triples generated
            print(f"warning: {name} read {count:,} triples of {n:,}", file=sys.stderr)
        rows.append((name, seconds))
        print(f"{name:55s} {seconds:8.2f} s {n / seconds:12,.0f} triples/s", flush=True)
    ours = rows[0][1]
    table = ["| what | seconds | triples/s | time vs kgdecide |", "|---|---:|---:|---:|"]
    table += [f"| {name} | {s:.2f} | {n / s:,.0f} | {s / ours:.2f}x |" for name, s in rows]
    body = "\n".join([
        f"Command: `{command_line()}` (best of {args.repeat}; rdflib once when slower than 20 s)",
        "",
        f"Date: {date.today().isoformat()}. Machine: {machine(['pyoxigraph', 'rdflib', 'numpy'])}.",
        "",
        f"Input: a generated N-Triples file of {n:,} triples ({path.stat().st_size / 1e6:.0f} MB, "
        f"seed {args.seed}).",
        "",
        *table,
    ])
    print("\n" + body)
    if not args.no_write:
        replace_section("Ingest", body)


if __name__ == "__main__":
    main()
