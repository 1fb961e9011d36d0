"""The clinician's page (``/``) and the JSON calls it makes (``/ui/...``).

The page has no API key: it is for the operator's own deployment, bound to 127.0.0.1 by default.
Its POSTs carry a CSRF token (Flask-WTF) and are rate limited per client address; decisions made
here are audited under the key id ``ui``.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from kgdecide.web import api, state
from kgdecide.web.auth import throttle
from kgdecide.web.engine import SCORER_MISSING

bp = Blueprint("ui", __name__)

#: Key id recorded in the audit log for decisions made on the clinician page.
UI_KEY_ID = "ui"


def _throttle() -> None:
    throttle(f"ui:{request.remote_addr}")


@bp.get("/")
def clinician() -> str:
    engine = state().engine
    return render_template("clinician.html", decide_available=engine.decide_available,
                           scorer_missing=SCORER_MISSING, kg_version=engine.store.version)


@bp.get("/ui/search")
def search() -> Response:
    _throttle()
    return api.json_response(api.do_search())


@bp.post("/ui/decide")
def decide() -> Response:
    _throttle()
    return api.json_response(api.do_decide(UI_KEY_ID))


@bp.post("/ui/link")
def link() -> Response:
    _throttle()
    return api.json_response(api.do_link())
