"""The web app: one Flask app, one blueprint per audience.

* :mod:`~kgdecide.web.ui` — the clinician's form and results page (``/``);
* :mod:`~kgdecide.web.api` — the JSON API for tools (``/api/v1``), API keys and roles;
* :mod:`~kgdecide.web.explore` — the read-only graph explorer (``/explore``);
* :mod:`~kgdecide.web.account` — signing in and out of the pages.

Every route is declared once with :mod:`~kgdecide.web.routes` (method, path, models, permission).
:func:`create_app` builds the heavy objects (store, linker, search index) once and keeps them in
``app.extensions["kgdecide"]``; views only look them up.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request

from kgdecide.graph.store import GraphStore
from kgdecide.settings import Settings
from kgdecide.web.auth import Network, RateLimiter, parse_networks
from kgdecide.web.engine import Engine
from kgdecide.web.metrics import Metrics
from kgdecide.web.redis_state import RedisRateLimiter
from kgdecide.web.storage import Keys, Users, open_storage

#: Sign-in attempts a minute from one client address (app config ``SIGN_IN_ATTEMPTS_PER_MINUTE``).
ATTEMPTS_PER_MINUTE = 20

logger = logging.getLogger("kgdecide.web.requests")

#: Largest request body: a batch of 100 cases with a long note each stays under it.
MAX_BODY_BYTES = 2 * 1024 * 1024

#: Content-Security-Policy: nothing but this server's own files; no inline script or style.
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:", "blob:"],
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


@dataclass
class WebState:
    """What the app holds for its lifetime (``app.extensions["kgdecide"]``)."""

    settings: Settings
    engine: Engine
    keys: Keys
    users: Users
    #: requests per key or user (in Redis when ``KGDECIDE_REDIS_URL`` is set)
    limiter: RateLimiter | RedisRateLimiter
    sign_in_limiter: RateLimiter | RedisRateLimiter  #: sign-in attempts per client address
    metrics: Metrics
    trusted_proxies: tuple[Network, ...]  #: whose X-Forwarded-For names the client


def state() -> WebState:
    """The running app's :class:`WebState`."""
    return current_app.extensions["kgdecide"]  # type: ignore[no-any-return]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app.

    ``config`` overrides Flask settings and these: ``SETTINGS`` (a :class:`Settings`, default from
    the environment), ``STORE`` (a store name or path, or a ready :class:`GraphStore`; default
    ``clinical``), ``KEYS_DB`` (keys and users), ``AUDIT_DB`` (SQLite paths, default in the
    settings' home; unused when the settings name a PostgreSQL ``database_url``), ``AUDIT_FREE_TEXT``, ``RATE_LIMIT_PER_MINUTE``, ``PUBLIC_METRICS``,
    ``SIGN_IN_ATTEMPTS_PER_MINUTE``, ``LINKER_CONFIG`` (a ``LinkerConfig``),
    ``DECIDE`` (a :class:`~kgdecide.web.decider.Decider`; default: the pipeline's, when this
    build has it; ``None`` turns decisions off: 503), ``DEFAULT_SCORER`` (default: the
    pipeline's default when its model is trained, else ``lr``), ``RESPONSE_CACHE`` (a
    :class:`~kgdecide.web.cache.ResponseCache` for coded decisions, ``None``: none; default: the
    settings' Redis when ``redis_url`` is set, else a :class:`~kgdecide.web.cache.MemoryCache` of
    ``response_cache_entries``; 0 entries turns either off).
    """
    overrides = dict(config or {})
    settings: Settings = overrides.pop("SETTINGS", None) or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SECRET_KEY=settings.secret_key or None,
        KEYS_DB=settings.home / "keys.sqlite3",
        AUDIT_DB=settings.home / "audit.sqlite3",
        AUDIT_FREE_TEXT=settings.audit_free_text,
        RATE_LIMIT_PER_MINUTE=settings.rate_limit_per_minute,
        SIGN_IN_ATTEMPTS_PER_MINUTE=ATTEMPTS_PER_MINUTE,
        PUBLIC_METRICS=settings.public_metrics,
        SESSION_COOKIE_NAME="kgdecide_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        STORE="clinical",
        LINKER_CONFIG=None,
        DEFAULT_SCORER=None,
        WTF_CSRF_TIME_LIMIT=None,  # a page may stay open all day; the token lives with the session
        JSON_SORT_KEYS=False,
    )
    app.config.update({k: v for k, v in overrides.items() if k != "DECIDE"})
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = kept_secret(settings.home)
    app.extensions["kgdecide"] = _build_state(app, settings, overrides)
    _install(app)
    return app


def kept_secret(home: Path) -> str:
    """The key that signs session cookies and CSRF tokens, made once and kept in
    ``<home>/secret_key`` (readable by this user only), so that a restart signs no one out and
    every gunicorn worker signs alike."""
    path = home / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secret + "\n")
    return secret


def _build_state(app: Flask, settings: Settings, overrides: Mapping[str, Any]) -> WebState:
    from kgdecide.web.decider import PipelineDecider
    from kgdecide.web.redis_state import rate_limiters, response_cache
    from kgdecide.web.search import PrefixIndex

    store = _open_store(settings, app.config["STORE"])
    started = time.perf_counter()
    index = PrefixIndex.build(store.iter_nodes())
    linker = _build_linker(store, settings, app.config["LINKER_CONFIG"])
    logger.info("search index and linker built in %.1f s", time.perf_counter() - started)
    started = time.perf_counter()
    decider = overrides["DECIDE"] if "DECIDE" in overrides else \
        PipelineDecider.from_store(store, settings.home, app.config["DEFAULT_SCORER"])
    storage = open_storage(settings, Path(app.config["KEYS_DB"]), Path(app.config["AUDIT_DB"]),
                           bool(app.config["AUDIT_FREE_TEXT"]))
    limiter, sign_in_limiter = rate_limiters(settings.redis_url,
                                             int(app.config["RATE_LIMIT_PER_MINUTE"]),
                                             int(app.config["SIGN_IN_ATTEMPTS_PER_MINUTE"]))
    cache = overrides.get("RESPONSE_CACHE", response_cache(settings))
    engine = Engine(store, linker, index, storage.audit, decider, cache=cache)
    logger.info("decider ready in %.1f s", time.perf_counter() - started)
    return WebState(settings, engine, storage.keys, storage.users, limiter, sign_in_limiter,
                    Metrics(), parse_networks(settings.trusted_proxies))


def _open_store(settings: Settings, store: str | GraphStore) -> GraphStore:
    if not isinstance(store, str):
        return store
    from kgdecide.graph import open_store

    return open_store(settings, store)


def _build_linker(store: GraphStore, settings: Settings, config: Any) -> Any:
    try:
        from kgdecide.link import Linker
        from kgdecide.packs.linking import linker_config_for
    except ImportError as e:  # the [link] extra is not installed: /link answers 503
        logger.warning("text linking is off: %s", e)
        return None
    if config is None:
        config = linker_config_for(store, dense=False)
    return Linker.from_store(store, config, home=settings.home)


def _install(app: Flask) -> None:
    from flask_talisman import Talisman
    from flask_wtf.csrf import CSRFProtect

    from kgdecide.web import account, api, errors, explore, ui

    errors.register(app)
    csrf = CSRFProtect(app)
    app.register_blueprint(account.bp)
    app.register_blueprint(ui.bp)
    app.register_blueprint(explore.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # API clients authenticate with a key header, not a cookie
    from kgdecide.web import sparql

    app.register_blueprint(sparql.bp)
    csrf.exempt(sparql.bp)  # read-only SPARQL for explorers, also keyed by header
    from kgdecide.web.packs import register_packs

    register_packs(app)  # the domain packs' routes, from kgdecide.packs.PACKS
    Talisman(app, force_https=False, strict_transport_security=False,
             session_cookie_secure=bool(app.config["SESSION_COOKIE_SECURE"]),
             session_cookie_http_only=True, content_security_policy=CSP,
             referrer_policy="no-referrer")
    app.before_request(_start_timer)
    app.after_request(_log_request)
    app.context_processor(_page_context)


def _page_context() -> dict[str, Any]:
    return {"kg_version": state().engine.counts().version, "user": g.get("user")}


def _start_timer() -> None:
    g.started = time.perf_counter()


def _log_request(response: Response) -> Response:
    """Method, route template, status, latency and key id: never the path's ids or the body."""
    seconds = time.perf_counter() - g.get("started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule else "<unmatched>"
    state().metrics.observe(request.method, route, response.status_code, seconds)
    logger.info("%s %s %d %.1fms key=%s", request.method, route, response.status_code,
                seconds * 1000, g.get("key_id", "-"))
    return response
