"""Run every benchmark in order with its default arguments: ``python bench/run_all.py``.

Each script writes its own section of docs/BENCHMARKS.md. The benches that need a built clinical
KG read it from $KGDECIDE_HOME; when that is unset, a home under .bench/home is used and the
clinical KG is built there first (``kgdecide build clinical``). A failing bench does not stop the
others; the exit status is 1 when any failed. ``--only`` / ``--skip`` take bench names
(``serve,scale``); ``--list`` prints the order.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SCRATCH = REPO / ".bench"

#: In order: cheap in-process ones first, the load test (which wants a quiet machine) last.
ORDER = ("ingest", "store", "stores", "rank", "link", "ppr", "scale", "hotpath", "serve")


def ensure_home(env: dict[str, str]) -> dict[str, str]:
    """``env`` with KGDECIDE_HOME set to a home holding a built clinical KG."""
    if env.get("KGDECIDE_HOME"):
        return env
    home = SCRATCH / "home"
    env = {**env, "KGDECIDE_HOME": str(home)}
    if not (home / "stores" / "clinical").is_dir():
        subprocess.run([str(Path(sys.executable).parent / "kgdecide"), "build", "clinical"],
                       check=True, env=env)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated bench names")
    parser.add_argument("--skip", default="", help="comma-separated bench names")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    only = {n for n in args.only.split(",") if n}
    skip = {n for n in args.skip.split(",") if n}
    unknown = (only | skip) - set(ORDER)
    if unknown:
        raise SystemExit(f"unknown bench {sorted(unknown)}; the benches: {', '.join(ORDER)}")
    names = [n for n in ORDER if (not only or n in only) and n not in skip
             and (BENCH / f"{n}.py").is_file()]
    if args.list:
        print("\n".join(names))
        return
    env = ensure_home(dict(os.environ))
    failed = []
    for name in names:
        print(f"== bench/{name}.py (load average {os.getloadavg()[0]:.1f})", flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, str(BENCH / f"{name}.py")], env=env, cwd=REPO).returncode
        print(f"== bench/{name}.py: {'ok' if code == 0 else f'FAILED ({code})'} in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
