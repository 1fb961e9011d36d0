"""Fixtures for the attack suite: a graph whose labels, synonyms and edge provenance carry
script payloads, apps over it with a key and a signed-in user per role, and a local listener
that records every connection made to it (a SERVICE query must never reach it)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder
from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.settings import Settings
from kgdecide.web import create_app
from tests.web.doubles import CountingDecider

ROLES = ("clinician", "analyst", "explorer", "admin")
PASSWORD = "security suite password"

#: Script payloads put into the graph's text: each must show as text and never run.
XSS_LABEL = '<img src=x onerror="window.__xss=1">Tonic seizure'
XSS_SYNONYM = '"><svg onload="window.__xss=2">'
XSS_DISEASE = "<script>window.__xss=3</script>Payload disease"
XSS_EVIDENCE = '<b onmouseover="window.__xss=4">TAS</b>'
JS_URL = "javascript:window.__xss=5"
JS_URL_MIXED_CASE = " JaVaScRiPt:window.__xss=6"
DATA_URL = "data:text/html,<script>window.__xss=7</script>"
SAFE_URL = "https://pubmed.ncbi.nlm.nih.gov/1/"
XSS_ID = "XSS:<img/src=x/onerror=window.__xss=8>"


def payload_graph(odd_id: bool = True) -> ArrayGraph:
    """Seizure and a disease annotated with it, every text field an attack; ``odd_id=False``
    leaves out the node whose id is a payload (no IRI can carry it into an RDF store)."""
    b = GraphBuilder("payloads", "v1")
    b.add_node("HP:0001250", "PhenotypicFeature", "Seizure", ["Seizures"])
    b.add_node("HP:0011097", "PhenotypicFeature", XSS_LABEL, [XSS_SYNONYM, "Tonic fits"],
               {"url": JS_URL, "see_also": (DATA_URL, SAFE_URL)})
    b.add_node("OMIM:666666", "Disease", XSS_DISEASE, [XSS_SYNONYM])
    if odd_id:
        b.add_node(XSS_ID, "Disease", "Odd id disease")
    b.add_edge("HP:0011097", "is_a", "HP:0001250")
    b.add_edge("OMIM:666666", "has_phenotype", "HP:0011097",
               {"evidence": XSS_EVIDENCE, "source": JS_URL_MIXED_CASE,
                "publications": (JS_URL, SAFE_URL, "PMID:1")})
    b.add_edge("OMIM:666666", "has_phenotype", "HP:0001250", {"evidence": "PCS"})
    if odd_id:
        b.add_edge(XSS_ID, "has_phenotype", "HP:0001250", {"source": DATA_URL})
    return b.build()


@pytest.fixture(scope="session")
def payload_store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    path = tmp_path_factory.mktemp("payload-store")
    EmbeddedStore.write(payload_graph(), path)
    return EmbeddedStore.from_path(path)


def linker_config() -> Any:
    from kgdecide.link import LinkerConfig

    return LinkerConfig(multilingual=False)


@pytest.fixture
def make_app(tmp_path: Path, payload_store: EmbeddedStore) -> Callable[..., Flask]:
    def make(**overrides: Any) -> Flask:
        store = overrides.pop("STORE", payload_store)
        config: dict[str, Any] = {"SETTINGS": Settings(tmp_path / "home"), "STORE": store,
                                  "TESTING": True, "LINKER_CONFIG": linker_config(),
                                  "WTF_CSRF_ENABLED": False, "RATE_LIMIT_PER_MINUTE": 0,
                                  "SIGN_IN_ATTEMPTS_PER_MINUTE": 0, "DECIDE": CountingDecider(store)}
        config.update(overrides)
        return create_app(config)
    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def keys(app: Flask) -> dict[str, str]:
    store = app.extensions["kgdecide"].keys
    return {role: store.create(role, f"security {role}")[1] for role in ROLES}


def sign_in(app: Flask, role: str, name: str | None = None) -> FlaskClient:
    """A new client signed in as a new user of ``role``."""
    name = name or f"sec-{role}"
    app.extensions["kgdecide"].users.create(name, role, PASSWORD)
    client = app.test_client()
    response = client.post("/sign-in", data={"username": name, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


@pytest.fixture
def users(app: Flask) -> dict[str, FlaskClient]:
    """A signed-in client per role."""
    return {role: sign_in(app, role) for role in ROLES}


class Listener:
    """A TCP server on 127.0.0.1 that answers any request with a marker text and counts the
    connections it accepts."""

    MARKER = "UPSTREAM-SECRET-7f3a"

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sparql"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(65536)
                    body = self.MARKER.encode()
                    conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain"
                                 b"\r\nContent-Length: " + str(len(body)).encode() +
                                 b"\r\nConnection: close\r\n\r\n" + body)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()
