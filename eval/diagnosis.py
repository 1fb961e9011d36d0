"""Diagnosis quality on the development cases, per scorer, with bootstrap intervals.

Test publications only (never used by ``kgdecide train`` to fit anything), three kinds of case
always apart: natural leak-free, de-leaked (leaky cases scored without their publication's share
of the graph), leaky as is (overstated, for reference). Also: paired differences against resnik,
natural vs de-leaked on the same diseases, the hubs (candidates most often in the top 3), the
ablations of the attention scorer, rank fusion, and simulated patients.

    KGDECIDE_HOME=... python eval/diagnosis.py [--store clinical] [--ablations] [--write-docs]

Needs the clinical store built with the development cases as evidence (``kgdecide build clinical
--cases ... --case-splits all``, as ``make run`` does) and ``kgdecide train`` for it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import re
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kgdecide.graph.embedded import EmbeddedStore  # noqa: E402
from kgdecide.packs.clinical.cases import (  # noqa: E402
    CLINICAL_DOMAIN, DISEASE_PREFIXES, read_labelled_cases,
)
from kgdecide.packs.clinical.commands import shared_data_dir  # noqa: E402
from kgdecide.packs.clinical.evaluation import (  # noqa: E402
    Estimate, EvalCase, eval_cases, hubs, paired_difference, publications, run, summary,
)
from kgdecide.packs.clinical.training import (  # noqa: E402
    DEFAULT_FILE, attention_ranker, train_attention, training_data,
)
from kgdecide.packs.clinical.models import model_dir_for  # noqa: E402
from kgdecide.pipeline import Outcome, Ranker, evaluate  # noqa: E402
from kgdecide.score.attention import MODEL_FILE, AttentionSettings, AttentionWeights  # noqa: E402
from kgdecide.score.metrics import expected_calibration_error  # noqa: E402
from kgdecide.settings import Settings  # noqa: E402
from _common import write_section  # noqa: E402  (eval/ is this script's folder)
import decision_support as ds  # noqa: E402  (eval/ too)

SECTION = "Diagnosis"
KIND_TITLES = {"natural": "Natural leak-free", "deleaked": "De-leaked",
               "leaky": "Leaky, as published (overstated: for reference only)"}
#: Ablations of the attention scorer: (row name, training settings changed, spec changed)
ABLATIONS = (
    ("no attention over annotations (best annotation only)", {"annotation_attention": False}, False),
    ("no finding attention (gated sum)", {"finding_attention": False}, False),
    ("no term embeddings", {"embedding_prefixes": None}, False),
    ("no simulated patients", {"simulated": 0}, False),
    ("no case evidence", {}, True),
)


NOTES = """### How these were measured

- **Graph and model.** The store `make run` builds: `kgdecide build clinical --cases
  ../shared/data/clinical/phenopackets_dev.jsonl --case-splits all` (every development case's
  phenotypes as `has_case_phenotype` evidence), and the model `kgdecide train` makes for it
  (shipped in `kgdecide/packs/clinical/models/`). Every development case is scored without its
  own publication's share of the graph (`kgdecide/packs/clinical/masking.py`): its
  publication's sole-reference HPO annotations hidden, its rows taken out of merged frequencies,
  its own patients taken out of cohort rows (`n/m` counts citing several publications), its
  cases taken out of the case evidence. The rest of the graph (IC, background) is unchanged.
- **Kinds of case, always apart.** *Natural*: HPO does not cite the case's publication for its
  disease. *De-leaked*: HPO does, and the masking above removes it. *Leaky*: as published, for
  reference only. Splits are by publication (CRC32 of the PMID: 60/20/20); the test publications
  are never used to fit anything; `kgdecide train` reads them once, to confirm the default.
- **Intervals** are percentile bootstraps (2,000 resamples) that resample whole publications,
  not single cases: cases of one publication are correlated (one test publication holds a third
  of the natural cases), and case-by-case resampling gives intervals two to five times narrower
  on these test sets.
  Differences are paired (the same cases under both scorers).
- **Ranking** is over OMIM diseases, one row per disease group (`same_disease_as`), the answer's
  pessimistic rank (ties count against it). ECE is on the calibrated top-1 probability.
- **Excluded findings** count only *against* a candidate that has them (attention) or not at all
  (resnik, lr by default): curators list typical features a patient lacked.
