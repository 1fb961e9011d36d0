"""The clinician's page (``/``) and the JSON calls it makes (``/ui/...``).

For signed-in users; each call checks the same permission as its ``/api/v1`` twin, counts against
the user's rate limit and, for POSTs, carries a CSRF token (Flask-WTF). Decisions made here are
audited under ``user:NAME``.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from kgdecide.web import api, state
from kgdecide.web.auth import Principal
from kgdecide.web.engine import SCORER_MISSING
from kgdecide.web.routes import SESSION, Routes
from kgdecide.web.schemas import DecideRequest, LinkRequest, SearchQuery

bp = Blueprint("ui", __name__)
routes = Routes(bp, auth=SESSION)


@routes.get("/", "clinicianPage", "The clinician's form and differential.", permission="decide",
            page=True, content_type="text/html")
def clinician(who: Principal) -> str:
    return render_template("clinician.html", decide_available=state().engine.decide_available,
                           scorer_missing=SCORER_MISSING)


@routes.twin_of(api.routes, "search", "/ui/search", "pageSearch")
def search(query: SearchQuery, who: Principal) -> Response:
    return api.json_response(api.do_search(query))


@routes.twin_of(api.routes, "decide", "/ui/decide", "pageDecide")
def decide(body: DecideRequest, who: Principal) -> Response:
    return api.json_response(api.do_decide(body, who))


@routes.twin_of(api.routes, "link", "/ui/link", "pageLink")
def link(body: LinkRequest, who: Principal) -> Response:
    return api.json_response(api.do_link(body))
