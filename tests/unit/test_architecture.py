"""kgdecide's top-level packages import one way: down the layers of docs/ARCHITECTURE.md.

The test reads every module's syntax tree, so imports inside functions (the ones that keep the CLI
fast) and under ``TYPE_CHECKING`` count as much as those at the top of a file. A module may import
from its own package and from layers below its own; packages on one layer are siblings and never
import each other. That rules out every cycle between top-level packages; a cycle check runs as
well, so its message names the loop when the layer table itself is wrong.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "kgdecide"

#: Top to bottom (``__main__`` only calls the CLI).
LAYERS: tuple[frozenset[str], ...] = tuple(frozenset(layer) for layer in (
    {"__main__"},
    {"cli"},
    {"web"},
    {"packs"},
    {"pipeline"},
    {"explain"},
    {"score", "link", "ingest", "export"},
    {"graph"},
    {"curie", "types", "settings", "progress", "console"},
    {"errors"},  # every layer may raise the package's errors (settings rejects bad values)
))

#: Imports that still run back up, each owned by someone fixing it (see docs/ARCHITECTURE.md):
#: (importing file, imported top-level package). Only shrinks: a listed import that is gone fails
#: the test until its line here is deleted too.
KNOWN_BACK_EDGES: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True, slots=True)
class Import:
    """One import statement of one module, reduced to top-level packages."""

    file: str  #: relative to the package folder, e.g. ``graph/rdf.py``
    line: int
    source: str  #: top-level package (or module) the file belongs to, e.g. ``graph``
    target: str  #: top-level package (or module) it imports from, e.g. ``ingest``

    def __str__(self) -> str:
        return f"{self.file}:{self.line} ({self.source} -> {self.target})"


def imports(package: Path) -> Iterator[Import]:
    """Every import between different top-level parts of ``package``, at any depth of the file."""
    name = package.name
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        parts = [name, *relative.with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        if len(parts) < 2:
            continue  # the package's own __init__ belongs to no layer
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for module in _imported(node, parts, path.name == "__init__.py"):
                module_parts = module.split(".")
                if module_parts[0] == name and len(module_parts) > 1 and module_parts[1] != parts[1]:
                    yield Import(relative.as_posix(), node.lineno, parts[1], module_parts[1])


def _imported(node: ast.AST, parts: list[str], is_package: bool) -> list[str]:
    """Absolute module names an import node reads (``from kgdecide import x`` reads kgdecide.x)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = parts if is_package else parts[:-1]
        base = base[: len(base) - (node.level - 1)]
        module = ".".join([*base, *([node.module] if node.module else [])])
    else:
        module = node.module or ""
    if "." not in module:  # `from kgdecide import cli`: each name may be a submodule
        return [f"{module}.{alias.name}" for alias in node.names]
    return [module]


def layer_of(part: str) -> int:
    for rank, layer in enumerate(LAYERS):
        if part in layer:
            return rank
    raise AssertionError(f"kgdecide/{part} is in no layer: add it to LAYERS in {Path(__file__).name} "
                         "and to the picture in docs/ARCHITECTURE.md")


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected groups of more than one node (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _checked_imports() -> list[Import]:
    found = [i for i in imports(PACKAGE) if (i.file, i.target) not in KNOWN_BACK_EDGES]
    return sorted(found, key=lambda i: (i.file, i.line))


def test_no_import_runs_up_a_layer() -> None:
    upward = [i for i in _checked_imports() if layer_of(i.target) <= layer_of(i.source)]
    assert not upward, "imports that run up (or sideways) a layer:\n  " + "\n  ".join(map(str, upward))


def test_no_cycle_between_top_level_packages() -> None:
    found = _checked_imports()
    loops = cycles({(i.source, i.target) for i in found})
    where = {loop_key: [str(i) for i in found if {i.source, i.target} <= set(loop_key)]
             for loop_key in map(tuple, loops)}
    assert not loops, "import cycles between top-level packages:\n" + "\n".join(
        f"  {' <-> '.join(loop)}:\n    " + "\n    ".join(where[tuple(loop)]) for loop in loops)


def test_known_back_edges_still_exist() -> None:
    """The allowlist only shrinks: a fixed back-edge must leave it."""
    present = {(i.file, i.target) for i in imports(PACKAGE)}
    stale = sorted(KNOWN_BACK_EDGES - present)
    assert not stale, f"these imports are gone: delete them from KNOWN_BACK_EDGES: {stale}"


def test_every_top_level_part_has_a_layer() -> None:
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    for part in sorted(parts):
        layer_of(part)


# --- the walk itself, on a package made for the test ------------------------------------------------


@pytest.fixture
def toy_package(tmp_path: Path) -> Path:
    package = tmp_path / "kgdecide"
    (package / "low").mkdir(parents=True)
    (package / "high").mkdir()
    for init in (package / "__init__.py", package / "low" / "__init__.py", package / "high" / "__init__.py"):
        init.write_text("")
    (package / "low" / "a.py").write_text(
        "from . import b\n"  # within its own package: not an edge
        "def later():\n"
        "    from ..high import view\n"  # relative, inside a function
        "    return view\n")
    (package / "low" / "b.py").write_text("")
    (package / "high" / "view.py").write_text(
        "import kgdecide.low.b\n"
        "from kgdecide import types\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from kgdecide.low import a\n")
    (package / "types.py").write_text("")
    return package


def test_the_walk_sees_imports_in_functions_and_relative_ones(toy_package: Path) -> None:
    found = {(i.file, i.line, i.target) for i in imports(toy_package)}
    assert found == {
        ("low/a.py", 3, "high"),
        ("high/view.py", 1, "low"),
        ("high/view.py", 2, "types"),
        ("high/view.py", 5, "low"),
    }
    assert cycles({(i.source, i.target) for i in imports(toy_package)}) == [["high", "low"]]


def test_cycles_finds_each_loop_once() -> None:
    edges = {("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("e", "f"), ("f", "e")}
    assert cycles(edges) == [["a", "b", "c"], ["e", "f"]]
    assert cycles({("a", "b"), ("b", "c")}) == []