- **Hubs**: the candidates most often in the top 3, with the answer their appearances mostly
  come with: a phenocopy of a disease that is the answer of many test cases appears with it.
- **Fusion** rows combine the scorers per case, over the OMIM candidates: *rank fusion* by
  weighted reciprocal ranks (k = 60), *score fusion* by standardised scores (each scorer's scores
  minus their mean over the candidates, over their standard deviation, weighted and summed).
  None is deployed; the validation table says what each would gain.
"""


def header(extra: str = "") -> str:
    cols = "| scorer | cases | top-1 % [95 % CI] | top-3 % | top-10 % [95 % CI] | MRR | ECE |"
    return cols + (f" {extra} |" if extra else "") + "\n|---|---:|---:|---:|---:|---:|---:|" + \
        ("---:|" if extra else "")


def row(name: str, outcomes: Sequence[Outcome], extra: str = "",
        clusters: Sequence[str] | None = None) -> str:
    s = summary(outcomes, clusters=clusters)
    # fusions rank without probabilities: they have no ECE (it would read their accuracy)
    ece = (f"{expected_calibration_error([o.top_probability for o in outcomes], [o.rank <= 1 for o in outcomes]):.3f}"
           if any(o.probabilities for o in outcomes) else "—")
    return (f"| {name} | {len(outcomes):,} | {s['top1'].percent()} | {100 * s['top3'].value:.1f} | "
            f"{s['top10'].percent()} | {s['mrr'].value:.3f} | {ece} |" + (f" {extra} |" if extra else ""))


def ece_estimate(outcomes: Sequence[Outcome], resamples: int = 2000, seed: int = 0) -> Estimate:
    """ECE of the calibrated top-1 probability, with a percentile bootstrap interval over cases."""
    confidence = np.array([o.top_probability for o in outcomes], dtype=np.float64)
    correct = np.array([o.rank <= 1 for o in outcomes], dtype=bool)
    if len(confidence) == 0:
        return Estimate(float("nan"), float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(confidence), (resamples, len(confidence)))
    values = [expected_calibration_error(confidence[d], correct[d]) for d in draws]
    low, high = np.quantile(values, [0.025, 0.975])
    return Estimate(expected_calibration_error(confidence, correct), float(low), float(high))


def ece_floor(outcomes: Sequence[Outcome], draws: int = 200, seed: int = 0) -> float:
    """The ECE a perfectly calibrated scorer with these same top-1 probabilities would show on this
    many cases (mean over ``draws`` simulated outcomes, each right with its probability): the
    plug-in ECE is biased upward on finite samples, so this is the floor to read a measured one
    against."""
    confidence = np.array([o.top_probability for o in outcomes], dtype=np.float64)
    if len(confidence) == 0:
        return float("nan")
    rng = np.random.default_rng(seed)
    return float(np.mean([expected_calibration_error(confidence, rng.uniform(size=len(confidence)) < confidence)
                          for _ in range(draws)]))


def reliability_bins(outcomes: Sequence[Outcome], bins: int = 10
                     ) -> list[tuple[float, float, int]]:
    """(mean confidence, accuracy, cases) per non-empty equal-width bin of the top-1 probability,
    the bins ``expected_calibration_error`` uses."""
    confidence = np.array([o.top_probability for o in outcomes], dtype=np.float64)
    correct = np.array([o.rank <= 1 for o in outcomes], dtype=np.float64)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return [(float(confidence[which == b].mean()), float(correct[which == b].mean()),
             int((which == b).sum())) for b in range(bins) if (which == b).any()]


def calibration_section(outcomes: dict[tuple[str, str], list[Outcome]], names: Sequence[str],
                        diagram: Path | None,
                        shown: dict[tuple[str, str], float] | None = None) -> list[str]:
    """The calibration table (ECE with its interval, mean top-1 probability against top-1
    accuracy; ``shown``: the ECE over every shown candidate) for natural leak-free and de-leaked
    test publications, and the reliability diagram."""
    shown = shown or {}
    lines = ["### Calibration\n",
             "Test publications; isotonic maps fitted on the validation publications' natural and "
             "de-leaked cases (`kgdecide train --calibrate-only`), over disease groups: one for the "
             "first candidate, one for every shown candidate. Target: ECE at most 0.03.\n",
             "| scorer | cases | ECE [95 % CI] natural | floor | mean top-1 probability | "
             "top-1 accuracy | ECE, all 10 shown | cases | ECE [95 % CI] de-leaked | floor | "
             "mean top-1 probability | top-1 accuracy | ECE, all 10 shown |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in names:
        cells = []
        for kind in ("natural", "deleaked"):
            part = outcomes[kind, name]
            mean_p = np.mean([o.top_probability for o in part]) if part else float("nan")
            accuracy = np.mean([o.rank <= 1 for o in part]) if part else float("nan")
            cells += [f"{len(part):,}", str(ece_estimate(part)), f"{ece_floor(part):.3f}",
                      f"{mean_p:.3f}", f"{accuracy:.3f}", f"{shown.get((kind, name), float('nan')):.3f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("\nECE uses 10 equal-width bins. The plug-in ECE is biased upward on finite samples "
                 "(a bootstrap resample repeats cases, so its interval sits above the point "
                 "estimate); *floor* is the ECE a perfectly calibrated scorer with the same "
                 "probabilities shows on the same number of cases (mean of 200 simulations).")
    if diagram is not None:
        draw_reliability(outcomes, names, diagram)
        lines.append(f"\n![Reliability of the top-1 probability]({diagram.relative_to(REPO / 'docs')})")
    lines.append("")
    return lines


def draw_reliability(outcomes: dict[tuple[str, str], list[Outcome]], names: Sequence[str],
                     path: Path) -> None:
    """Accuracy against mean confidence per bin, one panel per kind of case, one line per scorer;
    the marker's area is the bin's share of cases."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), sharey=True)
    for axis, kind in zip(axes, ("natural", "deleaked")):
        axis.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="perfect")
        for name in names:
            part = outcomes[kind, name]
            points = reliability_bins(part)
            if not points:
                continue
            x, y, n = zip(*points)
            ece = expected_calibration_error([o.top_probability for o in part],
                                             [o.rank <= 1 for o in part])
            line, = axis.plot(x, y, linewidth=1.4, label=f"{name} (ECE {ece:.3f})")
            axis.scatter(x, y, s=[600 * k / len(part) + 8 for k in n], color=line.get_color(),
                         alpha=0.7)
        axis.set_title(f"{KIND_TITLES[kind]} test publications ({len(outcomes[kind, names[0]]):,} cases)")
        axis.set_xlabel("calibrated top-1 probability (bin mean)")
        axis.set_xlim(0, 1)
        axis.set_ylim(0, 1)
        axis.legend(loc="upper left", fontsize=8)
    axes[0].set_ylabel("top-1 accuracy in the bin")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def rankers(home: Path, store: str, graph_store: EmbeddedStore) -> dict[str, Ranker]:
    """Each scorer with the calibration, conformal scores and answer model of the model folder."""
    graph = graph_store.projection()
    models = model_dir_for(home, graph)
    prefixes = DISEASE_PREFIXES["omim"]
    out = {name: Ranker.from_model_dir(graph_store, CLINICAL_DOMAIN, name, models, prefixes)
           for name in ("resnik", "lr")}
    model = models / MODEL_FILE
    if model.is_file():
        ranker = attention_ranker(graph, CLINICAL_DOMAIN, AttentionWeights.from_path(model), prefixes)
        files = Ranker.from_model_dir(graph_store, CLINICAL_DOMAIN, "attention", models, prefixes,
                                      settings=AttentionSettings(model))
        out["attention"] = dataclasses.replace(ranker, calibration=files.calibration,
                                               conformal=files.conformal, answers=files.answers)
    else:
        print(f"no attention model at {model}: run `kgdecide train`", file=sys.stderr)
    return out


