"""One declaration per route: method, path, models and permission, from which Flask's URL rule,
the check of who may call it, the request parsing, the OpenAPI document and the docs are built.
A page's JSON call is declared as the twin of its API route (:meth:`Routes.twin_of`), so it takes
that route's permission and request models instead of repeating them.

Declare a route on a blueprint's :class:`Routes`::

    bp = Blueprint("api", __name__, url_prefix="/api/v1")
    routes = Routes(bp, auth=KEY)

    @routes.get("/nodes/<path:node_id>/neighbors", "getNeighbors", "Edges at a node.",
                permission="graph", query=NeighborsQuery, response=NeighborsOut)
    def get_neighbors(node_id: str, query: NeighborsQuery, who: Principal) -> Response: ...

The view is called after the principal was authenticated (``KEY``: the ``X-API-Key`` header;
``SESSION``: a signed-in user's cookie), counted against its rate limit and checked against
``permission`` (:data:`kgdecide.web.auth.ROLES`); with ``query``/``body``/``form`` models it gets the
parsed request as ``query=``/``body=``/``form=``, and always ``who=`` (None on open routes). A
``page`` route answers a signed-out visitor with a redirect to the sign-in page and a forbidden
one with an HTML page; the others answer JSON errors. Every route of the app is listed in
``app.extensions["kgdecide.routes"]``; the OpenAPI document is made of those under ``/api/v1``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, current_app, g, request
from pydantic import BaseModel

from kgdecide.web.auth import Principal, check_permission, key_principal

KEY = "key"  #: authenticated by an API key header (no cookie: CSRF cannot ride on it)
SESSION = "session"  #: authenticated by a signed-in user's session cookie (POSTs carry CSRF)
EXTENSION = "kgdecide.routes"
API_PREFIX = "/api/v1"


@dataclass(frozen=True, slots=True)
class Route:
    """One declared route."""

    method: str  #: ``GET`` or ``POST``
    path: str  #: the Flask rule with the blueprint's prefix, e.g. ``/api/v1/nodes/<path:node_id>``
    name: str  #: OpenAPI operationId, unique
    summary: str
    permission: str | None  #: what the principal's role must allow; None: open to anyone
    auth: str = KEY  #: :data:`KEY` or :data:`SESSION`
    response: type[BaseModel] | None = None  #: None: not a JSON model (text, HTML, this document)
    body: type[BaseModel] | None = None  #: JSON body model
    query: type[BaseModel] | None = None  #: query-string model
    form: type[BaseModel] | None = None  #: form body model (the sign-in page)
    content_type: str = "application/json"  #: of the 200 response
    page: bool = False  #: an HTML page
    #: app config flag that, when true, opens the route to anyone (``/metrics``)
    public_if: str | None = None
    #: operationId of the ``/api/v1`` route a page's JSON call mirrors (:meth:`Routes.twin_of`)
    twin: str | None = None

    def permission_in(self, config: Any) -> str | None:
        """The permission enforced under an app's config."""
        if self.public_if is not None and config.get(self.public_if):
            return None
        return self.permission

    @property
    def openapi_path(self) -> str:
        """The path below ``/api/v1`` in OpenAPI's spelling: ``/nodes/{id}``."""
        return re.sub(r"<(?:\w+:)?\w+>", "{id}", self.path[len(API_PREFIX):])


