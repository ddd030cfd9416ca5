"""LTI platform storage: keeping the login state where the browser keeps no cookie in the
LMS's iframe (Safari, or any browser told to block a site's cookies). The platform lends the
tool a small key/value store through ``postMessage`` (1EdTech "LTI Client Side postMessages"
and "postMessage Storage"; Canvas's ``lti.put_data`` / ``lti.get_data``), and says so with the
``lti_storage_target`` parameter of the login initiation and of the launch POST: ``_parent``
(the tool's parent window) or the name of a frame beside the tool (Canvas:
``post_message_forwarding``). Messages go to that window with the platform's OIDC
authorization origin as target origin, and only answers from that window and origin count.
The browser side is ``web/static/lti-storage.js``; this module renders its two pages.

How ``/lti/login`` and ``/lti/launch`` use it (``lti.tool_routes``; ``lti.cookies`` holds
the cookie half): the login stores a login state with the digest of a new binding, answers
``login_page`` and sets the login's cookie (one per login, named after its state). The
launch takes the binding from that cookie or, when the launch page re-posts it after reading
platform storage, from the form (``posted_binding``: same-origin POSTs only). With neither,
nothing is used up: ``launch_page`` when the platform offers storage, else ``blocked_page``.

``login_page`` continues to the platform's authorization URL at once when a cookie sticks
in this frame, and otherwise once platform storage took the binding; with neither it shows
"Open in a new tab", a link that starts the login again in a top-level tab, where the cookie
is a first-party one. ``launch_page`` reads the binding back and re-posts the launch with it; when
the platform does not answer it shows the same fallback.

Why a re-posted binding is trusted only from a same-origin POST: an attacker can run a login
of their own, learn their own binding, and post their id_token, state and binding straight
at the launch from their own page (login CSRF). The launch page's re-post is the only form
that comes from this origin, and it carries a value only the platform's storage in *this*
browser held for *this* state; ``Sec-Fetch-Site`` (or, in browsers without it, ``Origin``)
tells the two apart, and no page can forge either header."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse

from mediaobjects.lti.cookies import COOKIE_PATH, is_login_binding
from mediaobjects.web.templating import render

STORAGE_TARGET_FIELD = "lti_storage_target"
BINDING_FIELD = "lti_login_binding"
# The spec leaves the wait to the tool; Canvas answers within milliseconds, and a platform
# that does not understand the message never answers at all.
DEFAULT_TIMEOUT_MS = 3000
# The login initiation parameters a relaunch repeats (LTI 1.3 core, 5.1.1): the platform
# needs them all to authorize again. ``lti_storage_target`` is left out on purpose: a
# top-level tab has no platform frame to talk to, and keeps first-party cookies anyway.
INITIATION_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "lti_deployment_id",
    "client_id",
)
# "_parent", or a frame's name; "_top", "_self" and "_blank" name no storage frame.
_FRAME = re.compile(r"_parent|[A-Za-z][A-Za-z0-9_.-]{0,63}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class StorageTarget:
    """Where the platform's storage answers: ``frame`` is ``_parent`` or the name of a frame
    in ``window.parent.frames``; ``origin`` the platform's OIDC authorization origin, the
    target origin of every message and the only origin whose answers count."""

    frame: str
    origin: str


def web_origin(url: str) -> str | None:
    """``scheme://host[:port]`` as a browser writes an origin (lowercase host, no default
    port), or None for anything but an absolute http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def storage_target(frame: str | None, auth_login_url: str) -> StorageTarget | None:
    """The platform storage of a login or launch: None when the platform offers none (no
    ``lti_storage_target``, or one that names no frame) or its authorization URL has no web
    origin. Then the cookie is all there is."""
    if not frame or not _FRAME.fullmatch(frame):
        return None
    origin = web_origin(auth_login_url)
    if origin is None:
        return None
    return StorageTarget(frame, origin)


def storage_key(state: str) -> str:
    """The platform storage key of a login's binding: one key per login, so two launches
    running at once (two embeds on one page) find their own."""
    return f"mediaobjects_login_{state}"


def relaunch_url(login_url: str, initiation: Mapping[str, str]) -> str:
    """``login_url`` with the initiation parameters the platform sent, as a GET: the
    "Open in a new tab" link that starts the same launch again in a top-level tab."""
    query = {name: initiation[name] for name in INITIATION_PARAMS if initiation.get(name)}
    separator = "&" if "?" in login_url else "?"
    return f"{login_url}{separator}{urlencode(query)}"


