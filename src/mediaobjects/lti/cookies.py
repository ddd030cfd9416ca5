"""The LTI login-state cookie: the browser binding that proves the launch returns to the
browser that started the login. It is a random value per browser (not per login), so two
launches running at once in one page (two embedded players) share it instead of overwriting
each other's; each login state records its hash (``binding_hash``).

An LTI tool runs in the platform's iframe, a third-party context: the cookie needs
``SameSite=None; Secure`` to be sent with the platform's cross-site form POST to the launch,
and ``Partitioned`` (CHIPS) so Chrome and Firefox keep it where they block unpartitioned
third-party cookies; Safari may drop it all the same, which is what ``platform_storage`` is
for. It is written as a raw ``Set-Cookie`` header because Starlette's
``set_cookie(partitioned=True)`` raises on Python < 3.14. ``Path=/lti`` keeps it off every
other request; ``HttpOnly`` keeps it from scripts."""

from __future__ import annotations

import hashlib
import re
import secrets

from starlette.requests import Request
from starlette.responses import Response

LOGIN_COOKIE = "mediaobjects_lti_login"
COOKIE_PATH = "/lti"
# Long enough to outlive a login (the platform's sign-in page may sit in between) and short
# enough that a forgotten binding does not linger: each login writes it again.
DEFAULT_MAX_AGE = 15 * 60
_ATTRIBUTES = f"Path={COOKIE_PATH}; Secure; HttpOnly; SameSite=None; Partitioned"
# What new_login_binding makes (32 random bytes, URL-safe base64): anything else a browser
# sends under the name is not ours and reads as no cookie.
_BINDING = re.compile(r"[A-Za-z0-9_-]{43}")


def new_login_binding() -> str:
    return secrets.token_urlsafe(32)


def is_login_binding(value: str | None) -> bool:
    return value is not None and _BINDING.fullmatch(value) is not None


def login_binding_hash(value: str) -> str:
    """What a login state stores: the SHA-256 of the binding (hex), never the binding itself,
    so a copy of the database cannot be replayed as a cookie."""
    return hashlib.sha256(value.encode("ascii")).hexdigest()


def login_cookie_header(value: str, *, max_age: int = DEFAULT_MAX_AGE) -> str:
    """The ``Set-Cookie`` header value that stores ``value`` for ``max_age`` seconds."""
    if not is_login_binding(value):
        raise ValueError("not a login binding")
    if max_age <= 0:
        raise ValueError("max_age must be positive")
    return f"{LOGIN_COOKIE}={value}; Max-Age={max_age}; {_ATTRIBUTES}"


def clear_login_cookie_header() -> str:
    """The ``Set-Cookie`` header value that removes the cookie. Its attributes match the ones
    that set it: a browser keys a partitioned cookie by its partition, and a removal without
    ``Partitioned`` would address another (unpartitioned) cookie and leave this one."""
    return f'{LOGIN_COOKIE}=""; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; {_ATTRIBUTES}'


def set_login_cookie(response: Response, value: str, *, max_age: int = DEFAULT_MAX_AGE) -> None:
    response.headers.append("set-cookie", login_cookie_header(value, max_age=max_age))


def clear_login_cookie(response: Response) -> None:
    response.headers.append("set-cookie", clear_login_cookie_header())


def read_login_cookie(request: Request) -> str | None:
    """The binding the browser sent back, or None when it sent none (cookies blocked, expired)
    or something that is not a binding."""
    value = request.cookies.get(LOGIN_COOKIE)
    return value if is_login_binding(value) else None
