"""The tool's endpoints an LMS calls: ``/lti/config.json`` (Canvas's developer-key JSON),
``/lti/jwks`` (our public keys), ``/lti/login`` (OIDC login initiation, GET or POST),
``/lti/launch`` (the one redirect URI: the platform POSTs the id_token here), the deep-link
picker's submit (the signed answer to the platform; the picker page itself is
``lti.picker_routes``), and ``/lti/open`` (a navigation launch's media pages, in a tab of their
own).

Launches are browser pages inside the LMS's iframe: every refusal is a 4xx HTML page saying
what failed, never a JSON envelope or a stack trace, and the pages may be framed. The login's
browser-binding cookie is ``SameSite=None; Secure; Partitioned`` (so that it comes back with
the platform's cross-site POST inside a frame), written as a raw header: Starlette's
``partitioned=True`` needs Python 3.14."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from mediaobjects.accounts import sessions
from mediaobjects.context import AppContext
from mediaobjects.errors import BadRequest, MediaObjectsError
from mediaobjects.http.body import allow_body
from mediaobjects.http.deps import Ctx
from mediaobjects.http.params import Params, query_params, read_params
from mediaobjects.http.session_cookie import lifetimes, session_cookie, set_session_cookie
from mediaobjects.http.urls import Urls, base_url
from mediaobjects.lti import config, deep_linking, keys, login, service
from mediaobjects.lti.login import LoginRequest
from mediaobjects.lti.service import LaunchOutcome
from mediaobjects.media_objects.schemas import display_title
from mediaobjects.verifiers import Route
from mediaobjects.web.templating import render

router = APIRouter(include_in_schema=False)

# A launch form carries an id_token (a few KB) and a state; nothing legitimate comes near.
MAX_FORM_BYTES = 64 * 1024
COOKIE_PATH = "/lti/"
_TITLES = {
    400: "The launch could not be accepted",
    401: "The launch could not be verified",
    403: "The launch was refused",
    404: "Not found",
    413: "The launch was too large",
}


def _page_headers() -> dict[str, str]:
    # Framed by the LMS (any origin: the platform's pages, not ours), so no frame-ancestors;
    # no script, styles from here only.
    return {
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "base-uri 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "private, no-store",
    }


def message_page(
    status: int,
    title: str,
    *,
    problem: str | None = None,
    lines: tuple[str, ...] = (),
    new_tab_url: str | None = None,
) -> HTMLResponse:
    html = render(
        "lti_message.html",
        title=title,
        problem=problem,
        lines=lines,
        new_tab_url=new_tab_url,
        principal=None,
        csrf="",
        active="",
    )
    return HTMLResponse(html, status_code=status, headers=_page_headers())


def refusal(exc: MediaObjectsError) -> HTMLResponse:
    """The page of a refused request. An outage (the database down: 503) is not a refusal
    and is raised again, for the service's own 503 page."""
    if exc.status_code >= 500:
        raise exc
    status = exc.status_code
    return message_page(status, _TITLES.get(status, "The launch failed"), problem=exc.message)


def _binding_cookie(request: Request, name: str, value: str, max_age: int) -> str:
    secure = "; Secure; SameSite=None; Partitioned" if request.url.scheme == "https" else ""
    # Over plain http (a local trial) browsers refuse SameSite=None without Secure: Lax then.
    if not secure:
        secure = "; SameSite=Lax"
    return f"{name}={value}; Max-Age={max_age}; Path={COOKIE_PATH}; HttpOnly{secure}"


# ---- configuration and keys -------------------------------------------------------------------


@router.get("/lti/config.json")
def canvas_config(request: Request, ctx: Ctx) -> Response:
    body = config.canvas_config(base_url(request), ctx.settings.lti_title)
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})


def _jwks(ctx: AppContext) -> dict[str, object]:
    with ctx.read() as session:
        published = keys.published_key_set(session)
    if published is not None:
        return published
    with ctx.write() as session:
        return keys.key_set(session, ctx.settings.resolved_secret_key())


@router.get("/lti/jwks")
def jwks(ctx: Ctx) -> Response:
    # Platforms cache it; a rotation publishes the next key well before it signs.
    return JSONResponse(_jwks(ctx), headers={"Cache-Control": "public, max-age=300"})


