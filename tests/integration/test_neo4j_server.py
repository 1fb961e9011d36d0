"""The Neo4j test server is real: Bolt, authentication on, data written and read back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.neo4j_server import Neo4jConnection, require_neo4j

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def server() -> Neo4jConnection:
    return require_neo4j()


@pytest.fixture()
def driver(server: Neo4jConnection) -> Iterator[object]:
    import neo4j

    with neo4j.GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as d:
        yield d


def test_server_is_neo4j_5_26_community(driver) -> None:
    records, _, _ = driver.execute_query("CALL dbms.components() YIELD versions, edition")
    assert records[0]["edition"] == "community"
    assert records[0]["versions"][0].startswith("5.26.")


def test_node_written_over_bolt_reads_back(driver) -> None:
    marker = uuid.uuid4().hex
    driver.execute_query("CREATE (:ServerCheck {marker: $marker, n: 42})", marker=marker)
    try:
        records, _, _ = driver.execute_query(
            "MATCH (c:ServerCheck {marker: $marker}) RETURN c.n AS n", marker=marker)
        assert [r["n"] for r in records] == [42]
    finally:
        driver.execute_query("MATCH (c:ServerCheck {marker: $marker}) DELETE c", marker=marker)


def test_wrong_password_is_refused(server: Neo4jConnection) -> None:
    import neo4j

    with neo4j.GraphDatabase.driver(server.uri, auth=(server.user, server.password + "x")) as d:
        with pytest.raises(neo4j.exceptions.AuthError):
            d.verify_connectivity()


def test_no_credentials_are_refused(server: Neo4jConnection) -> None:
    import neo4j

    with neo4j.GraphDatabase.driver(server.uri, auth=None) as d:
        with pytest.raises(neo4j.exceptions.AuthError):
            d.verify_connectivity()

