"""``kgdecide rank-cases --cluster``: on the real Dask scheduler and two workers, the output file
is byte for byte the local run's, in input order, for each scorer that needs no training."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kgdecide.cli import main
from tests.integration.test_rank_cases import _write_store

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cluster-home")
    _write_store(home)
    return home


@pytest.fixture(scope="module")
def cases(fixtures_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture cases 25 times over under fresh ids: 150 cases, several chunks."""
    base = [json.loads(line) for line in
            (fixtures_dir / "cases" / "cases.jsonl").read_text().splitlines() if line.strip()]
    path = tmp_path_factory.mktemp("cluster-cases") / "cases.jsonl"
    with path.open("w") as out:
        for round_ in range(25):
            for case in base:
                out.write(json.dumps({**case, "id": f"{case['id']}-{round_}"}) + "\n")
    return path


def _invoke(home: Path, args: list[str]) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), *args])


@pytest.mark.parametrize("scorer", ["lr", "resnik"])
def test_cluster_output_is_the_local_output(scorer: str, home: Path, cases: Path, tmp_path: Path,
                                            dask_address: str) -> None:
    local, remote = tmp_path / "local.jsonl", tmp_path / "cluster.jsonl"
    ran_local = _invoke(home, ["rank-cases", str(cases), "--out", str(local), "--scorer", scorer,
                               "--top", "4"])
    assert ran_local.exit_code == 0, ran_local.output
    ran_remote = _invoke(home, ["rank-cases", str(cases), "--out", str(remote), "--scorer", scorer,
                                "--top", "4", "--cluster", dask_address, "--chunk-size", "7"])
    assert ran_remote.exit_code == 0, ran_remote.output
    assert remote.read_bytes() == local.read_bytes()
    assert len(local.read_text().splitlines()) == 150
    counts = [r.stderr.splitlines()[-1].split(": ", 1)[1] for r in (ran_local, ran_remote)]
    assert counts[0] == counts[1] == ("25 with obsolete ids mapped, 25 with unknown ids ignored, "
                                      "25 with no usable finding")


def test_both_workers_take_chunks(home: Path, cases: Path, tmp_path: Path,
                                  dask_address: str) -> None:
    from distributed import Client, get_task_stream

    with Client(dask_address, timeout=30) as client, get_task_stream(client) as stream:
        result = _invoke(home, ["rank-cases", str(cases), "--out", str(tmp_path / "o.jsonl"),
                                "--scorer", "lr", "--cluster", dask_address, "--chunk-size", "5"])
        assert result.exit_code == 0, result.output
        assert len(client.scheduler_info()["workers"]) == 2
    ran = [t for t in stream.data if "rank_chunk" in str(t["key"])]
    assert len(ran) == 30  # 150 cases in chunks of 5
    assert len({t["worker"] for t in ran}) == 2


def test_unreachable_scheduler_is_a_clear_error(home: Path, cases: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kgdecide.packs.clinical.cluster.CONNECT_TIMEOUT", 3)
    out = tmp_path / "o.jsonl"
    started = time.monotonic()
    result = _invoke(home, ["rank-cases", str(cases), "--out", str(out), "--scorer", "lr",
                            "--cluster", "tcp://127.0.0.1:9"])
    assert result.exit_code != 0
    assert "--cluster tcp://127.0.0.1:9: no Dask scheduler answered" in result.output
    assert "Traceback" not in result.output
    assert not out.exists() and not (tmp_path / "o.jsonl.tmp").exists()
    assert time.monotonic() - started < 20
