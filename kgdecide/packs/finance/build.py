"""Build the finance knowledge graph.

Four sources, each optional but FinDKG:

- **FinDKG** (a folder in FinDKG's format: ``entity2id.txt``, ``relation2id.txt``,
  ``train/valid/test.txt``; GPL-3.0, non-commercial, so it is read from where the user keeps it
  and never copied). Entity ``i`` becomes ``FINDKG:i`` with its FinDKG type mapped by
  :data:`~kgdecide.packs.finance.FINDKG_TYPES`. Rows ``head rel tail time_id`` with the same
  (head, rel, tail) make one edge: ``valid_from``/``time_id`` its first week, ``last_seen``/
  ``last_time_id`` its last, ``mentions`` the number of rows (weeks it was reported in).
- **US listings** (``us-stock-symbols``: ``{nasdaq,nyse,amex}/*_full_tickers.json``): each equity
  listing becomes ``TICKER:<symbol>`` (type Company) with ``ticker``, ``exchange``, ``name``,
  ``sector``, ``industry``, ``country``, and edges to its Sector, Industry, Exchange and country.
  Warrants, units, rights, notes and preferred shares are left out.
- **SEC 13F** (``sec-form13``: ``form13_sample.csv``, ``cusip6-to-cik-mapping.csv``): each manager
  ``CIK:<cik>`` (FundManager) ``holds`` the company, with ``value``, ``shares`` and the quarter as
  ``valid_from``..``valid_to`` (13F reports holdings at a quarter end; the next report replaces it).
  The issuer is matched to a listing by CUSIP-6 and name; its ``cusip``, ``isin`` and ``cik`` are
  set on the company.
- **Index membership** from the ``index-constitution`` package (S&P 500, NASDAQ-100, Dow 30 with
  join and leave dates) as ``constituent_of`` edges with ``valid_from``/``valid_to``; its ticker and
  name change table gives former names and tickers (Facebook / FB -> Meta Platforms / META) as
  synonyms.

FinDKG companies are tied to listings by ``listed_as`` where their names match after
:func:`~kgdecide.packs.finance.identifiers.company_key` (legal suffixes, share classes, spacing
removed), or match a former name.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kgdecide.errors import ConfigError, IngestError
from kgdecide.graph.arrays import ArrayGraph
from kgdecide.graph.builder import GraphBuilder
from kgdecide.packs.finance import (
    COMPANY_TYPE, CONSTITUENT_OF, DOMICILED_IN, EXCHANGE_TYPE, FINDKG_RELATIONS, FINDKG_TYPES,
    GEOPOLITICAL_TYPE, HOLDS, PERSON_TYPE, IN_INDUSTRY, IN_SECTOR, INDEX_TYPE, INDUSTRY_TYPE, LISTED_AS,
    LISTED_ON, MANAGER_TYPE, SECTOR_TYPE,
)
from kgdecide.packs.finance.identifiers import company_key, cusip_to_isin, is_equity_listing, ticker_id
from kgdecide.packs.finance.temporal import FIRST_WEEK, week_start
from kgdecide.progress import Advance, no_progress

logger = logging.getLogger(__name__)

FINDKG_FILES = ("entity2id.txt", "relation2id.txt", "train.txt", "valid.txt", "test.txt")
SPLITS = ("train", "valid", "test")
EXCHANGES = {"nasdaq": "NASDAQ", "nyse": "NYSE", "amex": "NYSE American"}
#: index-constitution's index name -> (node id, label).
INDICES = {"sp500": ("INDEX:SP500", "S&P 500"), "nasdaq100": ("INDEX:NDX", "NASDAQ-100"),
           "dow30": ("INDEX:DJIA", "Dow Jones Industrial Average")}
FORM13_FILE = "form13_sample.csv"
CUSIP_MAP_FILE = "cusip6-to-cik-mapping.csv"


# --- locating the sources -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FinanceSources:
    """Where each source is; None leaves it out."""

    findkg: Path | None
    symbols: Path | None = None
    form13: Path | None = None
    indices: bool = True  #: read index membership from the index-constitution package
    first_week: Any = FIRST_WEEK  #: Monday of FinDKG week 0 (a ``datetime.date``)

    @property
    def total_bytes(self) -> int:
        paths = [p for p in (self.findkg, self.symbols, self.form13) if p is not None]
        return sum(f.stat().st_size for p in paths for f in p.rglob("*") if f.is_file())


def check_findkg_dir(path: Path) -> Path:
    """``path`` if it holds FinDKG's files; otherwise ``ConfigError`` naming the missing ones."""
    missing = [name for name in FINDKG_FILES if not (path / name).is_file()]
    if missing:
        raise ConfigError(
            f"{path}: missing {', '.join(missing)}; a FinDKG folder needs {', '.join(FINDKG_FILES)} "
            "(from the FinDKG dataset, FinDKG_dataset/FinDKG; GPL-3.0, non-commercial)")
    return path


