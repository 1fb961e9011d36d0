"""Typed records passed between kgdecide's stages.

Records are frozen: a stage never edits what an earlier stage produced. Ids are CURIE strings
(``HP:0001250``, ``OMIM:619340``); properties are read-only mappings of plain values.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Union

#: A property value as stored in the graph: lists are tuples so records stay immutable.
PropertyValue = Union[str, float, int, bool, tuple[str, ...]]

_EMPTY: Mapping[str, PropertyValue] = MappingProxyType({})


def _frozen(properties: Mapping[str, PropertyValue]) -> Mapping[str, PropertyValue]:
    if isinstance(properties, MappingProxyType):
        return properties
    return MappingProxyType(dict(properties))


class Direction(str, enum.Enum):
    """Which way an edge is followed from a node."""

    OUT = "out"  #: from subject to object
    IN = "in"  #: from object back to subject
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class Node:
    """A typed node.

    >>> Node("HP:0001250", "PhenotypicFeature", "Seizure", ("Seizures",)).label
    'Seizure'
    """

    id: str  #: CURIE, unique in the graph
    type: str  #: schema type from ontology/kgdecide.ttl, e.g. ``Disease``
    label: str = ""  #: preferred human-readable name
    synonyms: tuple[str, ...] = ()  #: other names, in the order the source gives them
    properties: Mapping[str, PropertyValue] = field(default_factory=lambda: _EMPTY)  #: e.g. ``definition``

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a node needs a non-empty id")
        object.__setattr__(self, "synonyms", tuple(self.synonyms))
        object.__setattr__(self, "properties", _frozen(self.properties))


@dataclass(frozen=True, slots=True)
class Edge:
    """A typed directed edge ``subject -relation-> object`` with its properties.

    Properties carry provenance and qualifiers: ``frequency`` (0..1), ``source``, ``evidence``,
    ``publications``, ``onset``, ``valid_from``/``valid_to`` (ISO dates).
    """

    subject: str  #: CURIE of the node the edge leaves
    relation: str  #: relation name from the schema, e.g. ``has_phenotype``
    object: str  #: CURIE of the node the edge reaches
    properties: Mapping[str, PropertyValue] = field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        if not (self.subject and self.relation and self.object):
            raise ValueError("an edge needs a subject, a relation and an object")
        object.__setattr__(self, "properties", _frozen(self.properties))


@dataclass(frozen=True, slots=True)
class Path:
    """A walk through the graph: ``nodes[i] -relations[i]-> nodes[i+1]`` (or against the edge).

    ``forward[i]`` is False where step ``i`` follows an edge from its object back to its subject.
    """

    nodes: tuple[str, ...]
    relations: tuple[str, ...]
    forward: tuple[bool, ...]

    def __post_init__(self) -> None:
        if len(self.nodes) != len(self.relations) + 1 or len(self.forward) != len(self.relations):
            raise ValueError("a path of n steps has n relations, n directions and n+1 nodes")

    def __len__(self) -> int:
        return len(self.relations)


@dataclass(frozen=True, slots=True)
class Subgraph:
    """A set of nodes and the edges among them."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


@dataclass(frozen=True, slots=True)
class GraphCounts:
    """Sizes of a graph, by node type and by relation."""

    nodes_by_type: Mapping[str, int]
    edges_by_relation: Mapping[str, int]

    @property
    def nodes(self) -> int:
        return sum(self.nodes_by_type.values())

    @property
    def edges(self) -> int:
        return sum(self.edges_by_relation.values())


def is_missing(value: object) -> bool:
    """True for a property value that is absent (None or NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value))
