"""CSV/TSV edge lists with a column mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgdecide.errors import ConfigError, IngestError
from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.ingest import IngestOptions
from kgdecide.ingest.table import read_table


def _read(path: Path, skip_bad: bool = False, delimiter: str | None = None, **mapping: str):  # type: ignore[no-untyped-def]
    builder = GraphBuilder("t")
    report = read_table(builder, path, IngestOptions(skip_bad=skip_bad, column_map=mapping, delimiter=delimiter))
    return EmbeddedStore(builder.build()), report


def test_relation_column_and_property_columns(fixtures_dir: Path) -> None:
    store, report = _read(fixtures_dir / "table" / "ppi.csv", subject="src", object="dst",
                          relation="rel", evidence="evidence", score="score",
                          subject_type="Protein", object_type="Protein")
    assert report.records == 3
    [edge] = store.edges("P1", "interacts_with")
    assert edge.object == "P2" and edge.properties == {"evidence": "IEA", "score": 0.9}
    [binds] = store.edges("P1", "binds")
    assert binds.properties == {"score": 1.0}  # the empty evidence cell is absent
    assert store.nodes_by_type("Protein") == ("P1", "P2", "P3")


def test_one_relation_for_every_row_and_tsv_default(tmp_path: Path) -> None:
    path = tmp_path / "e.tsv"
    path.write_text("a\tb\nG:1\tG:2\nG:2\tG:3\n")
    store, _ = _read(path, subject="a", object="b", relation_value="interacts_with")
    assert store.counts().edges_by_relation == {"interacts_with": 2}


def test_missing_mapped_column_names_it_and_the_header(fixtures_dir: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _read(fixtures_dir / "table" / "ppi.csv", subject="source", object="dst", relation="rel")
    message = str(caught.value)
    assert "subject=source" in message and "src, dst, rel, evidence, score" in message


def test_relation_must_be_given_once(fixtures_dir: Path) -> None:
    with pytest.raises(ConfigError, match="relation"):
        _read(fixtures_dir / "table" / "ppi.csv", subject="src", object="dst")


def test_short_row_is_named_or_skipped(fixtures_dir: Path) -> None:
    path = fixtures_dir / "table" / "short_row.csv"
    with pytest.raises(IngestError) as caught:
        _read(path, subject="src", object="dst", relation="rel")
    assert caught.value.line == 3
    store, report = _read(path, skip_bad=True, subject="src", object="dst", relation="rel")
    assert (report.records, report.skipped) == (2, 1)
    assert store.counts().edges == 2
