"""The finance API: ``POST /api/v1/finance/exposure``, ``/related``, ``/predict`` and ``GET
/api/v1/finance/entities``, as data.

:data:`ROUTES` declares each route (path, request and response models, permission, handler);
:data:`kgdecide.packs.PACKS` points the web app at it, and :mod:`kgdecide.web.packs` builds the
Flask views and the OpenAPI entries from it. The web app opens the finance store once at start
and calls :func:`open_state` with it, which also builds the linker for event text. Every
route needs a key whose role allows ``finance``; bodies are parsed strictly (unknown fields are a
400 naming them) and errors go through the app's one error handler. Nothing here imports Flask.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kgdecide.packs import PackRoute
from kgdecide.packs.finance.exposure import MAX_PORTFOLIOS

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class HoldingIn(_Body):
    """One position: an identifier the graph knows and, optionally, its weight."""

    id: str = Field(min_length=1, max_length=200, examples=["AAPL", "US0378331005", "TICKER:DAL"],
                    description="Ticker, ISIN, CUSIP, CIK, node id or exact company name.")
    weight: float | int | None = Field(None, description="Share of the portfolio; give all or none "
                                       "(none: equal weights). Rescaled to sum to 1, with a note.")


class PortfolioIn(_Body):
    id: str = Field(min_length=1, max_length=200, description="Your label, echoed back.")
    holdings: list[HoldingIn] = Field(max_length=10_000, description="At most 2,000 are answered; "
                                      "more is an error for this portfolio.")


class ExposureRequest(_Body):
    """Up to 100 portfolios against one event or entity, as of a date."""

    event: str = Field(min_length=1, max_length=500, examples=["COVID-19"],
                       description="A node id, ticker or exact name, else text that is linked.")
    as_of: str | None = Field(None, pattern=DATE_PATTERN, examples=["2020-03-08"])
    portfolios: list[PortfolioIn] = Field(min_length=1, max_length=MAX_PORTFOLIOS)
    limit: int = Field(20, ge=1, le=200, description="Holdings per page.")
    cursor: str | None = Field(None, max_length=1000,
                               description="next_cursor of a previous page (one portfolio only).")


class RelatedRequest(_Body):
    entity: str = Field(min_length=1, max_length=500, examples=["AAPL"])
    as_of: str | None = Field(None, pattern=DATE_PATTERN)
    types: list[str] = Field(default_factory=list, max_length=20,
                             description="Only entities of these node types (default: all).")
    limit: int = Field(10, ge=1, le=200)
    cursor: str | None = Field(None, max_length=1000)


class PredictRequest(_Body):
    entity: str = Field(min_length=1, max_length=500, examples=["FINDKG:9"])
    as_of: str | None = Field(None, pattern=DATE_PATTERN,
                              description="Predict the week after this date (default: the last).")
    limit: int = Field(10, ge=1, le=100)


class EntitiesQuery(BaseModel):
    """Search-as-you-type over the finance graph (query string)."""

    model_config = ConfigDict(extra="forbid")
    q: str = Field(min_length=1, max_length=200,
                   description="A ticker, ISIN, CUSIP, CIK or node id, or the start of a word of a name.")
    type: str | None = Field(None, max_length=100, description="Only entities of this node type.")
    limit: int = Field(10, ge=1, le=50)


class EntitiesOut(_Out):
    graph_version: str
    items: list[dict[str, Any]] = Field(description="{id, label, type} and the identifiers known.")


class ExposureOut(_Out):
    graph_version: str
    as_of: str | None
    results: list[dict[str, Any]] = Field(description="One per portfolio: {id, result, error}.")


class RelatedOut(_Out):
    graph_version: str
    as_of: str | None
    entity: dict[str, Any]
    items: list[dict[str, Any]]
    next_cursor: str | None


class PredictOut(_Out):
    graph_version: str
    as_of: str
    predicted_week: str
    entity: dict[str, Any]
    items: list[dict[str, Any]] = Field(description="Each flagged prediction: true, with paths "
                                        "and its reasons ({kind: rule|feature, text, ...}).")


@dataclass
class FinanceState:
    """What the finance routes keep for the app's lifetime (:func:`open_state` makes it)."""

    graph: Any  #: a FinanceGraph
    linker: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    entities: Any = None  #: the analyst page's search index, built by open_state

    def get_entities(self) -> Any:
        with self.lock:
            if self.entities is None:
                from kgdecide.packs.finance.analyst import EntityIndex

                self.entities = EntityIndex.build(self.graph)
            return self.entities

    def get_linker(self) -> Any:
        with self.lock:
            if self.linker is None:
                from kgdecide.packs.finance.commands import _linker

                self.linker = _linker(self.graph) or False
            return self.linker or None


