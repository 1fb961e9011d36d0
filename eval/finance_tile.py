"""Write a FinDKG-format folder with ``--times`` as many rows, by tiling the weeks.

    .venv/bin/python eval/finance_tile.py ../shared/data/finance/findkg .cache/findkg-2x --times 2

Copy ``k`` (0..times-1) of the training split is the original with every week shifted by
``k * span`` (``span`` = the last training week + 1); valid and test are shifted by
``(times - 1) * span`` so they still follow all of train. Entities and relations are unchanged, so
the tiled folder has ``times`` x the training rows over the same 13,645 entities: a scale test of
``kgdecide finance train`` and ``eval/finance.py``, not a new benchmark (its later copies repeat
history exactly). The folder is written outside the repository's tracked files (FinDKG is GPL-3.0;
never commit it).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np


def tile(source: Path, out: Path, times: int) -> dict[str, int]:
    """Write the tiled folder; returns rows per split."""
    if times < 1:
        raise SystemExit("--times: give a whole number >= 1")
    out.mkdir(parents=True, exist_ok=True)
    for name in ("entity2id.txt", "relation2id.txt"):
        shutil.copyfile(source / name, out / name)
    splits = {s: np.loadtxt(source / f"{s}.txt", dtype=np.int64, usecols=(0, 1, 2, 3), ndmin=2)
              for s in ("train", "valid", "test")}
    span = int(splits["train"][:, 3].max()) + 1
    rows = {}
    for split, quads in splits.items():
        copies = range(times) if split == "train" else [times - 1]
        tiled = np.concatenate([quads + np.array([0, 0, 0, k * span]) for k in copies])
        np.savetxt(out / f"{split}.txt", np.c_[tiled, np.zeros(len(tiled), np.int64)], fmt="%d",
                   delimiter="\t")
        rows[split] = len(tiled)
    stat = (source / "stat.txt")
    if stat.exists():
        shutil.copyfile(stat, out / "stat.txt")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="a FinDKG-format folder")
    parser.add_argument("out", type=Path, help="the folder to write")
    parser.add_argument("--times", type=int, default=2)
    args = parser.parse_args(argv)
    print(tile(args.source, args.out, args.times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
