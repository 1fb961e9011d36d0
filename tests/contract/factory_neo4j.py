"""The Neo4j backend for the GraphStore contract suite: the real test server over Bolt."""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import Any

from kgdecide.graph import cypher
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.neo4j import Neo4jStore
from kgdecide.graph.neo4j_load import load_graph
from tests.neo4j_server import Neo4jConnection, require_neo4j

_drivers: dict[Neo4jConnection, Any] = {}


def shared_driver(connection: Neo4jConnection) -> Any:
    """One driver per server for the whole test run (closed at exit), so stores made per test
    borrow it instead of each leaving a driver to the garbage collector."""
    driver = _drivers.get(connection)
    if driver is None:
        import neo4j

        driver = neo4j.GraphDatabase.driver(connection.uri, auth=(connection.user, connection.password))
        atexit.register(driver.close)
        _drivers[connection] = driver
    return driver


def wipe(driver: Any) -> None:
    """Empty the test server's database (it is throwaway: scripts/neo4j-start makes it fresh)."""
    with driver.session() as session:
        session.run(cypher.DELETE_EVERYTHING.format(), batch=10_000).consume()


def make_store(graph: ArrayGraph, tmp_path: Path) -> Neo4jStore:
    """Load ``graph`` into the emptied test database and return a store reading it."""
    connection = require_neo4j()
    driver = shared_driver(connection)
    wipe(driver)
    load_graph(graph, driver, batch=4)  # small batches so the contract graph spans several
    return Neo4jStore(connection.uri, (connection.user, connection.password), driver=driver)
