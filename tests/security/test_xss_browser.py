"""Script payloads in node labels, synonyms, ids and edge provenance (javascript: and data: URLs
included) render as text in Chromium: nothing runs, no console error, no link to an unsafe
scheme; ``el()`` refuses unsafe URL schemes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.settings import Settings
from tests.browser.conftest import CREDENTIALS, PASSWORD, thread_server, open_signed_in, wait_until
from tests.security.conftest import (
    DATA_URL,
    JS_URL,
    JS_URL_MIXED_CASE,
    SAFE_URL,
    XSS_DISEASE,
    XSS_EVIDENCE,
    XSS_LABEL,
    XSS_SYNONYM,
    payload_graph,
)

pytestmark = pytest.mark.browser

#: Nothing a payload could have done leaves a trace: no flag, no dialog, no element it built.
TRACES = """() => ({
    flag: window.__xss === undefined ? null : window.__xss,
    built: document.querySelectorAll('#main img, #main svg, #main script, #main iframe').length,
    unsafeLinks: [...document.querySelectorAll('[href], [src], [action]')]
        .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action'))
        .filter(v => !/^(https?:|\\/|#|data:,$)/i.test(v.trim()) && !v.startsWith('blob:')),
})"""


@pytest.fixture(scope="module")
def payload_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from kgdecide.link import LinkerConfig
    from kgdecide.web import create_app
    from tests.web.doubles import CountingDecider

    path = tmp_path_factory.mktemp("xss-store")
    EmbeddedStore.write(payload_graph(), path)
    store = EmbeddedStore.from_path(path)
    app = create_app({"SETTINGS": Settings(tmp_path_factory.mktemp("xss-home")), "STORE": store,
                      "DECIDE": CountingDecider(store),
                      "LINKER_CONFIG": LinkerConfig(multilingual=False)})
    for url in thread_server(app):
        app.extensions["kgdecide"].users.create("analyst", "analyst", PASSWORD)
        CREDENTIALS[url] = ("analyst", PASSWORD)
        yield url


def _no_traces(page: Any, dialogs: list[str]) -> None:
    traces = page.evaluate(TRACES)
    assert traces == {"flag": None, "built": 0, "unsafeLinks": []}, traces
    assert not dialogs, dialogs
    assert not page.problems, page.problems  # no script error, no CSP violation


def test_explorer_shows_payloads_as_text(page: Any, payload_server: str, artifacts: Path) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_signed_in(page, payload_server + "/explore/")
    page.fill("#node-search", "tonic")
    page.get_by_role("option").first.wait_for()
    assert XSS_LABEL in page.locator("#node-suggestions").inner_text()
    page.press("#node-search", "Enter")
    details = page.locator("#node-details")
    details.locator("dd", has_text="Tonic seizure").first.wait_for()
    text = details.inner_text()
    assert XSS_LABEL in text and XSS_SYNONYM in text and JS_URL in text and DATA_URL in text
    assert details.locator(f'a[href="{SAFE_URL}"]').count() == 1  # a safe URL is a link
    page.click("#expand")
    wait_until(page, "window.kgExplorer.cy.nodes().length >= 3")
    page.click("#visible-list summary")
    assert XSS_DISEASE in page.locator("#edge-list").inner_text()
    # the edge's provenance, opened from the list (its button), shows every payload as text
    page.locator("#edge-list li", has_text=XSS_DISEASE).get_by_role("button").first.click()
    provenance = page.locator("#provenance")
    provenance.wait_for()
    shown = provenance.inner_text()
    assert JS_URL_MIXED_CASE.strip() in shown and JS_URL in shown and XSS_EVIDENCE in shown
    assert provenance.locator("a").evaluate_all("links => links.map(a => a.href)") == [SAFE_URL]
    # the node whose id is itself a payload
    page.fill("#node-search", "odd id")
    page.get_by_role("option").first.wait_for()
    page.press("#node-search", "Enter")
    details.locator("dd", has_text="Odd id disease").first.wait_for()
    page.hover("#node-details")
    page.screenshot(path=str(artifacts / "xss-explorer.png"))
    _no_traces(page, dialogs)


def test_clinician_page_shows_payloads_as_text(page: Any, payload_server: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_signed_in(page, payload_server + "/")
    page.fill("#finding-search", "tonic")
    page.get_by_role("option").first.wait_for()
    page.press("#finding-search", "Enter")
    page.locator("#chips .chip").first.wait_for()
    assert XSS_LABEL in page.locator("#chips").inner_text()
    page.get_by_role("button", name="Rank diagnoses").click()
    top = page.locator("#candidates > li").first
    top.wait_for()
    assert XSS_DISEASE in top.inner_text()
    _no_traces(page, dialogs)


def test_el_refuses_unsafe_url_schemes(page: Any, payload_server: str) -> None:
    open_signed_in(page, payload_server + "/explore/")
    kept = page.evaluate("""() => {
        const href = (v) => window.kg.el('a', {href: v}).getAttribute('href');
        const src = (v) => window.kg.el('img', {src: v}).getAttribute('src');
        return {
            js: href('javascript:alert(1)'), mixed: href(' JaVaScRiPt:alert(1)'),
            tabbed: href('java\\tscript:alert(1)'), vb: href('vbscript:msgbox(1)'),
            data: href('data:text/html,<script>alert(1)</script>'), dataImg: src('data:image/svg+xml,x'),
            https: href('https://example.org/a'), relative: href('/explore/'),
            mail: href('mailto:a@example.org'),
            text: window.kg.linkOrText('javascript:alert(1)').nodeType,
        };
    }""")
    assert kept == {"js": None, "mixed": None, "tabbed": None, "vb": None, "data": None,
                    "dataImg": None, "https": "https://example.org/a", "relative": "/explore/",
                    "mail": "mailto:a@example.org", "text": 3}
    assert not page.problems, page.problems
