"""Fixtures for the tests of shared state and cluster runs: the real PostgreSQL, Redis and Dask
that ``scripts/state-services`` starts (``scripts/test-services`` does it for ``make test``).

Their settings come from ``KGDECIDE_TEST_POSTGRES_URL``, ``KGDECIDE_TEST_REDIS_URL`` and
``KGDECIDE_TEST_DASK_ADDRESS`` in the environment, or else from ``connection.env`` in the run
directory (``$KGDECIDE_STATE_RUN_DIR``, by default ``.cache/state``). Without them a test skips
locally and fails under ``CI=true`` (markers ``postgres``, ``redis``, ``dask``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, require
from tests.neo4j_server import read_env_file
from tests.web.conftest import graph_dir, store  # noqa: F401  (fixtures reused here)

START_HINT = "start them with scripts/state-services start (stop: scripts/state-services stop)"


def service_setting(name: str) -> str:
    """A ``KGDECIDE_TEST_*`` setting from the environment or the run directory's connection.env."""
    if os.environ.get(name):
        return os.environ[name]
    run_dir = Path(os.environ.get("KGDECIDE_STATE_RUN_DIR") or REPO / ".cache" / "state")
    env_file = run_dir / "connection.env"
    return read_env_file(env_file).get(name, "") if env_file.is_file() else ""


def with_database(url: str, database: str) -> str:
    """``url`` naming another database on the same server.

    >>> with_database("postgresql://u:p@127.0.0.1:5/postgres", "x")
    'postgresql://u:p@127.0.0.1:5/x'
    """
    return url.rsplit("/", 1)[0] + "/" + database


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the test server; dropped afterwards."""
    admin = service_setting("KGDECIDE_TEST_POSTGRES_URL")
    require(bool(admin), f"no test PostgreSQL server: {START_HINT}")
    import psycopg

    name = f"kgd_test_{secrets.token_hex(6)}"
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]  # a name we made
    try:
        yield with_database(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]


@pytest.fixture
def redis_url() -> str:
    """The test Redis, emptied before the test."""
    url = service_setting("KGDECIDE_TEST_REDIS_URL")
    require(bool(url), f"no test Redis server: {START_HINT}")
    import redis

    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(scope="session")
def dask_address() -> str:
    address = service_setting("KGDECIDE_TEST_DASK_ADDRESS")
    require(bool(address), f"no test Dask scheduler: {START_HINT}")
    return address
