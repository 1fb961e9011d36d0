"""Diagnosis quality on the development cases: top-1/3/10, MRR and ECE per scorer.

Reports leak-free and leaky cases separately (always), with and without excluded findings, on
the held-out test publications (never used by ``kgdecide train``) and, for the untrained
baselines, on all development cases; plus simulated patients and the next-question protocol.

    KGDECIDE_HOME=... python eval/diagnosis.py [--store clinical] [--limit N] [--write-docs]

Needs the clinical store built (``kgdecide build clinical``) and, for the attention scorer and
calibrated probabilities, ``kgdecide train``. Scorers whose model is missing are skipped, said so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kgdecide.errors import ConfigError, InvalidQuery  # noqa: E402
from kgdecide.packs.clinical.cases import (  # noqa: E402
    CLINICAL_DOMAIN, DISEASE_PREFIXES, LabelledCase, publication_split, read_labelled_cases,
)
from kgdecide.pipeline import Outcome, Ranker, evaluate  # noqa: E402
from kgdecide.score import SCORERS  # noqa: E402
from kgdecide.score.commands import make_ranker, shared_data_dir  # noqa: E402
from kgdecide.score.metrics import expected_calibration_error, summarise  # noqa: E402
from kgdecide.settings import Settings  # noqa: E402
from _common import write_section  # noqa: E402  (eval/ is this script's folder)

SECTION = "## Diagnosis"

NOTES = """### Reading these numbers

- **Default scorer: `resnik`.** On the leak-free held-out cases it ties with `attention` (MRR
  0.248 vs 0.246 in the table above, top-10 equal), needs no training, ignores excluded findings
  and is several times faster. Change `DEFAULT_SCORER` in `kgdecide/score/commands.py` to switch.
- **Why `attention` is no better.** Trained without constraints (simulated patients + leak-free
  training publications), it reached 28.7 % top-1 / 47.2 % top-10 leak-free *with* excluded
  findings but 15.9 % / 30.3 % without: it had learned that curators list a disease's typical
  features as excluded, and pushed a disease *up* when the patient lacked its features. That is
  how these collections are written, not how patients present, so the scorer now lets an excluded
  finding only count *against* a disease that has it; with that constraint it matches the
  baselines and no more. Training on leaky cases (`--leaky-cases`) teaches exact annotation
  matches, i.e. the leak, and is off by default.
- **Targets not met** (issue 3): leak-free top-1 >= 35 % / top-10 >= 65 %, ECE <= 0.03 and
  +15 points top-1 from three answered questions are not reached.
- Calibration maps are fitted on leak-free development cases outside the test publications
  (validation publications only for `attention`); leak-free test cases come from few
  publications, which is part of the ECE gap; on leaky cases ECE is expected to be poor.
- The next-question protocol asks about findings that split the current top 20; when the true
  disease is ranked far below them every answer is "absent", and scorers that ignore absent
  findings cannot move (rows with +0.0). `lr, excluded weight 1` counts graph-derived absent
  answers.
- `kgdecide train` (3,000 simulated + 860 leak-free training cases, early stopping on 97
  leak-free validation cases, then calibration of all four scorers) took 159 s wall here.
- ms/case is wall time on 2 shared, busy cores; docs/BENCHMARKS.md (`## Diagnosis`) has the
  latency benchmark.
