"""Signing in and out of the pages (``/sign-in``, ``/sign-out``).

A successful sign-in starts a server-side session (:mod:`kgdecide.web.users`) whose token rides in
Flask's signed session cookie (HttpOnly, SameSite=Lax, Secure when ``KGDECIDE_SECURE_COOKIES``);
the cookie is replaced, not reused, so a session id planted before sign-in is worthless. Attempts
are limited per client address (:func:`kgdecide.web.auth.client_address`) and per account (the
back-off of :mod:`kgdecide.web.users`).
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, redirect, render_template, request, session
from pydantic import Field

from kgdecide.web import state
from kgdecide.web.auth import Principal, client_address
from kgdecide.web.routes import SESSION, Routes
from kgdecide.web.schemas import _QueryString

bp = Blueprint("account", __name__)
routes = Routes(bp, auth=SESSION)

class SignInForm(_QueryString):
    """The sign-in form's fields."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    next: str = Field("", max_length=2000)


class NextQuery(_QueryString):
    next: str = Field("", max_length=2000)


_SAFE_NEXT = re.compile(r"^/(?![/\\])[^\x00-\x20\x7f\\]*$")


def safe_next(target: str) -> str:
    """``target`` when it is a path on this site, else ``""``: never a redirect elsewhere.

    >>> safe_next("/explore/?q=1"), safe_next("//evil.example/"), safe_next("https://evil.example")
    ('/explore/?q=1', '', '')
    """
    return target if _SAFE_NEXT.match(target) else ""


def landing(who: Principal) -> str:
    """The first page a principal's role may use."""
    return "/" if who.allows("decide") else "/explore/"


@routes.get("/sign-in", "signInPage", "The sign-in form.", permission=None, page=True,
            query=NextQuery, content_type="text/html")
def sign_in_page(query: NextQuery, who: None) -> str:
    return render_template("sign_in.html", next=safe_next(query.next), message=None)


@routes.post("/sign-in", "signIn", "Sign in with a user name and password.", permission=None,
             page=True, form=SignInForm, content_type="text/html")
def sign_in(form: SignInForm, who: None) -> Response | tuple[str, int, dict[str, str]]:
    web = state()
    address = client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                             web.trusted_proxies)
    wait = web.sign_in_limiter.acquire(f"sign-in:{address}")
    if not wait:
        attempt = web.users.sign_in(form.username, form.password)
        if attempt.user is not None:
            session.clear()  # a new cookie: nothing planted before sign-in survives it
            session["sid"] = web.users.start_session(attempt.user)
            return redirect(safe_next(form.next) or landing(attempt.user.principal), code=303)
        wait = attempt.retry_after
    web.metrics.count("auth_failures")
    if wait:
        message = f"Too many failed sign-ins. Try again in {wait} seconds."
        return (render_template("sign_in.html", next=safe_next(form.next), message=message),
                429, {"Retry-After": str(wait)})
    return (render_template("sign_in.html", next=safe_next(form.next),
                            message="Unknown user name or wrong password."), 401, {})


@routes.post("/sign-out", "signOut", "End this session.", permission=None, page=True,
             content_type="text/html")
def sign_out(who: None) -> Response:
    token = session.get("sid")
    if isinstance(token, str):
        state().users.end_session(token)
    session.clear()
    return redirect("/sign-in", code=303)