@dataclasses.dataclass(frozen=True)
class CandidateScores:
    """One case's scores from each scorer over the OMIM candidates, for fusing them."""

    scores: dict[str, np.ndarray]  #: scorer -> scores over the candidates
    answer: np.ndarray  #: bool over the candidates: an id of the case's diagnosis
    ids: tuple[str, ...]  #: the candidates' ids


def candidate_scores(ranked: dict[str, Ranker], cases: Sequence[EvalCase], mask  # noqa: ANN001
                     ) -> list[CandidateScores]:
    """Each case scored once by every scorer (natural and de-leaked cases without their
    publication's share), kept over the OMIM candidates."""
    out = []
    for e in cases:
        overrides = () if e.kind == "leaky" else mask.overrides(e.case.publication)
        scores = {}
        for name, r in ranked.items():
            _, result, _ = r.score(e.case.case.observed, e.case.case.excluded, overrides=overrides)
            allowed = r._mask(result.targets)
            scores[name] = result.scores[allowed]
        targets = result.targets[allowed]
        answers = [r.graph.index[a] for a in e.case.diagnosis if a in r.graph.index]
        out.append(CandidateScores(scores, np.isin(targets, answers),
                                   tuple(r.graph.id_list[int(t)] for t in targets)))
    return out


def fusion(cases: Sequence[CandidateScores], weights: dict[str, float], how: str = "rank"
           ) -> list[Outcome]:
    """Per case, a weighted fusion of the scorers over the OMIM candidates: ``rank``, reciprocal
    ranks (k = 60) of their rankings; ``score``, their scores standardised over the candidates
    (mean 0, standard deviation 1) and summed. Ties count against the answer."""
    out = []
    for c in cases:
        total = np.zeros(len(c.answer))
        for name, weight in weights.items():
            scores = c.scores[name]
            if how == "rank":
                order = np.argsort(-scores, kind="stable")
                ranks = np.empty(len(scores))
                ranks[order] = np.arange(1, len(scores) + 1)
                total += weight / (60.0 + ranks)
            else:
                total += weight * (scores - scores.mean()) / (scores.std() or 1.0)
        rank = float((total >= total[c.answer].max()).sum()) if c.answer.any() else float("inf")
        top = np.argsort(-total, kind="stable")[:3]
        out.append(Outcome(rank, 0.0, (), (), 0, tuple(c.ids[int(t)] for t in top)))
    return out


