"""The calibration, prediction-set and question parts of eval/diagnosis.py (its ``--only``
option runs them alone and rewrites only their subsections of docs/EVALUATION.md Diagnosis).

* Calibration: ECE of the calibrated top-1 probability and of every shown (top-10) probability,
  over disease groups, on natural leak-free and de-leaked test publications.
* Prediction sets: coverage and mean size of the conformal sets at 80, 90 and 95 %.
* Questions: the patient answers from the case's own record (issue protocol): start from the
  first three present findings, ask one finding at a time for 10 rounds; "yes" if the term or a
  descendant was observed, "no" if it or an ancestor was excluded, "not known" otherwise.
  Strategies: expected information gain (the product's), a random finding from the top
  candidates' annotations, the top candidate's most frequent annotation not yet asked; against
  the full record.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kgdecide.explain.questions import (
    asked_implied, candidate_terms, closure_block, next_questions, record_answers,
)
from kgdecide.packs.clinical.calibrating import CALIBRATION_TOP, GroupRanking, rank_groups
from kgdecide.packs.clinical.evaluation import EvalCase
from kgdecide.pipeline import Outcome, Ranker
from kgdecide.score.annotations import annotation_index
from kgdecide.score.conformal import set_sizes
from kgdecide.score.metrics import expected_calibration_error

LEVELS = (0.8, 0.9, 0.95)
ROUNDS = (0, 1, 3, 5, 10)
STRATEGIES = ("information gain", "random top-candidate annotation", "top candidate's most frequent")


@dataclasses.dataclass(frozen=True, slots=True)
class Ranked:
    """One test case under one scorer: its outcome and its set sizes per coverage level."""

    outcome: Outcome
    shown: tuple[float, ...]  #: calibrated probabilities of the first CALIBRATION_TOP candidates
    sizes: tuple[int, ...]  #: set size at each of LEVELS (0: no conformal scores)
    unannotated: bool


def rank_test(ranker: Ranker, cases: Sequence[EvalCase], mask) -> list[Ranked]:  # noqa: ANN001
    out = []
    for g in rank_groups(ranker, cases, mask):
        out.append(_ranked(ranker, g))
    return out


def _ranked(ranker: Ranker, g: GroupRanking | None) -> Ranked:
    if g is None:
        return Ranked(Outcome(float("inf"), 0.0, (), (), 0), (), tuple(0 for _ in LEVELS), False)
    raw = g.probabilities[:CALIBRATION_TOP]
    shown = ranker.calibration.ranked(raw)
    sizes = tuple(int(set_sizes(g.probabilities[None, :], ranker.conformal.threshold(level),
                                ranker.conformal.penalty, ranker.conformal.free_ranks)[0])
                  if ranker.conformal is not None else 0 for level in LEVELS)
    rank = float(g.rank) if g.rank is not None else float("inf")
    outcome = Outcome(rank, float(shown[0]) if len(shown) else 0.0, tuple(raw.tolist()),
                      tuple(g.hits.tolist()), 0)
    return Ranked(outcome, tuple(shown.tolist()), sizes, g.unannotated)


def shown_ece(part: Sequence[Ranked]) -> float:
    """ECE over every shown candidate's calibrated probability (top 10, all ranks pooled)."""
    p = [x for r in part for x in r.shown]
    hit = [h for r in part for h in r.outcome.hits]
    return expected_calibration_error(p, hit) if p else float("nan")


