"""The domain packs' JSON routes, built from :data:`kgdecide.packs.PACKS`.

Packs never import the web app; each declares its routes as :class:`~kgdecide.packs.PackRoute`
rows. For every pack with routes this module makes one blueprint and declares each row with
:class:`kgdecide.web.routes.Routes` (key, permission, strict request model, JSON response, a row in
the OpenAPI document and the role table), the view calling the pack's handler. So a pack route is
declared once, like every other route.

A pack with a :class:`~kgdecide.packs.PackPage` also gets a second blueprint for signed-in users:
the page itself (declared with ``page=True`` like the clinician's page) and each of the pack's
routes again below the page's path (``/finance/exposure`` beside ``/api/v1/finance/exposure``),
checked against the same permission with the user's session and CSRF token instead of a key. The
header of every page links the pack's page (:func:`pack_pages`).

A pack's store is ``app.config["<NAME>_STORE"]`` (a store name or path, or a ready GraphStore;
default: the pack's name), opened once at start; ``app.config["<NAME>"] = False`` leaves the
pack's routes out. Without its graph the app still starts and the pack's routes answer 503.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app

from kgdecide.errors import SnapshotError
from kgdecide.packs import PACKS, Pack, PackRoute, resolve
from kgdecide.web.errors import ApiError

logger = logging.getLogger(__name__)


def register_packs(app: Flask) -> None:
    """Register the blueprint of every pack that has routes and is not switched off."""
    for pack in PACKS:
        if pack.routes is not None and app.config.get(pack.name.upper(), True):
            app.register_blueprint(_blueprint(pack))
            if pack.page is not None:
                app.register_blueprint(_page_blueprint(pack))
    app.context_processor(lambda: {"pack_pages": pack_pages(app)})


def pack_pages(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, title) of each pack page this app serves, for the pages' header."""
    return [(f"{pack.name}_page.{page.operation_id}", page.title) for pack in PACKS
            if pack.page is not None and f"{pack.name}_page" in app.blueprints
            for page in (resolve(pack.page),)]


def _routes(pack: Pack) -> tuple[PackRoute, ...]:
    assert pack.routes is not None
    routes: tuple[PackRoute, ...] = resolve(pack.routes)
    return routes


def _extension(pack: Pack) -> str:
    return f"kgdecide.{pack.name}"


def _blueprint(pack: Pack) -> Blueprint:
    from kgdecide.web.routes import KEY, Routes

    bp = Blueprint(f"{pack.name}_api", __name__, url_prefix="/api/v1")
    routes = Routes(bp, auth=KEY)
    for route in _routes(pack):
        _declare(routes, route, route.path, route.operation_id, route.summary, _view(pack, route),
                 response=route.response)

    @bp.record_once
    def _load(setup: Any) -> None:
        app: Flask = setup.app
        app.extensions[_extension(pack)] = _open_state(app, pack)
        csrf = app.extensions.get("csrf")
        if csrf is not None:  # API clients authenticate with a key header, not a cookie
            csrf.exempt(bp)

    return bp


def _page_blueprint(pack: Pack) -> Blueprint:
    """The pack's page and its calls, for signed-in users."""
    from flask import render_template

    from kgdecide.packs import PackPage
    from kgdecide.web.routes import SESSION, Routes

    assert pack.page is not None
    page: PackPage = resolve(pack.page)
    bp = Blueprint(f"{pack.name}_page", __name__, url_prefix=page.path)
    routes = Routes(bp, auth=SESSION)
    context = resolve(page.context)

    def show(who: Any) -> str:
        loaded = current_app.extensions[_extension(pack)]
        return render_template(page.template,
                               **context(None if isinstance(loaded, Exception) else loaded))

    show.__name__ = page.operation_id  # the endpoint's name
    routes.get("/", page.operation_id, page.summary, permission=page.permission, page=True,
               content_type="text/html")(show)
    for route in _routes(pack):
        rule = route.path.removeprefix(page.path) if route.path.startswith(page.path + "/") \
            else route.path
        _declare(routes, route, rule, "page" + route.operation_id[0].upper() + route.operation_id[1:],
                 f"As {route.method.upper()} /api/v1{route.path}.", _view(pack, route),
                 twin=route.operation_id)
    return bp


def _declare(routes: Any, route: PackRoute, rule: str, name: str, summary: str,
             view: Callable[..., Response], response: Any = None, twin: str | None = None) -> None:
    """Declare one pack route row on a blueprint's ``Routes`` under ``rule`` as endpoint ``name``
    (``twin``: for a page's call, the operationId of the API route it mirrors)."""
    declare = routes.post if route.method == "post" else routes.get
    model = {"body": route.request} if route.method == "post" else {"query": route.request}
    if twin is not None:
        model["twin"] = twin
    view.__name__ = name
    declare(rule, name, summary, permission=route.permission, response=response, **model)(view)


def _view(pack: Pack, route: PackRoute) -> Callable[..., Response]:
    handler = resolve(route.handler)

    def view(body: Any = None, query: Any = None, who: Any = None) -> Response:
        from kgdecide.web.api import json_response

        return json_response(handler(_state(pack), body if body is not None else query))

    view.__name__ = route.operation_id
    return view


def _state(pack: Pack) -> Any:
    loaded = current_app.extensions[_extension(pack)]
    if isinstance(loaded, Exception):  # no graph for this pack: the rest of the app still serves
        # The reason (a path on the server) went to the log at start-up, not to clients.
        raise ApiError(503, "store_unavailable", f"the {pack.name} graph is not available on "
                       "this server", f"Its operator builds it with `kgdecide build {pack.name}` "
                       "and restarts the server.", headers={"Retry-After": "3600"})
    return loaded


def _open_state(app: Flask, pack: Pack) -> Any:
    """The pack's state over its store, or the error that kept its graph from loading: a server
    for the other packs must still start."""
    from kgdecide.settings import Settings
    from kgdecide.web import _open_store

    web = app.extensions.get("kgdecide")
    settings = web.settings if web is not None else Settings.from_env()
    assert pack.open is not None
    try:
        store = _open_store(settings, app.config.get(f"{pack.name.upper()}_STORE", pack.name))
        return resolve(pack.open)(store)
    except SnapshotError as e:
        logger.warning("%s API disabled: no %s graph is available (%s)", pack.name, pack.name, e.problem)
        return e
