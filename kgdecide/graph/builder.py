"""Accumulate nodes and edges from any source, then freeze them into an :class:`ArrayGraph`.

Ingesters (RDF, OBO, KGX, CSV) and domain packs feed a :class:`GraphBuilder`; the embedded store
writes what it builds as a snapshot. Edges are keyed by (subject, relation, object): adding the
same edge again merges its properties instead of duplicating it.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from kgdecide.graph.arrays import ArrayGraph, RelationArrays
from kgdecide.graph.columns import Column, StringTable, column_from_values
from kgdecide.types import PropertyValue

#: Type given to nodes that only ever appear as an edge endpoint.
UNTYPED = "Entity"


class _RelationBuffer:
    """Edges of one relation while building: plain ones as int arrays, ones with properties
    keyed by (subject, object) so repeats merge."""

    __slots__ = ("subjects", "objects", "with_properties")

    def __init__(self) -> None:
        self.subjects = array("q")
        self.objects = array("q")
        self.with_properties: dict[tuple[int, int], dict[str, PropertyValue]] = {}


class GraphBuilder:
    """Collects a graph; ``build()`` turns it into arrays.

    >>> b = GraphBuilder("demo")
    >>> _ = b.add_node("HP:1", "PhenotypicFeature", "Seizure")
    >>> b.add_edge("OMIM:1", "has_phenotype", "HP:1", {"frequency": 0.5})
    >>> g = b.build()
    >>> g.counts().nodes_by_type == {"Entity": 1, "PhenotypicFeature": 1}, len(g.relations["has_phenotype"])
    (True, 1)
    """

    def __init__(self, name: str, source_version: str = "unversioned") -> None:
        self.name = name
        self.source_version = source_version
        self._index: dict[str, int] = {}
        self._ids: list[str] = []
        self._types: list[str | None] = []
        self._labels: list[str] = []
        self._synonyms: list[list[str] | None] = []
        self._properties: list[dict[str, PropertyValue] | None] = []
        self._relations: dict[str, _RelationBuffer] = {}
        self.meta: dict[str, Any] = {}  #: extra facts written into the snapshot manifest

    @property
    def node_count(self) -> int:
        return len(self._ids)

    @property
    def edge_count(self) -> int:
        return sum(len(r.subjects) + len(r.with_properties) for r in self._relations.values())

    def has_node(self, node_id: str) -> bool:
        return node_id in self._index

    def intern(self, node_id: str) -> int:
        """Row of ``node_id``, adding it untyped if new."""
        row = self._index.get(node_id)
        if row is None:
            row = self._index[node_id] = len(self._ids)
            self._ids.append(node_id)
            self._types.append(None)
            self._labels.append("")
            self._synonyms.append(None)
            self._properties.append(None)
        return row

    def intern_many(self, node_ids: Iterable[str]) -> list[int]:
        """Rows of many ids, adding the new ones untyped in first-seen order (the bulk path).

        >>> b = GraphBuilder("demo")
        >>> b.intern("a"), b.intern_many(["b", "a", "c", "b"])
        (0, [1, 0, 2, 1])
        """
        ids = node_ids if isinstance(node_ids, list) else list(node_ids)
        index = self._index
        # The new ids are added column by column, not one intern() call each: a file read in
        # bulk (RDF) brings hundreds of thousands at once.
        unique = dict.fromkeys(ids)
        new = [i for i in unique if i not in index]
        if new:
            start = len(self._ids)
            index.update(zip(new, range(start, start + len(new))))
            self._ids.extend(new)
            self._types.extend([None] * len(new))
            self._labels.extend([""] * len(new))
            self._synonyms.extend([None] * len(new))
            self._properties.extend([None] * len(new))
            if len(new) == len(ids):  # all distinct and new: their rows are consecutive
                return list(range(start, start + len(new)))
        return [index[i] for i in ids]

    def add_synonyms(self, rows: Sequence[int], synonyms: Sequence[str]) -> None:
        """Bulk :meth:`add_synonym`: ``synonyms[i]`` for ``rows[i]``, in order."""
        _check_lengths(rows, synonyms)
        column = self._synonyms
        for row, synonym in zip(rows, synonyms):
            known = column[row]
            if known is None:
                known = column[row] = []
            if synonym and synonym not in known:
                known.append(synonym)

    def merge_property(self, key: str, rows: Sequence[int], values: Sequence[PropertyValue]) -> None:
        """Bulk form of ``merge_properties(row, {key: value})`` for one key over many rows."""
        if len(rows) != len(values):
            raise ValueError(f"{len(rows)} rows but {len(values)} values")
        column = self._properties
        for row, value in zip(rows, values):
            current = column[row]
            if current is None:
                column[row] = {key: tuple(value) if isinstance(value, list) else value}
            else:
                _merge_into(current, {key: value})

    def add_node(
        self,
        node_id: str,
        node_type: str | None = None,
        label: str | None = None,
        synonyms: Iterable[str] = (),
        properties: Mapping[str, PropertyValue] | None = None,
    ) -> int:
        """Add a node or fill in one seen before: a given type or label replaces the old one,
        synonyms and properties are added."""
        if not node_id:
            raise ValueError("a node needs a non-empty id")
        row = self.intern(node_id)
        if node_type:
            self._types[row] = node_type
        if label:
            self._labels[row] = label
        for synonym in synonyms:
            self.add_synonym(row, synonym)
        if properties:
            current = self._properties[row]
            if current is None:
                current = self._properties[row] = {}
            _merge_into(current, properties)
        return row

    def add_synonym(self, row: int, synonym: str) -> None:
        known = self._synonyms[row]
        if known is None:
            known = self._synonyms[row] = []
        if synonym and synonym not in known:
            known.append(synonym)

    def set_types(self, rows: Sequence[int], types: Sequence[str]) -> None:
        """Bulk form of ``add_node(id, node_type)`` for rows already interned: each type
        replaces the row's type; an empty one changes nothing, as in :meth:`add_node`.

        >>> b = GraphBuilder("demo")
        >>> b.set_types(b.intern_many(["HP:1", "HP:2"]), ["PhenotypicFeature", ""])
        >>> [n.type for n in b.build().iter_nodes()]
        ['PhenotypicFeature', 'Entity']
        """
        _check_lengths(rows, types)
        column = self._types
        for row, node_type in zip(rows, types):
            if node_type:
                column[row] = node_type

    def set_labels(self, rows: Sequence[int], labels: Sequence[str]) -> None:
        """Bulk form of ``add_node(id, label=...)`` for rows already interned: each label
        replaces the row's label; an empty one changes nothing, as in :meth:`add_node`."""
        _check_lengths(rows, labels)
        column = self._labels
        for row, label in zip(rows, labels):
            if label:
                column[row] = label

    def merge_properties(self, row: int, properties: Mapping[str, PropertyValue]) -> None:
        """``add_node(id, properties=...)`` for a row already interned: new keys are set, tuple
        values are unioned with the ones there, other values already set are kept."""
        current = self._properties[row]
        if current is None:
            current = self._properties[row] = {}
        _merge_into(current, properties)

    def set_property(self, row: int, key: str, value: PropertyValue) -> None:
        current = self._properties[row]
        if current is None:
            current = self._properties[row] = {}
        current[key] = value

    def add_edge(
        self,
        subject: str,
        relation: str,
        object: str,  # noqa: A002 - the RDF name for it
        properties: Mapping[str, PropertyValue] | None = None,
    ) -> None:
        """Add one edge; the same (subject, relation, object) again merges properties: list
        values are unioned, other values already set are kept."""
        if not relation:
            raise ValueError("an edge needs a relation")
        s, o = self.intern(subject), self.intern(object)
        buffer = self._buffer(relation)
        if properties:
            current = buffer.with_properties.setdefault((s, o), {})
            _merge_into(current, properties)
        else:
            buffer.subjects.append(s)
            buffer.objects.append(o)

    def add_edge_rows(self, relation: str, subjects: Sequence[int], objects: Sequence[int]) -> None:
        """Bulk-add property-less edges between rows already interned (the fast path)."""
        if len(subjects) != len(objects):
            raise ValueError("subjects and objects differ in length")
        buffer = self._buffer(relation)
        buffer.subjects.extend(subjects)
        buffer.objects.extend(objects)

    def _buffer(self, relation: str) -> _RelationBuffer:
        buffer = self._relations.get(relation)
        if buffer is None:
            buffer = self._relations[relation] = _RelationBuffer()
        return buffer

    def build(self) -> ArrayGraph:
        """Freeze into arrays. Nodes keep the order they were first seen in."""
        n = len(self._ids)
        type_names = tuple(sorted({t or UNTYPED for t in self._types}))
        code = {name: i for i, name in enumerate(type_names)}
        types = np.fromiter((code[t or UNTYPED] for t in self._types), dtype=np.int16, count=n)
        synonym_lengths = np.fromiter((len(s or ()) for s in self._synonyms), np.int64, count=n)
        synonym_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(synonym_lengths, out=synonym_ptr[1:])
        return ArrayGraph(
            ids=StringTable.from_strings(self._ids),
            types=types,
            type_names=type_names,
            labels=StringTable.from_strings(self._labels),
            synonym_ptr=synonym_ptr,
            synonyms=StringTable.from_strings(s for syns in self._synonyms for s in syns or ()),
            node_columns=_columns(self._properties),
            relations={
                name: _freeze_relation(buffer, n) for name, buffer in sorted(self._relations.items())
            },
            meta={"name": self.name, "source_version": self.source_version, **self.meta},
        )


