"""PLACEHOLDER until i13-auth lands: i13-auth replaces this whole file with real web sessions
(a session table, hashed session ids, expiry, sign-out, CSRF). Keep the function names.

Here the ``mediaobjects_session`` cookie simply holds an API access token, looked up as the
API looks up a bearer token; so the pages can be built and tested before sign-in exists."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from mediaobjects.accounts import authentication
from mediaobjects.accounts.principal import Principal
from mediaobjects.context import AppContext
from mediaobjects.errors import Unauthenticated

COOKIE_NAME = "mediaobjects_session"


def web_principal(request: Request) -> Principal | None:
    """The signed-in user of a browser request, or None when not signed in (no cookie, or a
    token that is unknown, expired or revoked)."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    ctx = request.app.state.ctx
    assert isinstance(ctx, AppContext)
    try:
        with ctx.read() as session:
            principal = authentication.authenticate(session, raw).principal
    except Unauthenticated:
        return None
    return principal if principal.authenticated else None


def login_redirect(request: Request) -> RedirectResponse:
    """303 to the sign-in page, which comes back here (path and query) afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?next=" + quote(target, safe="/"), status_code=303)


def require_web_principal(request: Request) -> Principal | RedirectResponse:
    """The signed-in user, or the redirect to /login that a page answers with instead."""
    principal = web_principal(request)
    return principal if principal is not None else login_redirect(request)


def csrf_token(request: Request) -> str:
    """No CSRF tokens before i13-auth: the pages of this branch only read."""
    return ""


def check_csrf(request: Request) -> None:
    """No state-changing page exists before i13-auth."""
