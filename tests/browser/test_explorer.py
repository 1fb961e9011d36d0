"""The graph explorer in Chromium, against ``kgdecide serve``: what a person sees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import open_signed_in, wait_until

pytestmark = pytest.mark.browser


def _search_and_pick(page: Any, text: str, label: str) -> None:
    page.fill("#node-search", text)
    page.get_by_role("option", name=label).first.wait_for()
    page.press("#node-search", "Enter")
    page.locator("#node-details dd", has_text=label).first.wait_for()


def test_search_expand_provenance_export(page: Any, served: str, artifacts: Path) -> None:
    open_signed_in(page, served + "/explore/")
    _search_and_pick(page, "seiz", "Seizure")
    assert page.locator("#node-details").inner_text().count("HP:0001250") == 1
    # expand shows neighbours, with counts per relation in the menu
    assert "has_phenotype (2)" in page.locator("#expand-relation option").all_inner_texts()
    page.click("#expand")
    wait_until(page, "window.kgExplorer.cy.nodes().length == 4")
    page.click("#visible-list summary")
    listed = page.locator("#edge-list").inner_text()
    assert "Epileptic encephalopathy A —has_phenotype→ Seizure" in listed
    assert "Rare thing C —lacks_phenotype→ Seizure" in listed

    # click the edge on the canvas: its provenance appears. A deterministic circle layout first,
    # so that no node happens to lie on the edge's midpoint (cose is randomised).
    point = page.evaluate("""() => {
        window.kgExplorer.cy.layout({name: 'circle', animate: false, padding: 60}).run();
        const e = window.kgExplorer.cy.getElementById('OMIM:100100|has_phenotype|HP:0001250');
        const box = document.getElementById('cy').getBoundingClientRect();
        const m = e.renderedMidpoint();
        return {x: box.left + m.x, y: box.top + m.y};
    }""")
    page.mouse.click(point["x"], point["y"])
    provenance = page.locator("#provenance")
    provenance.wait_for()
    text = provenance.inner_text()
    assert "PCS" in text and "PMID:1, PMID:2" in text and "Epileptic encephalopathy A" in text
    page.screenshot(path=str(artifacts / "explorer.png"))

    with page.expect_download() as download_info:
        page.click("#export-json")
    exported = json.loads(Path(download_info.value.path()).read_text())
    assert {"HP:0001250", "OMIM:100100", "ORPHA:300"} <= {n["id"] for n in exported["nodes"]}
    edge = next(e for e in exported["edges"] if e["subject"] == "OMIM:100100"
                and e["object"] == "HP:0001250")
    assert edge["properties"]["publications"] == ["PMID:1", "PMID:2"]
    with page.expect_download() as download_info:
        page.click("#export-png")
    assert Path(download_info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not page.problems, page.problems  # no script error, no CSP violation


def test_filter_by_type_and_shortest_path(page: Any, served: str) -> None:
    open_signed_in(page, served + "/explore/")
    _search_and_pick(page, "seiz", "Seizure")
    page.click("#set-source")
    _search_and_pick(page, "gene1", "GENE1")
    page.click("#set-target")
    page.fill("#max-hops", "3")
    page.click("#find-paths")
    page.locator("#path-status", has_text="shortest path").wait_for()
    assert "2 hop" in page.locator("#path-status").inner_text()
    highlighted = page.evaluate("window.kgExplorer.cy.nodes('.path').map(n => n.id()).sort()")
    assert highlighted == ["HP:0001250", "NCBIGene:1", "OMIM:100100"]
    # hide diseases: their edges leave the visible list
    page.get_by_label("Disease (1)").uncheck()
    assert page.evaluate("window.kgExplorer.cy.getElementById('OMIM:100100').visible()") is False
    with page.expect_download() as download_info:
        page.click("#export-json")
    exported = json.loads(Path(download_info.value.path()).read_text())
    assert "OMIM:100100" not in {n["id"] for n in exported["nodes"]}
    assert not page.problems, page.problems
