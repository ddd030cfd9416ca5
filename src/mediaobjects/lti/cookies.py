"""The LTI login cookie: the browser binding that proves a launch returns to the browser that
started its login. One cookie per login, named after its state (``login_cookie_name``): an LMS
page with several embedded players starts several logins at once, and each must find its own
binding whatever order the launches come back in. The login state stores only the binding's
digest (``lti.login.digest``), so a copy of the database cannot be replayed as a cookie.

An LTI tool runs in the platform's iframe, a third-party context: the cookie needs
``SameSite=None; Secure`` to be sent with the platform's cross-site form POST to the launch,
and ``Partitioned`` (CHIPS) so Chrome and Firefox keep it where they block unpartitioned
third-party cookies; Safari may drop it all the same, which is what ``platform_storage`` is
for. It is written as a raw ``Set-Cookie`` header because Starlette's
``set_cookie(partitioned=True)`` raises on Python < 3.14. ``Path=/lti`` keeps it off every
other request; ``HttpOnly`` keeps it from scripts.

Served over plain http from anything but a loopback address (a trial install), browsers
refuse ``Secure`` cookies: the cookie is then ``SameSite=Lax``, which works in a tab of its
own and not in a frame."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

COOKIE_PREFIX = "mediaobjects_lti_"
COOKIE_PATH = "/lti"
# What new_login_binding makes (32 random bytes, URL-safe base64): anything else a browser
# sends under the name is not ours and reads as no cookie.
_BINDING = re.compile(r"[A-Za-z0-9_-]{43}")
_FRAMED = "Secure; HttpOnly; SameSite=None; Partitioned"
_TAB_ONLY = "HttpOnly; SameSite=Lax"


def new_login_binding() -> str:
    return secrets.token_urlsafe(32)


def is_login_binding(value: str | None) -> bool:
    return value is not None and _BINDING.fullmatch(value) is not None


def login_cookie_name(state: str) -> str:
    """The cookie of the login started with ``state``."""
    digest = hashlib.sha256(state.encode("utf-8", "surrogatepass")).hexdigest()
    return COOKIE_PREFIX + digest[:24]


def can_be_secure(base_url: str) -> bool:
    """Whether browsers keep a ``Secure`` cookie from ``base_url`` (the service's public URL):
    https, or http on a loopback address (a secure context for browsers)."""
    try:
        parts = urlsplit(base_url)
        host = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme == "https":
        return True
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def login_cookie_header(name: str, value: str, *, max_age: int, secure: bool = True) -> str:
    """The ``Set-Cookie`` header value that stores ``value`` under ``name`` for ``max_age``
    seconds."""
    if not name.startswith(COOKIE_PREFIX) or not is_login_binding(value):
        raise ValueError("not a login cookie")
    if max_age <= 0:
        raise ValueError("max_age must be positive")
    attributes = _FRAMED if secure else _TAB_ONLY
    return f"{name}={value}; Max-Age={max_age}; Path={COOKIE_PATH}; {attributes}"


def clear_login_cookie_header(name: str, *, secure: bool = True) -> str:
    """The ``Set-Cookie`` header value that removes the cookie. Its attributes match the ones
    that set it: a browser keys a partitioned cookie by its partition, and a removal without
    ``Partitioned`` would address another (unpartitioned) cookie and leave this one."""
    if not name.startswith(COOKIE_PREFIX):
        raise ValueError("not a login cookie")
    attributes = _FRAMED if secure else _TAB_ONLY
    return (
        f'{name}=""; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path={COOKIE_PATH}; '
        f"{attributes}"
    )


def read_login_cookie(request: Request, state: str) -> str | None:
    """The binding the browser sent back for the login of ``state``, or None when it sent
    none (cookies blocked, expired) or something that is not a binding."""
    value = request.cookies.get(login_cookie_name(state))
    return value if is_login_binding(value) else None
