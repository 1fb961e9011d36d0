"""``kgdecide finance train`` and ``kgdecide finance eval --scorer learned`` on a tiny folder in
FinDKG's format, written into tmp_path."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner, Result

from kgdecide.cli import _Group
from kgdecide.packs.finance.commands import finance_group
from kgdecide.settings import Settings

N = 30


@click.group(cls=_Group)
@click.option("--home", type=click.Path(path_type=Path), required=True)
@click.pass_context
def cli(ctx: click.Context, home: Path) -> None:
    ctx.obj = Settings(home=home)


cli.add_command(finance_group)


def _run(*args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result


def _write_findkg(folder: Path) -> None:
    """Weekly facts with a pattern: (a, Ask, b) in week t is answered by (b, Answer, a) in t + 1."""
    rng = np.random.default_rng(3)
    rows, previous = [], []
    for week in range(24):
        rows += [(b, 1, a, week) for a, b in previous]
        pairs = rng.choice(N * N, 4, replace=False)
        previous = [(int(p // N), int(p % N)) for p in pairs if p // N != p % N]
        rows += [(a, 0, b, week) for a, b in previous]
    folder.mkdir()
    (folder / "entity2id.txt").write_text(
        "".join(f"Entity {i}\t{i}\t{'COMP' if i % 2 else 'ORG'}\t{i % 2}\n" for i in range(N)))
    (folder / "relation2id.txt").write_text("Ask\t0\nAnswer\t1\n")
    for split, weeks in (("train", range(0, 16)), ("valid", range(16, 20)), ("test", range(20, 24))):
        (folder / f"{split}.txt").write_text(
            "".join(f"{s}\t{r}\t{o}\t{w}\t0\n" for s, r, o, w in rows if w in weeks))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("findkg") / "tiny"
    _write_findkg(folder)
    return folder


def test_train_then_eval_learned_writes_one_rank_per_test_row(folder: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.npz"
    trained = _run("--home", str(tmp_path), "finance", "train", str(folder), "--out", str(model),
                   "--epochs", "2", "--seed", "1")
    assert "epoch 1:" in trained.output and "valid MRR" in trained.output
    assert model.is_file() and "learned-" in trained.output
    ranks = tmp_path / "ranks.tsv"
    result = _run("--home", str(tmp_path), "finance", "eval", str(folder), "--split", "test",
                  "--scorer", "learned", "--model", str(model), "--out", str(ranks))
    line = next(x for x in result.output.splitlines() if x.startswith("learned"))
    assert all(f"{k} " in line for k in ("MRR", "Hits@1", "Hits@3", "Hits@10"))
    test_rows = (folder / "test.txt").read_text().splitlines()
    lines = ranks.read_text().splitlines()
    assert lines[0].split("\t") == ["head", "relation", "tail", "time_id", "rank"]
    assert len(lines) == 1 + len(test_rows)
    for written, row in zip(lines[1:], test_rows):
        fields = written.split("\t")
        assert fields[:4] == row.split("\t")[:4]
        assert 1 <= float(fields[4]) <= N
    mrr = float(line.split("MRR ")[1].split()[0])
    assert mrr == pytest.approx(np.mean([1 / float(x.split("\t")[4]) for x in lines[1:]]), abs=1e-4)
    # the same model scores by its temporal rules and by their fusion with the network
    assert "candidate rules" in trained.output and "fusion Fusion(" in trained.output
    for part in ("rules", "fusion"):
        result = _run("--home", str(tmp_path), "finance", "eval", str(folder), "--split", "test",
                      "--scorer", part, "--model", str(model))
        assert any(x.startswith(part) and "MRR" in x for x in result.output.splitlines())


def test_default_model_lives_under_home(folder: Path, tmp_path: Path) -> None:
    _run("--home", str(tmp_path), "finance", "train", str(folder), "--epochs", "1")
    assert (tmp_path / "models" / "finance-learned.npz").is_file()
    result = _run("--home", str(tmp_path), "finance", "eval", str(folder), "--split", "valid",
                  "--scorer", "learned")
    assert "learned" in result.output and "MRR" in result.output


def test_eval_learned_without_a_model_says_how_to_train(folder: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "finance", "eval", str(folder),
                                      "--scorer", "learned", "--model", str(tmp_path / "none.npz")])
    assert result.exit_code != 0
    assert "kgdecide finance train" in result.output
