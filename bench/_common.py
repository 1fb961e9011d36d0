"""Helpers the benchmarks share: where scratch files go, timing, machine facts, and writing one
``## Section`` of docs/BENCHMARKS.md without touching the others."""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRATCH = REPO / ".bench"  # gitignored
BENCHMARKS = REPO / "docs" / "BENCHMARKS.md"

HEADER = """# Benchmarks

Every figure in this file was measured by the command shown in its section, on the machine
described there, and written here by that command. Re-run the command to refresh a section; the
other sections are left as they are.
"""


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The fastest of ``repeat`` timed runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def machine(packages: list[str]) -> str:
    """One line: cores, CPU, Python, package versions."""
    versions = []
    for name in packages:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    cpu = platform.processor() or platform.machine()
    load = ", load average %.1f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    return (f"{os.cpu_count()} cores ({cpu}{load}), Python {sys.version.split()[0]}, "
            + ", ".join(versions))


def command_line() -> str:
    """The command that ran this benchmark, with the script relative to the repo."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(REPO).as_posix() if script.is_relative_to(REPO) else sys.argv[0]
    return " ".join(["python", shown, *sys.argv[1:]])


def replace_section(title: str, body: str, path: Path = BENCHMARKS) -> None:
    """Put ``## title`` with ``body`` into ``path``, replacing that section if present."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
