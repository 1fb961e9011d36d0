"""Reading the real GA4GH phenopackets: findings only, never the answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kgdecide.packs.clinical.cases import read_cases

pytestmark = pytest.mark.shared_data


def test_real_phenopackets_give_findings_without_reading_the_diagnosis(
        shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "clinical" / "phenopackets-raw"
    cases = list(read_cases(folder))
    assert len(cases) == len(list(folder.glob("*.json"))) == 20
    assert all(c.observed or c.excluded for c in cases)
    assert all(i.startswith("HP:") for c in cases for i in c.observed + c.excluded)
    stripped = tmp_path / "stripped"
    stripped.mkdir()
    for file in folder.glob("*.json"):
        packet = json.loads(file.read_text())
        for answer in ("interpretations", "diseases"):
            packet.pop(answer, None)
        (stripped / file.name).write_text(json.dumps(packet))
    assert list(read_cases(stripped)) == cases
