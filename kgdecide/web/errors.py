"""One place that turns every failure into a JSON error a client can act on.

Each body is ``{"error": {"code", "message", "field", "fix"}}``: a stable machine code, what was
wrong, which part of the request (when one part is to blame) and how to fix it. No stack trace is
ever sent; unexpected failures are logged by exception type and code location only, because their
messages may echo request content. A store that fails (graph store, snapshot, audit database) is
answered with a fixed message and a request id; its own message, which may name a server, a user
or a path, is logged under that id.
"""

from __future__ import annotations

import logging
import dataclasses
import traceback
import uuid
from dataclasses import dataclass

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from kgdecide.errors import (
    AuditUnavailable,
    ConfigError,
    InvalidQuery,
    KgdecideError,
    LinkerUnavailable,
    NodeNotFound,
    SnapshotError,
    StoreUnavailable,
)

logger = logging.getLogger(__name__)

SCHEMA_HINT = "The request schema is at /api/v1/openapi.json."


@dataclass
class ApiError(Exception):
    """An error the web layer raises itself (auth, limits, a missing scorer)."""

    status: int  #: HTTP status
    code: str  #: stable machine-readable code, e.g. ``rate_limited``
    message: str  #: what was wrong
    fix: str  #: how to fix it
    field: str | None = None  #: the request part to blame, if one is
    headers: dict[str, str] = dataclasses.field(default_factory=dict)  #: e.g. ``Retry-After``

    def __str__(self) -> str:
        return self.message


def error_body(code: str, message: str, fix: str, field: str | None = None) -> dict[str, object]:
    """The JSON error envelope.

    >>> error_body("not_found", "no such page", "check the URL")["error"]["code"]
    'not_found'
    """
    return {"error": {"code": code, "message": message, "field": field, "fix": fix}}


def _respond(err: ApiError) -> Response:
    response = jsonify(error_body(err.code, err.message, err.fix, err.field))
    response.status_code = err.status
    response.headers.update(err.headers)
    return response


def from_kgdecide(e: KgdecideError) -> ApiError:
    """Map kgdecide's own error classes to HTTP (the one table of it)."""
    if isinstance(e, InvalidQuery):
        return ApiError(400, "invalid_query", str(e), f"Correct '{e.field}'. {SCHEMA_HINT}", e.field)
    if isinstance(e, NodeNotFound):
        return ApiError(404, "node_not_found", str(e),
                        "Check the id (a CURIE such as HP:0001250); /api/v1/search?q= finds ids "
                        "by label.", "id")
    if isinstance(e, LinkerUnavailable):
        return ApiError(503, "linker_unavailable", str(e),
                        "Send coded findings (ids) instead of text.",
                        headers={"Retry-After": "3600"})
    if isinstance(e, AuditUnavailable):
        return ApiError(503, "audit_unavailable", "the audit log could not be written, so the "
                        "decision was not answered (none goes unrecorded) "
                        f"(request id {_log_store_failure(e)})",
                        f"Retry after {e.retry_after} seconds; if it keeps failing, give the "
                        "operator the request id (the data directory may be full, or the "
                        "PostgreSQL server of KGDECIDE_DATABASE_URL down).",
                        headers={"Retry-After": str(e.retry_after)})
    if isinstance(e, StoreUnavailable):
        return ApiError(503, "store_unavailable", "the graph store could not answer "
                        f"(request id {_log_store_failure(e)})",
                        f"Retry after {e.retry_after} seconds; if it keeps failing, give the "
                        "operator the request id.", headers={"Retry-After": str(e.retry_after)})
    if isinstance(e, SnapshotError):
        return ApiError(503, "store_unavailable", "the graph store cannot be read "
                        f"(request id {_log_store_failure(e)})",
                        "Retry later; if it keeps failing, give the operator the request id.",
                        headers={"Retry-After": "30"})
    if isinstance(e, ConfigError):
        return ApiError(400, "config_error", str(e), "Use one of the valid names listed.")
    return ApiError(400, "invalid_request", str(e), SCHEMA_HINT)


def _log_store_failure(e: KgdecideError) -> str:
    """Log a store's own message (it may name a server, a user or a path) under a new request
    id, and return the id: the client gets the id, never the message."""
    request_id = uuid.uuid4().hex[:12]
    logger.warning("request %s: %s: %s", request_id, type(e).__name__, e)
    return request_id


_HTTP_CODES = {
    400: ("bad_request", "Send a well-formed request. " + SCHEMA_HINT),
    404: ("not_found", "Check the URL; the API's routes are listed in /api/v1/openapi.json."),
    405: ("method_not_allowed", "Use a method the route allows (see /api/v1/openapi.json)."),
    413: ("payload_too_large", "Send a smaller body, or split a batch into several requests."),
    415: ("unsupported_media_type", "Send the body as JSON with Content-Type: application/json."),
}


def from_http(e: HTTPException) -> ApiError:
    """Werkzeug's own errors (unknown route, wrong method, body over the limit) as JSON."""
    status = e.code or 500
    code, fix = _HTTP_CODES.get(status, ("http_error", SCHEMA_HINT))
    headers = {"Allow": ", ".join(e.valid_methods)} if getattr(e, "valid_methods", None) else {}
    message = e.description or e.name
    if status == 400 and "CSRF" in message:
        code, fix = "csrf_failed", "Reload the page and try again (its form token expired)."
    return ApiError(status, code, message, fix, headers=headers)


def register(app: Flask) -> None:
    """Install the handlers on an app."""
    from kgdecide.web.routes import SignInRequired

    app.register_error_handler(SignInRequired, _to_sign_in)
    app.register_error_handler(ApiError, _respond)
    app.register_error_handler(KgdecideError, lambda e: _respond(from_kgdecide(e)))
    app.register_error_handler(HTTPException, lambda e: _respond(from_http(e)))
    app.register_error_handler(Exception, _unexpected)


def _to_sign_in(e: Exception) -> Response:
    """A signed-out visitor asked for a page: to the sign-in page, coming back here after."""
    from urllib.parse import quote

    from flask import redirect

    back = request.full_path if request.query_string else request.path
    return redirect("/sign-in?next=" + quote(back, safe="/"), code=303)


def _unexpected(e: Exception) -> Response:
    # Only the type and the code location: the message may quote what the client sent.
    where = traceback.extract_tb(e.__traceback__)[-3:]
    frames = "; ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in where)
    logger.error("unexpected %s in %s %s at %s", type(e).__name__, request.method,
                 request.url_rule.rule if request.url_rule else "?", frames)
    return _respond(ApiError(500, "internal_error", "the server failed on this request",
                             "This is a bug in kgdecide, not in your request; report it with the "
                             "time it happened."))