#: Fusions reported beside the scorers: (how, weights).
FUSIONS = (("rank", {"attention": 1.0, "resnik": 1.0}),
           ("rank", {"attention": 1.0, "resnik": 0.5, "lr": 0.5}),
           ("score", {"attention": 1.0, "resnik": 0.5}),
           ("score", {"attention": 1.0, "resnik": 0.5, "lr": 0.5}),
           ("score", {"attention": 1.0, "resnik": 1.0, "lr": 0.5}))


def fusion_name(how: str, weights: dict[str, float]) -> str:
    return f"{how} fusion " + " + ".join(f"{w:g} {n}" for n, w in weights.items())


def fusion_on_validation(ranked: dict[str, Ranker], cases: Sequence[EvalCase], mask) -> list[str]:  # noqa: ANN001
    """Each fusion minus attention on the validation publications (where a fusion would be
    chosen), publications resampled."""
    clusters = publications(cases)
    scored = candidate_scores({n: ranked[n] for n in ("attention", "resnik", "lr")}, cases, mask)
    base = fusion(scored, {"attention": 1.0}, "score")
    lines = ["| fusion | MRR minus attention | top-1 minus attention (points) | top-10 minus attention (points) |",
             "|---|---:|---:|---:|"]
    for how, weights in FUSIONS:
        fused = fusion(scored, weights, how)
        cells = []
        for metric, scale in (("mrr", 1.0), ("top1", 100.0), ("top10", 100.0)):
            d = paired_difference(fused, base, metric, clusters=clusters)
            cells.append(f"{scale * d.value:+.3f} [{scale * d.low:+.3f}, {scale * d.high:+.3f}]"
                         if metric == "mrr" else
                         f"{scale * d.value:+.1f} [{scale * d.low:+.1f}, {scale * d.high:+.1f}]")
        lines.append(f"| {fusion_name(how, weights)} | " + " | ".join(cells) + " |")
    return lines


def same_disease_comparison(ranked: dict[str, Ranker], cases: Sequence[EvalCase], mask  # noqa: ANN001
                            ) -> list[str]:
    """Natural vs de-leaked top-1 on the diseases that have cases of both kinds (the disease mix
    differs between the two, which alone moves top-1)."""
    natural = {d for e in cases if e.kind == "natural" for d in e.case.diagnosis}
    deleaked = {d for e in cases if e.kind == "deleaked" for d in e.case.diagnosis}
    both = natural & deleaked
    part = [e for e in cases if e.kind in ("natural", "deleaked") and set(e.case.diagnosis) & both]
    lines = [f"Diseases with both natural and de-leaked cases: {len(both)} "
             f"({sum(e.kind == 'natural' for e in part)} natural, "
             f"{sum(e.kind == 'deleaked' for e in part)} de-leaked cases).\n",
             "| scorer | natural top-1 % | de-leaked top-1 % | de-leaked, unmasked top-1 % |",
             "|---|---:|---:|---:|"]
    for name, ranker in ranked.items():
        nat = summary(run(ranker, [e for e in part if e.kind == "natural"], mask))["top1"]
        dl_cases = [e for e in part if e.kind == "deleaked"]
        dl = summary(run(ranker, dl_cases, mask))["top1"]
        raw = summary(run(ranker, [dataclasses.replace(e, kind="leaky") for e in dl_cases], mask))["top1"]
        lines.append(f"| {name} | {nat.percent()} | {dl.percent()} | {raw.percent()} |")
    return lines


