"""Under CI=true a skipped Neo4j, browser or real-data test fails the run (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SUITE = '''
import pytest

@pytest.mark.neo4j
def test_needs_neo4j():
    pytest.skip("no server")

@pytest.mark.browser
@pytest.mark.skipif(True, reason="no chromium")
def test_needs_a_browser():
    pass

def test_needs_data(shared_data):
    pytest.skip("no data")

@pytest.mark.shared_data
def test_needs_an_extra():
    pytest.importorskip("a_module_that_is_not_installed")

def test_may_skip():
    pytest.skip("nothing real is missing")

@pytest.mark.neo4j
@pytest.mark.xfail(reason="a known defect", strict=True)
def test_known_defect():
    assert False

@pytest.mark.neo4j
def test_runs():
    pass
'''


def _run(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_runtest_makereport  # noqa: F401 - the hook under test\n"
        "import pytest\n\n@pytest.fixture\ndef shared_data():\n    return None\n")
    (tmp_path / "test_suite.py").write_text(SUITE)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    neo4j\n    browser\n    shared_data\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(REPO)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the hook needs no plugin; start in a blink
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
                           str(tmp_path)], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120)


@pytest.mark.parametrize("ci", [None, "false"])
def test_locally_they_skip(tmp_path: Path, ci: str | None) -> None:
    run = _run(tmp_path, ci)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 skipped" in run.stdout and "1 passed" in run.stdout and "1 xfailed" in run.stdout


def test_under_ci_a_skipped_real_component_test_fails(tmp_path: Path) -> None:
    run = _run(tmp_path, "true")
    assert run.returncode == 1, run.stdout + run.stderr
    # a skip in the call fails the test; one at set-up (skipif) makes it an error: both fail the run
    assert "3 failed" in run.stdout and "1 error" in run.stdout, run.stdout
    for name in ("test_needs_neo4j", "test_needs_data", "test_needs_an_extra"):
        assert f"FAILED test_suite.py::{name}" in run.stdout
    assert "ERROR test_suite.py::test_needs_a_browser" in run.stdout
    assert "1 skipped" in run.stdout and "nothing real is missing" in run.stdout  # may skip
    assert "1 xfailed" in run.stdout and "1 passed" in run.stdout
    assert "skipped under CI=true" in run.stdout
