"""What the evaluation scripts share: writing one ``## Section`` of docs/EVALUATION.md."""

from __future__ import annotations

import re
from pathlib import Path


def write_section(path: Path, title: str, body: str) -> None:
    """Replace the ``## title`` section of a shared markdown file (or append it), leaving the
    other sections as they are."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Evaluation\n"
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
