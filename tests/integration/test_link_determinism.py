"""The same text gives the same mentions whatever the hash seed and the run.

Each run is a fresh interpreter with its own PYTHONHASHSEED, so the order of every set and
frozenset the linker builds changes between runs; the output must not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: Builds the fixture graph plus two terms one typo apart from the same misspelling (a tie the
#: typo corrector must break the same way every time), links a report, prints the records.
_RUN = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from tests.unit.link.conftest import mini_graph_builder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.link.command import result_record
from kgdecide.link.config import LinkerConfig
from kgdecide.link.linker import Linker

builder = mini_graph_builder()
for node_id, label in (("HP:0000400", "Macrotia"), ("HP:0008551", "Microtia"),
                       ("HP:0000958", "Dry skin"), ("HP:0000962", "Hyperkeratosis")):
    builder.add_node(node_id, "PhenotypicFeature", label)
linker = Linker.from_store(EmbeddedStore(builder.build()), LinkerConfig(multilingual=False))
text = open(sys.argv[2], encoding="utf-8").read()
print(json.dumps([result_record(i, linker.link(t)) for i, t in enumerate([text, *text.split("\n\n")])]))
"""

REPORT = """\
Mocrotia and seizures in a boy: a case report

Introduction
The syndrome is characterized by ataxia, scoliosis and hearing impairment. Knockout mice show seizures.

Case report
The boy had mocrotia, microcephaly and hypotonia at birth; there was no fever. At 2 years he
developed febrile seizures. If he develops scoliosis, bracing is advised. His mother has short stature.

Table 1. Previously reported patients
Patient | Features
P1 | Ataxia, cleft palate
P2 | Brachydactyly, headache

Discussion
Our patient had mocrotia, whereas previously reported patients had brachydactyly in 3 of 5 cases.
"""


def _runs(seeds: list[str], note: Path) -> dict[str, str]:
    """The script's output under each hash seed (the interpreters run side by side)."""
    runs = {seed: subprocess.Popen([sys.executable, "-c", _RUN, str(REPO), str(note)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env={**os.environ, "PYTHONHASHSEED": seed}, cwd=REPO)
            for seed in seeds}
    outputs = {}
    for seed, run in runs.items():
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err[-2000:]
        outputs[seed] = out
    return outputs


def test_same_text_same_output_whatever_the_hash_seed(tmp_path: Path) -> None:
    note = tmp_path / "report.txt"
    note.write_text(REPORT, encoding="utf-8")
    # Before the fix, about half of the seeds read the misspelling as the other term.
    outputs = _runs(["0", "1", "2", "3", "4", "5"], note)
    assert len(set(outputs.values())) == 1, "the linker's output depends on PYTHONHASHSEED"
    records = json.loads(outputs["0"])
    labels = [m["label"] for m in records[0]["mentions"]]
    assert labels.count("Macrotia") + labels.count("Microtia") == 3  # the typo was corrected
