"""Every Cypher statement kgdecide sends to Neo4j, in one place.

Values always travel as parameters (``$keys``, ``$rows``, ...). Labels, relationship types and
property names cannot be parameters in Cypher, so the statements below have slots for them
(``{node}``, ``{id}``, ``{rel}``, ...) that only :func:`render` fills, and only with names it
quotes with backticks (a backtick inside a name is doubled, which is Cypher's escape). The store
fills them only with names it read from the database schema or from a validated mapping file,
never with request text that was not checked against those.
"""

from __future__ import annotations

from collections.abc import Sequence

from kgdecide.errors import InvalidQuery


def quote(name: str) -> str:
    """A label, relationship type or property name as a quoted Cypher identifier.

    >>> quote("has_phenotype"), quote("we`ird")
    ('`has_phenotype`', '`we``ird`')
    """
    if not name or "\x00" in name:
        raise InvalidQuery("name", f"{name!r} cannot be a Neo4j label, type or property name")
    return "`" + name.replace("`", "``") + "`"


def labels(*names: str | None) -> str:
    """A label clause, ``:`A`:`B```; empty when no names are given.

    >>> labels("KgNode", None, "Disease")
    ':`KgNode`:`Disease`'
    """
    return "".join(":" + quote(n) for n in names if n)


def rel_types(types: Sequence[str]) -> str:
    """A relationship type clause, ``:`A`|`B```, for a non-empty list of types.

    >>> rel_types(["is_a", "has_phenotype"])
    ':`is_a`|`has_phenotype`'
    """
    if not types:
        raise ValueError("a relationship pattern needs at least one type")
    return ":" + "|".join(quote(t) for t in types)


#: Arrow halves for following edges out of ``n``, into it, or either way.
ARROWS = {"out": ("-", "->"), "in": ("<-", "-"), "both": ("-", "-")}


def render(template: str, **slots: str) -> str:
    """Fill a statement's name slots with already quoted clauses (from :func:`quote`,
    :func:`labels`, :func:`rel_types`, :data:`ARROWS`).

    >>> render(NODES_BY_KEYS, node=labels("KgNode"), id=quote("id"))[:40]
    'MATCH (n:`KgNode`) WHERE n.`id` IN $keys'
    """
    return template.format(**slots)


# --- reading: nodes ----------------------------------------------------------------------------

#: Nodes whose id property is one of ``$keys`` (a CURIE, and its integer form where it has one).
NODES_BY_KEYS = (
    "MATCH (n{node}) WHERE n.{id} IN $keys "
    "RETURN n.{id} AS id, labels(n) AS labels, properties(n) AS props"
)

#: Every node (of a label clause), for exports and the projection.
ALL_NODES = "MATCH (n{node}) RETURN n.{id} AS id, labels(n) AS labels, properties(n) AS props"

#: Ids of the nodes with a label clause.
IDS_WITH_LABELS = "MATCH (n{node}) RETURN n.{id} AS id"

#: Ids of the nodes whose type property equals ``$type``.
IDS_WITH_TYPE_VALUE = "MATCH (n{node}) WHERE n[$type_property] = $type RETURN n.{id} AS id"

#: Nodes one edge away from the node with id in ``$keys``; no row when that node does not exist,
#: one row with a null id when it has no such neighbour.
NEIGHBORS = (
    "MATCH (n{node}) WHERE n.{id} IN $keys "
    "OPTIONAL MATCH (n){left}[{rel}]{right}(m{node}) "
    "RETURN DISTINCT m.{id} AS id, labels(m) AS labels, m[$type_property] AS type_value"
)

#: The node exists (the pattern for a node whose edges are asked for with no relation known).
NODE_EXISTS = "MATCH (n{node}) WHERE n.{id} IN $keys RETURN n.{id} AS id LIMIT 1"

# --- reading: edges ----------------------------------------------------------------------------

#: Edges at the node with id in ``$keys`` in one direction (``left``/``right`` from ARROWS "out"
#: or "in"); no row when the node does not exist, a row of nulls when it has no such edge.
EDGES_AT = (
    "MATCH (n{node}) WHERE n.{id} IN $keys "
    "OPTIONAL MATCH (n){left}[r{rel}]{right}(m{node}) "
    "RETURN startNode(r).{id} AS s, type(r) AS t, endNode(r).{id} AS o, properties(r) AS p"
)

#: Every edge of some relationship types.
ALL_EDGES = (
    "MATCH (a{node})-[r{rel}]->(b{node}) "
    "RETURN a.{id} AS s, type(r) AS t, b.{id} AS o, properties(r) AS p"
)

#: Every edge of some relationship types grouped by subject (far fewer records to decode than
#: one per edge: building the projection is bound by the driver's per-record cost).
EDGES_BY_SUBJECT = (
    "MATCH (a{node})-[r{rel}]->(b{node}) "
    "RETURN a.{id} AS s, collect(type(r)) AS ts, collect(b.{id}) AS os, collect(properties(r)) AS ps"
)

