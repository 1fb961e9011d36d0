"""Every role against every route: the permission each route enforces is the one it declares,
the one the OpenAPI document states and the one docs/SECURITY.md lists. The test writes the
role x route table into docs/SECURITY.md and fails when the table there was different."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kgdecide.web.auth import ROLES
from kgdecide.web.routes import API_PREFIX, KEY, Route, app_routes
from tests.security.conftest import sign_in

DOC = Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md"
START, END = "<!-- role-route-table:start -->", "<!-- role-route-table:end -->"
WHO = ("anonymous", *ROLES)


def _url(route: Route, decision_id: str) -> str:
    url = re.sub(r"<path:\w+>", "HP:0001250", route.path)
    return re.sub(r"<\w+>", decision_id, url)


def _allowed(route: Route, response: object) -> bool:
    status = response.status_code  # type: ignore[attr-defined]
    if status in (401, 403):
        return False
    # a page sends a visitor who may not see it to the sign-in form, asking to come back
    return not (status == 303 and "/sign-in?next=" in response.headers.get("Location", ""))  # type: ignore[attr-defined]


def _probe(app: Flask, route: Route, who: str, keys: dict[str, str], decision_id: str,
           users: dict[str, FlaskClient]) -> bool:
    """Whether ``who`` gets past the route's check (a 400 for the empty body counts as past)."""
    if route.auth == KEY:
        client: FlaskClient = app.test_client()
        headers = {} if who == "anonymous" else {"X-API-Key": keys[who]}
    else:
        client = users[who]
        if route.name == "signOut" and who != "anonymous":  # must not sign the shared one out
            client = sign_in(app, who, f"{who}-leaving")
        headers = {}
    kwargs = {"json": {}} if route.method == "POST" and route.form is None else {}
    response = client.open(_url(route, decision_id), method=route.method, headers=headers, **kwargs)
    assert response.status_code < 500 or response.status_code == 503, \
        (route.path, who, response.get_data(as_text=True))
    return _allowed(route, response)


def _matrix(app: Flask, only_public_if: bool = False) -> list[tuple[Route, dict[str, bool]]]:
    keys = {role: app.extensions["kgdecide"].keys.create(role, role)[1] for role in ROLES}
    users = {"anonymous": app.test_client(), **{role: sign_in(app, role) for role in ROLES}}
    decided = app.test_client().post("/api/v1/decide", json={"findings": [{"id": "HP:0001250"}]},
                                     headers={"X-API-Key": keys["admin"]})
    decision_id = decided.get_json()["id"]
    return [(route, {who: _probe(app, route, who, keys, decision_id, users) for who in WHO})
            for route in app_routes(app) if route.public_if is not None or not only_public_if]


def _expected(route: Route, permission: str | None, who: str) -> bool:
    if permission is None:
        return True
    return who != "anonymous" and permission in ROLES[who]


@pytest.fixture
def restricted_app(make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    return make_app(PUBLIC_METRICS=False, KEYS_DB=tmp_path / "restricted-keys.sqlite3",
                    AUDIT_DB=tmp_path / "restricted-audit.sqlite3")


def test_every_url_rule_is_declared(app: Flask) -> None:
    declared = {(r.method, r.path) for r in app_routes(app)}
    served = {(m, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
              for m in rule.methods - {"HEAD", "OPTIONS"}}  # type: ignore[operator]
    assert served == declared


def test_openapi_states_the_declared_permission(app: Flask, restricted_app: Flask) -> None:
    for current in (app, restricted_app):
        document = current.test_client().get("/api/v1/openapi.json").get_json()
        for route in app_routes(current):
            if not route.path.startswith(API_PREFIX + "/"):
                continue
            operation = document["paths"][route.openapi_path][route.method.lower()]
            permission = route.permission_in(current.config)
            assert operation["x-permission"] == permission, route.path
            assert operation.get("x-roles", []) == \
                [r for r in ROLES if permission is not None and permission in ROLES[r]]


def test_enforced_permissions_are_declared_and_documented(app: Flask,
                                                          restricted_app: Flask) -> None:
    rows = []
    for current, note in ((app, ""), (restricted_app, " (KGDECIDE_PUBLIC_METRICS=0)")):
        for route, allowed in _matrix(current, only_public_if=bool(note)):
            permission = route.permission_in(current.config)
            expected = {who: _expected(route, permission, who) for who in WHO}
            assert allowed == expected, f"{route.method} {route.path}{note}: enforced {allowed}, " \
                                        f"declared {permission!r}"
            auth = "open" if permission is None else ("key" if route.auth == KEY else "sign-in")
            cells = " | ".join("yes" if allowed[w] else "–" for w in WHO)
            rows.append(f"| `{route.method} {route.path}`{note} | {auth} | "
                        f"{permission or '–'} | {cells} |")
    table = "\n".join([
        f"| route | needs | permission | {' | '.join(WHO)} |",
        "|---|---|---|" + "---|" * len(WHO),
        *sorted(rows, key=lambda r: (not r.startswith("| `GET /api") and
                                     not r.startswith("| `POST /api"), r)),
    ])
    roles = "\n".join(["| role | permissions |", "|---|---|",
                       *(f"| {role} | {', '.join(sorted(p))} |" for role, p in ROLES.items())])
    generated = f"{START}\n{roles}\n\n{table}\n{END}"
    text = DOC.read_text()
    assert START in text and END in text, f"{DOC} lacks the table markers"
    current_table = text[text.index(START):text.index(END) + len(END)]
    if current_table != generated:
        DOC.write_text(text.replace(current_table, generated))
        pytest.fail(f"{DOC.name}'s role x route table differed from the enforced permissions; "
                    "it was rewritten: review and commit it")


def test_each_page_call_takes_its_permission_and_models_from_its_api_twin(app: Flask) -> None:
    """A page's JSON call and its ``/api/v1`` twin are declared once: the call names its twin and
    takes the twin's permission and request models from that declaration."""
    routes = app_routes(app)
    api = {r.name: r for r in routes if r.path.startswith(API_PREFIX + "/")}
    calls = [r for r in routes if r.auth != KEY and not r.page and r.form is None]
    assert {r.name for r in calls} >= {"pageSearch", "pageDecide", "pageLink", "explorerSearch",
                                       "explorerNode", "explorerNeighbors", "explorerPaths"}
    for call in calls:
        twin = api[call.twin]  # type: ignore[index]
        assert (call.method, call.permission, call.query, call.body) == \
            (twin.method, twin.permission, twin.query, twin.body), call.name
        assert call.summary == f"As {twin.method} {API_PREFIX}{twin.openapi_path}."
