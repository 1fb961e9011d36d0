"""Evaluate FinDKG temporal link prediction (the official protocol) and the finance linker.

    .venv/bin/python eval/finance.py                      # both, writes docs/EVALUATION.md
    .venv/bin/python eval/finance.py --only linking --no-docs
    .venv/bin/python eval/finance.py --only linkpred --retrain   # train the learned scorer too
    .venv/bin/python eval/finance.py --findkg DIR --ranks RANKS.tsv

Link prediction: for each row (s, r, o, t) of FinDKG's test split predict the tail of (s, r, ?, t),
ranked raw over all 13,645 entities, ties at the average rank, history = every fact before week t
(:mod:`kgdecide.packs.finance.evaluate`). Scorers: the *history* baseline (repeat past (s, r, o),
then (s, ., o), then relation popularity, recency-decayed) and *history+ppr* (adds a
personalised-PageRank walk from s), weights chosen on valid, then test scored once; and the
*learned* scorer (:mod:`kgdecide.packs.finance.learned`), trained on train with early stopping on
valid (``--retrain``; else the model in ``--model`` is reused).

Linking: ``eval/data/finance_mentions.jsonl`` (mentions written from real headlines and names in
the data) against the finance store (``kgdecide build finance``; ``--store``): precision and recall
of the linked node, counting a gold id or any node joined to it by ``listed_as`` as correct.

FinDKG is GPL-3.0 and non-commercial: it is read from ``--findkg`` (default
``../shared/data/finance/findkg`` or ``$KGDECIDE_SHARED_DATA/finance/findkg``), never copied.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
sys.path.insert(0, str(REPO))
from _common import write_section  # noqa: E402  (eval/ is this script's folder)


def shared_data() -> Path:
    configured = os.environ.get("KGDECIDE_SHARED_DATA")
    return Path(configured) if configured else (REPO.parent / "shared" / "data").resolve()


def _row(name: str, m: dict) -> str:
    return (f"| {name} | {m['mrr']:.3f} | {m['hits@1']:.3f} | {m['hits@3']:.3f} | "
            f"{m['hits@10']:.3f} |")


def link_prediction(findkg: Path, ranks_out: Path | None, model_path: Path | None,
                    retrain: bool, epochs: int, wait_minutes: float = 0.0) -> list[str]:
    from kgdecide.packs.finance.build import read_findkg
    from kgdecide.packs.finance.evaluate import evaluate, tune, write_ranks
    from kgdecide.packs.finance.learned import LearnedScorer, LearnSettings, rank_split, train
    from kgdecide.packs.finance.predict import metrics

    kg = read_findkg(findkg)
    started = time.perf_counter()
    history, walk, valid = tune(kg, "valid")
    tuned = time.perf_counter() - started
    test = evaluate(kg, "test", [history, walk])
    baseline_s = time.perf_counter() - started

    model_path = model_path or REPO / ".cache" / "finance-learned.npz"
    deadline = time.monotonic() + 60 * wait_minutes
    while not retrain and not model_path.is_file() and time.monotonic() < deadline:
        time.sleep(10)  # `kgdecide finance train --out` is writing it in another process
    if retrain or not model_path.is_file():
        model = train(kg, LearnSettings(epochs=epochs),
                      lambda e: print(f"epoch {e.epoch}: loss {e.train_loss:.4f} valid MRR "
                                      f"{e.valid['mrr']:.4f} Hits@10 {e.valid['hits@10']:.4f} "
                                      f"({e.seconds:.0f} s)", file=sys.stderr))
        model.save(model_path)
    model = LearnedScorer.from_path(model_path)
    model.check(kg, model_path)
    scored = time.perf_counter()
    learned_valid = metrics(rank_split(model, kg, "valid"))
    learned_ranks = rank_split(model, kg, "test")
    learned_test = metrics(learned_ranks)
    score_s = time.perf_counter() - scored
    if ranks_out is not None:
        write_ranks(ranks_out, kg, "test", learned_ranks.tolist())
    header = ["| scorer | MRR | Hits@1 | Hits@3 | Hits@10 |", "|---|---|---|---|---|"]
    epochs_run = model.extra.get("epochs", [])
    train_s = model.extra.get("train_seconds", float("nan"))
    train_cpu = model.extra.get("train_cpu_seconds")
    body = [
        f"FinDKG ({len(kg.names):,} entities, {len(kg.relations)} relations; valid "
        f"{len(kg.quads['valid']):,} rows, test {len(kg.quads['test']):,} rows). Raw ranking over "
        "all entities, ties at the average rank, history = all facts before the query's week.",
        "",
        "Valid (baseline weights and the learned scorer's epoch chosen here):", "", *header,
        _row("history baseline", valid["history"]), _row("history + PPR walk", valid["history+ppr"]),
        _row("learned (network over typed temporal paths)", learned_valid),
        "", "Test (scored once with what was chosen on valid):", "", *header,
        _row("history baseline", test.metrics(0)), _row("history + PPR walk", test.metrics(1)),
        _row("learned (network over typed temporal paths)", learned_test),
        "",
        f"Chosen weights: history {history}; walk {walk}.",
        "Learned scorer (`kgdecide/packs/finance/learned.py`, model "
        f"`{model.version}` on data `{model.kg_version}`, settings {model.settings}): every "
        "entity gets a per-relation linear score of its popularity under the relation, news "
        "activity (all time, last 1/4/12 weeks, recency-decayed) and entity-type fit; each "
        "candidate the subject's history reaches also gets the output of a small ReLU network "
        "(shifted per relation) over its typed temporal path features: (s, r, o), (s, ., o), "
        "(o, ., s), (o, r, s) counts all time / in the last 1, 4, 12 weeks / recency-decayed / "
        "weeks since the last report, (s, r2, o) and (o, r2, s) per relation r2, two-hop paths "
        "s - x - o and s - x -r-> o through non-hub entities, popularity of o under r among "
        "subjects of s's type, and the subject's history size. No entity embeddings. Softmax "
        "cross-entropy over all entities on train weeks 40-99 (earlier weeks serve as history "
        f"only), early stopping on valid MRR ({len(epochs_run)} epochs run; valid MRR by epoch "
        + ", ".join(f"{e['valid']['mrr']:.4f}" for e in epochs_run) + ").",
        f"Time: baseline {tuned:.0f} s tuning on valid, {baseline_s:.0f} s in all; learned "
        f"training {train_s:.0f} s wall"
        + (f" / {train_cpu:.0f} s CPU" if train_cpu is not None else "")
        + f" (torch, 1 thread), scoring valid + test {score_s:.0f} s. 2 shared CPU cores, "
        "busy: wall times are noisy.",
        "The issue's reference for the history baseline is test MRR 0.151 / Hits@10 0.259 and the "
        "target for the learned scorer MRR >= 0.25 / Hits@10 >= 0.40: "
        + ("met." if learned_test["mrr"] >= 0.25 and learned_test["hits@10"] >= 0.40 else
           f"**not met** (learned minus history baseline on test: MRR "
           f"{learned_test['mrr'] - test.metrics(0)['mrr']:+.3f}, Hits@10 "
           f"{learned_test['hits@10'] - test.metrics(0)['hits@10']:+.3f})."),
        "",
        "Commands: `kgdecide finance train ../shared/data/finance/findkg --out "
        f"{_shown(model_path)}`, then `.venv/bin/python eval/finance.py --only linkpred "
        f"--model {_shown(model_path)}` (reuses that model; `--retrain` trains it in the same "
        "run). Both ran under `taskset -c 1` (one core) at the same time. Per split through the CLI: "
        "`kgdecide finance eval DIR --split test --scorer learned --model MODEL --out RANKS.tsv`.",
    ]
    return body


def _shown(path: Path) -> str:
    """``path`` relative to the repository when inside it (no machine paths in the docs)."""
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return Path(path).name


def linking(store: str | None) -> list[str]:
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.link import Linker
    from kgdecide.packs.finance.linking import finance_linker_config
    from kgdecide.settings import Settings

    settings = Settings.from_env()
    graph_store = EmbeddedStore.from_path(settings.store_dir(store or "finance"))
    started = time.perf_counter()
    linker = Linker.from_store(graph_store, finance_linker_config())
    build_s = time.perf_counter() - started
    graph = graph_store.projection()
    cases = [json.loads(line) for line in (DATA / "finance_mentions.jsonl").read_text().splitlines()
             if line.strip()]
    tp = fp = fn = fp_named = 0
    latencies = []
    for case in cases:
        started = time.perf_counter()
        result = linker.link(case["text"])
        latencies.append(time.perf_counter() - started)
        found = {(m.start, m.end): m.node_id for m in result.mentions}
        kinds = {m.node_id: graph.type_names[graph.types[graph.row(m.node_id)]] for m in result.mentions}
        for gold in case["mentions"]:
            accepted = _equivalent(graph, gold["id"])
            hit = next((node for (s, e), node in found.items()
                        if s < gold["end"] and gold["start"] < e), None)
            if hit is not None and hit in accepted:
                tp += 1
            else:
                fn += 1
                if hit is not None:
                    fp += 1
                    fp_named += 1
        gold_spans = [(g["start"], g["end"]) for g in case["mentions"]]
        spurious = [node for (s, e), node in found.items()
                    if not any(s < ge and gs < e for gs, ge in gold_spans)]
        fp += len(spurious)
        fp_named += sum(1 for node in spurious if kinds[node] in NAMED_TYPES)
    precision = tp / max(tp + fp, 1)
    named_precision = tp / max(tp + fp_named, 1)
    recall = tp / max(tp + fn, 1)
    latencies.sort()
    return [
        f"{sum(len(c['mentions']) for c in cases)} gold mentions in {len(cases)} texts "
        "(`eval/data/finance_mentions.jsonl`, written from FinDKG entity names, listings and "
        "index-constitution name changes). A mention is right when the linked node is the gold "
        "id or joined to it by `listed_as`.",
        "",
        "Precision is given twice: *all*, where every linked span not in the gold set is a false "
        "positive, and *named*, where only spurious links to named entities (companies, people, "
        "places, organisations, events, products, instruments, indices) count: the gold set does "
        "not annotate generic FinDKG concepts such as \"Workers\" or \"Production\", which the "
        "linker also links.",
        "",
        "| precision (all) | precision (named) | recall | F1 (named) | median ms/text | linker build s |",
        "|---|---|---|---|---|---|",
        f"| {precision:.3f} | {named_precision:.3f} | {recall:.3f} | "
        f"{2 * named_precision * recall / max(named_precision + recall, 1e-9):.3f} "
        f"| {1000 * latencies[len(latencies) // 2]:.1f} | {build_s:.1f} |",
        "",
        "Command: `.venv/bin/python eval/finance.py --only linking`",
    ]


NAMED_TYPES = frozenset({"Company", "Person", "GeopoliticalEntity", "Organization", "GovernmentBody",
                         "Regulator", "Event", "Product", "FinancialInstrument", "StockIndex"})


def _equivalent(graph: object, node_id: str) -> set[str]:
    from kgdecide.packs.finance import LISTED_AS
    from kgdecide.types import Direction

    if node_id not in graph.index:  # type: ignore[attr-defined]
        return {node_id}
    row = graph.row(node_id)  # type: ignore[attr-defined]
    rows = set(graph.neighbor_rows(row, LISTED_AS, Direction.BOTH).tolist()) | {row}  # type: ignore[attr-defined]
    return {graph.id_list[r] for r in rows}  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--findkg", type=Path, default=None, help="a FinDKG-format folder")
    parser.add_argument("--store", default=None, help="finance store (name or path) for linking")
    parser.add_argument("--only", choices=("linkpred", "linking"), action="append")
    parser.add_argument("--ranks", type=Path, default=None,
                        help="write the learned scorer's test ranks here (TSV)")
    parser.add_argument("--model", type=Path, default=None,
                        help="learned model file (default .cache/finance-learned.npz)")
    parser.add_argument("--retrain", action="store_true",
                        help="train the learned scorer even when the model file exists")
    parser.add_argument("--epochs", type=int, default=6, help="training epochs at most")
    parser.add_argument("--wait-model", type=float, default=0.0, metavar="MINUTES",
                        help="wait this long for --model to appear (trained by another process, "
                             "e.g. `kgdecide finance train DIR --out MODEL`) before training here")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/ alone")
    args = parser.parse_args(argv)
    only = set(args.only or ("linkpred", "linking"))
    parts: list[str] = []
    if "linkpred" in only:
        findkg = args.findkg or shared_data() / "finance" / "findkg"
        parts += ["### Temporal link prediction (FinDKG, official split)", "",
                  *link_prediction(findkg, args.ranks, args.model, args.retrain, args.epochs,
                                   args.wait_model), ""]
    if "linking" in only:
        parts += ["### Linking company, people and event names", "", *linking(args.store), ""]
    text = "\n".join(parts)
    print(text)
    if not args.no_docs:
        path = REPO / "docs" / "EVALUATION.md"
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        # Keep the other subsection when only one part was run.
        for title in ("### Temporal link prediction", "### Linking company"):
            if not any(p.startswith(title) for p in parts) and title in current:
                kept = current[current.index(title):]
                kept = re.split(r"\n(?=### |## )", kept)[0]
                text = text + "\n" + kept if title.startswith("### Linking") else kept + "\n\n" + text
        write_section(path, "Finance", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
