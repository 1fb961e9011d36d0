"""Fixtures the integration tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require


@pytest.fixture(scope="session")
def served_home(tmp_path_factory: pytest.TempPathFactory, shared_data: Path):  # noqa: ANN201 - Settings
    """A home with the store ``make run`` builds (every development case as evidence) and the
    attention model shipped for its graph version (nothing is trained here: the shipped model
    must match). Built once per test run."""
    from click.testing import CliRunner

    from kgdecide.cli import main
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.packs.clinical.models import SHIPPED, model_dir_for
    from kgdecide.settings import Settings

    home = tmp_path_factory.mktemp("served")
    cases = shared_data / "clinical" / "phenopackets_dev.jsonl"
    result = CliRunner().invoke(main, ["--home", str(home), "build", "clinical", "--cases",
                                       str(cases), "--case-splits", "all"])
    assert result.exit_code == 0, result.output
    settings = Settings(home)
    graph = EmbeddedStore.from_path(settings.store_dir("clinical")).projection()
    require(model_dir_for(home, graph).parent == SHIPPED, f"no model shipped for graph "
            f"{graph.version}: run scripts/ship-clinical-model after changing what the clinical "
            "build makes")
    return settings
