"""The LTI login-state cookie as a browser receives it: the exact Set-Cookie header (the
attributes an iframe needs), its removal, and reading it back."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import HTMLResponse

from mediaobjects.lti.cookies import (
    LOGIN_COOKIE,
    clear_login_cookie,
    is_login_binding,
    login_binding_hash,
    login_cookie_header,
    new_login_binding,
    read_login_cookie,
    set_login_cookie,
)

BINDING = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"


def request_with(cookie: str | None) -> Request:
    headers = [(b"cookie", cookie.encode("latin-1"))] if cookie is not None else []
    return Request({"type": "http", "method": "POST", "path": "/lti/launch", "headers": headers})


def test_the_header_carries_every_attribute_an_iframe_needs() -> None:
    assert login_cookie_header(BINDING, max_age=600) == (
        f"mediaobjects_lti_login={BINDING}; Max-Age=600; Path=/lti; Secure; HttpOnly; "
        "SameSite=None; Partitioned"
    )


def test_setting_appends_a_raw_header_beside_other_cookies() -> None:
    response = HTMLResponse("ok")
    response.set_cookie("other", "1")
    set_login_cookie(response, BINDING)
    headers = response.headers.getlist("set-cookie")
    assert len(headers) == 2
    assert headers[1] == (
        f"mediaobjects_lti_login={BINDING}; Max-Age=900; Path=/lti; Secure; HttpOnly; "
        "SameSite=None; Partitioned"
    )


def test_clearing_addresses_the_same_partitioned_cookie() -> None:
    response = HTMLResponse("ok")
    clear_login_cookie(response)
    assert response.headers.getlist("set-cookie") == [
        'mediaobjects_lti_login=""; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; '
        "Path=/lti; Secure; HttpOnly; SameSite=None; Partitioned"
    ]


def test_reading_back_what_the_browser_sent() -> None:
    assert read_login_cookie(request_with(f"a=1; {LOGIN_COOKIE}={BINDING}; b=2")) == BINDING


@pytest.mark.parametrize(
    "cookie",
    [
        None,
        "a=1",
        f"{LOGIN_COOKIE}=",
        f"{LOGIN_COOKIE}=short",
        f"{LOGIN_COOKIE}={BINDING}x",
        f"{LOGIN_COOKIE}={BINDING[:-1]}!",
    ],
)
def test_no_cookie_or_a_foreign_value_reads_as_none(cookie: str | None) -> None:
    assert read_login_cookie(request_with(cookie)) is None


def test_new_bindings_are_random_and_valid() -> None:
    made = {new_login_binding() for _ in range(50)}
    assert len(made) == 50
    assert all(is_login_binding(b) for b in made)


def test_the_stored_hash_is_not_the_binding() -> None:
    digest = login_binding_hash(BINDING)
    assert len(digest) == 64 and BINDING not in digest
    assert digest == login_binding_hash(BINDING)
    assert digest != login_binding_hash(BINDING[:-1] + "f")


@pytest.mark.parametrize("value", ["", "a;b", BINDING + "; Domain=evil.example"])
def test_a_value_that_is_not_a_binding_is_never_written(value: str) -> None:
    with pytest.raises(ValueError):
        login_cookie_header(value)


def test_a_cookie_that_expires_at_once_is_refused() -> None:
    with pytest.raises(ValueError):
        login_cookie_header(BINDING, max_age=0)
