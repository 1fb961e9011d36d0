"""Pages need a signed-in user: sessions, cookies, back-off, rate limits per user and per
trusted client address, the users command, and a server that refuses to face a network with
nobody able to sign in."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from kgdecide.errors import ConfigError
from kgdecide.settings import Settings
from kgdecide.web.commands import users as users_command
from kgdecide.web.serve import prepare_accounts
from kgdecide.web.users import UserStore
from tests.security.conftest import PASSWORD, sign_in

PAGE_ROUTES = [("get", "/"), ("get", "/explore/"), ("get", "/ui/search?q=seiz"),
               ("post", "/ui/decide"), ("post", "/ui/link"), ("get", "/explore/search?q=seiz"),
               ("get", "/explore/nodes/HP:0001250"), ("get", "/explore/nodes/HP:0001250/neighbors"),
               ("get", "/explore/paths?source=HP:0001250&target=OMIM:666666")]


@pytest.mark.parametrize(("method", "url"), PAGE_ROUTES)
def test_pages_and_their_calls_refuse_a_visitor_who_is_not_signed_in(app: Flask, method: str,
                                                                      url: str) -> None:
    client = app.test_client()
    kwargs = {"json": {"text": "Seizures"}} if method == "post" else {}
    response = getattr(client, method)(url, **kwargs)
    if url in ("/", "/explore/"):
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/sign-in?next=")
    else:
        assert response.status_code == 401 and response.get_json()["error"]["code"] == "signed_out"
    assert "Seizure" not in response.get_data(as_text=True)


def test_session_cookie_flags_and_a_new_cookie_at_sign_in(make_app: Callable[..., Flask]) -> None:
    app = make_app(SESSION_COOKIE_SECURE=True)
    app.extensions["kgdecide"].users.create("ada", "clinician", PASSWORD)
    client = app.test_client()
    client.get("/sign-in")  # a cookie before sign-in, as an attacker could plant one
    before = client.get_cookie("kgdecide_session")
    response = client.post("/sign-in", data={"username": "ada", "password": PASSWORD})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("kgdecide_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert before is None or client.get_cookie("kgdecide_session").value != before.value


def test_sign_out_ends_the_session_on_the_server(app: Flask) -> None:
    client = sign_in(app, "clinician")
    stolen = client.get_cookie("kgdecide_session").value
    assert client.get("/ui/search?q=seiz").status_code == 200
    client.post("/sign-out")
    replay = app.test_client()
    replay.set_cookie("kgdecide_session", stolen)
    assert replay.get("/ui/search?q=seiz").status_code == 401


def test_idle_sessions_end(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    client = sign_in(app, "explorer")
    assert client.get("/explore/search?q=seiz").status_code == 200
    users = app.extensions["kgdecide"].users
    now = users._now()
    idle = app.extensions["kgdecide"].settings.session_idle_minutes * 60
    monkeypatch.setattr(users, "_clock", lambda: now + idle + 1)
    assert client.get("/explore/search?q=seiz").status_code == 401


def test_disabling_a_user_ends_their_sessions(app: Flask) -> None:
    client = sign_in(app, "explorer", "eve")
    assert app.extensions["kgdecide"].users.disable("eve")
    assert client.get("/explore/search?q=seiz").status_code == 401
    again = app.test_client().post("/sign-in", data={"username": "eve", "password": PASSWORD})
    assert again.status_code == 401


def test_failed_sign_ins_back_off_even_for_the_right_password(app: Flask) -> None:
    app.extensions["kgdecide"].users.create("bob", "clinician", PASSWORD)
    client = app.test_client()
    statuses = [client.post("/sign-in", data={"username": "bob", "password": f"guess{i}"}).status_code
                for i in range(6)]
    assert statuses == [401] * 6
    locked = client.post("/sign-in", data={"username": "bob", "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    assert "kgdecide_session" not in "".join(locked.headers.getlist("Set-Cookie")) or \
        client.get("/ui/search?q=seiz").status_code == 401
    # unknown names answer like wrong passwords: nothing tells which names exist
    unknown = client.post("/sign-in", data={"username": "nobody", "password": "x"})
    assert unknown.status_code == 401
    assert unknown.get_data(as_text=True).count("Unknown user name or wrong password") == 1


def test_sign_in_attempts_count_per_trusted_client_address(make_app: Callable[..., Flask]) -> None:
    app = make_app(SIGN_IN_ATTEMPTS_PER_MINUTE=3)
    client = app.test_client()
    attempt = {"username": "nobody", "password": "x"}
    # no proxy is trusted: X-Forwarded-For cannot buy a fresh bucket
    statuses = [client.post("/sign-in", data=attempt,
                            headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
                for i in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_a_trusted_proxy_names_the_client(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    settings = Settings(tmp_path / "proxied", trusted_proxies="127.0.0.1")
    app = make_app(SETTINGS=settings, SIGN_IN_ATTEMPTS_PER_MINUTE=2)
    client = app.test_client()
    attempt = {"username": "nobody", "password": "x"}
    def post(forwarded: str) -> int:
        return client.post("/sign-in", data=attempt, headers={"X-Forwarded-For": forwarded}).status_code
    assert [post("203.0.113.7"), post("203.0.113.7"), post("203.0.113.7")] == [401, 401, 429]
    # another client behind the same proxy has its own bucket; a spoofed left-most hop is ignored
    assert post("6.6.6.6, 198.51.100.2") == 401
    assert post("203.0.113.9, 203.0.113.7") == 429


def test_rate_limits_count_per_user(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATE_LIMIT_PER_MINUTE=2)
    first, second = sign_in(app, "explorer", "u1"), sign_in(app, "explorer", "u2")
    assert [first.get("/explore/search?q=seiz").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/explore/search?q=seiz").status_code == 200


def test_sign_in_redirects_only_to_this_site(app: Flask) -> None:
    app.extensions["kgdecide"].users.create("cy", "admin", PASSWORD)
    for target, landing in (("//evil.example/x", "/"), ("https://evil.example/", "/"),
                            ("/\\evil.example", "/"), ("/explore/?q=1", "/explore/?q=1"),
                            ("/x\r\nSet-Cookie: pwned=1", "/")):
        client = app.test_client()
        response = client.post("/sign-in", data={"username": "cy", "password": PASSWORD,
                                                 "next": target})
        assert response.status_code == 303 and response.headers["Location"] == landing
        assert "pwned" not in str(response.headers)


def test_users_command_creates_lists_and_disables(tmp_path: Path) -> None:
    settings = Settings(tmp_path)
    runner = CliRunner()
    made = runner.invoke(users_command, ["create", "ada", "--role", "clinician", "--password-stdin"],
                         obj=settings, input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    store = UserStore.open(tmp_path / "keys.sqlite3")
    assert store.sign_in("ada", PASSWORD).user is not None
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("keys.sqlite3*"))
    assert PASSWORD.encode() not in raw and b"$argon2id$" in raw
    listed = runner.invoke(users_command, ["list"], obj=settings)
    assert "ada\tclinician" in listed.output and "enabled" in listed.output
    short = runner.invoke(users_command, ["create", "bob", "--role", "admin", "--password-stdin"],
                          obj=settings, input="short\n")
    assert short.exit_code != 0 and "at least" in short.output
    assert runner.invoke(users_command, ["disable", "ada"], obj=settings).exit_code == 0
    assert store.sign_in("ada", PASSWORD).user is None
    assert runner.invoke(users_command, ["disable", "ada"], obj=settings).exit_code != 0


def test_serve_refuses_a_network_with_nobody_to_sign_in(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "open")
    with pytest.raises(ConfigError, match="kgdecide users create NAME --role admin"):
        prepare_accounts(settings, "0.0.0.0", "http://0.0.0.0:8000/")
    assert not (tmp_path / "open" / "local-admin-password").exists()
    UserStore.open(settings.home / "keys.sqlite3").create("ops", "admin", PASSWORD)
    assert prepare_accounts(settings, "0.0.0.0", "http://0.0.0.0:8000/") is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_kgdecide_serve_on_a_network_with_nobody_to_sign_in_stops_with_the_fix(
        tmp_path: Path, host: str) -> None:
    """The command a person types: one error line saying what to do, no stack trace, and no
    server started (the store is not even opened)."""
    from kgdecide.cli import main

    result = CliRunner().invoke(main, ["--home", str(tmp_path / "h"), "serve", "--host", host,
                                       "--store", str(tmp_path / "no-store-here")])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
    assert f"--host {host}" in result.output and "kgdecide users create" in result.output


def test_loopback_first_start_makes_a_local_admin(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "local")
    notice = prepare_accounts(settings, "127.0.0.1", "http://127.0.0.1:5000/")
    password = (settings.home / "local-admin-password").read_text().strip()
    assert notice is not None and password in notice and "http://127.0.0.1:5000/" in notice
    assert UserStore.open(settings.home / "keys.sqlite3").sign_in("admin", password).user is not None
    later = prepare_accounts(settings, "127.0.0.1", "http://127.0.0.1:5000/")
    assert later is not None and password not in later and "local-admin-password" in later


def test_health_and_metrics_do_not_count_the_store_per_request(make_app: Callable[..., Flask],
                                                               payload_store) -> None:  # type: ignore[no-untyped-def]
    calls = []

    class Counting:
        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(payload_store, name)

        def counts(self):  # type: ignore[no-untyped-def]
            calls.append(1)
            return payload_store.counts()

    app = make_app(STORE=Counting())
    client = app.test_client()
    started = len(calls)
    for _ in range(20):
        assert client.get("/api/v1/healthz").status_code == 200
        assert client.get("/api/v1/metrics").status_code == 200
    assert len(calls) - started <= 1


def test_metrics_can_be_restricted(make_app: Callable[..., Flask]) -> None:
    app = make_app(PUBLIC_METRICS=False)
    client = app.test_client()
    assert client.get("/api/v1/metrics").status_code == 401
    keys = app.extensions["kgdecide"].keys
    assert client.get("/api/v1/metrics", headers={"X-API-Key": keys.create("analyst")[1]}).status_code == 403
    assert client.get("/api/v1/metrics", headers={"X-API-Key": keys.create("admin")[1]}).status_code == 200
    assert re.search(r"kgdecide_graph_nodes \d+", client.get(
        "/api/v1/metrics", headers={"X-API-Key": keys.create("admin")[1]}).get_data(as_text=True))
