"""``kgdecide ingest`` / ``info`` / ``export`` through click, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgdecide.cli import main
from tests.conftest import require


@pytest.fixture(params=["native", "pyoxigraph"])
def nt_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """N-Triples through the native parser (required: KGDECIDE_NATIVE=1) or the fallback (=0)."""
    if request.param == "native":
        try:
            import kgdecide_native  # noqa: F401
        except ImportError:
            require(False, "kgdecide_native is not installed (pip install ./native)")
    monkeypatch.setenv("KGDECIDE_NATIVE", "1" if request.param == "native" else "0")
    return str(request.param)


def _run(tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--home", str(tmp_path), *args])
    return result.exit_code, result.output


def _info(tmp_path: Path, store: str) -> dict:  # type: ignore[type-arg]
    code, out = _run(tmp_path, "info", "--store", store, "--json")
    assert code == 0, out
    return json.loads(out)


def test_ingest_nt_then_info(tmp_path: Path, fixtures_dir: Path, nt_parser: str) -> None:
    code, out = _run(tmp_path, "ingest", "nt", str(fixtures_dir / "rdf" / "tiny.nt"), "--store", "x")
    assert code == 0, out
    assert "18 records read, 0 skipped" in out
    info = _info(tmp_path, "x")
    assert info["nodes"] == {"Disease": 1, "Gene": 1, "PhenotypicFeature": 2}
    assert info["edges"] == {"associated_gene": 1, "has_phenotype": 1, "is_a": 1}


def test_failed_ingest_keeps_the_current_snapshot(tmp_path: Path, fixtures_dir: Path, nt_parser: str) -> None:
    assert _run(tmp_path, "ingest", "nt", str(fixtures_dir / "rdf" / "tiny.nt"), "--store", "x")[0] == 0
    before = _info(tmp_path, "x")
    bad = tmp_path / "bad.nt"
    bad.write_text("<http://a.org/s> <http://a.org/p> <http://a.org/o> .\n<http://a.org/s> <http://a.org/p> .\n")
    code, out = _run(tmp_path, "ingest", "nt", str(bad), "--store", "x")
    assert code != 0
    assert "bad.nt:2" in out and "--skip-bad" in out
    assert _info(tmp_path, "x") == before  # same version string, same counts
    code, out = _run(tmp_path, "ingest", "nt", str(bad), "--store", "x", "--skip-bad")
    assert code == 0 and "1 records read, 1 skipped" in out
    assert _info(tmp_path, "x")["version"] != before["version"]


def test_kgx_and_csv_ingest_and_export(tmp_path: Path, fixtures_dir: Path) -> None:
    kgx = fixtures_dir / "kgx"
    code, out = _run(tmp_path, "ingest", "kgx", str(kgx / "tiny_edges.tsv"), str(kgx / "tiny_nodes.tsv"), "--store", "k")
    assert code == 0, out
    assert _info(tmp_path, "k")["edges"]["has_phenotype"] == 1
    code, out = _run(tmp_path, "export", "kgx", "--store", "k", "--out", str(tmp_path / "out" / "k"))
    assert code == 0, out
    assert (tmp_path / "out" / "k_nodes.tsv").is_file() and (tmp_path / "out" / "k_edges.tsv").is_file()
    code, out = _run(tmp_path, "export", "nt", "--store", "k", "--out", str(tmp_path / "k.nt"))
    assert code == 0 and (tmp_path / "k.nt").stat().st_size > 0
    code, out = _run(tmp_path, "ingest", "csv", str(fixtures_dir / "table" / "ppi.csv"), "--store", "c",
                     "--map", "subject=src", "--map", "object=dst", "--map", "relation=rel")
    assert code == 0, out
    assert _info(tmp_path, "c")["edges"] == {"binds": 1, "interacts_with": 2}
    code, out = _run(tmp_path, "ingest", "csv", str(fixtures_dir / "table" / "ppi.csv"), "--store", "c",
                     "--map", "subject=source", "--map", "object=dst", "--map", "relation=rel")
    assert code != 0 and "subject=source" in out