#: Edges whose both ends have ids in ``$keys``.
EDGES_AMONG = (
    "MATCH (a{node})-[r{rel}]->(b{node}) WHERE a.{id} IN $keys AND b.{id} IN $keys "
    "RETURN a.{id} AS s, type(r) AS t, b.{id} AS o, properties(r) AS p"
)

# --- reading: traversal ------------------------------------------------------------------------

#: Ids one edge away (either direction) from the nodes with ids in ``$frontier``.
EXPAND = (
    "MATCH (n{node}) WHERE n.{id} IN $frontier "
    "MATCH (n)-[{rel}]-(m{node}) RETURN DISTINCT m.{id} AS id"
)

#: All shortest paths (edges followed either way) between two nodes, at most ``$cap`` of them.
#: ``{max_hops}`` is a validated positive integer, not text from a request.
SHORTEST_PATHS = (
    "MATCH (a{node}) WHERE a.{id} IN $source "
    "MATCH (b{node}) WHERE b.{id} IN $target "
    "MATCH p = allShortestPaths((a)-[{rel}*..{max_hops}]-(b)) "
    "WITH nodes(p) AS ns, relationships(p) AS rs LIMIT $cap "
    "RETURN [x IN ns | x.{id}] AS nodes, [r IN rs | type(r)] AS types, "
    "[i IN range(0, size(rs) - 1) | startNode(rs[i]) = ns[i]] AS forward"
)

# --- reading: schema, sizes, version ------------------------------------------------------------

#: Relationship types in the database (some may have no relationships left).
RELATIONSHIP_TYPES = "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType AS t"

#: Node labels in the database.
LABELS = "CALL db.labels() YIELD label RETURN label"

#: How many relationships of one type (answered from Neo4j's counts store).
COUNT_TYPE = "MATCH ()-[r{rel}]->() RETURN count(r) AS k"

#: Nodes grouped by labels and type property.
COUNT_NODES = (
    "MATCH (n{node}) RETURN labels(n) AS labels, n[$type_property] AS type_value, count(*) AS k"
)

#: Sizes (from the counts store) and the version written by ``load_graph``; the change detector.
VERSION = (
    "CALL () {{ MATCH (n{node}) RETURN count(n) AS nodes }} "
    "CALL () {{ MATCH ()-[r]->() RETURN count(r) AS rels }} "
    "OPTIONAL MATCH (m{meta}) "
    "RETURN nodes, rels, m.version AS version, m.name AS name, m.source_version AS source_version, "
    "[m.nodes_at_load, m.rels_at_load] AS at_load LIMIT 1"
)

#: The same without a metadata node (graphs kgdecide did not create).
VERSION_NO_META = (
    "CALL () {{ MATCH (n{node}) RETURN count(n) AS nodes }} "
    "CALL () {{ MATCH ()-[r]->() RETURN count(r) AS rels }} "
    "RETURN nodes, rels, null AS version, null AS name, null AS source_version, null AS at_load"
)

# --- writing (load_graph) ----------------------------------------------------------------------

#: The uniqueness constraint on node ids (it also gives the index every lookup uses).
CREATE_ID_CONSTRAINT = (
    "CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n{node}) REQUIRE n.{id} IS UNIQUE"
)

#: Delete the previous kgdecide graph, in batches so a big graph fits in memory (auto-commit).
DELETE_NODES = "MATCH (n{node}) CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF $batch ROWS"

#: Delete the metadata node.
DELETE_META = "MATCH (m{meta}) DETACH DELETE m"

#: Create one batch of nodes of one type; each row is the node's property map.
CREATE_NODES = "UNWIND $rows AS row CREATE (n{labels}) SET n = row"

#: Create one batch of edges of one relation between nodes already created.
CREATE_EDGES = (
    "UNWIND $rows AS row "
    "MATCH (a{node} {{{id}: row.s}}) MATCH (b{node} {{{id}: row.o}}) "
    "CREATE (a)-[r{rel}]->(b) SET r = row.p"
)

#: Write the metadata node (last, so a reader sees the new version only once the graph is in),
#: with the database's sizes then, against which later changes are detected.
CREATE_META = (
    "CALL () {{ MATCH (n{node}) RETURN count(n) AS nodes }} "
    "CALL () {{ MATCH ()-[r]->() RETURN count(r) AS rels }} "
    "CREATE (m{meta}) SET m = $meta, m.nodes_at_load = nodes, m.rels_at_load = rels"
)

#: Delete everything in the database (tests only: the test server's database is throwaway).
DELETE_EVERYTHING = "MATCH (n) CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF $batch ROWS"
