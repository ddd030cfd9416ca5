"""What pages need of the web session: who is signed in (``web_principal``), a dependency that
sends visitors to /login (``require_web_principal``), and the CSRF token that every
state-changing form carries (``csrf_token`` for the page, ``check_csrf`` for the handler)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from mediaobjects.accounts.principal import Principal
from mediaobjects.errors import CsrfRejected
from mediaobjects.http.deps import get_ctx
from mediaobjects.http.session_cookie import (
    CSRF_HEADER,
    cookie_principal,
    csrf_matches,
    csrf_token_for,
    session_cookie,
)


class SignInRequired(Exception):
    """Raised by ``require_web_principal``; answered with a 303 to /login?next=..."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path
        super().__init__(next_path)


def web_principal(request: Request) -> Principal | None:
    """The signed-in user of this browser, or None. Sync: FastAPI runs it in a thread."""
    return cookie_principal(request, get_ctx(request), None)


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def require_web_principal(request: Request) -> Principal:
    principal = web_principal(request)
    if principal is None:
        raise SignInRequired(_here(request))
    return principal


WebPrincipal = Annotated[Principal, Depends(require_web_principal)]


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


def login_redirect(request: Request) -> RedirectResponse:
    """303 to the sign-in page, which comes back here (path and query) afterwards: for pages
    that look at ``web_principal`` themselves rather than depend on ``require_web_principal``."""
    return RedirectResponse(login_url(_here(request)), status_code=303)


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser's session ("" when not signed in), for a form's hidden
    ``authenticity_token`` field or a ``<meta name="csrf-token">`` read by scripts."""
    raw = session_cookie(request)
    return csrf_token_for(get_ctx(request), raw) if raw is not None else ""


def check_csrf(request: Request, submitted: str | None = None) -> None:
    """CsrfRejected (403) unless ``submitted`` (the form field) or the X-CSRF-Token header is
    the token of this browser's session."""
    raw = session_cookie(request)
    given = submitted or request.headers.get(CSRF_HEADER)
    if raw is None or not csrf_matches(get_ctx(request), raw, given):
        raise CsrfRejected()
