"""scripts/test, the command CI runs: it refuses to run without the script that starts the servers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_scripts_test_fails_without_test_services(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy2(REPO / "scripts" / "test", tmp_path / "scripts" / "test")
    marker = tmp_path / "setup-ran"
    setup = tmp_path / "scripts" / "setup"  # must not be reached: nothing is installed for nothing
    setup.write_text(f"#!/usr/bin/env bash\ntouch {marker}\n")
    setup.chmod(0o755)
    run = subprocess.run(["bash", str(tmp_path / "scripts" / "test"), "-q"], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 1
    assert "scripts/test-services is missing" in run.stderr
    assert not marker.exists()
