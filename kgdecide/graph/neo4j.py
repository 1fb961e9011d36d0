"""The Neo4j backend: a :class:`~kgdecide.graph.store.GraphStore` over a graph kept in Neo4j.

Reads go to the database over Bolt in read-mode sessions; every statement comes from
:mod:`kgdecide.graph.cypher`. Scorers read :meth:`Neo4jStore.projection`, an
:class:`~kgdecide.graph.arrays.ArrayGraph` pulled from the database once per graph version and
cached; the version is the one :func:`~kgdecide.graph.neo4j_load.load_graph` wrote plus the node
and relationship counts, so
a change made after loading is detected too (a change of properties alone, with no metadata
update, is not: re-run the ingest). Name lookup uses that projection's name index, so it folds
case and spacing exactly as the embedded store does.

A graph kgdecide did not create is read through a :class:`~kgdecide.graph.neo4j_mapping.Neo4jMapping`.
The ``neo4j`` driver is imported only here, and only when a store connects.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kgdecide.errors import InvalidQuery, NodeNotFound, StoreMisconfigured, StoreUnavailable
from kgdecide.graph import cypher
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import UNTYPED, GraphBuilder
from kgdecide.graph.neo4j_mapping import DEFAULT_MAPPING, Neo4jMapping
from kgdecide.graph.versioned import Versioned
from kgdecide.types import Direction, Edge, GraphCounts, Node, Path, PropertyValue, Subgraph

if TYPE_CHECKING:
    import neo4j

logger = logging.getLogger(__name__)

#: Most shortest paths fetched before sorting and cutting to ``limit`` (hubs make many).
SHORTEST_PATH_CAP = 10_000


@dataclass(frozen=True, slots=True)
class _Schema:
    """What the database holds, read once per graph version."""

    key: tuple[Any, ...]  #: the change key it was read under
    relations: dict[str, tuple[str, ...]]  #: kgdecide relation -> Neo4j types with edges
    labels: frozenset[str]  #: node labels in the database


class Neo4jStore:
    """A :class:`~kgdecide.graph.store.GraphStore` reading a Neo4j database.

    The constructor does no I/O; :meth:`from_settings` connects and checks the credentials.
    A store given a ``driver`` borrows it (and never closes it); otherwise it makes its own and
    :meth:`close` closes it.
    """

    def __init__(
        self,
        uri: str,
        auth: tuple[str, str] | None,
        database: str | None = None,
        mapping: Neo4jMapping = DEFAULT_MAPPING,
        driver: neo4j.Driver | None = None,
    ) -> None:
        self.uri = uri
        self.database = database
        self.mapping = mapping
        self._auth = auth
        self._driver = driver
        self._owns_driver = driver is None
        self._lock = threading.Lock()
        self._schema: _Schema | None = None
        self._projection: Versioned[ArrayGraph] = Versioned()

    @classmethod
    def from_settings(
        cls,
        uri: str,
        user: str,
        password: str,
        database: str | None = None,
        mapping: Neo4jMapping | None = None,
    ) -> Neo4jStore:
        """Connect and check that the server answers and accepts the credentials.

        Raises ``StoreUnavailable`` when the server cannot be reached and ``StoreMisconfigured``
        (a ``ConfigError``) for wrong credentials or an unknown database.
        """
        store = cls(uri, (user, password), database, mapping or DEFAULT_MAPPING)
        try:
            store._run(lambda tx: tx.run("RETURN 1").consume())
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        with self._lock:
            driver, self._driver = self._driver, None
        if driver is not None and self._owns_driver:
            driver.close()

    @property
    def driver(self) -> neo4j.Driver:
        """The connected driver (connecting if need be), for bulk loads with :func:`load_graph`."""
        return self._connect()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Neo4jStore({self.uri!r}, database={self.database!r})"

    # --- GraphStore ----------------------------------------------------------------------------

    @property
    def version(self) -> str:
        return self._version_of(self._change_key())

    def get_node(self, node_id: str) -> Node:
        return self.get_nodes([node_id])[0]

    def get_nodes(self, node_ids: Iterable[str]) -> tuple[Node, ...]:
        ids = [str(i) for i in node_ids]
        if not ids:
            return ()
        rows = self._read(self._q(cypher.NODES_BY_KEYS), keys=_keys(ids))
        found = {str(r["id"]): self._node(r) for r in rows}
        for node_id in ids:
            if node_id not in found:
                raise NodeNotFound(node_id)
        return tuple(found[i] for i in ids)

    def has_node(self, node_id: str) -> bool:
        return bool(self._read(self._q(cypher.NODE_EXISTS), keys=_keys([node_id])))

    def neighbors(
        self,
        node_id: str,
        relation: str | None = None,
        direction: Direction = Direction.OUT,
        node_type: str | None = None,
    ) -> tuple[str, ...]:
        types = self._types_for(relation)
        left, right = cypher.ARROWS[Direction(direction).value]
        if not types:
            self._require(node_id)
            return ()
        query = self._q(cypher.NEIGHBORS, left=left, right=right, rel=cypher.rel_types(types))
        rows = self._read(query, keys=_keys([node_id]), type_property=self._type_property)
        if not rows:
            raise NodeNotFound(node_id)
        ids = {
            str(r["id"])
            for r in rows
            if r["id"] is not None
            and (node_type is None or self._type_of(r["labels"], r["type_value"]) == node_type)
        }
        return tuple(sorted(ids))

    def edges(
        self, node_id: str, relation: str | None = None, direction: Direction = Direction.OUT
    ) -> tuple[Edge, ...]:
        types = self._types_for(relation)
        direction = Direction(direction)
        if not types:
            self._require(node_id)
            return ()
        ways = ["out", "in"] if direction is Direction.BOTH else [direction.value]
        queries = [
            self._q(cypher.EDGES_AT, left=cypher.ARROWS[w][0], right=cypher.ARROWS[w][1],
                    rel=cypher.rel_types(types))
            for w in ways
        ]
        results = self._run(lambda tx: [list(tx.run(q, keys=_keys([node_id]))) for q in queries])
        if not results[0]:
            raise NodeNotFound(node_id)
        found: list[tuple[tuple[str, int, str], Edge]] = []
        for way, rows in zip(ways, results):
            for r in rows:
                if r["t"] is None:
                    continue
                edge = self._edge(r)
                if edge is None:
                    continue
                other = edge.object if way == "out" else edge.subject
                found.append(((edge.relation, 0 if way == "out" else 1, other), edge))
        # Like the embedded store: relation by relation, outgoing before incoming edges.
        return tuple(edge for _, edge in sorted(found, key=lambda item: item[0]))

    def nodes_by_type(self, node_type: str) -> tuple[str, ...]:
        labels = self.mapping.type_labels(node_type)
        if labels is not None and node_type != UNTYPED:
            ids: set[str] = set()
            # Only labels the database has go into a query: a type named in a request is never
            # written into Cypher unchecked.
            if not set(labels) <= self._schema_now().labels:
                self._schema = None  # a label may have appeared since the schema was read
            for label in sorted(set(labels) & self._schema_now().labels):
                query = self._q(cypher.IDS_WITH_LABELS, node=cypher.labels(self.mapping.node_label, label))
                ids.update(str(r["id"]) for r in self._read(query) if r["id"] is not None)
            return tuple(sorted(ids))
        if self.mapping.type_property is not None and node_type != UNTYPED:
            query = self._q(cypher.IDS_WITH_TYPE_VALUE)
            rows = self._read(query, type_property=self.mapping.type_property, type=node_type)
            return tuple(sorted(str(r["id"]) for r in rows if r["id"] is not None))
        return tuple(sorted(n.id for n in self.iter_nodes(node_type)))

    def iter_nodes(self, node_type: str | None = None) -> Iterator[Node]:
        rows = self._read(self._q(cypher.ALL_NODES))
        nodes = sorted((self._node(r) for r in rows if r["id"] is not None), key=lambda n: n.id)
        return iter([n for n in nodes if node_type is None or n.type == node_type])

    def iter_edges(self, relation: str | None = None) -> Iterator[Edge]:
        relations = self._schema_now().relations
        names = sorted(relations) if relation is None else [self._relation_known(relation)]
        edges: list[Edge] = []
        for name in names:
            query = self._q(cypher.ALL_EDGES, rel=cypher.rel_types(relations[name]))
            found = (self._edge(r) for r in self._read(query))
            edges.extend(sorted((e for e in found if e is not None), key=lambda e: (e.subject, e.object)))
        return iter(edges)

    def lookup(self, text: str, node_type: str | None = None) -> tuple[str, ...]:
        # Exact label/synonym match with case and spacing folded as the embedded store does it:
        # Cypher cannot fold white space the same way, so this reads the projection's index.
        return self.projection().lookup(text, node_type)

    def subgraph(
        self,
        seeds: Sequence[str],
        hops: int = 1,
        relations: Sequence[str] | None = None,
        max_nodes: int = 10_000,
    ) -> Subgraph:
        if hops < 0:
            raise InvalidQuery("hops", "must be 0 or more")
        types = self._types_for_many(relations)
        seed_nodes = self.get_nodes(seeds)  # raises NodeNotFound for the first unknown seed
        reached = {n.id for n in seed_nodes}
        frontier = sorted(reached)
        for _ in range(hops):
            if not frontier or not types:
                break
            query = self._q(cypher.EXPAND, rel=cypher.rel_types(types))
            found = {str(r["id"]) for r in self._read(query, frontier=_keys(frontier)) if r["id"] is not None}
            frontier = sorted(found - reached)
            reached |= found
            if len(reached) > max_nodes:
                raise InvalidQuery(
                    "hops", f"the subgraph has more than {len(reached) - 1} nodes, more than "
                    f"max_nodes={max_nodes}; use fewer hops, fewer seeds or a relation filter"
                )
        ids = sorted(reached)
        nodes = self.get_nodes(ids)
        edges: list[Edge] = []
        if types:
            query = self._q(cypher.EDGES_AMONG, rel=cypher.rel_types(types))
            found_edges = (self._edge(r) for r in self._read(query, keys=_keys(ids)))
            # Relation by relation (in the order asked for), then by subject and object.
            rank = {name: i for i, name in enumerate(relations or sorted(self._schema_now().relations))}
            edges = sorted((e for e in found_edges if e is not None),
                           key=lambda e: (rank.get(e.relation, len(rank)), e.subject, e.object))
        return Subgraph(nodes=nodes, edges=tuple(edges))

    def shortest_paths(
        self,
        source: str,
        target: str,
        max_hops: int = 4,
        relations: Sequence[str] | None = None,
        limit: int = 10,
    ) -> tuple[Path, ...]:
        if max_hops < 0 or limit < 1:
            raise InvalidQuery("max_hops" if max_hops < 0 else "limit", "must be positive")
        types = self._types_for_many(relations)
        self.get_nodes([source, target])  # NodeNotFound, source first
        if source == target:
            return (Path((source,), (), ()),)
        if max_hops == 0 or not types:
            return ()
        query = self._q(cypher.SHORTEST_PATHS, rel=cypher.rel_types(types), max_hops=str(int(max_hops)))
        rows = self._read(query, source=_keys([source]), target=_keys([target]), cap=SHORTEST_PATH_CAP)
        paths = set()
        for r in rows:
            names = [self.mapping.relation_name(t) for t in r["types"]]
            if any(n is None for n in names):
                continue
            paths.add(Path(tuple(str(i) for i in r["nodes"]), tuple(names), tuple(r["forward"])))  # type: ignore[arg-type]
        # Step by step (next node, relation, forward first): the order the embedded store walks.
        ordered = sorted(paths, key=lambda p: [
            (p.nodes[i + 1], p.relations[i], not p.forward[i]) for i in range(len(p))])
        return tuple(ordered[:limit])

    def counts(self) -> GraphCounts:
        rows = self._read(self._q(cypher.COUNT_NODES), type_property=self._type_property)
        by_type: dict[str, int] = {}
        for r in rows:
            node_type = self._type_of(r["labels"], r["type_value"])
            by_type[node_type] = by_type.get(node_type, 0) + int(r["k"])
        relations = self._schema_now().relations
        by_relation = {name: self._count_types(types) for name, types in sorted(relations.items())}
        return GraphCounts(nodes_by_type=dict(sorted(by_type.items())), edges_by_relation=by_relation)

    def projection(self) -> ArrayGraph:
        key = self._change_key()  # one round trip: sizes and the version written at load
        return self._projection.get(key, lambda: self._logged_projection(key))

    def _logged_projection(self, key: tuple[Any, ...]) -> ArrayGraph:
        started = time.perf_counter()
        graph = self._build_projection(key)
        logger.info("built the Neo4j projection %s (%d nodes) in %.1f s",
                    graph.version, len(graph), time.perf_counter() - started)
        return graph

    # --- reading helpers -----------------------------------------------------------------------

    @property
    def _type_property(self) -> str:
        # An empty key reads as null in Cypher (``n[""]``), so no mapping means no value.
        return self.mapping.type_property or ""

    def _q(self, template: str, **slots: str) -> str:
        names = {"node": cypher.labels(self.mapping.node_label), "id": cypher.quote(self.mapping.id)}
        return cypher.render(template, **{**names, **slots})

    def _node(self, record: Any) -> Node:
        props = dict(record["props"])
        m = self.mapping
        synonyms = props.get(m.synonyms) if m.synonyms else None
        if isinstance(synonyms, str):
            synonyms = [synonyms]
        label = props.get(m.label)
        return Node(
            id=str(record["id"]),
            type=self._type_of(record["labels"], props.get(m.type_property) if m.type_property else None),
            label="" if label is None else str(label),
            synonyms=tuple(str(s) for s in synonyms or ()),
            properties={k: _value(v) for k, v in props.items() if k not in m.reserved and _present(v)},
        )

    def _type_of(self, labels: list[str], type_value: Any) -> str:
        props = {self.mapping.type_property: type_value} if self.mapping.type_property else {}
        return self.mapping.node_type(list(labels), props) or UNTYPED

    def _edge(self, record: Any) -> Edge | None:
        relation = self.mapping.relation_name(record["t"])
        if relation is None or record["s"] is None or record["o"] is None:
            return None
        renames = self.mapping.edge_property_names()
        props = {renames.get(k, k): _value(v) for k, v in dict(record["p"]).items() if _present(v)}
        return Edge(str(record["s"]), relation, str(record["o"]), props)

    def _require(self, node_id: str) -> None:
        if not self.has_node(node_id):
            raise NodeNotFound(node_id)

    def _relation_known(self, relation: str) -> str:
        if relation in self._schema_now().relations:
            return relation
        # The graph may have changed since the schema was read: look once more before refusing.
        self._schema = None
        known = self._schema_now().relations
        if relation not in known:
            names = ", ".join(sorted(known)) or "none"
            raise InvalidQuery("relation", f"unknown relation {relation!r}; known: {names}")
        return relation

    def _types_for(self, relation: str | None) -> list[str]:
        """Neo4j relationship types to follow: those of one checked relation, or of all."""
        relations = self._schema_now().relations
        if relation is None:
            return sorted(t for types in relations.values() for t in types)
        return list(self._schema_now().relations[self._relation_known(relation)])

    def _types_for_many(self, relations: Sequence[str] | None) -> list[str]:
        if relations is None:
            return self._types_for(None)
        return sorted({t for name in relations for t in self._types_for(name)})

    def _schema_now(self) -> _Schema:
        schema = self._schema
        if schema is not None:
            return schema
        key = self._change_key()
        rows = self._read(cypher.RELATIONSHIP_TYPES)
        relations: dict[str, list[str]] = {}
        for r in rows:
            name = self.mapping.relation_name(r["t"])
            # Relationship types outlive their last relationship in Neo4j's token store.
            if name is not None and self._count_types([r["t"]]) > 0:
                relations.setdefault(name, []).append(r["t"])
        labels = frozenset(r["label"] for r in self._read(cypher.LABELS))
        schema = _Schema(key=key, relations={k: tuple(sorted(v)) for k, v in relations.items()},
                         labels=labels)
        self._schema = schema
        return schema

    def _count_types(self, types: Sequence[str]) -> int:
        total = 0
        for t in types:
            rows = self._read(cypher.render(cypher.COUNT_TYPE, rel=cypher.rel_types([t])))
            total += int(rows[0]["k"])
        return total

    def _change_key(self) -> tuple[Any, ...]:
        m = self.mapping
        template = cypher.VERSION if m.meta_label else cypher.VERSION_NO_META
        query = self._q(template, meta=cypher.labels(m.meta_label))
        r = self._read(query)[0]
        at_load = tuple(r["at_load"] or ())
        key = (r["version"], int(r["nodes"]), int(r["rels"]), r["name"], r["source_version"], at_load)
        schema = self._schema
        if schema is not None and schema.key != key:
            self._schema = None  # the graph changed: read its relation types again
        return key

    @staticmethod
    def _version_of(key: tuple[Any, ...]) -> str:
        version, nodes, rels, at_load = key[0], key[1], key[2], key[5]
        digest = hashlib.sha256(f"{nodes}/{rels}".encode()).hexdigest()[:12]
        if not version:
            # A graph without kgdecide's metadata: its sizes are all there is to go by.
            return f"neo4j/unversioned/{digest}"
        if at_load and at_load != (nodes, rels):
            # Changed since load_graph wrote it (nodes or relationships added or deleted).
            return f"{version}+changed/{digest}"
        return str(version)

    def _build_projection(self, key: tuple[Any, ...]) -> ArrayGraph:
        name = str(key[3] or "neo4j")
        builder = GraphBuilder(name, str(key[4] or "unversioned"))
        for node in self.iter_nodes():
            builder.add_node(node.id, node.type, node.label, node.synonyms, node.properties)
        renames = self.mapping.edge_property_names()
        for relation, types in sorted(self._schema_now().relations.items()):
            query = self._q(cypher.EDGES_BY_SUBJECT, rel=cypher.rel_types(types))
            plain_s: list[int] = []
            plain_o: list[int] = []
            for r in self._read(query):
                if r["s"] is None:
                    continue
                subject = builder.intern(str(r["s"]))
                for t, o, p in zip(r["ts"], r["os"], r["ps"]):
                    if o is None or self.mapping.relation_name(t) is None:
                        continue
                    props = {renames.get(k, k): _value(v) for k, v in p.items() if _present(v)}
                    if props:
                        builder.add_edge(str(r["s"]), relation, str(o), props)
                    else:  # the builder's fast path for edges without properties
                        plain_s.append(subject)
                        plain_o.append(builder.intern(str(o)))
            builder.add_edge_rows(relation, plain_s, plain_o)
        graph = builder.build()
        graph.meta["version"] = self._version_of(key)
        return graph

    # --- the driver ----------------------------------------------------------------------------

    def _read(self, query: str, **params: Any) -> list[Any]:
        return self._run(lambda tx: list(tx.run(query, **params)))

    def _run(self, work: Callable[[Any], Any]) -> Any:
        """Run ``work(tx)`` in a read transaction, turning driver failures into kgdecide errors."""
        import neo4j
        import neo4j.exceptions as ne

        try:
            with self._connect().session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as s:
                return s.execute_read(work)
        except ne.AuthError as e:
            raise StoreMisconfigured(
                f"Neo4j at {self.uri} refused the credentials of user {self._user!r} ({e.message}); "
                "check KGDECIDE_NEO4J_USER and KGDECIDE_NEO4J_PASSWORD"
            ) from e
        except (ne.ServiceUnavailable, ne.SessionExpired, ConnectionError) as e:
            self._drop_driver()
            raise StoreUnavailable(
                f"Neo4j at {self.uri} cannot be reached ({e}); check that it is running"
            ) from e
        except ne.ClientError as e:
            if e.code and "DatabaseNotFound" in e.code:
                raise StoreMisconfigured(
                    f"Neo4j at {self.uri} has no database {self.database!r}") from e
            raise

    @property
    def _user(self) -> str:
        return self._auth[0] if self._auth else ""

    def _connect(self) -> neo4j.Driver:
        with self._lock:
            if self._driver is None:
                import neo4j

                # Short retries: a request should fail fast with StoreUnavailable (HTTP 503 and
                # Retry-After), not hang for the driver's default 30 s.
                self._driver = neo4j.GraphDatabase.driver(
                    self.uri, auth=self._auth, connection_timeout=5.0,
                    max_transaction_retry_time=2.0, connection_acquisition_timeout=10.0,
                )
                self._owns_driver = True
            return self._driver

    def _drop_driver(self) -> None:
        """Forget a driver whose connections broke; the next call makes a new one (a borrowed
        driver is kept: its pool opens new connections by itself)."""
        if not self._owns_driver:
            return
        with self._lock:
            driver, self._driver = self._driver, None
        if driver is not None:
            try:
                driver.close()
            except Exception:  # noqa: BLE001 - closing a broken driver must not hide the cause
                logger.debug("closing a broken Neo4j driver failed", exc_info=True)


def _keys(ids: Sequence[str]) -> list[str | int]:
    """Id values to match: each id, and its integer form where it is one (Hetionet keeps gene
    ids as integers), so one index seek finds either."""
    keys: list[str | int] = []
    for i in ids:
        keys.append(i)
        if i.isdigit() and str(int(i)) == i:  # "007" is not the integer 7's id
            keys.append(int(i))
    return keys


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, list) and not value)


def _value(value: Any) -> PropertyValue:
    """A Neo4j property value as kgdecide keeps it: lists as tuples of strings."""
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, (str, float, int, bool)):
        return value
    return str(value)  # dates, points: their ISO text
