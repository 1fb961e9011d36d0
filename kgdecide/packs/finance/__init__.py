"""The finance pack: a temporal financial knowledge graph, exposure, relatedness, link prediction.

Names other modules import to read the finance KG as :func:`kgdecide.packs.finance.build.
build_finance_graph` writes it and ``ontology/finance.ttl`` maps it to FIBO. Plain strings, so
importing them costs nothing.

>>> FINDKG_RELATIONS["Negative_Impact_On"], COMPANY_TYPE, default_store_name()
('negative_impact_on', 'Company', 'finance')
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# --- node types -----------------------------------------------------------------------------------
COMPANY_TYPE = "Company"  #: a company: a FinDKG ``COMP`` entity or a listed company (``TICKER:``)
PERSON_TYPE = "Person"
GEOPOLITICAL_TYPE = "GeopoliticalEntity"  #: country, region or city (FinDKG ``GPE``)
ORGANIZATION_TYPE = "Organization"
GOVERNMENT_TYPE = "GovernmentBody"  #: FinDKG ``ORG/GOV``
REGULATOR_TYPE = "Regulator"  #: FinDKG ``ORG/REG``
EVENT_TYPE = "Event"
PRODUCT_TYPE = "Product"
SECTOR_TYPE = "Sector"  #: a FinDKG ``SECTOR`` or a listing's sector (``SECTOR:``)
INDUSTRY_TYPE = "Industry"  #: a listing's industry (``INDUSTRY:``)
INSTRUMENT_TYPE = "FinancialInstrument"
INDICATOR_TYPE = "EconomicIndicator"
CONCEPT_TYPE = "Concept"
MANAGER_TYPE = "FundManager"  #: an SEC 13F filer (``CIK:``)
INDEX_TYPE = "StockIndex"  #: S&P 500, NASDAQ-100, Dow Jones Industrial Average (``INDEX:``)
EXCHANGE_TYPE = "Exchange"  #: NASDAQ, NYSE, NYSE American (``EXCHANGE:``)

#: FinDKG's entity type (``entity2id.txt`` third column) -> node type.
FINDKG_TYPES: Mapping[str, str] = MappingProxyType({
    "COMP": COMPANY_TYPE, "PERSON": PERSON_TYPE, "GPE": GEOPOLITICAL_TYPE,
    "ORG": ORGANIZATION_TYPE, "ORG/GOV": GOVERNMENT_TYPE, "ORG/REG": REGULATOR_TYPE,
    "EVENT": EVENT_TYPE, "PRODUCT": PRODUCT_TYPE, "SECTOR": SECTOR_TYPE,
    "FIN_INSTRUMENT": INSTRUMENT_TYPE, "ECON_INDICATOR": INDICATOR_TYPE, "CONCEPT": CONCEPT_TYPE,
})

#: FinDKG's relation name (``relation2id.txt``) -> relation in the graph.
FINDKG_RELATIONS: Mapping[str, str] = MappingProxyType({
    name: name.lower() for name in (
        "Relate_To", "Control", "Operate_In", "Impact", "Has", "Negative_Impact_On", "Raise",
        "Is_Member_Of", "Participates_In", "Announce", "Invests_In", "Produce", "Introduce",
        "Decrease", "Positive_Impact_On",
    )
})

# --- relations besides FinDKG's -------------------------------------------------------------------
LISTED_AS = "listed_as"  #: FinDKG company -> listed company with the same (normalised) name
HOLDS = "holds"  #: FundManager -> Company, one 13F report (``value``, ``shares``, ``valid_from``)
CONSTITUENT_OF = "constituent_of"  #: Company -> StockIndex, ``valid_from``/``valid_to``
IN_SECTOR = "in_sector"  #: listed Company -> Sector
IN_INDUSTRY = "in_industry"  #: listed Company -> Industry
LISTED_ON = "listed_on"  #: listed Company -> Exchange
DOMICILED_IN = "domiciled_in"  #: listed Company -> GeopoliticalEntity

#: Every relation the finance build can emit.
RELATIONS = (*FINDKG_RELATIONS.values(), LISTED_AS, HOLDS, CONSTITUENT_OF, IN_SECTOR, IN_INDUSTRY,
             LISTED_ON, DOMICILED_IN)
#: Relations between two news entities (FinDKG's): the ones link prediction predicts.
NEWS_RELATIONS = tuple(FINDKG_RELATIONS.values())
#: FinDKG relations that say which way an impact goes: +1 helps, -1 hurts the object.
SIGNED_RELATIONS: Mapping[str, int] = MappingProxyType({
    "positive_impact_on": 1, "negative_impact_on": -1, "decrease": -1, "raise": 1,
})

# --- identifiers ----------------------------------------------------------------------------------
FINDKG_PREFIX = "FINDKG"  #: ``FINDKG:<entity id>`` as in entity2id.txt
TICKER_PREFIX = "TICKER"  #: ``TICKER:<symbol>`` (US listings are unique across exchanges)
CIK_PREFIX = "CIK"  #: ``CIK:<central index key>`` for 13F managers and unlisted issuers
#: Company properties that identify it; every response echoes the ones known.
IDENTIFIER_PROPERTIES = ("ticker", "exchange", "name", "cik", "cusip", "isin", "figi")


def default_store_name() -> str:
    """The store name ``kgdecide build finance`` writes to by default."""
    return "finance"
