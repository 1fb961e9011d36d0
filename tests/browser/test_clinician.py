"""The clinician page in Chromium: findings in, differential out, re-ranked as findings change.

Re-ranking runs on the stand-in decision function (tests/web/doubles.py), whose order is
predictable; one test runs the real pipeline through ``kgdecide serve``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import open_signed_in, wait_until

pytestmark = pytest.mark.browser


def _top(page: Any) -> str:
    return page.locator("#candidates > li").first.locator("summary").inner_text()


def _rank_and_wait(page: Any, expected_top: str) -> None:
    page.locator("#candidates > li").first.locator("summary", has_text=expected_top).wait_for()


def test_findings_to_differential_and_back(page: Any, decide_server: str, artifacts: Path) -> None:
    open_signed_in(page, decide_server + "/")
    page.get_by_label("Findings in free text").fill("Seizures since 3 months.")
    page.get_by_role("button", name="Rank diagnoses").click()
    _rank_and_wait(page, "Epileptic encephalopathy A")
    # what the text was understood as, and the finding taken from it as a chip
    assert page.locator("#understood-text mark.m-present").inner_text() == "Seizures"
    assert page.locator("#chips .chip.present", has_text="Seizure").count() == 1
    assert "%" in _top(page)

    # the next question, answered "No" in place, re-ranks
    question = page.locator("#questions li", has_text="Global developmental delay")
    question.get_by_role("button", name="No", exact=True).click()
    _rank_and_wait(page, "Rare thing C")
    chip = page.locator("#chips .chip", has_text="Global developmental delay")
    assert "excluded" in chip.get_attribute("class")

    # toggling the chip back to present re-ranks after Rank
    chip.locator("button.status").click()
    assert "present" in page.locator("#chips .chip", has_text="Global developmental delay").get_attribute("class")
    page.get_by_role("button", name="Rank diagnoses").click()
    _rank_and_wait(page, "Epileptic encephalopathy A")

    # a coded finding by search-as-you-type, with the keyboard only
    page.get_by_label("Add a coded finding (HPO term)").fill("small he")
    page.get_by_role("option", name="Microcephaly").wait_for()
    page.keyboard.press("Enter")
    assert page.locator("#chips .chip", has_text="Microcephaly").count() == 1

    # per-finding contributions and the explanation graph of the top diagnosis
    first = page.locator("#candidates > li").first
    first.locator("summary").click()
    assert "+1.00" in first.locator(".contrib").first.inner_text()
    first.get_by_role("button", name="Show explanation graph").click()
    wait_until(page, "document.querySelector('.pathgraph').cy && document.querySelector('.pathgraph').cy.nodes().length >= 2")
    assert page.locator("#heatmap tbody tr").count() == 2
    page.screenshot(path=str(artifacts / "clinician.png"))

    # the printed report: results only, explanations open, no form and no buttons
    page.emulate_media(media="print")
    assert not page.locator("#case-form").is_visible()
    assert not page.get_by_role("button", name="Download JSON").is_visible()
    assert page.locator("#candidates > li").first.is_visible()
    page.emulate_media(media="screen")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download JSON").click()
    decision = json.loads(Path(download_info.value.path()).read_text())
    assert decision["candidates"][0]["id"] == "OMIM:100100" and decision["id"]
    assert not page.problems, page.problems


def test_real_pipeline_through_kgdecide_serve(page: Any, served: str, artifacts: Path) -> None:
    open_signed_in(page, served + "/")
    assert page.locator("#scorer-missing").count() == 0
    page.get_by_label("Findings in free text").fill("Seizures and global developmental delay.")
    page.get_by_role("button", name="Rank diagnoses").click()
    # the only disease annotated with both findings
    _rank_and_wait(page, "Epileptic encephalopathy A")
    from kgdecide.packs.clinical.commands import UNTRAINED_DEFAULT_SCORER  # served home is untrained

    assert f"Scorer {UNTRAINED_DEFAULT_SCORER}" in page.locator("#provenance").inner_text()
    page.screenshot(path=str(artifacts / "clinician-pipeline.png"))
    assert not page.problems, page.problems


def test_without_the_pipeline_the_page_says_so(page: Any, no_scorer_server: str,
                                               artifacts: Path) -> None:
    open_signed_in(page, no_scorer_server + "/")
    assert "scorer not available in this build" in page.locator("#scorer-missing").inner_text()
    page.get_by_label("Findings in free text").fill("Seizures, no microcephaly")
    page.get_by_role("button", name="Check what was understood").click()
    page.locator("#understood-text mark.m-excluded", has_text="microcephaly").wait_for()
    page.get_by_role("button", name="Rank diagnoses").click()
    alert = page.get_by_role("alert")
    alert.filter(has_text="scorer not available in this build").wait_for()
    page.screenshot(path=str(artifacts / "clinician-no-scorer.png"))
    # the 503 is an expected answer, logged by Chromium as a failed resource load only
    assert all("503" in p for p in page.problems), page.problems


@pytest.fixture(scope="module")
def grouped_server(browser_graph: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The stand-in decision function, its top disease given a second id as the pipeline gives
    a disease's ORPHA id beside its OMIM one."""
    import dataclasses

    from kgdecide.graph.embedded import EmbeddedStore
    from tests.browser.conftest import _app, thread_server
    from tests.web.doubles import counting_decide

    store = EmbeddedStore.from_path(browser_graph)

    def decide(query: Any, scorer: str | None = None, *, text: str | None = None,
               linker: Any = None) -> Any:
        from kgdecide.pipeline import case_query

        query, mentions, sources = case_query(query, text, linker)
        decision = counting_decide(store, query)
        first = dataclasses.replace(decision.candidates[0], equivalent=("ORPHA:300",))
        return dataclasses.replace(decision, candidates=(first, *decision.candidates[1:]),
                                   mentions=mentions, sources=sources)

    yield from thread_server(_app(browser_graph, tmp_path_factory.mktemp("home"), decide))