"""


def run_cases(ranker: Ranker, cases: Sequence[LabelledCase], use_excluded: bool) -> tuple[list[Outcome], float]:
    """Outcomes per case and mean milliseconds per case."""
    started = time.perf_counter()
    out = [evaluate(ranker, c.case.observed, c.case.excluded if use_excluded else (), c.diagnosis)
           for c in cases]
    return out, (time.perf_counter() - started) * 1000 / max(len(cases), 1)


def row(name: str, outcomes: Sequence[Outcome], extra: str = "") -> str:
    s = summarise([o.rank for o in outcomes])
    ece = expected_calibration_error([o.top_probability for o in outcomes],
                                     [o.rank <= 1 for o in outcomes])
    return (f"| {name} | {s['n']:,} | {100 * s['top1']:.1f} | {100 * s['top3']:.1f} | "
            f"{100 * s['top10']:.1f} | {s['mrr']:.3f} | {ece:.3f} |{extra}")


HEADER = ("| scorer | cases | top-1 % | top-3 % | top-10 % | MRR | ECE |{extra}\n"
          "|---|---:|---:|---:|---:|---:|---:|{extra_sep}")


def header(extra: str = "") -> str:
    return HEADER.format(extra=f" {extra} |" if extra else "", extra_sep="---:|" if extra else "")


def rankers(settings: Settings, store: str, names: Sequence[str]) -> dict[str, Ranker]:
    out = {}
    for name in names:
        try:
            ranker = make_ranker(settings, store, name, "omim")
            if SCORERS[name].needs_training:
                ranker.scorer.prepare(ranker.graph)  # fail now, not mid-table, when untrained
            out[name] = ranker
        except ConfigError as e:
            print(f"skipping {name}: {e}", file=sys.stderr)
    return out


def simulated_outcomes(ranker: Ranker, n: int, seed: int) -> list[Outcome]:
    """Simulated patients (seed differs from training's), ranked by this scorer."""
    from kgdecide.score.annotations import annotation_index
    from kgdecide.score.simulate import parents_of, simulate

    graph, spec = ranker.graph, ranker.spec
    index = annotation_index(graph, spec)
    omim = np.flatnonzero([graph.id_list[r].startswith("OMIM:") for r in index.target_rows.tolist()])
    ids = graph.id_list
    out = []
    for case in simulate(index, parents_of(graph, spec, index), n, seed, targets=omim):
        observed = [ids[index.term_rows[t]] for t in case.observed]
        excluded = [ids[index.term_rows[t]] for t in case.excluded]
        out.append(evaluate(ranker, observed, excluded, [ids[index.target_rows[case.target]]]))
    return out


def next_question_protocol(ranker: Ranker, cases: Sequence[LabelledCase], rounds: int = 3
                           ) -> tuple[float, float, int]:
    """Top-1 before and after answering the top suggested question ``rounds`` times, answers taken
    from the true disease's annotations (present if it is annotated at or below the finding)."""
    from kgdecide.explain.questions import next_questions
    from kgdecide.score.annotations import annotation_index

    graph, spec = ranker.graph, ranker.spec
    index = annotation_index(graph, spec)
    before, after, n = 0, 0, 0
    for c in cases:
        answers = [graph.index[d] for d in c.diagnosis if d in graph.index]
        if not answers:
            continue
        target = int(np.flatnonzero(index.target_rows == answers[0])[0])
        truth = set(index.closure[target].indices.tolist())
        observed, excluded = list(c.case.observed), list(c.case.excluded)
        first = evaluate(ranker, observed, excluded, c.diagnosis)
        if math.isinf(first.rank) and first.unknown:
            continue
        n += 1
        before += first.rank <= 1
        for _ in range(rounds):
            try:
                resolved, result, order = ranker.score(observed, excluded)
            except InvalidQuery:
                break
            asked = set(resolved.ids) | set(observed) | set(excluded)
            questions = next_questions(graph, spec, result, order, asked, k=1)
            if not questions:
                break
            term = int(index.term_of_row[graph.index[questions[0]]])
            (observed if term in truth else excluded).append(questions[0])
        after += evaluate(ranker, observed, excluded, c.diagnosis).rank <= 1
    return before / max(n, 1), after / max(n, 1), n


def question_variants(ranked: dict[str, Ranker]) -> dict[str, Ranker]:
    """Answers from the graph are reliable negatives, unlike curated excluded findings: also run
    the protocol with an lr scorer that counts absent findings (excluded_weight 1)."""
    from kgdecide.score.lr import LRScorer, LRSettings

    if "lr" not in ranked:
        return {}
    base = ranked["lr"]
    scorer = LRScorer(base.spec, LRSettings(excluded_weight=1.0))
    return {"lr, excluded weight 1": Ranker(base.graph, base.spec, scorer, base.calibration,
                                            base.candidate_prefixes)}


def main(argv: Sequence[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="clinical")
    parser.add_argument("--cases", type=Path,
                        default=shared_data_dir() / "clinical" / "phenopackets_dev.jsonl")
    parser.add_argument("--scorers", default=",".join(sorted(SCORERS)))
    parser.add_argument("--limit", type=int, default=0, help="Use every k-th case so at most N.")
    parser.add_argument("--leaky-limit", type=int, default=0,
                        help="At most N leaky test cases (every k-th), to save time.")
    parser.add_argument("--simulated", type=int, default=500)
    parser.add_argument("--questions", type=int, default=200, help="Cases in the question protocol.")
    parser.add_argument("--all-cases", action="store_true",
                        help="Also rank all development cases with the untrained scorers.")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    cases = read_labelled_cases(args.cases)
    test = [c for c in cases if publication_split(c.publication) == "test"]
    if args.limit:
        test = test[:: max(1, len(test) // args.limit)][: args.limit]
        cases = cases[:: max(1, len(cases) // args.limit)][: args.limit]
    if args.leaky_limit:
        leaky = [c for c in test if c.leaky]
        leaky = leaky[:: max(1, len(leaky) // args.leaky_limit)][: args.leaky_limit]
        test = [c for c in test if not c.leaky] + leaky
    ranked = rankers(settings, args.store, args.scorers.split(","))
    lines = [f"Measured {dt.date.today().isoformat()} on graph "
             f"`{next(iter(ranked.values())).graph.version}` with\n"
             f"`{' '.join(['python eval/diagnosis.py', *map(shlex.quote, sys.argv[1:])])}`.\n"]
    lines.append(f"### Held-out test publications ({len(test):,} cases; ECE on the top-1 "
                 "calibrated probability; scorers that ignore excluded findings have one row)\n")
    for leaky in (False, True):
        part = [c for c in test if c.leaky == leaky]
        lines.append(f"**{'Leaky' if leaky else 'Leak-free'}** ({len(part):,} cases)\n")
        lines.append(header("ms/case"))
        for name, ranker in ranked.items():
            for use_excluded in (True, False) if ranker.scorer.uses_excluded else (True,):
                outcomes, ms = run_cases(ranker, part, use_excluded)
                label = (name if not ranker.scorer.uses_excluded
                         else f"{name} {'+ excluded' if use_excluded else '(excluded ignored)'}")
                lines.append(row(label, outcomes, f" {ms:.1f} |"))
                print(lines[-1], file=sys.stderr, flush=True)
        lines.append("")
    if args.all_cases:
        lines.append(f"### All development cases ({len(cases):,}), untrained scorers, "
                     "excluded findings used as each scorer's settings say\n")
        for leaky in (False, True):
            part = [c for c in cases if c.leaky == leaky]
            lines.append(f"**{'Leaky' if leaky else 'Leak-free'}** ({len(part):,} cases)\n")
            lines.append(header())
            for name, ranker in ranked.items():
                if not SCORERS[name].needs_training:
                    lines.append(row(name, run_cases(ranker, part, True)[0]))
            lines.append("")
    if args.simulated:
        lines.append(f"### Simulated patients ({args.simulated} from the graph, seed 12345: "
                     "annotations sampled by frequency, 30 % vaguer parents, 0-2 noise findings, "
                     "0-3 excluded)\n")
        lines.append(header())
        for name, ranker in ranked.items():
            lines.append(row(name, simulated_outcomes(ranker, args.simulated, 12345)))
        lines.append("")
    if args.questions:
        sample = [c for c in test if not c.leaky]
        sample = sample[:: max(1, len(sample) // args.questions)][: args.questions]
        lines.append(f"### Next question ({len(sample)} leak-free test cases, 3 rounds, answers "
                     "from the true disease's annotations)\n")
        lines.append("| scorer | top-1 before % | top-1 after % | gain (points) |\n|---|---:|---:|---:|")
        for name, ranker in {**ranked, **question_variants(ranked)}.items():
            b, a, n = next_question_protocol(ranker, sample)
            lines.append(f"| {name} | {100 * b:.1f} | {100 * a:.1f} | {100 * (a - b):+.1f} |")
            print(lines[-1], file=sys.stderr, flush=True)
        lines.append("")
    text = "\n".join(lines) + "\n" + NOTES
    print(text)
    if args.write_docs:
        write_section(REPO / "docs" / "EVALUATION.md", SECTION.removeprefix("## "), text)
    return text


if __name__ == "__main__":
    main()
