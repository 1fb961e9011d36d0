"""The graph explorer (``/explore``): search, expand, filter, paths, provenance, export.

Read-only by construction: this blueprint registers GET routes only (a test checks it), and the
engine calls it makes only read the store.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from kgdecide.web import api, state
from kgdecide.web.auth import throttle

bp = Blueprint("explore", __name__, url_prefix="/explore")


@bp.before_request
def _throttle() -> None:
    if request.endpoint != "explore.page":
        throttle(f"explore:{request.remote_addr}")


@bp.get("/")
def page() -> str:
    store = state().engine.store
    counts = store.counts()
    return render_template("explorer.html", kg_version=store.version,
                           node_types=sorted(counts.nodes_by_type),
                           relations=sorted(counts.edges_by_relation))


@bp.get("/search")
def search() -> Response:
    return api.json_response(api.do_search())


@bp.get("/nodes/<path:node_id>")
def node(node_id: str) -> Response:
    return api.json_response(api.do_node(node_id))


@bp.get("/nodes/<path:node_id>/neighbors")
def neighbors(node_id: str) -> Response:
    return api.json_response(api.do_neighbors(node_id))


@bp.get("/paths")
def paths() -> Response:
    return api.json_response(api.do_paths())
