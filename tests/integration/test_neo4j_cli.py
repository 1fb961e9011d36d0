"""`kgdecide ingest neo4j bolt://…` loads a built graph into the real test server."""

from __future__ import annotations

import re

from pathlib import Path

import pytest
from click.testing import CliRunner

from kgdecide.cli import main
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.graph.neo4j import Neo4jStore
from tests.contract.factory_neo4j import shared_driver, wipe
from tests.contract.graphs import contract_graph
from tests.neo4j_server import Neo4jConnection, require_neo4j

pytestmark = pytest.mark.neo4j


def _ingest_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Neo4jConnection, EmbeddedStore, str]:
    """Build the contract graph as store "demo" and load it into the emptied test server with
    `kgdecide ingest neo4j`; returns the connection, the built store and the CLI output."""
    connection = require_neo4j()
    wipe(shared_driver(connection))
    built = EmbeddedStore.write(contract_graph(), tmp_path / "stores" / "demo")
    monkeypatch.setenv("KGDECIDE_NEO4J_USER", connection.user)
    monkeypatch.setenv("KGDECIDE_NEO4J_PASSWORD", connection.password)
    result = CliRunner().invoke(
        main, ["--home", str(tmp_path), "ingest", "neo4j", connection.uri, "--from-store", "demo"])
    assert result.exit_code == 0, result.output
    return connection, built, result.output


def test_ingest_neo4j_loads_a_built_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    connection, built, output = _ingest_demo(tmp_path, monkeypatch)
    assert built.version in output
    with Neo4jStore.from_settings(connection.uri, connection.user, connection.password) as store:
        assert store.counts() == built.counts()
        assert store.get_node("HP:0001250").synonyms == ("Seizures", "Fits")


def test_ingest_neo4j_with_a_wrong_password_names_the_setting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    connection = require_neo4j()
    EmbeddedStore.write(contract_graph(), tmp_path / "stores" / "demo")
    monkeypatch.setenv("KGDECIDE_NEO4J_PASSWORD", "not-the-password")
    result = CliRunner().invoke(
        main, ["--home", str(tmp_path), "ingest", "neo4j", connection.uri, "--from-store", "demo"])
    assert result.exit_code == 1
    assert "KGDECIDE_NEO4J_PASSWORD" in result.output and "Traceback" not in result.output


def test_ingest_neo4j_needs_a_uri(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--home", str(tmp_path), "ingest", "neo4j", "not-a-uri"])
    assert result.exit_code == 2 and "bolt://" in result.output


def test_the_app_serves_from_a_bolt_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kgdecide serve --store bolt://…` path: the app opens the store by URI and answers graph
    reads and a decision from Neo4j."""
    from kgdecide.link import LinkerConfig
    from kgdecide.settings import Settings
    from kgdecide.web import create_app

    connection, built, _ = _ingest_demo(tmp_path, monkeypatch)
    app = create_app({"SETTINGS": Settings(tmp_path), "STORE": connection.uri, "TESTING": True,
                      "LINKER_CONFIG": LinkerConfig(multilingual=False), "FINANCE": False,
                      "WTF_CSRF_ENABLED": True})
    served = app.extensions["kgdecide"].engine.store
    try:
        assert served.__class__.__name__ == "Neo4jStore"
        client = app.test_client()
        health = client.get("/api/v1/healthz").get_json()
        assert (health["nodes"], health["edges"]) == (built.counts().nodes, built.counts().edges)
        key = {"X-API-Key": app.extensions["kgdecide"].keys.create("admin", "t")[1]}
        node = client.get("/api/v1/nodes/HP:0001250", headers=key).get_json()
        assert node["label"] == "Seizure"
        decision = client.post("/api/v1/decide", headers=key,
                               json={"findings": [{"id": "HP:0001250"}], "scorer": "lr"}).get_json()
        assert decision["candidates"][0]["id"] in {"OMIM:100100", "ORPHA:300"}
        # The clinician form: sign in, the page, then its POST with the page's CSRF token.
        app.extensions["kgdecide"].users.create("ada", "clinician", "a long test password")
        form = client.get("/sign-in").get_data(as_text=True)
        signed = client.post("/sign-in", data={
            "username": "ada", "password": "a long test password",
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)})  # type: ignore[union-attr]
        assert signed.status_code == 303
        page = client.get("/").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        answered = client.post("/ui/decide", json={"text": "Seizures since 3 months."},
                               headers={"X-CSRFToken": token})
        assert answered.status_code == 200, answered.get_data(as_text=True)
        assert answered.get_json()["candidates"][0]["id"] in {"OMIM:100100", "ORPHA:300"}
    finally:
        served.close()  # the app keeps its store for its lifetime; a test app ends here