# --- FinDKG --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FinDKG:
    """A FinDKG folder read into arrays: entities, relations and quadruples by split."""

    names: tuple[str, ...]  #: entity label by id
    types: tuple[str, ...]  #: FinDKG entity type by id (``COMP``, ``PERSON``, ...)
    relations: tuple[str, ...]  #: relation name by id
    quads: dict[str, np.ndarray]  #: split -> int64[k, 4] (head, relation, tail, time_id)

    @property
    def all_quads(self) -> np.ndarray:
        return np.concatenate([self.quads[s] for s in SPLITS if s in self.quads])


def read_findkg(folder: Path, advance: Advance = no_progress) -> FinDKG:
    """Read a FinDKG-format folder; a malformed line raises :class:`IngestError` naming it."""
    folder = check_findkg_dir(Path(folder))
    names, types = _read_entities(folder / "entity2id.txt")
    relations = _read_relations(folder / "relation2id.txt")
    quads = {}
    for split in SPLITS:
        path = folder / f"{split}.txt"
        quads[split] = _read_quads(path, len(names), len(relations))
        advance(path.stat().st_size)
    return FinDKG(tuple(names), tuple(types), tuple(relations), quads)


def _read_entities(path: Path) -> tuple[list[str], list[str]]:
    rows: dict[int, tuple[str, str]] = {}
    for number, line in _lines(path):
        parts = line.split("\t")
        if len(parts) < 3 or not parts[1].strip().isdigit():
            raise IngestError(path, number, "expected 'name<TAB>id<TAB>type[<TAB>type id]'")
        rows[int(parts[1])] = (parts[0].strip(), parts[2].strip())
    if sorted(rows) != list(range(len(rows))):
        raise IngestError(path, None, "entity ids are not 0..n-1")
    return [rows[i][0] for i in range(len(rows))], [rows[i][1] for i in range(len(rows))]


def _read_relations(path: Path) -> list[str]:
    rows: dict[int, str] = {}
    for number, line in _lines(path):
        parts = line.split("\t")
        if len(parts) != 2 or not parts[1].strip().isdigit():
            raise IngestError(path, number, "expected 'name<TAB>id'")
        rows[int(parts[1])] = parts[0].strip()
    return [rows[i] for i in range(len(rows))]


def _read_quads(path: Path, n_entities: int, n_relations: int) -> np.ndarray:
    """``head rel tail time_id [ignored]`` per line, as int64[k, 4]."""
    try:
        data = np.loadtxt(path, dtype=np.int64, usecols=(0, 1, 2, 3), ndmin=2)
    except ValueError as e:
        raise IngestError(path, _first_bad_line(path), f"not 'head rel tail time_id' integers ({e})") from None
    bad = np.flatnonzero((data[:, [0, 2]] >= n_entities).any(axis=1) | (data[:, 1] >= n_relations)
                         | (data < 0).any(axis=1))
    if bad.size:
        raise IngestError(path, int(bad[0]) + 1, "an entity or relation id is out of range")
    return data


def _first_bad_line(path: Path) -> int | None:
    for number, line in _lines(path):
        parts = line.split()
        if len(parts) < 4 or not all(p.lstrip("-").isdigit() for p in parts[:4]):
            return number
    return None


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield number, line.rstrip("\n")


def findkg_id(entity: int) -> str:
    """>>> findkg_id(5)
    'FINDKG:5'
    """
    return f"FINDKG:{entity}"


