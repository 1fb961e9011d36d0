"""The JSON API for tools, ``/api/v1``: every route but health, metrics and the schema needs an
API key whose role allows it (see :data:`kgdecide.web.auth.ROLES`).

Each route is declared once with :class:`~kgdecide.web.routes.Routes` (method, path, models,
permission); the declaration authenticates, parses the request and feeds the OpenAPI document.
Views call the :class:`~kgdecide.web.engine.Engine` and return JSON; errors go through
:mod:`~kgdecide.web.errors`. The ``do_*`` functions are shared with the clinician page and the
explorer, which declare the same permissions with a signed-in user instead of a key.
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import Blueprint, Response, request

from kgdecide.web import schemas, state
from kgdecide.web.auth import Principal
from kgdecide.web.errors import ApiError
from kgdecide.web.routes import KEY, Routes
from kgdecide.web.schemas import (
    DecideOut, DecideRequest, DecisionRecordOut, HealthOut, LinkOut, LinkRequest, NeighborsOut,
    NeighborsQuery, NodeOut, NoQuery, PathsOut, PathsQuery, RankOut, RankRequest, SearchOut,
    SearchQuery,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
routes = Routes(bp, auth=KEY)


def json_response(body: Any, status: int = 200) -> Response:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return Response(text, status=status, mimetype="application/json")


def json_body() -> bytes:
    """The raw body of a JSON request; 415 for another content type (413 comes from Flask's
    MAX_CONTENT_LENGTH when the body is too long)."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       f"the body is {request.mimetype or 'untyped'}, not JSON",
                       "Send Content-Type: application/json with a JSON object.", "Content-Type")
    return request.get_data(cache=False)


def query_args() -> dict[str, str]:
    return request.args.to_dict(flat=True)


# --- shared with the other blueprints ----------------------------------------------------------


def do_search(query: SearchQuery) -> dict[str, Any]:
    hits = state().engine.search(query.q, query.type, query.limit)
    return {"items": [{"id": h.id, "label": h.label, "type": h.type, "matched": h.matched}
                      for h in hits]}


def do_node(node_id: str) -> dict[str, Any]:
    from kgdecide.web.present import node_json

    return node_json(state().engine.store.get_node(node_id))


def do_neighbors(node_id: str, query: NeighborsQuery) -> dict[str, Any]:
    return state().engine.neighbors(node_id, query)


def do_paths(query: PathsQuery) -> dict[str, Any]:
    return state().engine.paths(query)


def do_decide(body: DecideRequest, who: Principal) -> str:
    web = state()
    decided = web.engine.decide(body, who.id)
    web.metrics.count("decisions")
    return json.dumps(decided, ensure_ascii=False, sort_keys=True)


def do_link(body: LinkRequest) -> dict[str, Any]:
    from kgdecide.web.present import link_json

    return link_json(state().engine.link(body.text))


# --- routes -------------------------------------------------------------------------------------


@routes.get("/healthz", "healthz", "Liveness and graph size (counts cached, not read per "
            "request).", permission=None, response=HealthOut)
def healthz(who: None) -> Response:
    engine = state().engine
    counts = engine.counts()
    return json_response({"status": "ok", "kg_version": counts.version, "nodes": counts.nodes,
                          "edges": counts.edges, "scorer_available": engine.decide_available})


@routes.get("/metrics", "metrics", "Prometheus metrics (text format); open unless the operator "
            "sets KGDECIDE_PUBLIC_METRICS=0.", permission="metrics", public_if="PUBLIC_METRICS",
            content_type="text/plain")
def metrics(who: Principal | None) -> Response:
    web = state()
    counts = web.engine.counts()
    gauges = {"graph_nodes": float(counts.nodes), "graph_edges": float(counts.edges),
              "audit_decisions": float(counts.decisions),
              "scorer_available": float(web.engine.decide_available)}
    return Response(web.metrics.render(gauges), mimetype="text/plain; version=0.0.4")


@routes.get("/openapi.json", "openapi", "This document.", permission=None)
def openapi(who: None) -> Response:
    from flask import current_app

    try:
        release = version("kgdecide")
    except PackageNotFoundError:  # running from a source tree that was never installed
        release = "0+unknown"
    return json_response(schemas.openapi_document(current_app, release))


@routes.get("/nodes/<path:node_id>", "getNode", "One node with its properties.",
            permission="graph", query=NoQuery, response=NodeOut)
def get_node(node_id: str, query: NoQuery, who: Principal) -> Response:
    return json_response(do_node(node_id))


@routes.get("/nodes/<path:node_id>/neighbors", "getNeighbors",
            "Edges at a node with the node at their other end, paginated, with counts per "
            "relation.", permission="graph", query=NeighborsQuery, response=NeighborsOut)
def get_neighbors(node_id: str, query: NeighborsQuery, who: Principal) -> Response:
    return json_response(do_neighbors(node_id, query))


@routes.get("/paths", "getPaths", "Shortest paths between two nodes, either edge direction.",
            permission="graph", query=PathsQuery, response=PathsOut)
def get_paths(query: PathsQuery, who: Principal) -> Response:
    return json_response(do_paths(query))


@routes.get("/search", "search", "Nodes whose label, synonym or id starts with q (or has a word "
            "starting with q).", permission="search", query=SearchQuery, response=SearchOut)
def search(query: SearchQuery, who: Principal) -> Response:
    return json_response(do_search(query))


@routes.post("/decide", "decide", "Rank and explain candidates for one case; the decision is "
             "stored in the audit log before the response is sent.", permission="decide",
             body=DecideRequest, response=DecideOut)
def decide(body: DecideRequest, who: Principal) -> Response:
    return json_response(do_decide(body, who))


@routes.post("/link", "link", "Link free text to graph nodes with assertion status.",
             permission="link", body=LinkRequest, response=LinkOut)
def link(body: LinkRequest, who: Principal) -> Response:
    return json_response(do_link(body))


@routes.post("/rank", "rank", "Rank up to 100 cases; one result or error per case.",
             permission="rank", body=RankRequest, response=RankOut)
def rank(body: RankRequest, who: Principal) -> Response:
    web = state()
    ranked = web.engine.rank(body, who.id)
    web.metrics.count("decisions", sum(r["result"] is not None for r in ranked["results"]))
    return json_response(ranked)


@routes.get("/decisions/<decision_id>", "getDecision", "A stored decision, as it was answered "
            "(mention spans without their text unless the operator keeps free text).",
            permission="decide", response=DecisionRecordOut)
def get_decision(decision_id: str, who: Principal) -> Response:
    record = state().engine.audit.get(decision_id)
    # A principal without the audit permission sees only its own decisions; others' look absent.
    if record is None or (record.key_id != who.id and not who.allows("audit")):
        raise ApiError(404, "decision_not_found", f"no decision {decision_id!r} visible to this key",
                       "Use the id from a POST /decide response made with this key.", "id")
    return json_response(record.as_json())
