"""The CLI's own behaviour: readable errors and exit codes, never a stack trace."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kgdecide.cli import main
from kgdecide.graph.embedded import EmbeddedStore
from tests.contract.graphs import contract_graph


def test_info_on_a_missing_store_says_how_to_build(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--home", str(tmp_path), "info"])
    assert result.exit_code == 1
    assert "no graph has been built here" in result.output
    assert "kgdecide build clinical" in result.output
    assert "Traceback" not in result.output


def test_info_prints_counts_by_type_and_relation(tmp_path: Path) -> None:
    EmbeddedStore.write(contract_graph(), tmp_path / "stores" / "demo")
    result = CliRunner().invoke(main, ["--home", str(tmp_path), "info", "--store", "demo"])
    assert result.exit_code == 0, result.output
    for expected in ("contract/v1/", "PhenotypicFeature", "has_phenotype", "total"):
        assert expected in result.output
    as_json = CliRunner().invoke(main, ["--home", str(tmp_path), "info", "--store", "demo", "--json"])
    assert '"Disease": 3' in as_json.output


def test_unknown_ingest_format_lists_the_known_ones(tmp_path: Path) -> None:
    source = tmp_path / "x.txt"
    source.write_text("a b c\n")
    result = CliRunner().invoke(main, ["--home", str(tmp_path), "ingest", "xml", str(source)])
    assert result.exit_code == 1
    assert "unknown format 'xml'" in result.output and "nt" in result.output


def test_bad_column_mapping_names_the_option(tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_text("a,b\n1,2\n")
    result = CliRunner().invoke(main, ["--home", str(tmp_path), "ingest", "csv", str(source),
                                       "--map", "subject"])
    assert result.exit_code == 2
    assert "--map" in result.output and "ROLE=COLUMN" in result.output
