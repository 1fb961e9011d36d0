"""Where the tests find the real Neo4j server that ``scripts/neo4j-start`` runs.

The settings come from ``KGDECIDE_NEO4J_URI``/``_USER``/``_PASSWORD`` in the environment, or else
from ``connection.env`` in the server's run directory (``$KGDECIDE_NEO4J_RUN_DIR``, by default
``.cache/neo4j`` under the repo). A test that needs the server calls :func:`require_neo4j`: with no
server it skips locally and fails under ``CI=true``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO, require

DEFAULT_RUN_DIR = REPO / ".cache" / "neo4j"
START_HINT = "start one with scripts/neo4j-start (stop it with scripts/neo4j-stop)"


@dataclass(frozen=True, slots=True)
class Neo4jConnection:
    uri: str  #: bolt://127.0.0.1:PORT
    user: str
    password: str


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a connection.env file (no quoting: the values have no spaces)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


def neo4j_connection(environ: Mapping[str, str] | None = None) -> Neo4jConnection | None:
    """The test server's connection settings, or None when none is configured."""
    env = os.environ if environ is None else environ
    values: Mapping[str, str] = env
    if not env.get("KGDECIDE_NEO4J_URI"):
        run_dir = Path(env.get("KGDECIDE_NEO4J_RUN_DIR") or DEFAULT_RUN_DIR)
        env_file = run_dir / "connection.env"
        if not env_file.is_file():
            return None
        values = read_env_file(env_file)
    uri = values.get("KGDECIDE_NEO4J_URI", "")
    if not uri:
        return None
    return Neo4jConnection(
        uri=uri,
        user=values.get("KGDECIDE_NEO4J_USER", "neo4j"),
        password=values.get("KGDECIDE_NEO4J_PASSWORD", ""),
    )


def require_neo4j() -> Neo4jConnection:
    """The running server's settings, checked by connecting; skips (locally) or fails (CI)
    when there is none."""
    connection = neo4j_connection()
    require(connection is not None, f"no Neo4j test server is configured; {START_HINT}")
    assert connection is not None
    if connection in _answered:
        return connection
    import neo4j

    try:
        with neo4j.GraphDatabase.driver(connection.uri, auth=(connection.user, connection.password)) as driver:
            driver.verify_connectivity()
    except neo4j.exceptions.ServiceUnavailable as e:
        require(False, f"the Neo4j test server at {connection.uri} does not answer ({e}); {START_HINT}")
    _answered.add(connection)
    return connection


#: Servers that answered once in this test run (checked once, not before every test).
_answered: set[Neo4jConnection] = set()
