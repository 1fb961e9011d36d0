"""Fixtures for the web tests: a small graph on disk, apps built over it, keys for each role.

Following flask's tutorial tests (examples/tutorial/tests/conftest.py): ``app`` and ``client``
fixtures, a fresh key and audit database per test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.settings import Settings
from kgdecide.web import create_app
from kgdecide.web.decider import PipelineDecider, pipeline_available
from tests.contract.graphs import contract_graph
from tests.web.doubles import CountingDecider


@pytest.fixture(scope="session")
def graph_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web-store")
    EmbeddedStore.write(contract_graph(), path)
    return path


@pytest.fixture(scope="session")
def store(graph_dir: Path) -> EmbeddedStore:
    return EmbeddedStore.from_path(graph_dir)


def linker_config() -> Any:
    from kgdecide.link import LinkerConfig

    return LinkerConfig(multilingual=False)  # no model load in unit-speed tests


@pytest.fixture
def make_app(tmp_path: Path, store: EmbeddedStore) -> Callable[..., Flask]:
    def make(**overrides: Any) -> Flask:
        config: dict[str, Any] = {"SETTINGS": Settings(tmp_path), "STORE": store, "TESTING": True,
                                  "LINKER_CONFIG": linker_config(), "WTF_CSRF_ENABLED": False}
        config.update(overrides)
        return create_app(config)
    return make


@pytest.fixture
def app(make_app: Callable[..., Flask], store: EmbeddedStore) -> Flask:
    """The app with the stand-in decision function (web plumbing tests)."""
    return make_app(DECIDE=CountingDecider(store))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def keys(app: Flask) -> dict[str, str]:
    """A fresh key per role: ``keys["admin"]`` is the secret string."""
    store = app.extensions["kgdecide"].keys
    return {role: store.create(role, f"test {role}")[1]
            for role in ("clinician", "analyst", "explorer", "admin")}


def auth(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


@pytest.fixture
def real_decider(store: EmbeddedStore, tmp_path: Path) -> PipelineDecider:
    """The pipeline's decider on the test graph (lr: needs no trained model)."""
    if not pipeline_available():
        pytest.skip("kgdecide.pipeline is not in this build yet")
    decider = PipelineDecider.from_store(store, tmp_path, "lr")
    assert decider is not None
    return decider


PASSWORD = "correct horse battery staple"


def sign_in(app: Flask, client: FlaskClient, role: str = "admin", name: str | None = None) -> str:
    """Create a user with ``role`` and sign ``client`` in as them; returns the user name."""
    name = name or f"{role}-user"
    app.extensions["kgdecide"].users.create(name, role, PASSWORD)
    response = client.post("/sign-in", data={"username": name, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)
    return name


@pytest.fixture
def page_client(app: Flask) -> FlaskClient:
    """A client signed in to the pages as an admin user."""
    client = app.test_client()
    sign_in(app, client)
    return client
