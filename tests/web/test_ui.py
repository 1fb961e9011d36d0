"""The HTML pages: served with a strict CSP and no inline code, CSRF on the page's POSTs, the
explorer read-only by construction, the front-end libraries vendored (no CDN)."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask

from tests.web.conftest import PASSWORD, sign_in
from tests.web.doubles import CountingDecider

WEB = Path(__file__).resolve().parents[2] / "kgdecide" / "web"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        if self.tags and self.tags[-1][0] == "script" and data.strip():
            self.inline_script = True


@pytest.mark.parametrize("path", ["/", "/explore/", "/sign-in"])
def test_pages_have_strict_csp_and_no_inline_code(page_client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = page_client.get(path)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    parser = _Tags()
    parser.feed(response.get_data(as_text=True))
    assert not parser.inline_script
    for tag, attrs in parser.tags:
        assert "style" not in attrs, tag
        assert not any(name.startswith("on") for name in attrs), tag
        for attr in ("src", "href"):
            value = attrs.get(attr) or ""
            assert not re.match(r"(https?:)?//", value), f"{tag} loads {value} from elsewhere"
    labels = {a.get("for") for t, a in parser.tags if t == "label"}
    fields = [a for t, a in parser.tags if t in ("input", "select", "textarea")
              and a.get("type") not in ("checkbox", "hidden")]
    assert fields and all(f.get("id") in labels or f.get("aria-label") for f in fields)


def test_clinician_page_says_when_ranking_is_off(make_app: Callable[..., Flask], store) -> None:  # type: ignore[no-untyped-def]
    for decider, says in ((None, True), (CountingDecider(store), False)):
        app = make_app(DECIDE=decider)
        client = app.test_client()
        sign_in(app, client, name=f"admin-{says}")
        page = client.get("/").get_data(as_text=True)
        assert ("scorer not available in this build" in page) is says


def test_page_posts_need_the_csrf_token(make_app: Callable[..., Flask], store) -> None:  # type: ignore[no-untyped-def]
    app = make_app(DECIDE=CountingDecider(store), WTF_CSRF_ENABLED=True)
    client = app.test_client()
    app.extensions["kgdecide"].users.create("ada", "clinician", PASSWORD)
    form = {"username": "ada", "password": PASSWORD}
    # the sign-in form itself carries a token (no signing a victim in to an attacker's account)
    assert client.post("/sign-in", data=form).status_code == 400
    sign_in_page = client.get("/sign-in").get_data(as_text=True)
    form["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', sign_in_page).group(1)  # type: ignore[union-attr]
    assert client.post("/sign-in", data=form).status_code == 303
    body = {"findings": [{"id": "HP:0001250"}]}
    refused = client.post("/ui/decide", json=body)
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    accepted = client.post("/ui/decide", json=body, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200 and accepted.get_json()["candidates"]
    # the API authenticates by key, not by cookie: no CSRF token needed there
    _, secret = app.extensions["kgdecide"].keys.create("clinician")
    assert client.post("/api/v1/decide", json=body, headers={"X-API-Key": secret}).status_code == 200


def test_explorer_is_read_only_by_construction(app: Flask) -> None:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("explore.")]
    assert len(rules) >= 5
    assert all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)  # type: ignore[operator]


def test_explorer_reads_need_a_signed_in_user(client, app) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/explore/search?q=seiz").status_code == 401
    assert client.get("/explore/").headers["Location"].startswith("/sign-in?next=/explore/")
    sign_in(app, client, "explorer")
    assert client.get("/explore/search?q=seiz").get_json()["items"][0]["id"] == "HP:0001250"
    body = client.get("/explore/nodes/OMIM:100100/neighbors?direction=out").get_json()
    assert body["counts"] == {"has_phenotype": 2}
    assert client.post("/explore/search?q=seiz").status_code == 405


def test_cytoscape_is_vendored_with_its_licence(client) -> None:  # type: ignore[no-untyped-def]
    vendor = WEB / "static" / "vendor" / "cytoscape"
    assert "MIT" in (vendor / "LICENSE").read_text() or "Permission is hereby granted" in (vendor / "LICENSE").read_text()
    response = client.get("/static/vendor/cytoscape/cytoscape.min.js", buffered=True)
    assert response.status_code == 200 and b"Cytoscape Consortium" in response.data[:400]