def simulated_outcomes(ranker: Ranker, n: int, seed: int) -> list[Outcome]:
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


def ablation_rankers(graph_store: EmbeddedStore, cases_path: Path, cache: Path, echo) -> dict[str, Ranker]:  # noqa: ANN001
    """Attention models trained without one part each (cached per graph version in ``cache``)."""
    from kgdecide.packs.clinical.training import SIMULATED, clinical_training

    graph = graph_store.projection()
    out = {}
    for name, changes, no_evidence in ABLATIONS:
        spec = CLINICAL_DOMAIN.without_evidence() if no_evidence else CLINICAL_DOMAIN
        key = "ablation-" + "-".join(f"{k}={v}" for k, v in changes.items()) + ("-no-evidence" if no_evidence else "")
        path = cache / graph.version.replace("/", "__") / f"{key}.npz"
        if not path.is_file():
            echo(f"training the ablation '{name}'")
            simulated = int(changes.get("simulated", SIMULATED))
            settings = clinical_training(**{k: v for k, v in changes.items() if k != "simulated"})
            data = training_data(graph_store, spec, cases_path)
            weights = train_attention(graph_store, spec, data, simulated, settings, echo=echo)
            weights.save(path)
        out[f"attention, {name}"] = attention_ranker(graph, spec, AttentionWeights.from_path(path),
                                                     DISEASE_PREFIXES["omim"])
    return out


def question_lines(args, ranked, test, data, log) -> list[str]:  # noqa: ANN001
    name = "attention" if "attention" in ranked else next(iter(ranked))
    rng = np.random.default_rng(12345)
    pool = [e for e in test if e.kind != "leaky"]
    sample = [pool[i] for i in sorted(rng.choice(len(pool), min(args.question_cases, len(pool)),
                                                 replace=False).tolist())]
    t0 = time.monotonic()
    curves = ds.question_curves(ranked[name], sample, data.mask)
    log(f"questions: {len(curves['full record']):,} cases in {time.monotonic() - t0:.0f} s")
    return ds.questions_section(curves, name, REPO / "docs" / "img" / "questions.png"
                                if args.write_docs else None, REPO / "docs")


def decision_support(args, graph, ranked, test, data, log, started) -> str:  # noqa: ANN001
    """``--only``: the calibration, prediction-set and question subsections alone."""
    lines = [f"(Measured {dt.date.today().isoformat()} on graph `{graph.version}` "
             f"with `{' '.join(['python eval/diagnosis.py', *map(shlex.quote, sys.argv[1:])])}`; "
             f"load average {os.getloadavg()[0]:.1f} at the start.)\n"]
    bodies: dict[str, str] = {}
    if {"calibration", "sets"} & set(args.only):
        honest = [e for e in test if e.kind != "leaky"]
        by_scorer = {}
        for name, r in ranked.items():
            t0 = time.monotonic()
            by_scorer[name] = ds.rank_test(r, honest, data.mask)
            log(f"{name}: {len(honest):,} test cases in {time.monotonic() - t0:.0f} s")
        parts = {(kind, name): [x for x, e in zip(by_scorer[name], honest) if e.kind == kind]
                 for name in ranked for kind in ("natural", "deleaked")}
        if "calibration" in args.only:
            outcomes = {k: [x.outcome for x in v] for k, v in parts.items()}
            bodies["Calibration"] = "\n".join(lines + calibration_section(
                outcomes, list(ranked), REPO / "docs" / "img" / "reliability.png"
                if args.write_docs else None, {k: ds.shown_ece(v) for k, v in parts.items()}))
        if "sets" in args.only:
            bodies["Prediction sets"] = "\n".join(lines + ds.sets_section(parts, list(ranked)))
    if "questions" in args.only:
        bodies["Questions"] = "\n".join(lines + question_lines(args, ranked, test, data, log))
    # each body holds its own "### title" line after the dating line: drop it, put the title first
    text = "\n\n".join(f"### {t}\n\n" + _without_title(b) for t, b in bodies.items())
    print(text)
    if args.write_docs:
        ds.write_subsections(REPO / "docs" / "EVALUATION.md", SECTION,
                             {t: f"### {t}\n\n" + _without_title(b) for t, b in bodies.items()},
                             before="Natural leak-free vs de-leaked, same diseases (test publications)")
    log(f"{time.monotonic() - started:.0f} s in all")
    return text


