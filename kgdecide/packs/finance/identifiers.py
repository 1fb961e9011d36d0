"""Company identifiers: name keys for matching listings across sources, CUSIP -> ISIN.

Sources spell one company differently ("Apple Inc. Common Stock", "APPLE INC", "Apple Inc."),
so matching uses a key with case, punctuation, spaces, share-class words and legal suffixes
removed. The key is for matching only; nodes keep the names as their sources write them.
"""

from __future__ import annotations

import re

#: Listing words after the company name: share classes and kinds of security.
_SECURITY_WORDS = re.compile(
    r"\b(class [a-z]\b.*|series [a-z]\b.*|common stock.*|common shares.*|ordinary shares?.*|"
    r"capital stock.*|american depositary (shares|receipts?).*|depositary shares.*|ads\b.*|"
    r"sponsored adr.*|new york registry shares.*|subordinate voting shares.*|"
    r"shares of beneficial interest.*|com\b.*|cl [a-z]\b.*)", re.IGNORECASE)
#: Legal forms and generic tails, removed from the end one at a time.
_LEGAL_SUFFIXES = frozenset(
    "inc incorporated corp corporation co company cos ltd limited plc llc lp sa ag nv se spa "
    "asa ab oyj kgaa bv srl holdings holding group the trust".split())
_NON_ALNUM = re.compile(r"[^0-9a-z& ]+")
#: Listings that are not a company's equity: warrants, units, rights, notes, preferred shares.
NON_EQUITY = re.compile(
    r"\bwarrants?\b|\bunits?\b|\brights?\b|preferred|\bnotes?\b|debentures?|%|depositary shares,? "
    r"each representing a|\bdue \d{4}\b|\bpfd\b", re.IGNORECASE)


def company_key(name: str) -> str:
    """The matching key of a company name: folded, without share class and legal form.

    >>> company_key("Apple Inc. Common Stock"), company_key("APPLE INC")
    ('apple', 'apple')
    >>> company_key("JP Morgan Chase & Co. Common Stock") == company_key("JPMorgan Chase & Co")
    True
    >>> company_key("The Goldman Sachs Group, Inc."), company_key("Alphabet Inc. Class A Common Stock")
    ('goldmansachs', 'alphabet')
    """
    text = _SECURITY_WORDS.sub(" ", name.casefold().replace("’", "'"))
    text = text.replace("'s ", "s ").replace(".com", "")
    words = _NON_ALNUM.sub(" ", text.replace("-", " ")).split()
    while words and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    while words and words[0] == "the":
        words.pop(0)
    # Spaces go last: "JP Morgan" and "JPMorgan" are one name.
    return "".join(words).replace("&", "and")


def is_equity_listing(name: str) -> bool:
    """Whether a listing's name is a company's shares (not a warrant, unit, right or note).

    >>> is_equity_listing("Tesla Inc. Common Stock"), is_equity_listing("Armada Acquisition Corp. III Warrant")
    (True, False)
    """
    return NON_EQUITY.search(name) is None


def cusip_to_isin(cusip: str, country: str = "US") -> str | None:
    """The ISIN of a 9-character CUSIP (``country`` + CUSIP + Luhn check digit), or None for a
    malformed CUSIP.

    >>> cusip_to_isin("037833100"), cusip_to_isin("30303M102"), cusip_to_isin("0378")
    ('US0378331005', 'US30303M1027', None)
    """
    code = f"{country}{cusip}".upper()
    if len(cusip) != 9 or not code.isalnum():
        return None
    digits = "".join(str(int(c, 36)) for c in code)
    total = 0
    for i, d in enumerate(reversed(digits)):
        value = int(d) * (2 if i % 2 == 0 else 1)
        total += value // 10 + value % 10
    return f"{code}{(10 - total % 10) % 10}"


def ticker_id(symbol: str) -> str:
    """The node id of a US listing; class shares keep their separator as a dot.

    >>> ticker_id("BRK/B"), ticker_id("aapl")
    ('TICKER:BRK.B', 'TICKER:AAPL')
    """
    return "TICKER:" + symbol.strip().upper().replace("/", ".").replace("^", "-P")
