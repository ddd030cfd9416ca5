"""``/login`` (the form, and signing in with a login and password or an access token) and
``/logout``. Failed sign-ins are limited per login and per client address; every failure
gets one message, so the page never tells which logins exist."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from mediaobjects.accounts import sessions
from mediaobjects.context import AppContext
from mediaobjects.errors import BadRequest, Forbidden, TooManyRequests
from mediaobjects.http.body import allow_body
from mediaobjects.http.deps import Ctx
from mediaobjects.http.params import Params, read_params
from mediaobjects.http.session_cookie import (
    CSRF_FIELD,
    clear_session_cookie,
    lifetimes,
    session_cookie,
    set_session_cookie,
)
from mediaobjects.ratelimit import SIGN_IN_ADDRESS, SIGN_IN_LOGIN
from mediaobjects.web.session import SignInRequired, check_csrf, login_url, web_principal
from mediaobjects.web.templating import page_headers, render

router = APIRouter(tags=["web"], include_in_schema=False)

# The shell's page headers (strict CSP: the form posts to this origin only, no framing), but
# Referrer-Policy same-origin: under the pages' no-referrer a browser posts this form with
# "Origin: null", which the login-CSRF check below must refuse.
_HEADERS = {**page_headers(), "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}
_FAILED = "The login or password is incorrect."


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only. Anything else (another host,
    ``//host``, a backslash some browsers read as a slash, control characters) goes home."""
    if (
        not value
        or len(value) > 2048
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or any(ch < " " or ch == "\\" for ch in value)
    ):
        return "/"
    return value


def _page(status: int, next_path: str, *, login: str = "", message: str = "") -> HTMLResponse:
    # Nobody is signed in on this page: no navigation, no CSRF token (Jinja2 escapes the rest).
    html = render(
        "login.html",
        title="Sign in",
        active="",
        principal=None,
        csrf="",
        message=message,
        next=next_path,
        login=login,
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _same_origin(request: Request, ctx: AppContext) -> bool:
    # A login form posted from another site would sign the victim in as the attacker
    # (login CSRF). Browsers send Origin on cross-site POSTs; absent, it is not a browser's.
    # This site is the request's own origin, or MEDIAOBJECTS_PUBLIC_URL's behind a proxy.
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = {f"{request.url.scheme}://{request.url.netloc}"}
    if ctx.settings.public_url:
        public = urlsplit(ctx.settings.public_url)
        own.add(f"{public.scheme}://{public.netloc}")
    return origin in own


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002
    # Already signed in (a bookmark, the back button): straight on to where the form leads.
    if web_principal(request) is not None:
        return RedirectResponse(
            safe_next(next), status_code=303, headers={"Cache-Control": "no-store"}
        )
    return _page(200, safe_next(next))


async def _form(request: Request, ctx: AppContext) -> Params:
    allow_body(request)  # nothing to authorise: signing in is what the body is for
    return await read_params(request, ctx.settings.max_request_body_bytes)


def _field(params: Params, name: str) -> str:
    try:
        return params.text(name, max_length=None) or ""
    except BadRequest:
        return ""


def _sign_in(request: Request, ctx: AppContext, params: Params) -> Response:
    next_path = safe_next(_field(params, "next"))
    login = _field(params, "unique_id").strip()
    password = _field(params, "password")
    token = _field(params, "access_token").strip()
    shown_login = login[:255]
    if len(login) > 255 or len(password) > 1024 or len(token) > 512:
        # Refused before any hashing: a huge password costs nothing but this comparison.
        return _page(400, next_path, login=shown_login, message=_FAILED)
    if not token and not (login and password):
        return _page(
            400,
            next_path,
            login=shown_login,
            message="Enter your login and password, or an access token.",
        )
    address = _address(request)
    login_key = "token" if token else login.casefold()
    try:
        ctx.limiter.check(SIGN_IN_ADDRESS, address)
        ctx.limiter.check(SIGN_IN_LOGIN, login_key)
    except TooManyRequests as exc:
        page = _page(429, next_path, login=shown_login, message=exc.message)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    try:
        with ctx.write() as session:
            if token:
                user = sessions.check_token(session, token)
            else:
                user = sessions.check_password(session, login, password)
            raw = sessions.start_session(session, user, lifetimes(ctx))
            old = session_cookie(request)
            if old is not None:
                # A new id at every sign-in: a session id planted beforehand is worth nothing.
                sessions.end_session(session, old)
    except sessions.SignInFailed:
        ctx.limiter.hit(SIGN_IN_ADDRESS, address)
        if not token:
            ctx.limiter.hit(SIGN_IN_LOGIN, login_key)
        return _page(401, next_path, login=shown_login, message=_FAILED)
    response = RedirectResponse(next_path, status_code=303, headers={"Cache-Control": "no-store"})
    set_session_cookie(request, response, ctx, raw)
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, ctx: Ctx) -> Response:
    if not _same_origin(request, ctx):
        raise Forbidden("Sign-in forms are accepted from this site only.")
    params = await _form(request, ctx)
    return await run_in_threadpool(_sign_in, request, ctx, params)


def _sign_out(request: Request, ctx: AppContext, submitted: str) -> Response:
    raw = session_cookie(request)
    response = RedirectResponse("/login", status_code=303, headers={"Cache-Control": "no-store"})
    if raw is None:
        return response  # nobody to sign out
    check_csrf(request, submitted or None)
    with ctx.write() as session:
        sessions.end_session(session, raw)
    clear_session_cookie(request, response)
    return response


@router.post("/logout")
async def logout(request: Request, ctx: Ctx) -> Response:
    params = await _form(request, ctx)
    return await run_in_threadpool(_sign_out, request, ctx, _field(params, CSRF_FIELD))


def install_sign_in_redirect(app: FastAPI) -> None:
    """Pages that need a signed-in user send visitors to /login, and back afterwards."""

    async def redirect(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return RedirectResponse(login_url(exc.next_path), status_code=303)

    app.add_exception_handler(SignInRequired, redirect)
