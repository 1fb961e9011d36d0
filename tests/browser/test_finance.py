"""The analyst page (``/finance/``) in Chromium, against the app serving the fixture finance graph
(data/fixtures/finance) and, for the page without data, an app with no finance graph."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kgdecide.graph.embedded import EmbeddedStore
from kgdecide.settings import Settings
from tests.browser.conftest import open_signed_in, thread_server, wait_until

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "fixtures" / "finance"


def _serve(browser_graph: Path, home: Path, finance: Any) -> Iterator[str]:
    from kgdecide.link import LinkerConfig
    from kgdecide.web import create_app

    app = create_app({"SETTINGS": Settings(home), "STORE": EmbeddedStore.from_path(browser_graph),
                      "FINANCE_STORE": finance, "DECIDE": None,
                      "LINKER_CONFIG": LinkerConfig(multilingual=False)})
    yield from thread_server(app, "ana", "analyst")


@pytest.fixture(scope="module")
def finance_server(browser_graph: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from kgdecide.packs.finance.build import FinanceSources, build_finance_graph

    graph = build_finance_graph(FinanceSources(FIXTURES / "findkg", FIXTURES / "us-stock-symbols",
                                               FIXTURES / "sec-form13", indices=False))
    store = EmbeddedStore.write(graph, tmp_path_factory.mktemp("finance-store"))
    yield from _serve(browser_graph, tmp_path_factory.mktemp("home"), store)


HOSTILE = '<img src=x onerror="window.pwned=1">Trade Talks'


@pytest.fixture(scope="module")
def hostile_server(browser_graph: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The fixture finance graph with an entity whose name is markup."""
    import shutil

    from kgdecide.packs.finance.build import FinanceSources, build_finance_graph

    findkg = tmp_path_factory.mktemp("findkg")
    for f in (FIXTURES / "findkg").iterdir():
        shutil.copy(f, findkg / f.name)
    entities = (findkg / "entity2id.txt").read_text().replace("Trade Talks\t", HOSTILE + "\t")
    (findkg / "entity2id.txt").write_text(entities)
    graph = build_finance_graph(FinanceSources(findkg, FIXTURES / "us-stock-symbols",
                                               FIXTURES / "sec-form13", indices=False))
    store = EmbeddedStore.write(graph, tmp_path_factory.mktemp("hostile-store"))
    yield from _serve(browser_graph, tmp_path_factory.mktemp("home"), store)