def _check_lengths(rows: Sequence[int], values: Sequence[str]) -> None:
    if len(rows) != len(values):
        raise ValueError(f"{len(rows)} rows but {len(values)} values")


def _freeze_relation(buffer: _RelationBuffer, n: int) -> RelationArrays:
    keyed = list(buffer.with_properties.items())
    keyed_s = np.fromiter((k[0][0] for k in keyed), dtype=np.int64, count=len(keyed))
    keyed_o = np.fromiter((k[0][1] for k in keyed), dtype=np.int64, count=len(keyed))
    subjects = np.concatenate([keyed_s, np.frombuffer(buffer.subjects, dtype=np.int64)])
    objects = np.concatenate([keyed_o, np.frombuffer(buffer.objects, dtype=np.int64)])
    # One edge per (subject, object): np.unique keeps the first occurrence, and edges with
    # properties come first, so a repeat without properties never hides them. Sorting by the
    # key also sorts by subject, which is the CSR order.
    _, first = np.unique(subjects * n + objects, return_index=True)
    subjects, objects = subjects[first], objects[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(subjects, minlength=n), out=indptr[1:])
    in_indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(objects, minlength=n), out=in_indptr[1:])
    columns: dict[str, Column] = {}
    if keyed:  # edges read in bulk have no properties: skip a Python list of every edge
        n_keyed = len(keyed)
        columns = _columns([keyed[i][1] if i < n_keyed else None for i in first.tolist()])
    return RelationArrays(
        indptr=indptr,
        objects=objects.astype(np.int32),
        in_indptr=in_indptr,
        in_edges=np.argsort(objects, kind="stable").astype(np.int64),
        columns=columns,
    )


def _columns(rows: Sequence[dict[str, PropertyValue] | None]) -> dict[str, Column]:
    keys = sorted({key for row in rows if row for key in row})
    return {key: column_from_values([row.get(key) if row else None for row in rows]) for key in keys}


def _merge_into(current: dict[str, PropertyValue], new: Mapping[str, PropertyValue]) -> None:
    for key, value in new.items():
        old = current.get(key)
        if old is None:
            current[key] = tuple(value) if isinstance(value, list) else value
        elif isinstance(old, tuple) and isinstance(value, (tuple, list)):
            current[key] = old + tuple(v for v in value if v not in old)
