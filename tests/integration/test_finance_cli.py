"""``kgdecide build finance`` and ``kgdecide finance ...`` on the fixture files, through click."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from kgdecide.cli import _Group
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.packs.finance.commands import build_finance_command, finance_group
from kgdecide.settings import Settings

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "fixtures" / "finance"


@click.group(cls=_Group)
@click.option("--home", type=click.Path(path_type=Path), required=True)
@click.pass_context
def cli(ctx: click.Context, home: Path) -> None:
    ctx.obj = Settings(home=home)


@cli.group()
def build() -> None:
    """Build."""


build.add_command(build_finance_command)
cli.add_command(finance_group)


def _run(*args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("finance-home")
    _run("--home", str(home), "build", "finance", "--findkg", str(FIXTURES / "findkg"),
         "--symbols", str(FIXTURES / "us-stock-symbols"), "--form13", str(FIXTURES / "sec-form13"),
         "--no-indices")
    return home


def test_build_writes_a_store(home: Path) -> None:
    store = EmbeddedStore.from_path(home / "stores" / "finance")
    counts = store.counts()
    assert counts.nodes_by_type["Company"] == 7  # 3 FinDKG + 3 listings + 1 unlisted 13F issuer
    assert counts.edges_by_relation["listed_as"] == 3
    assert store.version.startswith("finance/findkg+symbols+13f/")


def test_exposure_command_answers_with_paths(home: Path) -> None:
    result = _run("--home", str(home), "finance", "exposure", "--event", "Virus Outbreak",
                  "--as-of", "2018-02-12", "--holding", "ACME=0.5", "--holding", "GLBX=0.5")
    body = json.loads(result.output)
    assert body["holdings"][0]["company"]["ticker"] == "ACME" and body["holdings"][0]["paths"]


def test_bad_date_and_weight_are_clear_errors(home: Path) -> None:
    result = _run("--home", str(home), "finance", "exposure", "--event", "Virus Outbreak",
                  "--as-of", "12/02/2018", "--holding", "ACME", ok=False)
    assert "as_of" in result.output and "ISO date" in result.output
    result = _run("--home", str(home), "finance", "exposure", "--event", "Virus Outbreak",
                  "--holding", "ACME=heavy", ok=False)
    assert "--holding" in result.output


def test_related_and_predict_commands(home: Path) -> None:
    related = json.loads(_run("--home", str(home), "finance", "related", "GLBX", "--as-of",
                              "2018-02-12").output)
    assert related["items"] and related["entity"]["ticker"] == "GLBX"
    predicted = json.loads(_run("--home", str(home), "finance", "predict", "FINDKG:12",
                                "--as-of", "2018-03-04").output)
    assert all(item["prediction"] for item in predicted["items"])


def test_eval_command_prints_metrics_and_writes_ranks(tmp_path: Path) -> None:
    out = tmp_path / "ranks.tsv"
    result = _run("--home", str(tmp_path), "finance", "eval", str(FIXTURES / "findkg"), "--out", str(out))
    assert "MRR" in result.output and "Hits@10" in result.output
    lines = out.read_text().splitlines()
    assert len(lines) == 1 + 4 and lines[0].endswith("rank")


def test_build_without_findkg_names_the_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KGDECIDE_SHARED_DATA", str(tmp_path / "nowhere"))
    result = _run("--home", str(tmp_path), "build", "finance", "--no-indices", ok=False)
    assert "--findkg" in result.output