def posted_binding(request: Request, value: str | None, *, own_origin: str) -> str | None:
    """The binding the launch page re-posted (``BINDING_FIELD``), or None unless the POST
    came from a page of this origin (see the module's docstring for why). ``own_origin``:
    the service's public origin (its configured URL; behind a proxy the request's own URL
    may say http where the browser said https)."""
    if not is_login_binding(value):
        return None
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        same = site == "same-origin"
    else:
        same = request.headers.get("origin") == web_origin(own_origin)
    return value if same else None


def page_headers(form_origin: str | None = None) -> dict[str, str]:
    """The LTI pages' headers: the web pages' strict policy (scripts and styles from /static/
    only), except that any page may frame them, since the LMS's page is on an origin no
    registration names. ``form_origin``: where the launch page's form posts, when that is not
    this origin (the configured public URL)."""
    forms = "'self'" if form_origin is None else f"'self' {form_origin}"
    policy = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"form-action {forms}; base-uri 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        # The login page holds the binding and the launch page the id_token: never kept, and
        # never sent on as a referrer.
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "private, no-store",
    }


def _page(
    *,
    step: str,
    target: StorageTarget | None,
    state: str,
    relaunch: str | None,
    timeout_ms: int,
    status_code: int = 200,
    form_origin: str | None = None,
    **values: object,
) -> HTMLResponse:
    html = render(
        "lti_storage.html",
        title="Opening mediaobjects",
        principal=None,
        csrf=None,
        active="",
        step=step,
        frame=target.frame if target is not None else "",
        origin=target.origin if target is not None else "",
        key=storage_key(state) if state else "",
        timeout_ms=timeout_ms,
        relaunch_url=relaunch,
        cookie_path=COOKIE_PATH,
        **values,
    )
    return HTMLResponse(html, status_code=status_code, headers=page_headers(form_origin))


def login_page(
    *,
    state: str,
    binding: str,
    auth_url: str,
    target: StorageTarget | None,
    relaunch_url: str | None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> HTMLResponse:
    """The login initiation's answer in place of a bare redirect: its script goes on to
    ``auth_url`` (the platform's authorization request, every parameter in its query) when a
    cookie sticks in this frame, and otherwise puts ``binding`` into platform storage first
    (when ``target``). With neither cookie nor storage it shows "Open in a new tab"
    (``relaunch_url``; without one, only the explanation). Set the cookie on the response.
    Worth rendering without a ``target`` too: it is what notices a blocked cookie in time
    to offer the new tab."""
    if web_origin(auth_url) is None:
        # Registrations hold https URLs; anything else here is a bug, never a page to send.
        raise ValueError("the authorization URL must be an absolute http(s) URL")
    return _page(
        step="login",
        target=target,
        state=state,
        relaunch=relaunch_url,
        timeout_ms=timeout_ms,
        binding=binding,
        next_url=auth_url,
    )


def launch_page(
    request: Request,
    *,
    state: str,
    id_token: str,
    target: StorageTarget,
    launch_url: str,
    relaunch_url: str | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> HTMLResponse:
    """The launch's answer when no cookie came back but the platform offers storage: its
    script reads the login's binding from platform storage and posts ``id_token``,
    ``state``, ``lti_storage_target`` and the binding (``BINDING_FIELD``) to ``launch_url``
    again, from this origin; with nothing stored or no answer it shows the fallback. The
    id_token is not checked here: the re-posted launch is checked as any other."""
    own = web_origin(str(request.url))
    form_origin = web_origin(launch_url)
    if form_origin is None:
        raise ValueError("the launch URL must be an absolute http(s) URL")
    return _page(
        step="launch",
        target=target,
        state=state,
        relaunch=relaunch_url,
        timeout_ms=timeout_ms,
        form_origin=form_origin if form_origin != own else None,
        launch_url=launch_url,
        fields={
            "id_token": id_token,
            "state": state,
            STORAGE_TARGET_FIELD: target.frame,
        },
        binding_field=BINDING_FIELD,
    )


def blocked_page(*, relaunch_url: str | None = None, status_code: int = 401) -> HTMLResponse:
    """A launch with no cookie and no platform storage to fall back on: the browser blocked
    the cookie in the LMS's frame. Says so, with "Open in a new tab" when a relaunch URL is
    known."""
    return _page(
        step="blocked",
        target=None,
        state="",
        relaunch=relaunch_url,
        timeout_ms=DEFAULT_TIMEOUT_MS,
        status_code=status_code,
    )