def test_a_disease_is_one_row_showing_all_its_ids(page: Any, grouped_server: str) -> None:
    open_signed_in(page, grouped_server + "/")
    page.get_by_label("Findings in free text").fill("Seizures since 3 months.")
    page.get_by_role("button", name="Rank diagnoses").click()
    _rank_and_wait(page, "Epileptic encephalopathy A")
    ids = page.locator("#candidates > li").first.locator(".cid").inner_text()
    assert ids == "OMIM:100100 · ORPHA:300"
    assert page.locator("#candidates > li.cand").nth(1).locator(".cid").inner_text().count(":") == 1
    assert not page.problems, page.problems


def test_answer_buttons_update_the_differential_in_place(page: Any, decide_server: str,
                                                        artifacts: Path) -> None:
    """Yes / No / Not known under the next questions: each re-ranks without leaving the page;
    "Not known" is sent as not_known, changes no score and is not asked again; the prediction
    set is a marked cut in the differential."""
    open_signed_in(page, decide_server + "/")
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data)) if r.url.endswith("/ui/decide") else None)
    page.get_by_label("Findings in free text").fill("Seizures since 3 months.")
    page.get_by_role("button", name="Rank diagnoses").click()
    _rank_and_wait(page, "Epileptic encephalopathy A")
    url = page.url
    before = page.locator("#candidates li.cand summary").all_inner_texts()
    # the stand-in's set: the diseases annotated with seizures, then the cut and its explanation
    cut = page.locator("#candidates li.set-cut")
    assert cut.count() == 1 and "90 % prediction set" in cut.inner_text()
    size = int(cut.get_attribute("data-size"))
    assert size == len(page.evaluate("window.kgClinician.last.set")) >= 1
    assert page.locator("#candidates > li").nth(size).get_attribute("class") == "set-cut"

    questions = page.locator("#questions li")
    asked = questions.first.locator("b").inner_text()
    questions.first.get_by_role("button", name="Not known").click()
    page.locator("#not-known", has_text=asked).wait_for()
    assert sent[-1]["not_known"] and sent[-1]["coverage"] == 0.9
    assert page.locator("#candidates li.cand summary").all_inner_texts() == before  # no score moved
    assert page.locator("#questions li", has_text=asked).count() == 0  # not asked again
    assert page.locator("#chips .chip", has_text=asked).count() == 0  # not a finding

    # after Clear the same question comes back; "Yes" makes it a present finding, re-ranked
    page.get_by_role("button", name="Clear").click()
    assert page.locator("#not-known").is_hidden()
    page.get_by_label("Findings in free text").fill("Seizures since 3 months.")
    page.get_by_role("button", name="Rank diagnoses").click()
    nxt = page.locator("#questions li", has_text=asked)
    yes_to = asked
    nxt.get_by_role("button", name="Yes", exact=True).click()
    page.locator("#chips .chip.present", has_text=yes_to).wait_for()
    wait_until(page, f"window.kgClinician.last.findings.some((f) => f.label === {json.dumps(yes_to)})")
    assert any(f["status"] == "present" for f in sent[-1]["findings"] if f["id"] != "HP:0001250")
    assert sent[-1]["not_known"] == []
    assert page.url == url  # in place: no navigation

    # a narrower coverage is sent and shown
    page.get_by_label("Prediction set").select_option("0.8")
    page.get_by_role("button", name="Rank diagnoses").click()
    wait_until(page, "window.kgClinician.last.coverage === 0.8")
    assert sent[-1]["coverage"] == 0.8
    # the cut, or (when every diagnosis shown is in the set) the note under the list
    shown = page.locator("#candidates li.set-cut").all_inner_texts() + \
        ([page.locator("#set-note").inner_text()] if page.locator("#set-note").is_visible() else [])
    assert len(shown) == 1 and "80 % prediction set" in shown[0]
    page.screenshot(path=str(artifacts / "clinician-answers.png"))
    assert not page.problems, page.problems
