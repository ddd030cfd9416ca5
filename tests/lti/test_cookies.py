"""The LTI login cookie as a browser receives it: one per login (named after its state), the
exact Set-Cookie header (the attributes an iframe needs), its removal, and reading it back."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from mediaobjects.lti.cookies import (
    can_be_secure,
    clear_login_cookie_header,
    is_login_binding,
    login_cookie_header,
    login_cookie_name,
    new_login_binding,
    read_login_cookie,
)

BINDING = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"
STATE = "some-login-state"
NAME = login_cookie_name(STATE)


def request_with(cookie: str | None) -> Request:
    headers = [(b"cookie", cookie.encode("latin-1"))] if cookie is not None else []
    return Request({"type": "http", "method": "POST", "path": "/lti/launch", "headers": headers})


def test_each_login_has_a_cookie_of_its_own() -> None:
    assert NAME.startswith("mediaobjects_lti_")
    assert login_cookie_name(STATE) == NAME
    assert login_cookie_name(STATE + "x") != NAME
    # The name tells nothing of the state (it travels on every /lti request).
    assert STATE not in NAME


def test_the_header_carries_every_attribute_an_iframe_needs() -> None:
    assert login_cookie_header(NAME, BINDING, max_age=600) == (
        f"{NAME}={BINDING}; Max-Age=600; Path=/lti; Secure; HttpOnly; SameSite=None; Partitioned"
    )


def test_over_plain_http_the_cookie_is_for_a_tab_of_its_own() -> None:
    assert login_cookie_header(NAME, BINDING, max_age=600, secure=False) == (
        f"{NAME}={BINDING}; Max-Age=600; Path=/lti; HttpOnly; SameSite=Lax"
    )


@pytest.mark.parametrize(
    ("url", "secure"),
    [
        ("https://media.example.edu", True),
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000", True),
        ("http://media.example.edu", False),
        ("http://10.0.0.5", False),
    ],
)
def test_secure_cookies_where_browsers_keep_them(url: str, secure: bool) -> None:
    assert can_be_secure(url) is secure


def test_clearing_addresses_the_same_partitioned_cookie() -> None:
    assert clear_login_cookie_header(NAME) == (
        f'{NAME}=""; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/lti; Secure; '
        "HttpOnly; SameSite=None; Partitioned"
    )


def test_reading_back_what_the_browser_sent() -> None:
    other = login_cookie_name("another-state")
    sent = f"a=1; {other}={new_login_binding()}; {NAME}={BINDING}; b=2"
    assert read_login_cookie(request_with(sent), STATE) == BINDING


@pytest.mark.parametrize(
    "cookie",
    [
        None,
        "a=1",
        f"{NAME}=",
        f"{NAME}=short",
        f"{NAME}={BINDING}x",
        f"{NAME}={BINDING[:-1]}!",
        f"{login_cookie_name('another-state')}={BINDING}",
    ],
)
def test_no_cookie_or_a_foreign_value_reads_as_none(cookie: str | None) -> None:
    assert read_login_cookie(request_with(cookie), STATE) is None


def test_new_bindings_are_random_and_valid() -> None:
    made = {new_login_binding() for _ in range(50)}
    assert len(made) == 50
    assert all(is_login_binding(b) for b in made)


@pytest.mark.parametrize("value", ["", "a;b", BINDING + "; Domain=evil.example"])
def test_a_value_that_is_not_a_binding_is_never_written(value: str) -> None:
    with pytest.raises(ValueError):
        login_cookie_header(NAME, value, max_age=600)


def test_only_login_cookies_are_written() -> None:
    with pytest.raises(ValueError):
        login_cookie_header("mediaobjects_session", BINDING, max_age=600)
    with pytest.raises(ValueError):
        clear_login_cookie_header("mediaobjects_session")


def test_a_cookie_that_expires_at_once_is_refused() -> None:
    with pytest.raises(ValueError):
        login_cookie_header(NAME, BINDING, max_age=0)
