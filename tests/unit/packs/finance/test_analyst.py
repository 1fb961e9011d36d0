"""The analyst page's helpers: why a link is predicted (the seam for rule-based predictors) and
what is wrong with an ISIN or FIGI the graph does not know."""

from __future__ import annotations

import pytest

from kgdecide.packs.finance.analyst import FEATURE_TEXT, reasons
from kgdecide.packs.finance.exposure import _identifier_problem
from kgdecide.packs.finance.predict import TemporalWeights

WEIGHTS = TemporalWeights(tau=0.0, so=0.3, os=0.1, pop=0.1, ppr=0.1)


def test_feature_reasons_are_each_features_share_of_the_score() -> None:
    out = reasons({"features": {"sro": 0.0, "so": 1.0, "os": 0.0, "pop": 0.5, "ppr": 1.0}}, WEIGHTS)
    assert [r["name"] for r in out] == ["so", "ppr", "pop"]  # 0.3, 0.1, 0.05 of 0.45
    assert [r["share"] for r in out] == [pytest.approx(0.3 / 0.45, abs=1e-3),
                                         pytest.approx(0.1 / 0.45, abs=1e-3),
                                         pytest.approx(0.05 / 0.45, abs=1e-3)]
    assert all(r["kind"] == "feature" and r["text"] == FEATURE_TEXT[r["name"]] for r in out)


def test_rules_a_predictor_supplies_come_first() -> None:
    item = {"features": {"so": 1.0},
            "rules": [{"rule": "X invests_in Y at t-1 => X invests_in Y", "confidence": 0.42}]}
    first, second = reasons(item, WEIGHTS)
    assert first == {"kind": "rule", "text": "X invests_in Y at t-1 => X invests_in Y",
                     "confidence": 0.42}
    assert second["kind"] == "feature" and second["share"] == 1.0


@pytest.mark.parametrize(("identifier", "says"), [
    ("US0378331005", "valid ISIN this graph does not know"),  # Apple
    ("us0378331005", "valid ISIN this graph does not know"),
    ("DE0007164600", "valid ISIN this graph does not know"),  # SAP
    ("US0378331006", "check digit should be 5"),
    ("BBG000B9XRY4", "FIGI this graph does not know"),  # Apple's FIGI, not an ISIN
])
def test_isin_and_figi_problems(identifier: str, says: str) -> None:
    assert says in (_identifier_problem(identifier) or "")


@pytest.mark.parametrize("identifier", ["AAPL", "Apple Inc.", "037833100", "CIK:320193"])
def test_other_identifiers_are_left_to_the_resolver(identifier: str) -> None:
    assert _identifier_problem(identifier) is None
