"""The tool's endpoints an LMS calls: ``/lti/config.json`` (Canvas's developer-key JSON),
``/lti/jwks`` (our public keys), ``/lti/login`` (OIDC login initiation, GET or POST),
``/lti/launch`` (the one redirect URI: the platform POSTs the id_token here), the deep-link
picker's submit (the signed answer to the platform; the picker page itself is
``lti.picker_routes``), and ``/lti/open`` (a navigation launch's media pages, in a tab of their
own).

Launches are browser pages inside the LMS's iframe: every refusal is a 4xx HTML page saying
what failed, never a JSON envelope or a stack trace, and the pages may be framed. The login's
browser binding travels in a per-login cookie (``lti.cookies``) or, where the browser keeps no
cookie in the LMS's frame, in the platform's storage (``lti.platform_storage``): the login
answers a page whose script goes on to the platform when the cookie sticks or the platform
stored the binding, and offers "Open in a new tab" otherwise; a launch that came back without
the cookie answers a page that reads the binding back and posts the launch again."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from mediaobjects.accounts import sessions
from mediaobjects.context import AppContext
from mediaobjects.errors import BadRequest, Forbidden, MediaObjectsError
from mediaobjects.http.body import allow_body
from mediaobjects.http.deps import Ctx
from mediaobjects.http.params import Params, query_params, read_params
from mediaobjects.http.session_cookie import lifetimes, session_cookie, set_session_cookie
from mediaobjects.http.urls import Urls, base_url
from mediaobjects.lti import config, deep_linking, keys, login, platform_storage, service
from mediaobjects.lti.cookies import (
    can_be_secure,
    clear_login_cookie_header,
    login_cookie_header,
    login_cookie_name,
    read_login_cookie,
)
from mediaobjects.lti.login import LoginRequest
from mediaobjects.lti.platform_storage import BINDING_FIELD, STORAGE_TARGET_FIELD
from mediaobjects.lti.service import LaunchOutcome, NoLoginBinding
from mediaobjects.media_objects.schemas import display_title
from mediaobjects.verifiers import Route
from mediaobjects.web.templating import render

router = APIRouter(include_in_schema=False)

# A launch form carries an id_token (a few KB) and a state; nothing legitimate comes near.
MAX_FORM_BYTES = 64 * 1024
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
    confirm: tuple[str, str] | None = None,
) -> HTMLResponse:
    """``confirm``: (URL, label) of a button that POSTs there; such a page may not be framed
    (nobody can be tricked into pressing it in someone else's page)."""
    html = render(
        "lti_message.html",
        title=title,
        problem=problem,
        lines=lines,
        new_tab_url=new_tab_url,
        confirm_url=confirm[0] if confirm else None,
        confirm_label=confirm[1] if confirm else None,
        principal=None,
        csrf="",
        active="",
    )
    headers = _page_headers()
    if confirm is not None:
        headers["Content-Security-Policy"] += "; frame-ancestors 'none'"
    return HTMLResponse(html, status_code=status, headers=headers)


def refusal(exc: MediaObjectsError) -> HTMLResponse:
    """The page of a refused request. An outage (the database down: 503) is not a refusal
    and is raised again, for the service's own 503 page."""
    if exc.status_code >= 500:
        raise exc
    status = exc.status_code
    return message_page(status, _TITLES.get(status, "The launch failed"), problem=exc.message)


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
    base = base_url(request)
    try:
        initiation = LoginRequest(
            iss=_text(params, "iss"),
            login_hint=_text(params, "login_hint"),
            target_link_uri=_text(params, "target_link_uri"),
            client_id=_text(params, "client_id"),
            lti_deployment_id=_text(params, "lti_deployment_id"),
            lti_message_hint=_text(params, "lti_message_hint"),
        )
        frame = _text(params, STORAGE_TARGET_FIELD)
        with ctx.write() as session:
            started = login.start_login(
                session,
                initiation,
                launch_url=config.launch_url(base),
                now=datetime.now(UTC),
                lifetime=timedelta(seconds=ctx.settings.lti_login_seconds),
            )
    except MediaObjectsError as exc:
        return refusal(exc)
    sent = {
        name: value
        for name in platform_storage.INITIATION_PARAMS
        if isinstance(value := getattr(initiation, name), str)
    }
    # A page rather than a bare redirect: its script notices a cookie that does not stick in
    # the LMS's frame in time to use platform storage or offer a tab of its own.
    response = platform_storage.login_page(
        state=started.state,
        binding=started.browser_token,
        auth_url=started.redirect_url,
        target=platform_storage.storage_target(frame, started.auth_login_url),
        relaunch_url=platform_storage.relaunch_url(config.login_url(base), sent),
    )
    response.headers.append(
        "Set-Cookie",
        login_cookie_header(
            login_cookie_name(started.state),
            started.browser_token,
            max_age=started.max_age,
            secure=can_be_secure(base),
        ),
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


def _binding(request: Request, state: str | None, posted: str | None) -> str | None:
    """The login's binding: its cookie, or the value the launch page re-posted from platform
    storage (trusted only from a page of this origin)."""
    if not state:
        return None
    cookie = read_login_cookie(request, state)
    if cookie is not None:
        return cookie
    return platform_storage.posted_binding(request, posted, own_origin=base_url(request))


def _launch(request: Request, ctx: AppContext, form: dict[str, str | None]) -> Response:
    now = datetime.now(UTC)
    base = base_url(request)
    id_token, state = form["id_token"], form["state"]
    try:
        with ctx.read() as session:
            pending = service.find_login(
                session,
                id_token=id_token,
                state=state,
                browser_token=_binding(request, state, form[BINDING_FIELD]),
                now=now,
            )
        # Outside any transaction: the platform's key set may have to be fetched.
        claims = service.check_token(ctx.lti_key_sets, pending, id_token or "")
        with ctx.read() as session:
            verified = service.check_claims(
                session, pending, claims, launch_url=config.launch_url(base)
            )
        with ctx.write() as session:
            outcome = service.accept_launch(
                session,
                verified,
                now=now,
                launch_lifetime=timedelta(seconds=ctx.settings.lti_launch_seconds),
            )
        response = _lead(request, ctx, outcome)
    except NoLoginBinding as missing:
        # Nothing is used up: the page reads the binding from the platform's storage and
        # posts this launch again with it; without storage, the way out.
        target = platform_storage.storage_target(form[STORAGE_TARGET_FIELD], missing.auth_login_url)
        if target is None or not state or not id_token:
            return platform_storage.blocked_page()
        return platform_storage.launch_page(
            request,
            state=state,
            id_token=id_token,
            target=target,
            launch_url=config.launch_url(base),
        )
    except MediaObjectsError as exc:
        response = refusal(exc)
    if state:
        # The login is over either way: its cookie is of no further use.
        response.headers.append(
            "Set-Cookie",
            clear_login_cookie_header(login_cookie_name(state), secure=can_be_secure(base)),
        )
    return response


@router.post("/lti/launch")
async def launch(request: Request, ctx: Ctx) -> Response:
    try:
        params = await _params(request)
        fields = ("id_token", "state", BINDING_FIELD, STORAGE_TARGET_FIELD)
        form = {name: _text(params, name) for name in fields}
    except MediaObjectsError as exc:
        return refusal(exc)
    return await run_in_threadpool(_launch, request, ctx, form)


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


def _ask_before_opening(request: Request, ctx: AppContext, launch_id: str) -> Response:
    """The open link reached from anywhere but the landing page (another site's link, an
    e-mail, a typed URL): a page naming who would be signed in, with a button."""
    try:
        with ctx.read() as session:
            opened = service.navigation_launch(session, launch_id, datetime.now(UTC))
    except MediaObjectsError as exc:
        return refusal(exc)
    lines = [f"This link signs you in to mediaobjects as {opened.user.name}, from your LMS."]
    if session_cookie(request) is not None:
        lines.append("Whoever is signed in to mediaobjects in this browser now is signed out.")
    lines.append("Continue only if you opened it from your LMS yourself.")
    return message_page(
        200,
        ctx.settings.lti_title,
        lines=tuple(lines),
        confirm=(f"/lti/open/{quote(launch_id, safe='')}", f"Continue as {opened.user.name}"),
    )


def _from_own_page(request: Request) -> bool:
    """Whether the browser says this request came from a page of this origin (Fetch
    Metadata; without it, the Origin header of a POST). No page elsewhere can forge either."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    return origin is not None and origin == platform_storage.web_origin(base_url(request))


@router.get("/lti/open/{launch_id}")
async def open_in_new_tab(launch_id: str, request: Request, ctx: Ctx) -> Response:
    """The landing page's link (a tab of its own, so the session cookie is first-party):
    signs the launch's user in to the web pages and opens the course's media, or theirs.
    Only when followed from the landing page itself: a GET anyone can send a browser to,
    from a link or a script on another site, would sign that browser's owner in as the
    launch's user (login CSRF: their uploads then land in someone else's account)."""
    if request.headers.get("sec-fetch-site") != "same-origin":
        return await run_in_threadpool(_ask_before_opening, request, ctx, launch_id)
    return await run_in_threadpool(_open, request, ctx, launch_id)


@router.post("/lti/open/{launch_id}")
async def open_confirmed(launch_id: str, request: Request, ctx: Ctx) -> Response:
    """The button of the page that asks first (no body is read)."""
    if not _from_own_page(request):
        return refusal(
            Forbidden("this sign-in was not sent from mediaobjects' own page; nothing was used")
        )
    return await run_in_threadpool(_open, request, ctx, launch_id)