# ---- login initiation -------------------------------------------------------------------------


def _text(params: Params, name: str) -> str | None:
    try:
        return params.text(name, max_length=None)
    except BadRequest:
        raise BadRequest.for_field(name, f"{name} is not valid text", "invalid") from None


def _login(request: Request, ctx: AppContext, params: Params) -> Response:
    try:
        initiation = LoginRequest(
            iss=_text(params, "iss"),
            login_hint=_text(params, "login_hint"),
            target_link_uri=_text(params, "target_link_uri"),
            client_id=_text(params, "client_id"),
            lti_deployment_id=_text(params, "lti_deployment_id"),
            lti_message_hint=_text(params, "lti_message_hint"),
        )
        with ctx.write() as session:
            started = login.start_login(
                session,
                initiation,
                launch_url=config.launch_url(base_url(request)),
                now=datetime.now(UTC),
                lifetime=timedelta(seconds=ctx.settings.lti_login_seconds),
            )
    except MediaObjectsError as exc:
        return refusal(exc)
    response = RedirectResponse(started.redirect_url, status_code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers.append(
        "Set-Cookie",
        _binding_cookie(request, started.cookie_name, started.browser_token, started.max_age),
    )
    return response


async def _params(request: Request) -> Params:
    allow_body(request)  # nothing to authorise: the body is what gets checked
    return await read_params(request, MAX_FORM_BYTES)


@router.get("/lti/login")
async def login_get(request: Request, ctx: Ctx) -> Response:
    try:
        params = query_params(request)
    except MediaObjectsError as exc:
        return refusal(exc)
    return await run_in_threadpool(_login, request, ctx, params)


@router.post("/lti/login")
async def login_post(request: Request, ctx: Ctx) -> Response:
    try:
        params = await _params(request)
    except MediaObjectsError as exc:
        return refusal(exc)
    return await run_in_threadpool(_login, request, ctx, params)


# ---- the launch -------------------------------------------------------------------------------


def _lead(request: Request, ctx: AppContext, outcome: LaunchOutcome) -> Response:
    base = base_url(request)
    if outcome.media_id is not None:
        expires = datetime.now(UTC) + timedelta(seconds=ctx.settings.lti_player_seconds)
        verifier = ctx.verifiers.player(Route.media(outcome.media_id), expires)
        url = f"{base}/media_objects_iframe/{quote(outcome.media_id, safe='')}?verifier={verifier}"
        return RedirectResponse(url, status_code=303)
    if outcome.launch_id is not None:
        return RedirectResponse(f"{base}/lti/deep-link/{outcome.launch_id}", status_code=303)
    where = f"the media of {outcome.course_name}" if outcome.course_name else "your media"
    return message_page(
        200,
        ctx.settings.lti_title,
        lines=(
            f"You are signed in from your LMS as {outcome.user.name}.",
            f"Open {where} in a tab of its own to browse, upload and caption. Media embedded "
            "in your course pages plays there; teachers add media with the editor's media "
            "button.",
        ),
        new_tab_url=f"{base}/lti/open/{outcome.open_launch_id}" if outcome.open_launch_id else None,
    )


def _launch(request: Request, ctx: AppContext, id_token: str | None, state: str | None) -> Response:
    now = datetime.now(UTC)
    cookie = request.cookies.get(login.binding_cookie_name(state)) if state else None
    try:
        with ctx.read() as session:
            pending = service.find_login(
                session, id_token=id_token, state=state, browser_token=cookie, now=now
            )
        # Outside any transaction: the platform's key set may have to be fetched.
        claims = service.check_token(ctx.lti_key_sets, pending, id_token or "")
        with ctx.read() as session:
            verified = service.check_claims(
                session, pending, claims, launch_url=config.launch_url(base_url(request))
            )
        with ctx.write() as session:
            outcome = service.accept_launch(
                session,
                verified,
                now=now,
                launch_lifetime=timedelta(seconds=ctx.settings.lti_launch_seconds),
            )
        response = _lead(request, ctx, outcome)
    except MediaObjectsError as exc:
        response = refusal(exc)
    if state:
        # The login is over either way: its binding cookie is of no further use.
        response.headers.append(
            "Set-Cookie", _binding_cookie(request, login.binding_cookie_name(state), "", 0)
        )
    return response


@router.post("/lti/launch")
async def launch(request: Request, ctx: Ctx) -> Response:
    try:
        params = await _params(request)
        id_token = _text(params, "id_token")
        state = _text(params, "state")
    except MediaObjectsError as exc:
        return refusal(exc)
    return await run_in_threadpool(_launch, request, ctx, id_token, state)


# ---- deep linking: the picker's submit (the picker page is lti/picker_routes.py) ------------


def _return_page(answer: deep_linking.DeepLinkingAnswer) -> HTMLResponse:
    """The page that posts the signed response to the platform at once (a button, should
    scripts be off)."""
    nonce = secrets.token_urlsafe(18)
    target = urlsplit(answer.return_url)
    policy = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; "
        f"form-action {target.scheme}://{target.netloc}; base-uri 'none'"
    )
    html = render(
        "lti_deep_link_return.html", return_url=answer.return_url, jwt=answer.jwt, nonce=nonce
    )
    headers = {**_page_headers(), "Content-Security-Policy": policy}
    return HTMLResponse(html, headers=headers)