def add_findkg(builder: GraphBuilder, kg: FinDKG, first_week: Any = FIRST_WEEK) -> None:
    """FinDKG's entities and one edge per (head, relation, tail) with its first and last week."""
    for i, (name, kind) in enumerate(zip(kg.names, kg.types)):
        node_type = FINDKG_TYPES.get(kind)
        if node_type is None:
            raise IngestError("entity2id.txt", i + 1, f"unknown FinDKG type {kind!r}; known: "
                              + ", ".join(FINDKG_TYPES))
        short = _short_company_name(name) if node_type == COMPANY_TYPE else \
            _plain_person_name(name) if node_type == PERSON_TYPE else None
        builder.add_node(findkg_id(i), node_type, name, [short] if short else (),
                         {"source": "FinDKG", "findkg_type": kind})
    quads = kg.all_quads
    n, r = len(kg.names), len(kg.relations)
    key = (quads[:, 0] * r + quads[:, 1]) * n + quads[:, 2]
    order = np.lexsort((quads[:, 3], key))
    key, times = key[order], quads[order, 3]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], len(key)]
    first, last, count = times[starts], times[ends - 1], ends - starts
    heads, rels, tails = key[starts] // (r * n), (key[starts] // n) % r, key[starts] % n
    dates = [week_start(t, first_week).isoformat() for t in range(int(times.max(initial=0)) + 2)]
    for h, rel, t, t0, t1, c in zip(heads.tolist(), rels.tolist(), tails.tolist(), first.tolist(),
                                    last.tolist(), count.tolist()):
        builder.add_edge(findkg_id(h), FINDKG_RELATIONS.get(kg.relations[rel], kg.relations[rel].lower()),
                         findkg_id(t), {"valid_from": dates[t0], "time_id": t0, "last_seen": dates[t1],
                                        "last_time_id": t1, "mentions": c, "source": "FinDKG"})


_HONORIFIC = re.compile(r"^(?:mr|mrs|ms|dr|sen|senator|gov|governor|rep|president|vice president|"
                        r"prime minister|justice|chancellor|crown prince|pope|king|queen|ceo|"
                        r"president-elect)\.?\s+", re.IGNORECASE)


def _plain_person_name(name: str) -> str | None:
    """A person's name without a title, as headlines write it ("Mrs. Theresa May" -> "Theresa
    May"); None when there is no title or one word would be left.

    >>> _plain_person_name("Sen. Mitch McConnell"), _plain_person_name("Jerome Powell")
    ('Mitch McConnell', None)
    """
    stripped = _HONORIFIC.sub("", name.strip())
    return stripped if stripped != name.strip() and " " in stripped else None


_LEADING_CONTEXT = re.compile(r"^(?:.+ parent|parent company) ", re.IGNORECASE)


def _short_company_name(name: str) -> str | None:
    """A company name without its legal form, a synonym people write in headlines
    ("Apple Inc." -> "Apple"); None when nothing is left to drop."""
    stripped = re.sub(r"[\s,]+(inc\.?|incorporated|corp\.?|corporation|co\.?|ltd\.?|limited|plc|llc|"
                      r"s\.?a\.?|ag|n\.?v\.?|se|holdings?|group)$", "", name.strip(), flags=re.I)
    stripped = _LEADING_CONTEXT.sub("", stripped).strip(" ,")
    return stripped if stripped != name and len(stripped) >= 3 else None


# --- listings -----------------------------------------------------------------------------------


@dataclass
class Listing:
    """One US equity listing."""

    symbol: str
    exchange: str
    name: str
    sector: str = ""
    industry: str = ""
    country: str = ""
    market_cap: float | None = None
    ipo_year: int | None = None
    former_names: list[str] = field(default_factory=list)
    former_tickers: list[str] = field(default_factory=list)

    @property
    def node_id(self) -> str:
        return ticker_id(self.symbol)

    @property
    def company_name(self) -> str:
        """The name without the security description: "Apple Inc. Common Stock" -> "Apple Inc."."""
        cut = re.split(r"\s+(?:class [a-z]\b|common stock|common shares|ordinary shares?|"
                       r"capital stock|american depositary|depositary shares|sponsored adr|"
                       r"new york registry|subordinate voting)", self.name, maxsplit=1, flags=re.I)
        return cut[0].strip(" ,") or self.name


