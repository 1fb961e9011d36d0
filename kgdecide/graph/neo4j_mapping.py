"""Which Neo4j labels, relationship types and properties play which role for kgdecide.

A graph that ``kgdecide ingest neo4j`` loaded uses the :data:`DEFAULT_MAPPING`: every node carries
the label ``KgNode`` plus one label naming its type, and the properties ``id``, ``label`` and
``synonyms``; relationship types are relation names; a ``KgMeta`` node holds the graph version.

A graph that kgdecide did not create (Hetionet, SPOKE, RTX-KG2, your own) is read through a
mapping file, JSON, for example for Hetionet::

    {
      "node_label": null,
      "id": "identifier",
      "label": "name",
      "synonyms": null,
      "types": {"Disease": "Disease", "Gene": "Gene", "Symptom": "PhenotypicFeature"},
      "relations": {"PRESENTS_DPpS": "has_phenotype", "ASSOCIATES_DaG": "associated_with_gene"},
      "edge_properties": {"frequency": "frequency"},
      "meta_label": null
    }

Keys left out keep their default. ``types``/``relations`` left out (or null) mean every label
(except ``node_label``) is a type and every relationship type is a relation, under its own name;
when given, only the listed ones are part of the graph.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kgdecide.errors import ConfigError

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Neo4jMapping:
    """Roles of Neo4j names in a kgdecide graph.

    >>> m = Neo4jMapping.from_dict({"id": "identifier", "relations": {"PRESENTS_DPpS": "has_phenotype"}})
    >>> m.id, m.relation_name("PRESENTS_DPpS"), m.neo4j_types("has_phenotype")
    ('identifier', 'has_phenotype', ('PRESENTS_DPpS',))
    """

    node_label: str | None = "KgNode"  #: label every graph node carries; None: all nodes
    id: str = "id"  #: property with the node id (CURIE)
    label: str = "label"  #: property with the preferred name
    synonyms: str | None = "synonyms"  #: list property with other names; None: no synonyms
    type_property: str | None = None  #: property naming the node type, instead of labels
    types: Mapping[str, str] | None = None  #: Neo4j label -> kgdecide node type
    relations: Mapping[str, str] | None = None  #: Neo4j relationship type -> kgdecide relation
    edge_properties: Mapping[str, str] = field(default_factory=lambda: _EMPTY)  #: role -> property
    meta_label: str | None = "KgMeta"  #: label of the node holding ``version``; None: none

    def __post_init__(self) -> None:
        for name in ("types", "relations"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, MappingProxyType(dict(value)))
        object.__setattr__(self, "edge_properties", MappingProxyType(dict(self.edge_properties)))
        if not self.id or not self.label:
            raise ConfigError("Neo4j mapping: 'id' and 'label' must name node properties")
        if self.types is not None and self.type_property is not None:
            raise ConfigError("Neo4j mapping: give 'types' (labels) or 'type_property', not both")

    # --- loading -------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "Neo4j mapping") -> Neo4jMapping:
        """A mapping from parsed JSON; unknown keys or wrong value types raise ``ConfigError``
        naming them."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source}: expected a JSON object with keys such as 'id', 'label', 'types'")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{source}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        for key, value in data.items():
            _check_value(source, key, value)
        return cls(**dict(data))

    @classmethod
    def from_path(cls, path: Path | str) -> Neo4jMapping:
        """Read a JSON mapping file."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Neo4j mapping file {path} does not exist; pass the path of a JSON mapping") from None
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
        return cls.from_dict(data, source=str(path))

    # --- names ---------------------------------------------------------------------------------

    def relation_name(self, neo4j_type: str) -> str | None:
        """The kgdecide relation a relationship type stands for, None when it is not mapped."""
        if self.relations is None:
            return neo4j_type
        return self.relations.get(neo4j_type)

    def neo4j_types(self, relation: str) -> tuple[str, ...]:
        """The relationship types that make up a kgdecide relation (none when unknown)."""
        if self.relations is None:
            return (relation,)
        return tuple(sorted(t for t, name in self.relations.items() if name == relation))

    def node_type(self, labels: list[str], properties: Mapping[str, Any]) -> str | None:
        """The kgdecide type of a node with these labels and properties (None: untyped)."""
        if self.type_property is not None:
            value = properties.get(self.type_property)
            return str(value) if value not in (None, "") else None
        if self.types is not None:
            mapped = sorted(self.types[label] for label in labels if label in self.types)
            return mapped[0] if mapped else None
        others = sorted(label for label in labels if label != self.node_label)
        return others[0] if others else None

    def type_labels(self, node_type: str) -> tuple[str, ...] | None:
        """Labels that give a node this type; None when the type is not given by labels."""
        if self.type_property is not None:
            return None
        if self.types is None:
            return (node_type,)
        return tuple(sorted(label for label, name in self.types.items() if name == node_type))

    @property
    def reserved(self) -> frozenset[str]:
        """Node properties that hold a role, so they are not returned as ``Node.properties``."""
        names = {self.id, self.label, self.synonyms, self.type_property}
        return frozenset(n for n in names if n)

    def edge_property_names(self) -> dict[str, str]:
        """Neo4j edge property -> the name kgdecide gives it."""
        return {prop: role for role, prop in self.edge_properties.items()}


def _check_value(source: str, key: str, value: Any) -> None:
    if key in ("types", "relations", "edge_properties"):
        ok = value is None and key != "edge_properties" or (
            isinstance(value, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) and k and v for k, v in value.items())
        )
        if not ok:
            raise ConfigError(f"{source}: {key!r} must be an object of non-empty strings"
                              + (" or null" if key != "edge_properties" else ""))
    elif key in ("id", "label"):
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{source}: {key!r} must name a node property")
    elif value is not None and (not isinstance(value, str) or not value):
        raise ConfigError(f"{source}: {key!r} must be a non-empty string or null")


#: How ``kgdecide ingest neo4j`` lays a graph out.
DEFAULT_MAPPING = Neo4jMapping()
