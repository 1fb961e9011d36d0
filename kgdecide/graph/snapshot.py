"""Versioned snapshot directories: how the embedded store persists an :class:`ArrayGraph`.

Layout of a store directory::

    CURRENT                      name of the snapshot being served (one line)
    snapshots/<name>/            manifest.json + one .npy file per array
    snapshots/.tmp-<pid>-<rand>/ a snapshot being written

A write goes to a temporary directory, is fsynced, renamed into place, and only then does
``CURRENT`` change, by an atomic ``os.replace``. A writer killed at any point leaves the previous
snapshot named in ``CURRENT`` and intact. Every array file's SHA-256 is in the manifest and is
checked at load, so a damaged snapshot is refused with a message saying how to rebuild it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from kgdecide.errors import SnapshotError
from kgdecide.graph.arrays import ArrayGraph, RelationArrays
from kgdecide.graph.columns import Column, StringTable

logger = logging.getLogger(__name__)

#: Bumped whenever the on-disk layout changes; older snapshots are refused with a rebuild hint.
FORMAT_VERSION = 1
CURRENT = "CURRENT"
SNAPSHOTS = "snapshots"
MANIFEST = "manifest.json"
#: How many superseded snapshots to keep besides the current one.
KEEP_PREVIOUS = 1


def write_snapshot(graph: ArrayGraph, store_dir: Path | str, rebuild_hint: str = "") -> Path:
    """Write ``graph`` as a new snapshot of ``store_dir`` and make it current; returns its path.

    ``rebuild_hint`` is the command that recreates this graph, shown if the snapshot is ever
    found damaged. Sets ``graph.meta["version"]``.
    """
    store_dir = Path(store_dir)
    snapshots = store_dir / SNAPSHOTS
    snapshots.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_writes(snapshots)
    tmp = snapshots / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        files, layout = {}, _layout(graph)
        content = hashlib.sha256()
        for name, array in _arrays(graph):
            data = _npy_bytes(array)
            (tmp / f"{name}.npy").write_bytes(data)
            digest = hashlib.sha256(data).hexdigest()
            files[name] = {"sha256": digest, "bytes": len(data)}
            content.update(name.encode() + digest.encode())
        _fsync_files(tmp)
        counts = graph.counts()
        source_version = str(graph.meta.get("source_version", "unversioned"))
        version = f"{graph.meta.get('name', 'graph')}/{source_version}/{content.hexdigest()[:12]}"
        manifest = {
            "format_version": FORMAT_VERSION,
            "version": version,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "rebuild": rebuild_hint,
            "meta": {**graph.meta, "version": version},
            "counts": {"nodes": counts.nodes_by_type, "edges": counts.edges_by_relation},
            "layout": layout,
            "files": files,
        }
        _write_synced(tmp / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
        name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{content.hexdigest()[:12]}"
        final = snapshots / name
        if final.exists():  # the same content written again within a second
            shutil.rmtree(final)
        os.rename(tmp, final)
        _fsync(snapshots)
        _write_synced(store_dir / f"{CURRENT}.tmp", (name + "\n").encode())
        os.replace(store_dir / f"{CURRENT}.tmp", store_dir / CURRENT)
        _fsync(store_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    graph.meta["version"] = version
    _prune(snapshots, keep=name)
    logger.info("wrote snapshot %s (%d nodes, %d edges)", version, counts.nodes, counts.edges)
    return final


def current_snapshot(store_dir: Path | str) -> Path:
    """The snapshot directory ``CURRENT`` names; raises ``SnapshotError`` if there is none."""
    store_dir = Path(store_dir)
    pointer = store_dir / CURRENT
    if not pointer.is_file():
        raise SnapshotError(
            store_dir, "no graph has been built here",
            "Build one first, e.g. `kgdecide build clinical` or `kgdecide ingest FORMAT FILE`.",
        )
    name = pointer.read_text(encoding="utf-8").strip()
    return store_dir / SNAPSHOTS / name


def read_snapshot(snapshot: Path | str) -> ArrayGraph:
    """Load and verify one snapshot directory."""
    snapshot = Path(snapshot)
    manifest = read_manifest(snapshot)
    fix = _fix(manifest)
    arrays: dict[str, np.ndarray] = {}
    for name, facts in manifest["files"].items():
        path = snapshot / f"{name}.npy"
        try:
            data = path.read_bytes()
        except OSError as e:
            raise SnapshotError(snapshot, f"array file {path.name} cannot be read ({e.strerror})", fix) from e
        if len(data) != facts["bytes"] or hashlib.sha256(data).hexdigest() != facts["sha256"]:
            raise SnapshotError(snapshot, f"array file {path.name} is damaged (checksum mismatch)", fix)
        arrays[name] = np.load(io.BytesIO(data), allow_pickle=False)
    try:
        graph = _assemble(manifest["layout"], arrays)
    except (KeyError, ValueError, IndexError) as e:
        raise SnapshotError(snapshot, f"the snapshot's layout is inconsistent ({e})", fix) from e
    graph.meta = dict(manifest["meta"])
    return graph


def read_manifest(snapshot: Path | str) -> dict[str, Any]:
    snapshot = Path(snapshot)
    generic_fix = "Rebuild the graph (e.g. `kgdecide build clinical`)."
    try:
        manifest = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise SnapshotError(snapshot, "the snapshot has no manifest", generic_fix) from e
    except (OSError, ValueError) as e:
        raise SnapshotError(snapshot, "the snapshot's manifest is unreadable", generic_fix) from e
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        found = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise SnapshotError(
            snapshot,
            f"snapshot format {found!r} is not the format {FORMAT_VERSION} this kgdecide reads",
            _fix(manifest if isinstance(manifest, dict) else {}),
        )
    return manifest


def _fix(manifest: dict[str, Any]) -> str:
    hint = manifest.get("rebuild") or "kgdecide build clinical"
    return f"Rebuild it with `{hint}`."


# --- flattening an ArrayGraph into named arrays and back ---------------------------------------


def _layout(graph: ArrayGraph) -> dict[str, Any]:
    return {
        "type_names": list(graph.type_names),
        "node_columns": {key: col.kind for key, col in graph.node_columns.items()},
        "relations": [
            {"name": name, "columns": {key: col.kind for key, col in rel.columns.items()}}
            for name, rel in graph.relations.items()
        ],
    }


def _arrays(graph: ArrayGraph) -> Iterator[tuple[str, np.ndarray]]:
    yield from _table("ids", graph.ids)
    yield "types", graph.types
    yield from _table("labels", graph.labels)
    yield "synonym_ptr", graph.synonym_ptr
    yield from _table("synonyms", graph.synonyms)
    for i, column in enumerate(graph.node_columns.values()):
        yield from _column(f"node_col{i}", column)
    for j, rel in enumerate(graph.relations.values()):
        yield f"rel{j}.indptr", rel.indptr
        yield f"rel{j}.objects", rel.objects
        yield f"rel{j}.in_indptr", rel.in_indptr
        yield f"rel{j}.in_edges", rel.in_edges
        for i, column in enumerate(rel.columns.values()):
            yield from _column(f"rel{j}.col{i}", column)


def _table(prefix: str, table: StringTable) -> Iterator[tuple[str, np.ndarray]]:
    yield f"{prefix}.blob", table.blob
    yield f"{prefix}.offsets", table.offsets


def _column(prefix: str, column: Column) -> Iterator[tuple[str, np.ndarray]]:
    yield f"{prefix}.values", column.values
    if column.vocab is not None:
        yield from _table(f"{prefix}.vocab", column.vocab)
    if column.ptr is not None:
        yield f"{prefix}.ptr", column.ptr


def _assemble(layout: dict[str, Any], arrays: dict[str, np.ndarray]) -> ArrayGraph:
    def table(prefix: str) -> StringTable:
        return StringTable(arrays[f"{prefix}.blob"], arrays[f"{prefix}.offsets"])

    def column(prefix: str, kind: str) -> Column:
        vocab = table(f"{prefix}.vocab") if f"{prefix}.vocab.blob" in arrays else None
        return Column(kind, arrays[f"{prefix}.values"], vocab, arrays.get(f"{prefix}.ptr"))

    relations = {}
    for j, rel in enumerate(layout["relations"]):
        relations[rel["name"]] = RelationArrays(
            indptr=arrays[f"rel{j}.indptr"],
            objects=arrays[f"rel{j}.objects"],
            in_indptr=arrays[f"rel{j}.in_indptr"],
            in_edges=arrays[f"rel{j}.in_edges"],
            columns={
                key: column(f"rel{j}.col{i}", kind)
                for i, (key, kind) in enumerate(rel["columns"].items())
            },
        )
    graph = ArrayGraph(
        ids=table("ids"),
        types=arrays["types"],
        type_names=tuple(layout["type_names"]),
        labels=table("labels"),
        synonym_ptr=arrays["synonym_ptr"],
        synonyms=table("synonyms"),
        node_columns={
            key: column(f"node_col{i}", kind)
            for i, (key, kind) in enumerate(layout["node_columns"].items())
        },
        relations=relations,
    )
    n = len(graph.types)
    if len(graph.ids) != n or len(graph.synonym_ptr) != n + 1:
        raise ValueError("node arrays differ in length")
    return graph


# --- durable file operations -------------------------------------------------------------------


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_files(directory: Path) -> None:
    # All at once from a few threads: the file system commits concurrent fsyncs together, which
    # is about ten times faster than one after another for a snapshot's ~100 files (ext4), with
    # the same guarantee: every file is on disk before the manifest is written.
    paths = list(directory.iterdir())
    with ThreadPoolExecutor(max_workers=min(16, len(paths) or 1)) as pool:
        list(pool.map(_fsync, paths))


def _fsync(path: Path) -> None:
    """Flush a file, or a directory's entries, to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_abandoned_writes(snapshots: Path) -> None:
    """Delete temporary directories of writers that are no longer running."""
    for tmp in snapshots.glob(".tmp-*"):
        try:
            pid = int(tmp.name.split("-")[1])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            shutil.rmtree(tmp, ignore_errors=True)
        except PermissionError:  # alive, owned by someone else
            pass


def _prune(snapshots: Path, keep: str) -> None:
    older = sorted(p for p in snapshots.iterdir() if not p.name.startswith(".") and p.name != keep)
    for path in older[: max(0, len(older) - KEEP_PREVIOUS)]:
        shutil.rmtree(path, ignore_errors=True)