def read_listings(folder: Path) -> list[Listing]:
    """The equity listings of ``{nasdaq,nyse,amex}/<name>_full_tickers.json``."""
    listings: list[Listing] = []
    for key, exchange in EXCHANGES.items():
        path = Path(folder) / key / f"{key}_full_tickers.json"
        if not path.is_file():
            raise ConfigError(f"{folder}: missing {key}/{path.name}; a US-Stock-Symbols folder has "
                              "nasdaq/, nyse/ and amex/ with *_full_tickers.json")
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise IngestError(path, e.lineno, f"not valid JSON: {e.msg}") from None
        for number, row in enumerate(rows, 1):
            if not isinstance(row, dict) or not row.get("symbol") or not row.get("name"):
                raise IngestError(path, None, f"entry {number} lacks 'symbol' or 'name'")
            if is_equity_listing(row["name"]):
                listings.append(Listing(
                    row["symbol"].strip(), exchange, row["name"].strip(),
                    (row.get("sector") or "").strip(), (row.get("industry") or "").strip(),
                    (row.get("country") or "").strip(), _number(row.get("marketCap")),
                    int(row["ipoyear"]) if str(row.get("ipoyear") or "").isdigit() else None))
    return listings


def _number(value: Any) -> float | None:
    try:
        number = float(str(value).replace("$", "").replace(",", ""))
    except ValueError:
        return None
    return number if number > 0 else None


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.casefold()).strip("_")


def add_listings(builder: GraphBuilder, listings: Iterable[Listing],
                 places: dict[str, str]) -> None:
    """Listed companies with their sector, industry, exchange and country edges; ``places`` maps
    a folded country name to an existing node (FinDKG's "United States")."""
    for item in listings:
        props: dict[str, Any] = {"ticker": item.node_id.split(":", 1)[1], "exchange": item.exchange,
                                 "name": item.name, "listed": True, "source": "US-Stock-Symbols"}
        props.update({k: v for k, v in (("sector", item.sector), ("industry", item.industry),
                                         ("country", item.country), ("market_cap", item.market_cap),
                                         ("ipo_year", item.ipo_year)) if v})
        if item.former_tickers:
            props["former_tickers"] = tuple(item.former_tickers)
        synonyms = [props["ticker"], item.name, *item.former_names, *item.former_tickers]
        short = _short_company_name(item.company_name)
        builder.add_node(item.node_id, COMPANY_TYPE, item.company_name,
                         synonyms + ([short] if short else []), props)
        exchange_id = f"EXCHANGE:{_slug(item.exchange).upper()}"
        builder.add_node(exchange_id, EXCHANGE_TYPE, item.exchange)
        builder.add_edge(item.node_id, LISTED_ON, exchange_id)
        if item.sector:
            builder.add_node(f"SECTOR:{_slug(item.sector)}", SECTOR_TYPE, item.sector)
            builder.add_edge(item.node_id, IN_SECTOR, f"SECTOR:{_slug(item.sector)}")
        if item.industry:
            builder.add_node(f"INDUSTRY:{_slug(item.industry)}", INDUSTRY_TYPE, item.industry)
            builder.add_edge(item.node_id, IN_INDUSTRY, f"INDUSTRY:{_slug(item.industry)}")
        if item.country:
            place = places.get(item.country.casefold())
            if place is None:
                place = f"COUNTRY:{_slug(item.country)}"
                builder.add_node(place, GEOPOLITICAL_TYPE, item.country)
            builder.add_edge(item.node_id, DOMICILED_IN, place)


# --- index membership ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Membership:
    index: str  #: index-constitution name, e.g. ``sp500``
    symbol: str
    name: str
    start: str  #: ISO date joined
    end: str | None  #: ISO date left, None while a member


@dataclass(frozen=True, slots=True)
class NameChange:
    date: str
    old_symbol: str
    new_symbol: str
    old_name: str
    new_name: str


def read_index_data() -> tuple[list[Membership], list[NameChange]]:
    """Index membership and US ticker/name changes from ``index-constitution``; ConfigError with
    the install command when it is missing."""
    try:
        import index_constitution as ic
    except ImportError:
        raise ConfigError("index membership needs the index-constitution package: "
                          "pip install index-constitution==1.0.1 (or pass --no-indices)") from None
    members: list[Membership] = []
    for index in INDICES:
        frame = ic.history(index)
        for symbol, name, start, end in zip(frame["symbol"], frame["name"], frame["opt-in"],
                                            frame["opt-out"]):
            members.append(Membership(index, str(symbol), str(name), _iso(start) or "",
                                      _iso(end)))
    changes = []
    events = ic.events(region="us")
    for row in events.itertuples(index=False):
        if row.event_type in ("ticker_change", "name_change", "merger"):
            changes.append(NameChange(_iso(row.event_date) or "", _text(row.old_symbol),
                                      _text(row.new_symbol), _text(row.old_name), _text(row.new_name)))
    return members, changes