def _respond(request: Request, ctx: AppContext, launch_id: str, media_ids: list[str]) -> Response:
    urls = Urls(request, ctx)
    try:
        with ctx.write() as session:
            answer = deep_linking.respond(
                session,
                launch_id,
                media_ids,
                secret_key=ctx.settings.resolved_secret_key(),
                launch_url=config.launch_url(urls.base),
                title_of=display_title,
                thumbnail_of=lambda m: (
                    urls.media_object_thumbnail(
                        m.media_id, deep_linking.THUMBNAIL_WIDTH, deep_linking.THUMBNAIL_HEIGHT
                    )
                    if m.poster_key
                    else None
                ),
                now=datetime.now(UTC),
            )
    except MediaObjectsError as exc:
        return refusal(exc)
    return _return_page(answer)


@router.post("/lti/deep-link/{launch_id}")
async def deep_link_submit(launch_id: str, request: Request, ctx: Ctx) -> Response:
    """The picker's submit: ``media_id`` once per chosen media (none: cancelled). The launch
    id, unguessable and handed only to the browser of the launch, is the credential."""
    try:
        params = await _params(request)
        media_ids: list[object] = [v for k, v in params.pairs if k in ("media_id", "media_id[]")]
        if not media_ids:
            # A JSON body: {"media_id": ["m-...", ...]} or one string.
            raw = params.raw("media_id")
            media_ids = raw if isinstance(raw, list) else [] if raw is None else [raw]
        for value in media_ids:
            if not isinstance(value, str) or not value or len(value) > 255:
                raise BadRequest.for_field("media_id", "media_id is not a media id", "invalid")
    except MediaObjectsError as exc:
        return refusal(exc)
    chosen = [str(value) for value in media_ids]
    return await run_in_threadpool(_respond, request, ctx, launch_id, chosen)


# ---- navigation launches: the media pages in a tab of their own ------------------------------


def _open(request: Request, ctx: AppContext, launch_id: str) -> Response:
    try:
        with ctx.write() as session:
            opened = service.open_navigation_launch(session, launch_id, datetime.now(UTC))
            raw = sessions.start_session(session, opened.user, lifetimes(ctx))
            old = session_cookie(request)
            if old is not None:
                # Whoever was signed in in this browser before is signed out.
                sessions.end_session(session, old)
    except MediaObjectsError as exc:
        return refusal(exc)
    target = f"/courses/{opened.course_id}/media" if opened.course_id else "/users/self/media"
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    set_session_cookie(request, response, ctx, raw)
    return response


@router.get("/lti/open/{launch_id}")
async def open_in_new_tab(launch_id: str, request: Request, ctx: Ctx) -> Response:
    """The landing page's link (a tab of its own, so the session cookie is first-party):
    signs the launch's user in to the web pages and opens the course's media, or theirs."""
    return await run_in_threadpool(_open, request, ctx, launch_id)
