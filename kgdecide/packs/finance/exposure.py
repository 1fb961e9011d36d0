"""Exposure: which holdings of a portfolio an event or entity reaches, as of a date, and by which
paths.

A hub-suppressed personalised PageRank walk starts at the event (the nodes its text links to, or
the id given) over the graph as of the date; a holding's exposure is the walk's score at the
holding's company node and every node joined to it by ``listed_as`` (the FinDKG company behind a
ticker). Hubs (indices, exchanges, listing sectors, and any node with more than
``max_degree`` neighbours on that date, e.g. "United States") are never crossed, so answers are
specific. ``weighted_exposure`` = weight x exposure ranks the holdings.

The raw scores mean nothing to a reader, so each holding also gets two relative figures:
``share``, its weighted exposure as a share of the portfolio's total, and ``percentile``, the
percentage of listed companies (companies with a ticker; every company when the graph has no
listings) whose exposure to the same event on the same date is strictly lower. A holding no walk
reaches is at percentile 0; the most exposed listed company is just under 100.

Portfolio rules (documented behaviour): weights are optional (missing: equal weights); negative
weights are refused; weights that do not sum to 1 are rescaled to sum to 1 and a note says so;
a holding that cannot be resolved is reported in ``unresolved`` with the reason, the others are
answered; a portfolio with no holdings, none resolved, or more than :data:`MAX_HOLDINGS` holdings is
an error for that portfolio only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from kgdecide.errors import InvalidQuery, KgdecideError
from kgdecide.packs.finance.analysis import FinanceGraph, path_json
from kgdecide.packs.finance.pages import decode_cursor, page

MAX_HOLDINGS = 2_000  #: holdings per portfolio
MAX_PORTFOLIOS = 100  #: portfolios per batch


@dataclass(frozen=True, slots=True)
class Holding:
    identifier: str  #: ticker, ISIN, CUSIP, node id or exact company name
    weight: float | None = None  #: share of the portfolio; None: equal weights


@dataclass(frozen=True, slots=True)
class Portfolio:
    id: str  #: the caller's label, echoed back
    holdings: tuple[Holding, ...]


@dataclass(frozen=True, slots=True)
class Target:
    """What the exposure is to: resolved seed rows and how they were found."""

    rows: tuple[int, ...]
    text: str
    how: str  #: "id", "name" or "linked"


def resolve_target(fg: FinanceGraph, text: str, linker: Any = None) -> Target:
    """An event/entity as an id or exact name, else the nodes the linker finds in the text.

    ``linker`` is a linker, or a function returning one (or None), called only when the text is
    not an id or exact name: building a linker over the whole graph takes seconds."""
    try:
        return Target((fg.resolve(text, "event"),), text, "id" if text in fg.graph.index else "name")
    except InvalidQuery as e:
        if "ambiguous" in e.problem:
            raise
        if callable(linker):
            linker = linker()
        if linker is None:
            raise
    result = linker.link(text)
    rows = tuple(dict.fromkeys(fg.graph.row(m.node_id) for m in result.mentions))
    if not rows:
        raise InvalidQuery("event", f"no node of the finance graph was recognised in {text!r}; "
                           "give a node id, or find one with GET /api/v1/finance/entities?q=")
    return Target(rows, text, "linked")


def exposure(fg: FinanceGraph, portfolio: Portfolio, target: Target, as_of: dt.date | None,
             limit: int = 20, cursor: str | None = None) -> dict[str, Any]:
    """The exposure of one portfolio, ranked, paginated, with paths for the holdings on the page."""
    day, notes = fg.check_date(as_of)
    rows, weights, unresolved, more_notes, given_ids = _resolve_holdings(fg, portfolio)
    view, hubs = fg.view(day)
    scores = fg.walk(view, hubs, target.rows)
    raw = np.array([scores[fg.company_aliases(r)].sum() for r in rows])
    weighted = raw * weights
    order = np.lexsort((np.arange(len(rows)), -weighted))
    key = _key(portfolio, target, day)
    offset = decode_cursor(cursor, fg.version, key)
    chosen, next_cursor = page(order.tolist(), offset, limit, fg.version, key)
    total = float(weighted.sum())
    universe = np.sort(listed_exposures(fg, scores))
    items = []
    for rank, i in enumerate(chosen, offset + 1):
        row = rows[i]
        paths = []
        if raw[i] > 0:
            for alias in fg.company_aliases(row).tolist():
                for seed in target.rows:
                    paths += fg.explain(view, hubs, seed, alias)
        paths = sorted(paths, key=lambda p: len(p.steps))[: fg.settings.paths]
        items.append({
            "rank": rank, "company": fg.identifiers(row), "identifier": given_ids[i],
            "weight": round(float(weights[i]), 6), "exposure": float(raw[i]),
            "weighted_exposure": float(weighted[i]),
            "share": float(weighted[i] / total) if total > 0 else 0.0,
            "percentile": _percentile(universe, float(raw[i])),
            "paths": [path_json(p) for p in paths],
        })
    if total == 0:
        notes += ("no holding is reachable from the event within the graph as of this date "
                  "(hubs excluded)",)
    return {"portfolio": portfolio.id, "as_of": day.isoformat() if day else None,
            "graph_version": fg.version,
            "event": {"text": target.text, "resolved_by": target.how,
                      "nodes": [fg.node_ref(r) for r in target.rows]},
            "total_exposure": total,
            "listed_companies": {"count": int(universe.size),
                                 "reached": int(np.count_nonzero(universe > 0))},
            "holdings": items, "unresolved": unresolved,
            "notes": list(notes + more_notes), "next_cursor": next_cursor}


def exposure_batch(fg: FinanceGraph, portfolios: Sequence[Portfolio], target: Target,
                   as_of: dt.date | None, limit: int = 20) -> list[dict[str, Any]]:
    """Each portfolio's answer, or its error: one bad portfolio never fails the batch."""
    if not portfolios:
        raise InvalidQuery("portfolios", "is empty; send 1 to 100 portfolios")
    if len(portfolios) > MAX_PORTFOLIOS:
        raise InvalidQuery("portfolios", f"has {len(portfolios)} portfolios; the limit is "
                           f"{MAX_PORTFOLIOS}: split the batch")
    fg.check_date(as_of)  # a date the graph cannot answer fails the request, not each portfolio
    out = []
    for i, p in enumerate(portfolios):
        try:
            out.append({"id": p.id, "result": exposure(fg, p, target, as_of, limit), "error": None})
        except KgdecideError as e:
            field = getattr(e, "field", None)
            out.append({"id": p.id, "result": None,
                        "error": {"code": "invalid_portfolio", "message": str(e),
                                  "field": f"portfolios.{i}.{field}" if field else f"portfolios.{i}"}})
    return out


