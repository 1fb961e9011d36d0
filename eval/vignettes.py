"""Thirty hand-written syndrome vignettes through the text path, for every registered scorer.

Each vignette of eval/data/vignettes.jsonl (written by the team, never used for tuning: see
eval/data/README.md) is linked by the clinical linker and decided by ``pipeline.decide``, as the
clinician page does (linker settings of the web app, every disease a candidate, one candidate
per disease group). The table gives the rank of the expected OMIM id's disease (pessimistic on
ties; a disease under OMIM and ORPHA ids is one candidate), per scorer, and a summary: top-1,
top-10 and the median rank. Scorers that need training use the model under the home directory
for the store's graph version, and are skipped with a message when there is none.

    kgdecide build clinical --cases ../shared/data/clinical/phenopackets_dev.jsonl
    python eval/vignettes.py --write-docs     # KGDECIDE_HOME picks the home, as for kgdecide
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eval._common import write_section  # noqa: E402

VIGNETTES = REPO / "eval" / "data" / "vignettes.jsonl"
DOCS = REPO / "docs" / "EVALUATION.md"


@dataclass(frozen=True, slots=True)
class Vignette:
    id: str
    syndrome: str
    expected: str  #: the OMIM id of the answer
    text: str


@dataclass(frozen=True, slots=True)
class Landing:
    """Where one vignette's answer landed for one scorer."""

    rank: float  #: rank of the expected disease (inf: not ranked)
    top: str  #: label of the first candidate
    present: int  #: present findings the linker passed on
    excluded: int  #: excluded findings the linker passed on


def read_vignettes(path: Path = VIGNETTES) -> list[Vignette]:
    fields = ("id", "syndrome", "expected", "text")
    return [Vignette(**{k: json.loads(line)[k] for k in fields})
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def clinical_linker(store: Any, home: Path) -> Any:
    """The linker the web app builds for the clinical graph."""
    from kgdecide.link import Linker
    from kgdecide.packs.clinical.linking import clinical_linker_config

    return Linker.from_store(store, clinical_linker_config(dense=False), home=home)


def land(ranker: Any, linker: Any, vignette: Vignette) -> Landing:
    """Decide one vignette from its text and place its expected disease."""
    from kgdecide.errors import InvalidQuery
    from kgdecide.pipeline import decide, evaluate
    from kgdecide.types import Query

    try:
        decision = decide(ranker, Query((), top_k=10), text=vignette.text, linker=linker)
    except InvalidQuery:
        return Landing(float("inf"), "", 0, 0)
    observed = [f.id for f in decision.query.present]
    excluded = [f.id for f in decision.query.excluded]
    rank = evaluate(ranker, observed, excluded, [vignette.expected]).rank
    top = decision.candidates[0].label if decision.candidates else ""
    return Landing(rank, top, len(observed), len(excluded))


def rankers(settings: Any, store_name: str, names: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """A ranker per scorer name that can run on this home, and a message per one that cannot."""
    from kgdecide.errors import KgdecideError
    from kgdecide.packs.clinical.commands import make_ranker
    from kgdecide.score import SCORERS

    ready, skipped = {}, []
    for name in names:
        try:
            ranker = make_ranker(settings, store_name, name)
            ranker.scorer.prepare(ranker.graph)  # a missing model fails here, not mid-table
        except (KgdecideError, FileNotFoundError, OSError) as e:
            if not SCORERS[name].needs_training:
                raise
            print(f"{name}: skipped, no usable trained model under {settings.home} for this graph "
                  f"({e})", file=sys.stderr)
            skipped.append(f"{name} (needs `kgdecide train` for this graph; no model was there)")
            continue
        ready[name] = ranker
    return ready, skipped


def summary(ranks: Sequence[float]) -> tuple[int, int, float]:
    """Top-1 count, top-10 count and the median rank (inf when most are unranked).

    >>> summary([1, 3, 12, float("inf")])
    (1, 2, 7.5)
    """
    return (sum(r <= 1 for r in ranks), sum(r <= 10 for r in ranks), statistics.median(ranks))


def _cell(rank: float) -> str:
    return "—" if rank == float("inf") else f"{rank:.0f}"


def table(vignettes: Sequence[Vignette], landings: dict[str, list[Landing]]) -> str:
    names = list(landings)
    first = landings[names[0]]
    lines = ["| vignette | expected | findings (present / excluded) | "
             + " | ".join(names) + " |",
             "|---|---|---:|" + "---:|" * len(names)]
    for i, v in enumerate(vignettes):
        lines.append(f"| {v.syndrome} | {v.expected} | {first[i].present} / {first[i].excluded} | "
                     + " | ".join(_cell(landings[n][i].rank) for n in names) + " |")
    stats = {n: summary([x.rank for x in landings[n]]) for n in names}
    total = len(vignettes)
    lines.append(f"| **top-1** | | | " + " | ".join(f"**{stats[n][0]}/{total}**" for n in names) + " |")
    lines.append(f"| **top-10** | | | " + " | ".join(f"**{stats[n][1]}/{total}**" for n in names) + " |")
    lines.append(f"| **median rank** | | | " + " | ".join(f"**{_cell(stats[n][2])}**" for n in names) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default="clinical")
    parser.add_argument("--scorers", nargs="*", default=None, help="default: every registered scorer")
    parser.add_argument("--write-docs", action="store_true", help="update docs/EVALUATION.md")
    args = parser.parse_args()

    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.score import SCORERS
    from kgdecide.settings import Settings

    settings = Settings.from_env()
    store = EmbeddedStore.from_path(settings.store_dir(args.store))
    vignettes = read_vignettes()
    ready, skipped = rankers(settings, args.store, args.scorers or sorted(SCORERS))
    if not ready:
        raise SystemExit("no scorer could run")
    linker = clinical_linker(store, settings.home)
    landings = {name: [land(ranker, linker, v) for v in vignettes] for name, ranker in ready.items()}
    statuses = Counter(m.status.value for v in vignettes for m in linker.link(v.text).mentions)
    body = table(vignettes, landings)
    print(body)
    graph = store.projection()
    evidence = graph.meta.get("case_evidence")
    notes = [
        f"Command: `python eval/vignettes.py --write-docs` on {dt.date.today().isoformat()}, on "
        f"the store `make run` builds (graph {graph.version}; case evidence: "
        f"{'from ' + evidence['file'] if evidence else 'none'}).",
        "",
        f"{len(vignettes)} syndromes, one short summary each in plain clinical English "
        "(`eval/data/vignettes.jsonl`, written by the team, not taken from a publication, never "
        "used for tuning; eval/data/README.md). Each goes through the clinician page's path: the "
        "clinical linker (dense search off, as the web app builds it) turns the text into "
        "present and excluded findings (family history and uncertain mentions are not used), "
        "then `pipeline.decide` ranks every disease, one candidate per disease group. Cells are "
        "the rank of the expected OMIM id's disease (pessimistic on ties; — when not ranked).",
        "",
        "Mentions the linker found in the 30 texts, by what it read: "
        + ", ".join(f"{n} {status}" for status, n in statuses.most_common())
        + " (several mentions can name one finding; only present and excluded ones are scored).",
        *([""] + [f"Not run: {m}." for m in skipped] if skipped else []),
        "",
        body,
    ]
    if args.write_docs:
        write_section(DOCS, "Vignettes", "\n".join(notes))
        print(f"\nwrote the Vignettes section of {DOCS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
