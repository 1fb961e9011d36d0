"""The graph explorer (``/explore``): search, expand, filter, paths, provenance, export.

For signed-in users whose role allows graph reads; each JSON call checks the same permission as
its ``/api/v1`` twin. Read-only by construction: this blueprint declares GET routes only (a test
checks it), and the engine calls it makes only read the store.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from kgdecide.web import api, state
from kgdecide.web.auth import Principal
from kgdecide.web.routes import SESSION, Routes
from kgdecide.web.schemas import NeighborsQuery, NoQuery, PathsQuery, SearchQuery

bp = Blueprint("explore", __name__, url_prefix="/explore")
routes = Routes(bp, auth=SESSION)


@routes.get("/", "explorerPage", "The graph explorer page.", permission="graph", page=True,
            content_type="text/html")
def page(who: Principal) -> str:
    counts = state().engine.counts()
    return render_template("explorer.html", node_types=sorted(counts.nodes_by_type),
                           relations=sorted(counts.edges_by_relation))


@routes.twin_of(api.routes, "search", "/search", "explorerSearch")
def search(query: SearchQuery, who: Principal) -> Response:
    return api.json_response(api.do_search(query))


@routes.twin_of(api.routes, "getNode", "/nodes/<path:node_id>", "explorerNode")
def node(node_id: str, query: NoQuery, who: Principal) -> Response:
    return api.json_response(api.do_node(node_id))


@routes.twin_of(api.routes, "getNeighbors", "/nodes/<path:node_id>/neighbors",
                "explorerNeighbors")
def neighbors(node_id: str, query: NeighborsQuery, who: Principal) -> Response:
    return api.json_response(api.do_neighbors(node_id, query))


@routes.twin_of(api.routes, "getPaths", "/paths", "explorerPaths")
def paths(query: PathsQuery, who: Principal) -> Response:
    return api.json_response(api.do_paths(query))