def _iso(value: Any) -> str | None:
    if value is None or value != value or str(value) == "NaT":  # NaN/NaT compare unequal to itself
        return None
    return str(value)[:10]


def _text(value: Any) -> str:
    return "" if value is None or value != value else str(value).strip()


def apply_name_changes(listings: list[Listing], changes: Iterable[NameChange]) -> None:
    """Record each change's old name and ticker on the listing that carries the new ticker."""
    by_symbol = {ticker_id(item.symbol): item for item in listings}
    for change in changes:
        item = by_symbol.get(ticker_id(change.new_symbol)) if change.new_symbol else None
        if item is None:
            continue
        if change.old_name and change.old_name not in item.former_names:
            item.former_names.append(change.old_name)
        old = ticker_id(change.old_symbol).split(":", 1)[1] if change.old_symbol else ""
        if old and old != ticker_id(item.symbol).split(":", 1)[1] and old not in item.former_tickers:
            item.former_tickers.append(old)


def add_memberships(builder: GraphBuilder, members: Iterable[Membership]) -> int:
    """``constituent_of`` edges; a past member no longer listed gets a node (``listed`` false)."""
    count = 0
    for index_id, label in INDICES.values():
        builder.add_node(index_id, INDEX_TYPE, label)
    for m in members:
        company = ticker_id(m.symbol)
        if not builder.has_node(company):
            builder.add_node(company, COMPANY_TYPE, m.name, [company.split(":", 1)[1]],
                             {"ticker": company.split(":", 1)[1], "name": m.name, "listed": False,
                              "source": "index-constitution"})
        props: dict[str, Any] = {"valid_from": m.start, "source": "index-constitution"}
        if m.end:
            props["valid_to"] = m.end
        builder.add_edge(company, CONSTITUENT_OF, INDICES[m.index][0], props)
        count += 1
    return count


# --- 13F holdings -------------------------------------------------------------------------------


def add_holdings(builder: GraphBuilder, folder: Path, by_key: dict[str, list[str]]) -> int:
    """Manager -> company ``holds`` edges from a 13F sample; returns the rows read."""
    path = Path(folder) / FORM13_FILE
    if not path.is_file():
        raise ConfigError(f"{folder}: missing {FORM13_FILE} (SEC 13F holdings: managerCik, "
                          "managerName, reportCalendarOrQuarter, cusip6, cusip, companyName, value, shares)")
    ciks = _read_cusip_map(Path(folder) / CUSIP_MAP_FILE)
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names: dict[str, Counter[str]] = {}
    for row in rows:
        names.setdefault(row.get("cusip6", ""), Counter())[row.get("companyName", "")] += 1
    issuer = {c6: _issuer_node(builder, c6, counts, by_key, ciks.get(c6)) for c6, counts in names.items()}
    for number, row in enumerate(rows, 2):
        try:
            quarter = row["reportCalendarOrQuarter"]
            props = {"value": float(row["value"]), "shares": float(row["shares"]),
                     "valid_from": quarter, "valid_to": _next_quarter(quarter),
                     "source": f"SEC 13F {quarter}"}
            manager = f"CIK:{int(row['managerCik'])}"
        except (KeyError, ValueError) as e:
            raise IngestError(path, number, f"bad 13F row ({e})") from None
        builder.add_node(manager, MANAGER_TYPE, row.get("managerName", "").strip(),
                         properties={"cik": manager.split(":")[1]})
        company = issuer[row.get("cusip6", "")]
        # A CUSIP reported by a single filer may be a typo (one sample row files Apple under
        # 003783): identifiers come only from CUSIP-6 codes that several rows agree on.
        if row.get("cusip") and len(row["cusip"]) == 9 and sum(names[row["cusip6"]].values()) > 1:
            cusip = row["cusip"].upper()
            isin = cusip_to_isin(cusip)
            builder.add_node(company, properties={"cusip": cusip, **({"isin": isin} if isin else {})})
        builder.add_edge(manager, HOLDS, company, props)
    return len(rows)


def _read_cusip_map(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["cusip6"]: row["cik"] for row in csv.DictReader(handle) if row.get("cik")}


