"""The JSON API for tools, ``/api/v1``: every route but health, metrics and the schema needs an
API key whose role allows it (see :data:`kgdecide.web.auth.ROLES`).

Views parse with :mod:`~kgdecide.web.schemas`, call the :class:`~kgdecide.web.engine.Engine`
and return JSON; errors go through :mod:`~kgdecide.web.errors`. The ``do_*`` functions are shared
with the clinician page and the explorer, which authenticate differently.
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import Blueprint, Response, request

from kgdecide.web import schemas, state
from kgdecide.web.auth import authorize
from kgdecide.web.errors import ApiError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


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


def do_search() -> dict[str, Any]:
    q = schemas.parse_query(schemas.SearchQuery, query_args())
    hits = state().engine.search(q.q, q.type, q.limit)
    return {"items": [{"id": h.id, "label": h.label, "type": h.type, "matched": h.matched}
                      for h in hits]}


def do_node(node_id: str) -> dict[str, Any]:
    from kgdecide.web.present import node_json

    schemas.parse_query(schemas.NoQuery, query_args())
    return node_json(state().engine.store.get_node(node_id))


def do_neighbors(node_id: str) -> dict[str, Any]:
    return state().engine.neighbors(node_id, schemas.parse_query(schemas.NeighborsQuery, query_args()))


def do_paths() -> dict[str, Any]:
    return state().engine.paths(schemas.parse_query(schemas.PathsQuery, query_args()))


def do_decide(key_id: str) -> str:
    web = state()
    request_model = schemas.parse_body(schemas.DecideRequest, json_body())
    body = web.engine.decide(request_model, key_id)
    web.metrics.count("decisions")
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def do_link() -> dict[str, Any]:
    from kgdecide.web.present import link_json

    request_model = schemas.parse_body(schemas.LinkRequest, json_body())
    return link_json(state().engine.link(request_model.text))


# --- routes -------------------------------------------------------------------------------------


@bp.get("/healthz")
def healthz() -> Response:
    engine = state().engine
    counts = engine.store.counts()
    return json_response({"status": "ok", "kg_version": engine.store.version, "nodes": counts.nodes,
                          "edges": counts.edges, "scorer_available": engine.decide_available})


@bp.get("/metrics")
def metrics() -> Response:
    web = state()
    counts = web.engine.store.counts()
    gauges = {"graph_nodes": float(counts.nodes), "graph_edges": float(counts.edges),
              "audit_decisions": float(web.engine.audit.count()),
              "scorer_available": float(web.engine.decide_available)}
    return Response(web.metrics.render(gauges), mimetype="text/plain; version=0.0.4")


@bp.get("/openapi.json")
def openapi() -> Response:
    try:
        release = version("kgdecide")
    except PackageNotFoundError:  # running from a source tree that was never installed
        release = "0+unknown"
    return json_response(schemas.openapi_document(release))


@bp.get("/nodes/<path:node_id>")
def get_node(node_id: str) -> Response:
    authorize("graph")
    return json_response(do_node(node_id))


@bp.get("/nodes/<path:node_id>/neighbors")
def get_neighbors(node_id: str) -> Response:
    authorize("graph")
    return json_response(do_neighbors(node_id))


@bp.get("/paths")
def get_paths() -> Response:
    authorize("graph")
    return json_response(do_paths())


@bp.get("/search")
def search() -> Response:
    authorize("search")
    return json_response(do_search())


@bp.post("/decide")
def decide() -> Response:
    key = authorize("decide")
    return json_response(do_decide(key.id))


@bp.post("/link")
def link() -> Response:
    authorize("link")
    return json_response(do_link())


@bp.post("/rank")
def rank() -> Response:
    key = authorize("rank")
    web = state()
    request_model = schemas.parse_body(schemas.RankRequest, json_body())
    body = web.engine.rank(request_model, key.id)
    web.metrics.count("decisions", sum(r["result"] is not None for r in body["results"]))
    return json_response(body)


@bp.get("/decisions/<decision_id>")
def get_decision(decision_id: str) -> Response:
    key = authorize("decide")
    record = state().engine.audit.get(decision_id)
    # A key without the audit permission sees only its own decisions; others' look absent.
    if record is None or (record.key_id != key.id and not key.allows("audit")):
        raise ApiError(404, "decision_not_found", f"no decision {decision_id!r} visible to this key",
                       "Use the id from a POST /decide response made with this key.", "id")
    return json_response(record.as_json())
