"""``kgdecide link`` end to end on a small graph written to a store in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.packs.linking import link_command
from kgdecide.settings import Settings

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "fixtures" / "link" / "mini_hpo.json"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kgdecide.graph.builder import GraphBuilder

    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    builder = GraphBuilder("mini-hpo", "test")
    for node_id, label, synonyms, parents in data["nodes"]:
        builder.add_node(node_id, "PhenotypicFeature", label, synonyms)
        for parent in parents:
            builder.add_edge(node_id, "is_a", parent)
    target = tmp_path_factory.mktemp("home") / "stores" / "mini"
    EmbeddedStore.write(builder.build(), target)
    return target


def _run(store_dir: Path, *args: str) -> click.testing.Result:
    group = click.Group(commands={"link": link_command})
    return CliRunner().invoke(group, ["link", "--store", str(store_dir), *args],
                              obj=Settings(home=store_dir.parent.parent), catch_exceptions=False)


def test_text_prints_a_table(store_dir: Path) -> None:
    result = _run(store_dir, "Seizures since 3 months; no fever. Mother has short stature.")
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[3].strip(): line.split("│")[6].strip()
            for line in result.output.splitlines() if "HP:" in line}
    assert rows == {"HP:0001250": "present", "HP:0001945": "excluded", "HP:0004322": "family"}


def test_jsonl_in_and_out_with_bad_lines(store_dir: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.jsonl"
    notes.write_bytes(
        b'{"id": "a", "text": "No fever. Hypotonia."}\n'
        b'{"id": "b", "text": "\xff\xfe not utf-8"}\n'
        b"not json\n"
        b'{"id": "d", "text": ""}\n'
        b'{"id": "e"}\n'
    )
    out = tmp_path / "mentions.jsonl"
    result = _run(store_dir, "--in", str(notes), "--out", str(out))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["a", None, None, "d", "e"]
    assert [(m["id"], m["status"]) for m in records[0]["mentions"]] == [
        ("HP:0001945", "excluded"), ("HP:0001252", "present")]
    assert set(records[0]["mentions"][0]) == {"start", "end", "text", "id", "label", "score", "status",
                                              "experiencer", "section", "scored"}
    assert records[0]["mentions"][0]["experiencer"] == "patient" and records[0]["mentions"][0]["scored"]
    assert "not UTF-8" in records[1]["error"] and records[1]["line"] == 2
    assert "not JSON" in records[2]["error"]
    assert records[3]["mentions"] == [] and records[3]["notes"] == ["empty text"]
    assert '"text" string' in records[4]["error"]
    # the note's text never reaches the terminal
    assert "fever" not in result.output and "Hypotonia" not in result.output


def test_text_or_in_is_required(store_dir: Path) -> None:
    group = click.Group(commands={"link": link_command})
    result = CliRunner().invoke(group, ["link", "--store", str(store_dir)], obj=Settings(home=store_dir))
    assert result.exit_code == 2 and "either TEXT or --in" in result.output