@pytest.fixture(scope="module")
def no_finance_server(browser_graph: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("home")
    yield from _serve(browser_graph, home, str(home / "no-finance-here"))


def _percent(x: float) -> str:
    """As the page writes a share."""
    if x <= 0:
        return "0%"
    return "< 0.1%" if x < 0.001 else f"{100 * x:.1f}%"


def _pick_event(page: Any, text: str, label: str) -> None:
    page.fill("#event", text)
    page.get_by_role("option", name=label).first.wait_for()
    page.press("#event", "Enter")


def test_a_csv_portfolio_is_ranked_with_shares_percentiles_and_dated_paths(
        page: Any, finance_server: str, artifacts: Path) -> None:
    open_signed_in(page, finance_server + "/finance/")
    assert page.locator("nav a[aria-current=page]").inner_text() == "Analyst"
    csv = b'ticker,weight\nACME,0.5\n"GLBX",0.3\nNOPE,0.2\n'
    page.set_input_files("#csv", files=[{"name": "book.csv", "mimeType": "text/csv", "buffer": csv}])
    page.locator("#parsed", has_text="Read 3 holdings from book.csv").wait_for()
    assert page.input_value("#holdings") == "ACME, 0.5\nGLBX, 0.3\nNOPE, 0.2"
    _pick_event(page, "Virus", "Virus Outbreak")
    assert page.input_value("#event") == "Virus Outbreak"
    page.fill("#as-of", "2018-02-12")
    with page.expect_request("**/finance/exposure") as asked, \
            page.expect_response("**/finance/exposure") as answered:
        page.click("#rank")
    assert asked.value.post_data_json["event"] == "FINDKG:0"  # the chosen entity, by its id
    result = answered.value.json()["results"][0]["result"]
    rows = page.locator("#exposure-rows tr")
    rows.first.wait_for()
    assert rows.count() == len(result["holdings"]) == 2
    for row, holding in zip(rows.all(), result["holdings"], strict=True):
        cells = row.locator("td").all_inner_texts()
        assert holding["company"]["label"] in cells[1]
        assert cells[3].strip().endswith(_percent(holding["share"]))
        assert cells[4] == (f"{holding['percentile']:.1f}" if holding["exposure"] > 0 else "not reached")
    shown = page.locator(".results-panel").inner_text()
    assert "e-0" not in shown and str(result["holdings"][0]["exposure"]) not in shown  # no raw scores
    assert "NOPE" in page.locator("#unresolved").inner_text()

    page.locator("#exposure-rows tr").first.locator("button.show-paths").click()
    page.locator("#paths-section").wait_for()
    first = result["holdings"][0]
    step = first["paths"][0]["steps"][0]
    table = page.locator("#path-rows").inner_text()
    assert step["valid_from"] in table
    nodes = {n["id"] for p in first["paths"] for n in p["nodes"]}
    wait_until(page, f"window.kgFinance.graph().nodes().length == {len(nodes)}")

    page.locator("#related li").first.wait_for()
    assert "Loading" not in page.locator("#related").inner_text()
    page.locator("#predicted-heading", has_text="week of").wait_for()
    predicted = page.locator("#predicted").inner_text()
    assert "prediction" in predicted or "No link" in predicted or "no new link" in predicted
    page.screenshot(path=str(artifacts / "analyst.png"), full_page=True)
    assert page.problems == []  # type: ignore[attr-defined]


def test_a_bad_weight_is_named_by_line_and_nothing_is_sent(page: Any, finance_server: str) -> None:
    open_signed_in(page, finance_server + "/finance/")
    page.fill("#holdings", "ACME, 0.5\nGLBX, half")
    page.fill("#event", "Virus Outbreak")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/finance/exposure" in r.url else None)
    page.click("#rank")
    message = page.locator("#message")
    message.wait_for()
    assert 'line 2: the weight "half" of GLBX is not a number' in message.inner_text()
    assert sent == []


def test_an_unknown_event_is_named(page: Any, finance_server: str) -> None:
    open_signed_in(page, finance_server + "/finance/")
    page.fill("#holdings", "ACME")
    page.fill("#event", "Umbrella Corp")
    page.fill("#as-of", "2018-02-12")
    page.click("#rank")
    message = page.locator("#message")
    message.wait_for()
    assert "Umbrella Corp" in message.inner_text() and "(event)" in message.inner_text()


def test_without_a_finance_graph_the_page_says_how_to_build_it(page: Any, no_finance_server: str) -> None:
    open_signed_in(page, no_finance_server + "/finance/")
    heading = page.locator("#no-graph-heading")
    heading.wait_for()
    assert "kgdecide build finance --findkg PATH" in page.locator("#build-command").inner_text()
    assert "KGDECIDE_FINDKG" in page.locator("#no-graph").inner_text()
    assert page.locator("#exposure-form").count() == 0
    assert page.problems == []  # type: ignore[attr-defined]


def test_names_from_the_graph_are_shown_as_text_never_run(page: Any, hostile_server: str) -> None:
    open_signed_in(page, hostile_server + "/finance/")
    page.fill("#event", "<img")
    option = page.get_by_role("option").first
    option.wait_for()
    assert HOSTILE in option.inner_text()  # the markup, as text
    page.press("#event", "Enter")
    page.fill("#holdings", "ACME\nGLBX")
    page.fill("#as-of", "2018-03-12")
    page.click("#rank")
    page.locator("#predicted-heading", has_text="week of").wait_for()
    page.locator("#related li").first.wait_for()
    assert HOSTILE in page.locator("#summary").inner_text()
    assert page.evaluate("() => window.pwned === undefined")
    assert page.locator(".results-panel img").count() == 0