def _without_title(body: str) -> str:
    return re.sub(r"^### [^\n]*\n+", "", body, count=1, flags=re.MULTILINE)


def main(argv: Sequence[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="clinical")
    parser.add_argument("--cases", type=Path,
                        default=shared_data_dir() / "clinical" / "phenopackets_dev.jsonl")
    parser.add_argument("--simulated", type=int, default=500)
    parser.add_argument("--ablations", action="store_true",
                        help="Also train and rank the attention scorer's ablations (~10 min each).")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--section", default=SECTION,
                        help="The docs/EVALUATION.md section --write-docs replaces.")
    parser.add_argument("--only", type=lambda v: tuple(x.strip() for x in v.split(",") if x.strip()),
                        default=(), metavar="PARTS",
                        help="Run only these parts, comma-separated: calibration, sets, questions; "
                             "--write-docs then rewrites only their subsections of Diagnosis.")
    parser.add_argument("--questions", action="store_true",
                        help="In a full run, also the question protocol (~1 s a case).")
    parser.add_argument("--question-cases", type=int, default=400,
                        help="Test cases the question protocol runs on (a seeded sample).")
    args = parser.parse_args(argv)
    unknown = set(args.only) - {"calibration", "sets", "questions"}
    if unknown:
        parser.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}; choose from "
                     "calibration, sets, questions")
    started = time.monotonic()
    settings = Settings.from_env()
    graph_store = EmbeddedStore.from_path(settings.store_dir(args.store))
    graph = graph_store.projection()
    models = model_dir_for(settings.home, graph)
    data = training_data(graph_store, CLINICAL_DOMAIN, args.cases)
    ranked = rankers(settings.home, args.store, graph_store)
    test = eval_cases(read_labelled_cases(args.cases), ("test",))
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    if args.only:
        return decision_support(args, graph, ranked, test, data, log, started)
    default = json.loads((models / DEFAULT_FILE).read_text()) if (models / DEFAULT_FILE).is_file() else None
    lines = [f"Measured {dt.date.today().isoformat()} on graph `{graph.version}` "
             f"(case evidence from {graph.meta.get('case_evidence', {}).get('splits')}) with\n"
             f"`{' '.join(['python eval/diagnosis.py', *map(shlex.quote, sys.argv[1:])])}`; "
             f"load average {os.getloadavg()[0]:.1f} at the start.\n"]
    if default:
        gain = default.get("test_gain")
        lines.append(f"**Default scorer: `{default['scorer']}`** ({default['reason']}). Validation "
                     f"top-1 by scorer: " + ", ".join(f"{k} {100 * v:.1f} %" for k, v in default["validation_top1"].items())
                     + (f"; test top-1 gain of `{default['candidate']}` over resnik "
                        f"{100 * gain['value']:+.1f} points [{100 * gain['low']:+.1f}, {100 * gain['high']:+.1f}]" if gain else "")
                     + ".\n")
    extra = {}
    if args.ablations:
        extra.update(ablation_rankers(graph_store, args.cases, settings.home / "models" / "ablations", log))
    outcomes: dict[tuple[str, str], list[Outcome]] = {}
    for kind in ("natural", "deleaked", "leaky"):
        part = [e for e in test if e.kind == kind]
        lines.append(f"### Test publications: {KIND_TITLES[kind]} ({len(part):,} cases from "
                     f"{len(set(publications(part))):,} publications)\n")
        lines.append(header("ms/case"))
        for name, ranker in {**ranked, **(extra if kind != "leaky" else {})}.items():
            t0 = time.perf_counter()
            outcomes[kind, name] = run(ranker, part, data.mask)
            ms = (time.perf_counter() - t0) * 1000 / max(len(part), 1)
            lines.append(row(name, outcomes[kind, name], f"{ms:.1f}", publications(part)))
            log(lines[-1])
        if kind != "leaky" and {"attention", "resnik", "lr"} <= set(ranked):
            scored = candidate_scores({n: ranked[n] for n in ("attention", "resnik", "lr")},
                                      part, data.mask)
            for how, weights in FUSIONS:
                name = fusion_name(how, weights)
                outcomes[kind, name] = fusion(scored, weights, how)
                lines.append(row(name, outcomes[kind, name], "", publications(part)))
                log(lines[-1])
        lines.append("")
    lines.append("### Paired differences against resnik on the test publications "
                 "(points, bootstrap 95 % interval, publications resampled)\n")
    lines.append("| scorer | cases | top-1 natural | top-10 natural | top-1 de-leaked | top-10 de-leaked |")
    lines.append("|---|---|---:|---:|---:|---:|")
    for name in [n for (k, n) in outcomes if k == "natural" and n != "resnik"]:
        cells = []
        for kind in ("natural", "deleaked"):
            for metric in ("top1", "top10"):
                part = [e for e in test if e.kind == kind]
                d = paired_difference(outcomes[kind, name], outcomes[kind, "resnik"], metric,
                                      clusters=publications(part))
                cells.append(f"{100 * d.value:+.1f} [{100 * d.low:+.1f}, {100 * d.high:+.1f}]")
        lines.append(f"| {name} | {len(outcomes['natural', name])} / {len(outcomes['deleaked', name])} | " + " | ".join(cells) + " |")
    lines.append("")
    if {"attention", "resnik", "lr"} <= set(ranked):
        lines.append("### Fusion on the validation publications (natural + de-leaked, "
                     f"{len(data.validation):,} cases; publications resampled)\n")
        lines += fusion_on_validation(ranked, list(data.validation), data.mask)
        lines.append("")
    honest_test = [e for e in test if e.kind != "leaky"]
    by_scorer = {name: ds.rank_test(r, honest_test, data.mask) for name, r in ranked.items()}
    parts = {(kind, name): [x for x, e in zip(by_scorer[name], honest_test) if e.kind == kind]
             for name in ranked for kind in ("natural", "deleaked")}
    lines += calibration_section(outcomes, list(ranked),
                                 REPO / "docs" / "img" / "reliability.png" if args.write_docs else None,
                                 {k: ds.shown_ece(v) for k, v in parts.items()})
    lines += ds.sets_section(parts, list(ranked))
    if args.questions and "attention" in ranked:
        lines += question_lines(args, ranked, test, data, log)
    lines.append("### Natural leak-free vs de-leaked, same diseases (test publications; intervals "
                 "over cases)\n")
    lines += same_disease_comparison(ranked, [e for e in test if e.kind != "leaky"], data.mask)
    lines.append("")
    lines.append("### Hubs: the candidates most often in the top 3 (test publications, natural + "
                 "de-leaked)\n")
    lines.append("| scorer | candidate | in the top 3 of | the answer of | its appearances mostly with the answer |\n"
                 "|---|---|---:|---:|---|")
    honest = [e for e in test if e.kind == "natural"] + [e for e in test if e.kind == "deleaked"]
    for name in ranked:
        both = outcomes["natural", name] + outcomes["deleaked", name]
        for h in hubs(both, honest, 3):
            label = graph.labels[graph.index[h.id]]
            usual, share = h.usual_answer
            usual_label = graph.labels[graph.index[usual]] if usual in graph.index else usual
            lines.append(f"| {name} | {h.id} {label} | {100 * h.share:.1f} % | "
                         f"{100 * h.answer_share:.1f} % | {usual_label} ({100 * share:.0f} %) |")
    lines.append("")
    if args.simulated:
        lines.append(f"### Simulated patients ({args.simulated} OMIM diseases, seed 12345, noise "
                     "as assumed by `Noise.default`; training used noise fitted on the training "
                     "cases and another seed)\n")
        lines.append(header())
        for name, ranker in ranked.items():
            lines.append(row(name, simulated_outcomes(ranker, args.simulated, 12345)))
        lines.append("")
    lines.append(f"({len(honest):,} honest test cases; {time.monotonic() - started:.0f} s in all.)")
    text = "\n".join(lines) + "\n\n" + NOTES
    print(text)
    if args.write_docs:
        write_section(REPO / "docs" / "EVALUATION.md", args.section, text)
    return text


if __name__ == "__main__":
    main()