def _resolve_holdings(fg: FinanceGraph, portfolio: Portfolio
                      ) -> tuple[list[int], np.ndarray, list[dict[str, str]], tuple[str, ...], list[str]]:
    holdings = portfolio.holdings
    if not holdings:
        raise InvalidQuery("holdings", "is empty; a portfolio needs at least one holding")
    if len(holdings) > MAX_HOLDINGS:
        raise InvalidQuery("holdings", f"has {len(holdings):,} holdings; the limit is "
                           f"{MAX_HOLDINGS:,}: keep the largest positions or split the portfolio")
    given = [h.weight for h in holdings]
    if any(w is not None and (not np.isfinite(w) or w < 0) for w in given):
        raise InvalidQuery("holdings.weight", "weights must be finite and not negative (short "
                           "positions are not supported)")
    if any(w is None for w in given) and any(w is not None for w in given):
        raise InvalidQuery("holdings.weight", "give a weight for every holding or for none "
                           "(none: equal weights)")
    rows, weights, unresolved, given_ids = [], [], [], []
    for i, h in enumerate(holdings):
        try:
            rows.append(fg.resolve(h.identifier, f"holdings.{i}.identifier"))
            given_ids.append(h.identifier)
            weights.append(1.0 if h.weight is None else float(h.weight))
        except InvalidQuery as e:
            unresolved.append({"identifier": h.identifier,
                               "problem": _identifier_problem(h.identifier) or e.problem})
    if not rows:
        raise InvalidQuery("holdings", "none of the holdings is known: " +
                           "; ".join(f"{u['identifier']!r}" for u in unresolved[:5]))
    w = np.array(weights)
    notes: tuple[str, ...] = ()
    if w.sum() <= 0:
        raise InvalidQuery("holdings.weight", "the weights sum to 0")
    if any(x is not None for x in given) and abs(w.sum() - 1.0) > 1e-6:
        notes = (f"weights summed to {w.sum():.6g}, not 1; they were rescaled to sum to 1",)
    return rows, w / w.sum(), unresolved, notes, given_ids


