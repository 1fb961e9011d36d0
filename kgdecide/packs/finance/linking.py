"""Linker settings for the finance KG: which node types are linked and which names are too
common to link. Only data; the linker itself is :class:`kgdecide.link.Linker`."""

from __future__ import annotations

from kgdecide.link.config import LinkerConfig
from kgdecide.packs.finance import (
    COMPANY_TYPE, CONCEPT_TYPE, EVENT_TYPE, GEOPOLITICAL_TYPE, GOVERNMENT_TYPE, INDEX_TYPE,
    INDICATOR_TYPE, INSTRUMENT_TYPE, ORGANIZATION_TYPE, PERSON_TYPE, PRODUCT_TYPE, REGULATOR_TYPE,
    SECTOR_TYPE,
)

#: Node types a headline's names are linked to (managers, exchanges, industries are not news).
LINKED_TYPES = (COMPANY_TYPE, PERSON_TYPE, GEOPOLITICAL_TYPE, ORGANIZATION_TYPE, GOVERNMENT_TYPE,
                REGULATOR_TYPE, EVENT_TYPE, PRODUCT_TYPE, SECTOR_TYPE, INSTRUMENT_TYPE,
                INDICATOR_TYPE, CONCEPT_TYPE, INDEX_TYPE)

#: Names of the graph that are ordinary headline words (FinDKG has concepts named "Growth",
#: "Investors"; tickers such as "ALL", "NOW", "ON" are words).
FINANCE_STOP_NAMES = (
    "all", "now", "on", "it", "are", "new", "one", "big", "key", "well", "good", "live", "plan",
    "growth", "investors", "companies", "markets", "market", "economy", "shares", "stocks",
    "price", "prices", "sales", "deal", "news", "report", "data", "rates", "rate", "trade",
    "business", "industry", "government", "people", "world", "global", "year", "week", "says",
    "cut", "cuts", "rise", "fall", "job", "jobs", "home", "work", "car", "cars", "bank", "banks",
)


def finance_linker_config(**overrides: object) -> LinkerConfig:
    """The linker settings for the finance KG.

    >>> finance_linker_config().node_types[0]
    'Company'
    """
    settings: dict[str, object] = {
        "node_types": LINKED_TYPES,
        "stop_names": FINANCE_STOP_NAMES,
        "multilingual": False,
        "dense": False,
        **overrides,
    }
    return LinkerConfig(**settings)  # type: ignore[arg-type]