def _issuer_node(builder: GraphBuilder, cusip6: str, names: Counter[str],
                 by_key: dict[str, list[str]], cik: str | None) -> str:
    for name, _ in names.most_common():
        match = by_key.get(company_key(name))
        if match:
            node = sorted(match)[0]
            break
    else:
        name = names.most_common(1)[0][0]
        node = f"CIK:{cik}" if cik else f"CUSIP6:{cusip6}"
        builder.add_node(node, COMPANY_TYPE, name.title(), properties={"name": name, "listed": False})
    props: dict[str, Any] = {"cusip6": cusip6} if sum(names.values()) > 1 else {}
    if cik and props:
        props["cik"] = cik
    builder.add_node(node, properties=props)
    return node


def _next_quarter(quarter: str) -> str:
    """>>> _next_quarter("2023-06-30"), _next_quarter("2022-12-31")
    ('2023-09-30', '2023-03-31')
    """
    year, month = int(quarter[:4]), int(quarter[5:7]) + 3
    if month > 12:
        year, month = year + 1, month - 12
    return f"{year}-{month:02d}-{30 if month in (6, 9) else 31}"


# --- the whole graph ----------------------------------------------------------------------------


def build_finance_graph(sources: FinanceSources, advance: Advance = no_progress) -> ArrayGraph:
    """Read every given source into one graph (see the module docstring)."""
    builder = GraphBuilder("finance", _source_version(sources))
    places: dict[str, str] = {}
    findkg_companies: dict[str, list[str]] = {}
    if sources.findkg is not None:
        kg = read_findkg(sources.findkg, advance)
        add_findkg(builder, kg, sources.first_week)
        for i, (name, kind) in enumerate(zip(kg.names, kg.types)):
            if kind == "GPE":
                places.setdefault(name.casefold(), findkg_id(i))
            elif kind == "COMP":
                findkg_companies.setdefault(company_key(name), []).append(findkg_id(i))
                if re.fullmatch(r"[A-Z]{2,5}", name):  # FinDKG has companies named by ticker: "AAPL"
                    findkg_companies.setdefault(f"ticker:{name}", []).append(findkg_id(i))
        builder.meta["findkg"] = {"entities": len(kg.names), "quadruples": int(len(kg.all_quads)),
                                  "weeks": int(kg.all_quads[:, 3].max()) + 1,
                                  "first_week": str(sources.first_week)}
    listings = read_listings(sources.symbols) if sources.symbols is not None else []
    members, changes = read_index_data() if sources.indices else ([], [])
    apply_name_changes(listings, changes)
    add_listings(builder, listings, places)
    listed_by_key = _listing_keys(listings)
    if sources.symbols is not None:
        advance(sum(f.stat().st_size for f in Path(sources.symbols).rglob("*.json")))
    builder.meta["index_memberships"] = add_memberships(builder, members) if members else 0
    if sources.form13 is not None:
        builder.meta["holdings_rows"] = add_holdings(builder, sources.form13, listed_by_key)
        advance(sum(f.stat().st_size for f in Path(sources.form13).glob("*.csv")))
    builder.meta["listed_as"] = _link_companies(builder, findkg_companies, listed_by_key)
    return builder.build()


def _listing_keys(listings: Iterable[Listing]) -> dict[str, list[str]]:
    """Company key -> listing node ids, by current and former names."""
    keys: dict[str, list[str]] = {}
    for item in listings:
        keys.setdefault(f"ticker:{item.node_id.split(':', 1)[1]}", []).append(item.node_id)
        for name in (item.name, *item.former_names):
            key = company_key(name)
            if key and item.node_id not in keys.setdefault(key, []):
                keys[key].append(item.node_id)
    return keys


def _link_companies(builder: GraphBuilder, findkg: dict[str, list[str]],
                    listed: dict[str, list[str]]) -> int:
    count = 0
    for key, nodes in findkg.items():
        for company in nodes:
            for listing in listed.get(key, ()):
                builder.add_edge(company, LISTED_AS, listing, {"match": "name"})
                count += 1
    return count


def _source_version(sources: FinanceSources) -> str:
    parts = []
    if sources.findkg is not None:
        parts.append("findkg")
    if sources.symbols is not None:
        parts.append("symbols")
    if sources.form13 is not None:
        parts.append("13f")
    if sources.indices:
        parts.append("indices")
    return "+".join(parts) or "empty"