def listed_exposures(fg: FinanceGraph, scores: np.ndarray) -> np.ndarray:
    """The exposure of every listed company (its score summed over its ``listed_as`` aliases, as
    for a holding), one per listed company, from one walk's ``scores``."""
    return np.asarray(_listed_matrix(fg) @ scores).ravel()


_LISTED: weakref.WeakKeyDictionary[FinanceGraph, sp.csr_matrix] = weakref.WeakKeyDictionary()
_LISTED_LOCK = threading.Lock()


def _listed_matrix(fg: FinanceGraph) -> sp.csr_matrix:
    """[listed companies x nodes], 1 where the node is the company or one of its aliases; built
    once per graph."""
    with _LISTED_LOCK:
        matrix = _LISTED.get(fg)
    if matrix is not None:
        return matrix
    g = fg.graph
    companies = fg.company_rows()
    column = g.node_columns.get("ticker")
    listed = companies
    if column is not None:
        with_ticker = np.array([column.get(int(r)) is not None for r in companies], dtype=bool)
        if with_ticker.any():
            listed = companies[with_ticker]
    rows, cols = [], []
    for i, row in enumerate(listed.tolist()):
        aliases = fg.company_aliases(row)
        rows.append(np.full(len(aliases), i))
        cols.append(aliases)
    if rows:
        r, c = np.concatenate(rows), np.concatenate(cols)
    else:
        r, c = np.zeros(0, np.int64), np.zeros(0, np.int64)
    matrix = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(listed), len(g)))
    with _LISTED_LOCK:
        _LISTED[fg] = matrix
    return matrix


def _percentile(ordered: np.ndarray, value: float) -> float:
    """Percentage of ``ordered`` (ascending) strictly below ``value``, to one decimal.

    >>> _percentile(np.array([0.0, 0.0, 1.0, 2.0]), 2.0), _percentile(np.array([0.0, 1.0]), 0.0)
    (75.0, 0.0)
    """
    if ordered.size == 0:
        return 0.0
    below = int(np.searchsorted(ordered, value * (1 - 1e-9), side="left"))
    return round(100.0 * below / ordered.size, 1)


_ISIN = re.compile(r"[A-Z]{2}[A-Z0-9]{9}[0-9]")
_FIGI = re.compile(r"BBG[0-9BCDFGHJKLMNPQRSTVWXYZ]{9}")


def _identifier_problem(identifier: str) -> str | None:
    """What is wrong with an ISIN or FIGI the graph does not know: a wrong check digit, or a
    well-formed one that none of the graph's sources gives (None for other identifiers).

    >>> _identifier_problem("US0378331006")
    "'US0378331006' is not a valid ISIN: its check digit should be 5; check for a typo"
    >>> _identifier_problem("AAPL") is None
    True
    """
    text = identifier.strip().upper()
    if _FIGI.fullmatch(text):
        return (f"{identifier!r} is a FIGI this graph does not know (none of its sources gives "
                "FIGIs); give the ticker instead")
    if _ISIN.fullmatch(text):
        digits = "".join(str(int(c, 36)) for c in text[:11])
        total = 0
        for i, d in enumerate(reversed(digits)):
            n = int(d) * (2 if i % 2 == 0 else 1)
            total += n // 10 + n % 10
        check = (10 - total % 10) % 10
        if int(text[11]) != check:
            return (f"{identifier!r} is not a valid ISIN: its check digit should be {check}; "
                    "check for a typo")
        return (f"{identifier!r} is a valid ISIN this graph does not know (its ISINs come from "
                "13F filings only); give the ticker instead")
    return None


def _key(portfolio: Portfolio, target: Target, day: dt.date | None) -> str:
    text = repr((portfolio.id, [(h.identifier, h.weight) for h in portfolio.holdings], target.rows,
                 day))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
