"""Does leave-publication-out masking miss part of a publication's share of the graph?

De-leaked test cases score well above naturally leak-free ones. If the masking let some of the
case's own publication P back in, the likeliest route is annotations P made that cite another
source beside P, above all a disease's OMIM clinical synopsis (rows citing only ``OMIM:…``),
which OMIM often writes from the very publication that reported the disease. This script scores
every de-leaked test case twice: with the masking evaluation uses, and with a stricter one that
also hides each of the disease's annotations that no *other* publication and no Orphanet entry
supports (P's rows, its catalogue-only rows). If the gap to natural cases came from such
annotations, the strict figures would fall towards the natural ones.

    KGDECIDE_HOME=var python eval/masking_check.py [--scorers resnik,lr,attention] [--write-docs]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kgdecide.packs.clinical.build import locate_hpo_files  # noqa: E402
from kgdecide.packs.clinical.cases import CLINICAL_DOMAIN, read_labelled_cases  # noqa: E402
from kgdecide.packs.clinical.commands import make_ranker, shared_data_dir  # noqa: E402
from kgdecide.packs.clinical.evaluation import (  # noqa: E402
    eval_cases, paired_difference, publications, summary,
)
from kgdecide.packs.clinical.masking import PublicationMask, publication_mask  # noqa: E402
from kgdecide.pipeline import Outcome, evaluate  # noqa: E402
from kgdecide.score.base import TargetAnnotations  # noqa: E402
from kgdecide.settings import Settings  # noqa: E402
from _common import write_section  # noqa: E402

SECTION = "Masking check"


def hpoa_references(path: Path) -> tuple[dict[tuple[str, str], list[tuple[str, ...]]],
                                         dict[str, set[str]]]:
    """(disease, phenotype) -> each present-annotation row's references; disease -> the PMIDs
    cited for it."""
    rows: dict[tuple[str, str], list[tuple[str, ...]]] = defaultdict(list)
    cited: dict[str, set[str]] = defaultdict(set)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(("#", "database_id")):
            continue
        f = line.split("\t")
        if f[2] == "NOT" or f[10] != "P":
            continue
        refs = tuple(r.strip() for r in f[4].split(";") if r.strip())
        rows[f[0], f[3]].append(refs)
        cited[f[0]].update(r for r in refs if r.startswith("PMID:"))
    return rows, cited


class StrictMask:
    """The evaluation's mask, plus: for a disease that cites P, every annotation that no other
    publication and no Orphanet entry supports is hidden too."""

    def __init__(self, mask: PublicationMask, hpoa: Path) -> None:
        self.mask = mask
        self.rows, self.cited = hpoa_references(hpoa)
        self.disease_of = {i: d for d, i in mask.target_of_id.items()}
        self.term_id = {i: t for t, i in mask.term_of_id.items()}

    def _supported_elsewhere(self, disease: str, term: int, publication: str) -> bool:
        refs = self.rows.get((disease, self.term_id[term]))
        if refs is None:  # not an HPO annotation (case evidence): the mask already handles it
            return True
        return any(r != publication and r.startswith(("PMID:", "ORPHA:")) for row in refs for r in row)

    def overrides(self, publication: str) -> tuple[TargetAnnotations, ...]:
        base = {o.target: o for o in self.mask.overrides(publication)}
        citing = {self.mask.target_of_id[d] for d, pubs in self.cited.items()
                  if publication in pubs and d in self.mask.target_of_id}
        out = []
        for target in sorted(set(base) | citing):
            own = base.get(target) or self.mask.target_annotations(target, publication)
            if target not in citing:
                out.append(own)
                continue
            disease = self.disease_of[target]
            keep = np.array([k for k, t in enumerate(own.terms.tolist())
                             if own.evidence[k] or self._supported_elsewhere(disease, t, publication)],
                            dtype=np.int64)
            out.append(TargetAnnotations(target, own.terms[keep], own.frequencies[keep],
                                         own.evidence[keep]))
        return tuple(out)


def main(argv: Sequence[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="clinical")
    parser.add_argument("--cases", type=Path,
                        default=shared_data_dir() / "clinical" / "phenopackets_dev.jsonl")
    parser.add_argument("--scorers", default="resnik,lr,attention")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    started = time.monotonic()
    settings = Settings.from_env()
    cases = [e for e in eval_cases(read_labelled_cases(args.cases), ("test",), ("deleaked",))]
    clusters = publications(cases)
    lines = [f"Command: `python eval/masking_check.py --scorers {args.scorers}` on "
             f"{dt.date.today().isoformat()}, {len(cases):,} de-leaked test cases from "
             f"{len(set(clusters))} publications; load average {os.getloadavg()[0]:.1f} at the "
             "start. Intervals resample publications.\n",
             "| scorer | mask | top-1 % [95 % CI] | top-10 % [95 % CI] | strict minus evaluation mask, top-1 |",
             "|---|---|---:|---:|---:|"]
    strict = None
    for name in args.scorers.split(","):
        ranker = make_ranker(settings, args.store, name, "omim")
        if strict is None:
            mask = publication_mask(ranker.graph, CLINICAL_DOMAIN, args.cases)
            strict = StrictMask(mask, locate_hpo_files(None).hpoa)
        outcomes: dict[str, list[Outcome]] = {"evaluation": [], "strict": []}
        for e in cases:
            c = e.case
            for label, overrides in (("evaluation", mask.overrides(c.publication)),
                                     ("strict", strict.overrides(c.publication))):
                outcomes[label].append(evaluate(ranker, c.case.observed, c.case.excluded,
                                                c.diagnosis, overrides=overrides))
        gain = paired_difference(outcomes["strict"], outcomes["evaluation"], "top1", clusters=clusters)
        for label, got in outcomes.items():
            s = summary(got, clusters=clusters)
            cell = (f"{100 * gain.value:+.1f} [{100 * gain.low:+.1f}, {100 * gain.high:+.1f}]"
                    if label == "strict" else "")
            lines.append(f"| {name} | {label} | {s['top1'].percent()} | {s['top10'].percent()} | {cell} |")
        print(*lines[-2:], sep="\n", file=sys.stderr, flush=True)
    lines.append(f"\n({time.monotonic() - started:.0f} s.)")
    text = "\n".join(lines)
    print(text)
    if args.write_docs:
        write_section(REPO / "docs" / "EVALUATION.md", SECTION, text)
    return text


if __name__ == "__main__":
    main()