def open_state(store: Any) -> FinanceState:
    """The routes' state over the finance store (a GraphStore), built once when the app starts,
    with the linker for event text and the entity search index: built before the server's
    workers fork, they are shared, and no request waits for them."""
    from kgdecide.packs.finance.analysis import FinanceGraph

    state = FinanceState(FinanceGraph.from_store(store))
    state.get_linker()
    state.get_entities()
    return state


def exposure_answer(state: FinanceState, body: ExposureRequest) -> dict[str, Any]:
    """``POST /finance/exposure``: each portfolio's holdings ranked by exposure to the event."""
    from kgdecide.errors import InvalidQuery
    from kgdecide.packs.finance.exposure import (Holding, Portfolio, exposure, exposure_batch,
                                                 resolve_target)
    from kgdecide.packs.finance.temporal import parse_date

    day = parse_date(body.as_of)
    target = resolve_target(state.graph, body.event, state.get_linker)
    portfolios = [Portfolio(p.id, tuple(Holding(h.id, None if h.weight is None else float(h.weight))
                                        for h in p.holdings)) for p in body.portfolios]
    if body.cursor is not None:
        if len(portfolios) != 1:
            raise InvalidQuery("cursor", "pages one portfolio at a time; send the portfolio "
                               "the cursor came from, alone")
        results = [{"id": portfolios[0].id, "error": None,
                    "result": exposure(state.graph, portfolios[0], target, day, body.limit, body.cursor)}]
    else:
        results = exposure_batch(state.graph, portfolios, target, day, body.limit)
    return {"graph_version": state.graph.version, "as_of": day.isoformat() if day else None,
            "results": results}


def related_answer(state: FinanceState, body: RelatedRequest) -> dict[str, Any]:
    """``POST /finance/related``: the entities most related to one entity."""
    from kgdecide.packs.finance.related import related
    from kgdecide.packs.finance.temporal import parse_date

    return related(state.graph, body.entity, parse_date(body.as_of), tuple(body.types), body.limit,
                   body.cursor)


def predict_answer(state: FinanceState, body: PredictRequest) -> dict[str, Any]:
    """``POST /finance/predict``: links likely to appear the week after a date."""
    from kgdecide.packs.finance.analyst import reasons
    from kgdecide.packs.finance.hypotheses import DEFAULT_WEIGHTS, hypotheses
    from kgdecide.packs.finance.temporal import parse_date

    answer = hypotheses(state.graph, body.entity, parse_date(body.as_of), body.limit, DEFAULT_WEIGHTS)
    for item in answer["items"]:
        item["reasons"] = reasons(item, DEFAULT_WEIGHTS)
    return answer


def entities_answer(state: FinanceState, query: EntitiesQuery) -> dict[str, Any]:
    """``GET /finance/entities``: entities of the finance graph matching a query."""
    from kgdecide.packs.finance.analyst import search_entities

    return search_entities(state.graph, state.get_entities(), query.q, query.type, query.limit)


#: The finance routes (below /api/v1), served by :mod:`kgdecide.web.packs`.
ROUTES: tuple[PackRoute, ...] = (
    PackRoute("post", "/finance/exposure", "financeExposure",
              "Rank up to 100 portfolios' holdings by exposure to an event as of a date, with "
              "paths; one result or error per portfolio.", "finance", ExposureRequest, ExposureOut,
              f"{__name__}:exposure_answer"),
    PackRoute("post", "/finance/related", "financeRelated",
              "Entities most related to one entity as of a date, by type, with paths and dates.",
              "finance", RelatedRequest, RelatedOut, f"{__name__}:related_answer"),
    PackRoute("post", "/finance/predict", "financePredict",
              "Links likely to appear the week after a date, flagged as predictions, with "
              "supporting paths.", "finance", PredictRequest, PredictOut,
              f"{__name__}:predict_answer"),
    PackRoute("get", "/finance/entities", "financeEntities",
              "Find entities of the finance graph by identifier or by the start of a word of "
              "their name.", "finance", EntitiesQuery, EntitiesOut, f"{__name__}:entities_answer"),
)
