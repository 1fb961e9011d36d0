"""``kgdecide ingest rdf`` into ``rdf:DIR`` stores, and ``open_store`` reading them back."""

from __future__ import annotations

import gc
from pathlib import Path

from click.testing import CliRunner

from kgdecide.cli import main
from kgdecide.graph import open_store
from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.rdf import RdfStore
from kgdecide.ingest import IngestOptions
from kgdecide.ingest.rdf import read_turtle
from kgdecide.settings import Settings


def _run(tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--home", str(tmp_path), *args])
    return result.exit_code, result.output


def _reopen(path: Path) -> RdfStore:
    gc.collect()  # the CLI's store object is gone: release Oxigraph's lock on the directory
    store = open_store(Settings(path.parent), f"rdf:{path}")
    assert isinstance(store, RdfStore)
    return store


def test_ingest_files_as_they_are(tmp_path: Path, fixtures_dir: Path) -> None:
    ttl = fixtures_dir / "rdf" / "tiny.ttl"
    code, out = _run(tmp_path, "ingest", "rdf", str(ttl), "--store", f"rdf:{tmp_path / 'r'}", "--name", "tiny")
    assert code == 0, out
    assert "tiny/unversioned/" in out
    store = _reopen(tmp_path / "r")
    builder = GraphBuilder("tiny")
    read_turtle(builder, ttl, IngestOptions())
    assert store.counts() == builder.build().counts()
    assert store.version.startswith("tiny/unversioned/")


def test_ingest_a_built_store(tmp_path: Path, fixtures_dir: Path) -> None:
    code, out = _run(tmp_path, "ingest", "ttl", str(fixtures_dir / "rdf" / "tiny.ttl"), "--store", "built")
    assert code == 0, out
    code, out = _run(tmp_path, "ingest", "rdf", "--from-store", "built", "--store", f"rdf:{tmp_path / 'r'}")
    assert code == 0, out
    embedded = open_store(Settings(tmp_path), "built")
    store = _reopen(tmp_path / "r")
    assert store.version == embedded.version
    assert list(store.iter_nodes()) == list(embedded.iter_nodes())
    assert list(store.iter_edges()) == list(embedded.iter_edges())


def test_rdf_needs_an_rdf_store_and_other_formats_need_files(tmp_path: Path) -> None:
    code, out = _run(tmp_path, "ingest", "rdf", "--store", "plain")
    assert code != 0 and "rdf:DIR" in out
    code, out = _run(tmp_path, "ingest", "ttl", "--store", "x")
    assert code != 0 and "give at least one file" in out
    code, out = _run(tmp_path, "ingest", "rdf", str(tmp_path / "missing.ttl"), "--store", f"rdf:{tmp_path}/r")
    assert code != 0 and "does not exist" in out


def test_a_malformed_file_leaves_the_store_as_it_was(tmp_path: Path, fixtures_dir: Path) -> None:
    target = f"rdf:{tmp_path / 'r'}"
    code, out = _run(tmp_path, "ingest", "rdf", str(fixtures_dir / "rdf" / "tiny.ttl"), "--store", target)
    assert code == 0, out
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b .\n", encoding="utf-8")
    code, out = _run(tmp_path, "ingest", "rdf", str(fixtures_dir / "rdf" / "tiny.ttl"), str(bad), "--store", target)
    assert code != 0
    store = _reopen(tmp_path / "r")
    assert store.counts().nodes > 0 and not store.has_node("http://example.org/a")
