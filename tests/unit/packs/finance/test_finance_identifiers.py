from __future__ import annotations

import pytest

from kgdecide.packs.finance.identifiers import company_key, cusip_to_isin, is_equity_listing, ticker_id


@pytest.mark.parametrize(("a", "b"), [
    ("Apple Inc. Common Stock", "APPLE INC"),
    ("Meta Platforms Inc. Class A Common Stock", "Meta Platforms, Inc."),
    ("Amazon.com Inc.", "Amazon"),
    ("The Goldman Sachs Group, Inc.", "Goldman Sachs"),
    ("Alibaba Group Holding Limited American Depositary Shares", "Alibaba Group Holding Ltd"),
])
def test_same_company_same_key(a: str, b: str) -> None:
    assert company_key(a) == company_key(b)


def test_different_companies_differ() -> None:
    assert company_key("Apple Inc.") != company_key("Applied Materials Inc.")
    assert company_key("Citigroup Inc.") != company_key("Citizens Financial Group")


def test_isin_check_digits_match_published_isins() -> None:
    # Published ISINs: Apple US0378331005, Microsoft US5949181045, Nike US6541061031.
    assert cusip_to_isin("037833100") == "US0378331005"
    assert cusip_to_isin("594918104") == "US5949181045"
    assert cusip_to_isin("654106103") == "US6541061031"
    assert cusip_to_isin("12345") is None


def test_non_equity_listings_are_recognised() -> None:
    assert not is_equity_listing("Armada Acquisition Corp. III Units")
    assert not is_equity_listing("Bank Corp 5.25% Notes due 2030")
    assert is_equity_listing("Tesla Inc. Common Stock")
    assert ticker_id("brk/a") == "TICKER:BRK.A"
