"""API keys: hashed at rest, roles enforced, revocation, rate limits with Retry-After, the CLI."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from kgdecide.settings import Settings
from kgdecide.web.auth import KeyStore, RateLimiter
from kgdecide.web.commands import keys as keys_command
from tests.web.conftest import auth


def test_missing_and_unknown_keys_are_401(client: FlaskClient) -> None:
    response = client.get("/api/v1/nodes/HP:0001250")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "missing_key"
    response = client.get("/api/v1/nodes/HP:0001250", headers=auth("kgd_00000000_guess"))
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "invalid_key"


@pytest.mark.parametrize(("role", "method", "url", "allowed"), [
    ("explorer", "get", "/api/v1/nodes/HP:0001250", True),
    ("explorer", "post", "/api/v1/link", False),
    ("clinician", "get", "/api/v1/nodes/HP:0001250", False),
    ("clinician", "post", "/api/v1/link", True),
    ("clinician", "post", "/api/v1/rank", False),
    ("analyst", "post", "/api/v1/rank", True),
    ("analyst", "get", "/api/v1/paths?source=HP:0001250&target=HP:0000118", True),
    ("admin", "post", "/api/v1/link", True),
])
def test_roles(client: FlaskClient, keys: dict[str, str], role: str, method: str, url: str,
               allowed: bool) -> None:
    body = {"text": "Seizures"} if url.endswith("/link") else \
        {"cases": [{"id": "a", "findings": [{"id": "HP:0001250"}]}]}
    kwargs = {"json": body} if method == "post" else {}
    response = getattr(client, method)(url, headers=auth(keys[role]), **kwargs)
    if allowed:
        assert response.status_code == 200, response.get_json()
    else:
        assert response.status_code == 403
        assert role in response.get_json()["error"]["message"]


def test_keys_are_stored_hashed_and_revocable(app: Flask, client: FlaskClient,
                                              keys: dict[str, str]) -> None:
    store: KeyStore = app.extensions["kgdecide"].keys
    raw = store.path.read_bytes() + (store.path.with_name(store.path.name + "-wal").read_bytes()
                                     if store.path.with_name(store.path.name + "-wal").exists() else b"")
    for secret in keys.values():
        assert secret.split("_", 2)[2].encode() not in raw
    key_id = keys["explorer"].split("_")[1]
    assert client.get("/api/v1/nodes/HP:0001250", headers=auth(keys["explorer"])).status_code == 200
    assert store.revoke(key_id) and not store.revoke(key_id)
    assert client.get("/api/v1/nodes/HP:0001250", headers=auth(keys["explorer"])).status_code == 401
    tampered = keys["admin"][:-1] + ("A" if keys["admin"][-1] != "A" else "B")
    assert store.verify(tampered) is None


def test_rate_limit_answers_429_with_retry_after(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(RATE_LIMIT_PER_MINUTE=3)
    client = app.test_client()
    _, secret = app.extensions["kgdecide"].keys.create("explorer")
    _, other = app.extensions["kgdecide"].keys.create("explorer")
    statuses = [client.get("/api/v1/nodes/HP:0001250", headers=auth(secret)).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/nodes/HP:0001250", headers=auth(secret))
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 20
    assert limited.get_json()["error"]["code"] == "rate_limited"
    # limits are per key
    assert client.get("/api/v1/nodes/HP:0001250", headers=auth(other)).status_code == 200


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, clock=lambda: now[0])
    assert all(limiter.acquire("k") == 0 for _ in range(60))
    assert limiter.acquire("k") == 1
    now[0] += 1.0
    assert limiter.acquire("k") == 0 and limiter.acquire("k") == 1
    assert RateLimiter(per_minute=0).acquire("k") == 0  # 0 turns limiting off


def test_keys_cli_creates_lists_and_revokes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(tmp_path)
    runner = CliRunner()
    created = runner.invoke(keys_command, ["create", "--role", "analyst", "--name", "notebook"],
                            obj=settings)
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    key_id = secret.split("_")[1]
    assert KeyStore.open(tmp_path / "keys.sqlite3").verify(secret).role == "analyst"  # type: ignore[union-attr]
    listed = runner.invoke(keys_command, ["list"], obj=settings)
    assert key_id in listed.output and "analyst" in listed.output and secret not in listed.output
    assert runner.invoke(keys_command, ["revoke", key_id], obj=settings).exit_code == 0
    assert KeyStore.open(tmp_path / "keys.sqlite3").verify(secret) is None
    again = runner.invoke(keys_command, ["revoke", key_id], obj=settings)
    assert again.exit_code != 0 and "no valid key" in again.output
    bad = runner.invoke(keys_command, ["create", "--role", "root"], obj=settings)
    assert bad.exit_code != 0


def test_key_database_rows_hold_no_secret(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = KeyStore.open(tmp_path / "k.sqlite3")
    _, secret = store.create("admin")
    rows = sqlite3.connect(tmp_path / "k.sqlite3").execute("SELECT * FROM api_keys").fetchall()
    assert all(secret not in str(value) for row in rows for value in row)