def sets_section(ranked: dict[tuple[str, str], list[Ranked]], names: Sequence[str]) -> list[str]:
    lines = ["### Prediction sets\n",
             "Split-conformal sets (RAPS: probability mass ranked at or above the answer, plus "
             "0.002 per rank past the 5th), calibrated on the validation publications' natural and "
             "de-leaked cases, applied to the test publications. *Covered*: the diagnosis is in "
             "the set. The promise is for diagnoses the graph describes: de-leaked cases whose "
             "disease has no annotation left once their publication's share is hidden are left "
             "out of the calibration, and shown apart here.\n",
             "| scorer | coverage asked | natural: covered % | mean size | median size | "
             "de-leaked: covered % | mean size | median size | de-leaked incl. undescribed: covered % |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in names:
        for i, level in enumerate(LEVELS):
            cells = []
            for kind in ("natural", "deleaked"):
                part = [r for r in ranked[kind, name] if not r.unannotated]
                sizes = np.array([r.sizes[i] for r in part])
                covered = np.array([r.outcome.rank <= s for r, s in zip(part, sizes)])
                cells += [f"{100 * covered.mean():.1f} ({len(part):,})", f"{sizes.mean():.0f}",
                          f"{np.median(sizes):.0f}"]
            every = ranked["deleaked", name]
            cells.append(f"{100 * np.mean([r.outcome.rank <= r.sizes[i] for r in every]):.1f} "
                         f"({len(every):,})")
            lines.append(f"| {name} | {100 * level:.0f} % | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


# --- questions ------------------------------------------------------------------------------


def question_curves(ranker: Ranker, cases: Sequence[EvalCase], mask, rounds: int = 10,  # noqa: ANN001
                    seed: int = 0, top: int = 20) -> dict[str, np.ndarray]:
    """Rank of the answer per case after 0..``rounds`` questions, per strategy, and with the
    full record (``"full record"``: one column). Cases need more than three present findings
    (else there is nothing to ask) and an answer the masked graph still describes."""
    graph, spec = ranker.graph, ranker.spec
    index = annotation_index(graph, spec)
    ids = graph.id_list
    rng = np.random.default_rng(seed)
    curves: dict[str, list[list[float]]] = {s: [] for s in (*STRATEGIES, "full record")}
    replies = {s: np.zeros(3) for s in STRATEGIES}  # yes, no, not known
    for e in cases:
        c = e.case.case
        overrides = mask.overrides(e.case.publication) if mask is not None else ()
        present = [f for f in c.observed if f in graph.index]
        if len(present) <= 3:
            continue
        rows_o = [graph.index[f] for f in present]
        rows_x = [graph.index[f] for f in c.excluded if f in graph.index]
        t_o = index.term_of_row[np.asarray(rows_o)]
        t_x = index.term_of_row[np.asarray(rows_x, dtype=np.int64)] if rows_x else np.zeros(0, np.int64)
        yes, no = record_answers(index, t_o[t_o >= 0].tolist(), t_x[t_x >= 0].tolist())
        answers = list(e.case.diagnosis)
        full = _rank(ranker, list(c.observed), list(c.excluded), answers, overrides)
        if full is None:
            continue
        curves["full record"].append([full])
        for strategy in STRATEGIES:
            observed, excluded, asked = list(present[:3]), [], set(present[:3])
            ranks = []
            for step in range(rounds + 1):
                try:
                    _, result, order = ranker.score(observed, excluded, overrides=overrides)
                except Exception:  # noqa: BLE001 - nothing to score: the rank stays unknown
                    ranks.append(float("inf"))
                    continue
                ranks.append(_answer_rank(ranker, result, order, answers))
                if step == rounds:
                    break
                term = _choose(strategy, ranker, index, result, order, asked, overrides, rng, top)
                if term is None:
                    continue
                fid = ids[int(index.term_rows[term])]
                asked.add(fid)
                if yes[term]:
                    observed.append(fid)
                elif no[term]:
                    excluded.append(fid)
                # "not known": asked, never scored
                replies[strategy][0 if yes[term] else 1 if no[term] else 2] += 1
            curves[strategy].append(ranks)
    out = {k: np.asarray(v, dtype=np.float64) for k, v in curves.items()}
    out.update({f"replies {k}": v for k, v in replies.items()})
    return out


def _rank(ranker: Ranker, observed, excluded, answers, overrides) -> float | None:  # noqa: ANN001
    try:
        _, result, order = ranker.score(observed, excluded, overrides=overrides)
    except Exception:  # noqa: BLE001
        return None
    return _answer_rank(ranker, result, order, answers)


def _answer_rank(ranker: Ranker, result, order: np.ndarray, answers) -> float:  # noqa: ANN001
    groups = ranker.groups(result.targets)
    wanted = [ranker.graph.index[a] for a in answers if a in ranker.graph.index]
    is_answer = np.isin(groups.of[order], groups.of[np.isin(result.targets, wanted)])
    if not is_answer.any():
        return float("inf")
    scores = result.scores[order]
    return float((scores >= scores[is_answer].max()).sum())


def _choose(strategy: str, ranker: Ranker, index, result, order: np.ndarray, asked: set[str],  # noqa: ANN001
            overrides, rng: np.random.Generator, top: int) -> int | None:
    graph = ranker.graph
    if strategy == STRATEGIES[0]:
        found = next_questions(graph, ranker.spec, result, order, asked, k=1, top=top,
                               absent_counts=ranker.scorer.uses_excluded,
                               calibration=ranker.calibration, answers=ranker.answers,
                               overrides=overrides)
        return int(index.term_of_row[graph.index[found[0]]]) if found else None
    rows = [graph.index[i] for i in asked if i in graph.index]
    done = asked_implied(index, index.term_of_row[np.asarray(rows, dtype=np.int64)])
    if strategy == STRATEGIES[1]:
        terms = candidate_terms(index, order[:top], overrides)
        terms = terms[~done[terms]]
        return int(rng.choice(terms)) if len(terms) else None
    leader = order[:1]
    terms = candidate_terms(index, leader, overrides)
    terms = terms[~done[terms]]
    if not len(terms):
        return None
    freq = closure_block(index, leader, terms, overrides)[0]
    ic = index.ic[terms]
    return int(terms[np.lexsort((-ic, -freq))[0]])  # most frequent; the more specific on ties


def questions_section(curves: dict[str, np.ndarray], scorer: str, plot: Path | None,
                      docs: Path) -> list[str]:
    full = curves["full record"][:, 0]
    n = len(full)
    lines = ["### Questions\n",
             f"Scorer `{scorer}`, {n:,} test cases (natural and de-leaked, each without its "
             "publication's share; more than three present findings; answer still described). "
             "Start: the case's first three present findings; each round asks one finding, "
             "answered from the case's own record (yes: the term or a descendant observed; no: it "
             "or an ancestor excluded; not known otherwise, never scored). Top-1 % and mean rank "
             "of the diagnosis (ranks past 1,000 count as 1,000) after 0, 1, 3, 5 and 10 "
             "questions.\n",
             "| strategy | " + " | ".join(f"top-1 after {r}" for r in ROUNDS) + " | "
             + " | ".join(f"mean rank after {r}" for r in ROUNDS) + " |",
             "|---|" + "---:|" * (2 * len(ROUNDS))]
    start = None
    for name in STRATEGIES:
        ranks = curves[name]
        top1 = [100 * float((ranks[:, r] <= 1).mean()) for r in ROUNDS]
        mean = [float(np.minimum(ranks[:, r], 1000).mean()) for r in ROUNDS]
        start = top1[0]
        lines.append(f"| {name} | " + " | ".join(f"{v:.1f}" for v in top1) + " | "
                     + " | ".join(f"{v:.0f}" for v in mean) + " |")
    full_top1 = 100 * float((full <= 1).mean())
    lines.append(f"| full record | {full_top1:.1f} (all rounds) | | | | | "
                 f"{float(np.minimum(full, 1000).mean()):.0f} | | | | |")
    gain5 = {name: 100 * float((curves[name][:, 5] <= 1).mean()) for name in STRATEGIES}
    gap = full_top1 - (start or 0.0)
    share = (gain5[STRATEGIES[0]] - (start or 0.0)) / gap if gap > 0 else float("nan")
    lines.append(f"\nAfter 5 questions, information gain recovers {100 * share:.0f} % of the "
                 f"top-1 gap between three findings ({start:.1f} %) and the full record "
                 f"({full_top1:.1f} %); the baselines reach "
                 + " and ".join(f"{gain5[s]:.1f} %" for s in STRATEGIES[1:]) + ".")
    lines.append("\nReplies to the questions asked (yes / no / not known): " + "; ".join(
        f"{name} " + " / ".join(f"{100 * v / max(curves[f'replies {name}'].sum(), 1):.0f} %"
                                for v in curves[f"replies {name}"]) for name in STRATEGIES) + ".")
    if plot is not None:
        draw_questions(curves, plot)
        lines.append(f"\n![Top-1 and mean rank against questions asked]({plot.relative_to(docs)})")
    lines.append("")
    return lines


def draw_questions(curves: dict[str, np.ndarray], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4.2))
    full = curves["full record"][:, 0]
    steps = np.arange(curves[STRATEGIES[0]].shape[1])
    for name in STRATEGIES:
        ranks = curves[name]
        a.plot(steps, 100 * (ranks <= 1).mean(axis=0), marker="o", markersize=3, label=name)
        b.plot(steps, np.minimum(ranks, 1000).mean(axis=0), marker="o", markersize=3, label=name)
    a.axhline(100 * (full <= 1).mean(), color="0.4", linestyle="--", label="full record")
    b.axhline(np.minimum(full, 1000).mean(), color="0.4", linestyle="--", label="full record")
    a.set_xlabel("questions asked")
    b.set_xlabel("questions asked")
    a.set_ylabel("top-1 %")
    b.set_ylabel("mean rank of the diagnosis (capped at 1,000)")
    a.legend(fontsize=8)
    fig.suptitle(f"Questions answered from the patient's record ({len(full):,} test cases)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_subsections(path: Path, section: str, bodies: dict[str, str], before: str) -> None:
    """Replace (or insert before the ``### {before}`` subsection) each ``### title`` subsection of
    the ``## section`` of a markdown file, leaving the rest as it is."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f"## {section}\n")
    end_match = re.compile(r"^## ", re.MULTILINE).search(text, start + 3)
    end = end_match.start() if end_match else len(text)
    part = text[start:end]
    for title, body in bodies.items():
        block = body.strip() + "\n\n"
        pattern = re.compile(rf"^### {re.escape(title)}\n.*?(?=^### |^## |\Z)", re.DOTALL | re.MULTILINE)
        if pattern.search(part):
            part = pattern.sub(lambda _: block, part, count=1)
        elif f"### {before}" in part:
            at = part.index(f"### {before}")
            part = part[:at] + block + part[at:]
        else:
            part = part.rstrip() + "\n\n" + block
    path.write_text(text[:start] + part + text[end:], encoding="utf-8")