class Routes:
    """The route declarations of one blueprint; they join the app's list when it is registered."""

    def __init__(self, bp: Blueprint, auth: str) -> None:
        self.bp = bp
        self.auth = auth
        self.declared: list[Route] = []
        bp.record_once(lambda setup: add_routes(setup.app, self.declared))

    def get(self, rule: str, name: str, summary: str, *, permission: str | None,
            **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._declare("GET", rule, name, summary, permission, options)

    def post(self, rule: str, name: str, summary: str, *, permission: str | None,
             **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._declare("POST", rule, name, summary, permission, options)

    def twin_of(self, api: Routes, name: str, rule: str, call: str
                ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare a page's JSON call as the twin of the API route ``name`` declared on ``api``:
        same method, permission and request models, taken from that declaration.

        >>> ui = Routes(Blueprint("ui", __name__), auth=SESSION)
        >>> api = Routes(Blueprint("api", __name__, url_prefix="/api/v1"), auth=KEY)
        >>> _ = api.get("/search", "search", "Search.", permission="search")(lambda **_: "")
        >>> _ = ui.twin_of(api, "search", "/ui/search", "pageSearch")(lambda **_: "")
        >>> ui.declared[0].permission, ui.declared[0].summary
        ('search', 'As GET /api/v1/search.')
        """
        twin = next(r for r in api.declared if r.name == name)
        summary = f"As {twin.method} {API_PREFIX}{twin.openapi_path}."
        return self._declare(twin.method, rule, call, summary, twin.permission,
                             {"query": twin.query, "body": twin.body, "twin": twin.name})

    def _declare(self, method: str, rule: str, name: str, summary: str, permission: str | None,
                 options: dict[str, Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        route = Route(method, (self.bp.url_prefix or "") + rule, name, summary, permission,
                      options.pop("auth", self.auth), **options)
        self.declared.append(route)

        def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(view)
            def handle(**path_args: Any) -> Any:
                return _handle(route, view, path_args)

            self.bp.add_url_rule(rule, endpoint=view.__name__, view_func=handle, methods=[method])
            handle.route = route  # type: ignore[attr-defined]
            return handle

        return decorate


def add_routes(app: Flask, routes: list[Route]) -> None:
    """Add a blueprint's declared routes to the app's list (when the blueprint is registered)."""
    listed: list[Route] = app.extensions.setdefault(EXTENSION, [])
    listed.extend(r for r in routes if r not in listed)


def app_routes(app: Flask) -> tuple[Route, ...]:
    return tuple(app.extensions.get(EXTENSION, ()))


class SignInRequired(Exception):
    """A page was asked for by a visitor who is not signed in (answered with a redirect)."""


def _handle(route: Route, view: Callable[..., Any], path_args: dict[str, Any]) -> Any:
    from kgdecide.web import schemas
    from kgdecide.web.api import json_body
    from kgdecide.web.errors import ApiError

    try:
        who = authenticate(route)
    except ApiError as e:
        if route.page and e.status == 403:
            from flask import render_template

            return render_template("forbidden.html", message=e.message, fix=e.fix), 403
        raise
    kwargs: dict[str, Any] = {"who": who}
    if route.query is not None:
        kwargs["query"] = schemas.parse_query(route.query, request.args.to_dict(flat=True))
    if route.body is not None:
        kwargs["body"] = schemas.parse_body(route.body, json_body())
    if route.form is not None:
        fields = request.form.to_dict(flat=True)
        fields.pop("csrf_token", None)  # Flask-WTF's, checked before the view
        kwargs["form"] = schemas.parse_query(route.form, fields)
    return view(**path_args, **kwargs)


def authenticate(route: Route) -> Principal | None:
    """The request's principal, checked against the route's permission; None on open routes."""
    permission = route.permission_in(current_app.config)
    if permission is None:
        return None
    who = key_principal() if route.auth == KEY else session_principal(route)
    g.key_id = who.id  # the request log names who asked
    check_permission(who, permission)
    return who


def session_principal(route: Route) -> Principal:
    """The signed-in user: a page redirects a signed-out visitor to the sign-in page; a page's
    JSON call answers 401 ``signed_out``."""
    from flask import session

    from kgdecide.web import state
    from kgdecide.web.errors import ApiError

    web = state()
    token = session.get("sid")
    user = web.users.session_user(token, web.settings.session_idle_minutes * 60) \
        if isinstance(token, str) else None
    if user is None:
        session.pop("sid", None)
        if route.page:
            raise SignInRequired()
        raise ApiError(401, "signed_out", "you are not signed in, or your session ended",
                       "Sign in again at /sign-in (sessions end after "
                       f"{web.settings.session_idle_minutes} idle minutes).")
    g.user = user.name  # the pages show who is signed in
    return user.principal
