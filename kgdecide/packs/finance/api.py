"""The finance API: ``POST /api/v1/finance/exposure``, ``/related``, ``/predict``.

Register it on the app made by :func:`kgdecide.web.create_app`::

    from kgdecide.packs.finance.api import finance_blueprint
    app.register_blueprint(finance_blueprint())          # store from app.config["FINANCE_STORE"]
    csrf.exempt(...)                                       # API clients send X-API-Key, not cookies

The finance graph is loaded once, when the blueprint is registered, into
``app.extensions["kgdecide.finance"]``; the linker (for event text) is built on first use. Every
route needs a key whose role allows ``finance``; bodies are parsed strictly (unknown fields are a
400 naming them) and errors go through the app's one error handler. :data:`FINANCE_ENDPOINTS`
describes the routes for the OpenAPI document.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kgdecide.packs.finance.exposure import MAX_PORTFOLIOS

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
EXTENSION = "kgdecide.finance"

logger = logging.getLogger(__name__)


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
    items: list[dict[str, Any]] = Field(description="Each flagged prediction: true, with paths.")


@dataclass
class FinanceState:
    """What the blueprint keeps for the app's lifetime."""

    graph: Any  #: a FinanceGraph
    linker: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get_linker(self) -> Any:
        with self.lock:
            if self.linker is None:
                from kgdecide.packs.finance.commands import _linker

                self.linker = _linker(self.graph) or False
            return self.linker or None


def finance_blueprint(store: Any = None) -> Any:
    """The blueprint; ``store`` is a GraphStore, a store name or path (default: the app's
    ``FINANCE_STORE`` config, else ``finance``)."""
    from flask import Blueprint, Flask, current_app

    bp = Blueprint("finance_api", __name__, url_prefix="/api/v1/finance")

    @bp.record_once
    def _load(setup: Any) -> None:
        app: Flask = setup.app
        app.extensions[EXTENSION] = _open_state(app, store)
        csrf = app.extensions.get("csrf")
        if csrf is not None:  # API clients authenticate with a key header, not a cookie
            csrf.exempt(bp)

    def state() -> FinanceState:
        from kgdecide.errors import StoreUnavailable

        loaded = current_app.extensions[EXTENSION]
        if isinstance(loaded, Exception):  # no finance graph: the clinical app still serves
            # The reason (a path on the server) goes to the log at start-up, not to clients.
            raise StoreUnavailable("the finance graph is not available on this server; its "
                                   "operator builds it with `kgdecide build finance` and "
                                   "restarts the server", retry_after=3600)
        return loaded  # type: ignore[no-any-return]

    @bp.post("/exposure")
    def exposure_route() -> Any:
        from kgdecide.errors import InvalidQuery
        from kgdecide.packs.finance.exposure import (Holding, Portfolio, exposure, exposure_batch,
                                                     resolve_target)
        from kgdecide.packs.finance.temporal import parse_date
        from kgdecide.web.api import json_body, json_response
        from kgdecide.web.auth import authorize
        from kgdecide.web.schemas import parse_body

        authorize("finance")
        body = parse_body(ExposureRequest, json_body())
        fs = state()
        day = parse_date(body.as_of)
        target = resolve_target(fs.graph, body.event, fs.get_linker())
        portfolios = [Portfolio(p.id, tuple(Holding(h.id, None if h.weight is None else float(h.weight))
                                            for h in p.holdings)) for p in body.portfolios]
        if body.cursor is not None:
            if len(portfolios) != 1:
                raise InvalidQuery("cursor", "pages one portfolio at a time; send the portfolio "
                                   "the cursor came from, alone")
            results = [{"id": portfolios[0].id, "error": None,
                        "result": exposure(fs.graph, portfolios[0], target, day, body.limit, body.cursor)}]
        else:
            results = exposure_batch(fs.graph, portfolios, target, day, body.limit)
        return json_response({"graph_version": fs.graph.version,
                              "as_of": day.isoformat() if day else None, "results": results})

    @bp.post("/related")
    def related_route() -> Any:
        from kgdecide.packs.finance.related import related
        from kgdecide.packs.finance.temporal import parse_date
        from kgdecide.web.api import json_body, json_response
        from kgdecide.web.auth import authorize
        from kgdecide.web.schemas import parse_body

        authorize("finance")
        body = parse_body(RelatedRequest, json_body())
        return json_response(related(state().graph, body.entity, parse_date(body.as_of),
                                     tuple(body.types), body.limit, body.cursor))

    @bp.post("/predict")
    def predict_route() -> Any:
        from kgdecide.packs.finance.hypotheses import hypotheses
        from kgdecide.packs.finance.temporal import parse_date
        from kgdecide.web.api import json_body, json_response
        from kgdecide.web.auth import authorize
        from kgdecide.web.schemas import parse_body

        authorize("finance")
        body = parse_body(PredictRequest, json_body())
        return json_response(hypotheses(state().graph, body.entity, parse_date(body.as_of), body.limit))

    return bp


def _open_state(app: Any, store: Any) -> FinanceState | Exception:
    """The blueprint's state, or the error that kept the finance graph from loading: a server
    for the clinical pack alone must still start."""
    from kgdecide.errors import SnapshotError

    try:
        return FinanceState(_open_graph(app, store))
    except SnapshotError as e:
        logger.warning("finance API disabled: no finance graph is available (%s)", e.problem)
        return e


def _open_graph(app: Any, store: Any) -> Any:
    from kgdecide.graph.embedded import EmbeddedStore
    from kgdecide.packs.finance.analysis import FinanceGraph
    from kgdecide.settings import Settings

    chosen = store if store is not None else app.config.get("FINANCE_STORE", "finance")
    if isinstance(chosen, str):
        web = app.extensions.get("kgdecide")
        settings = web.settings if web is not None else Settings.from_env()
        chosen = EmbeddedStore.from_path(settings.store_dir(chosen))
    return FinanceGraph.from_store(chosen)


def finance_endpoints() -> tuple[Any, ...]:
    """The finance routes as :class:`kgdecide.web.schemas.Endpoint` rows for the OpenAPI table
    (``ENDPOINTS + finance_endpoints()``)."""
    from kgdecide.web.schemas import Endpoint

    return (
        Endpoint("post", "/finance/exposure", "financeExposure",
                 "Rank up to 100 portfolios' holdings by exposure to an event as of a date, with "
                 "paths; one result or error per portfolio.", "finance", ExposureOut,
                 body=ExposureRequest),
        Endpoint("post", "/finance/related", "financeRelated",
                 "Entities most related to one entity as of a date, by type, with paths and "
                 "dates.", "finance", RelatedOut, body=RelatedRequest),
        Endpoint("post", "/finance/predict", "financePredict",
                 "Links likely to appear the week after a date, flagged as predictions, with "
                 "supporting paths.", "finance", PredictOut, body=PredictRequest),
    )
