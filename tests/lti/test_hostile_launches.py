"""Hostile requests to the tool's endpoints: huge, deeply nested or garbage tokens, oversized
and malformed bodies, random parameters. Each gets a 4xx page, never a 5xx."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediaobjects.context import AppContext
from tests.lti.helpers import refusal_text, user_exists
from tests.support.lti_platform import CLAIM, INSTRUCTOR, Browser, Person

PERSON = Person("sub-h", "Hostile Person", "hostile@lms.example.edu", [INSTRUCTOR])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _post(browser: Browser, token: str) -> Any:
    login = browser.login(PERSON)
    return browser.post_launch(token, login.state)


def test_garbage_huge_and_nested_tokens_are_refused(browser: Browser, ctx: AppContext) -> None:
    header = _b64(json.dumps({"alg": "RS256", "kid": browser.platform.kid}).encode())
    nested_header = _b64(b'{"alg":' + b"[" * 5000 + b"]" * 5000 + b"}")
    nested_claims = _b64(b'{"a":' + b"[" * 9000 + b"]" * 9000 + b"}")
    tokens = [
        "garbage",
        "a.b.c",
        "..",
        "\u00e9.\u00e9.\u00e9",
        f"{header}.{_b64(b'not json')}.{_b64(b'sig')}",
        f"{nested_header}.{_b64(b'{}')}.{_b64(b'sig')}",
        f"{header}.{nested_claims}.{_b64(b'sig')}",
        f"{header}.{'A' * 40_000}.{_b64(b'sig')}",
    ]
    for token in tokens:
        response = _post(browser, token)
        assert response.status_code in (400, 401), (token[:60], response.status_code)
        refusal_text(response)
    assert not user_exists(ctx, f"lti-1-{PERSON.sub}")


def test_a_signed_token_with_deeply_nested_claims_is_refused(
    browser: Browser, ctx: AppContext
) -> None:
    login = browser.login(PERSON)
    claims = browser.platform.claims(PERSON, login.nonce)
    # Deeper than any JSON parser's recursion allows: written by hand, then signed.
    payload = json.dumps(claims)[:-1] + ', "extra": ' + "[" * 4000 + "]" * 4000 + "}"
    token = jwt.api_jws.encode(
        payload.encode(),
        browser.platform.private_key,
        algorithm="RS256",
        headers={"kid": browser.platform.kid},
    )
    response = browser.post_launch(token, login.state)
    assert 400 <= response.status_code < 500
    refusal_text(response)


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", "1" + "0" * 4000),
        ("exp", "1e300"),
        ("exp", "1e20"),
        ("exp", "253402300799"),
        ("exp", "Infinity"),
        ("exp", "NaN"),
        ("exp", "true"),
        ("iat", "-1e300"),
        ("iat", '"0"'),
    ],
)
def test_a_signed_token_with_absurd_times_is_refused(
    browser: Browser, ctx: AppContext, claim: str, value: str
) -> None:
    """Numbers a JSON parser reads but no date holds, signed by the platform: refused as
    the token's fault (before, a far-future exp passed every check and failed as a 500
    where the nonce's retention was computed)."""
    login = browser.login(PERSON)
    claims = browser.platform.claims(PERSON, login.nonce)
    del claims[claim]
    payload = json.dumps(claims)[:-1] + f', "{claim}": {value}}}'
    token = jwt.api_jws.encode(
        payload.encode(),
        browser.platform.private_key,
        algorithm="RS256",
        headers={"kid": browser.platform.kid},
    )
    response = browser.post_launch(token, login.state)
    assert response.status_code in (400, 401)
    assert "id_token" in refusal_text(response)
    assert not user_exists(ctx, f"lti-1-{PERSON.sub}")


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("sub", '"\\ud800"'),
        ("name", '"Ann \\udfff"'),
        ("email", '"\\ud800@lms.example.edu"'),
        ("nonce", '"\\ud800"'),
        (CLAIM + "deployment_id", '"\\ud800"'),
        (CLAIM + "context", '{"id": "\\ud800", "title": "Film"}'),
        (CLAIM + "context", '{"id": "ctx", "title": "\\ud800", "label": "\\udfff"}'),
        (CLAIM + "custom", '{"media_id": "\\ud800"}'),
        (CLAIM + "custom", '{"\\ud800": "x"}'),
        ("sub", '"a\\u0000b"'),
        (CLAIM + "context", '{"id": "ctx", "title": "Film\\u0000"}'),
    ],
)
def test_a_signed_token_with_unstorable_text_is_refused(
    browser: Browser, ctx: AppContext, claim: str, value: str
) -> None:
    """JSON may escape a lone surrogate (``\\ud800``) or NUL; signed by the platform, such a
    name, sub, context or media id reached the database or the page (a 500: no encoding
    holds a lone surrogate, and PostgreSQL refuses NUL). Refused as the token's fault."""
    login = browser.login(PERSON)
    claims = browser.platform.claims(PERSON, login.nonce, context={"id": "c", "title": "C"})
    claims.pop(claim, None)
    payload = json.dumps(claims)[:-1] + f', "{claim}": {value}}}'
    token = jwt.api_jws.encode(
        payload.encode(),
        browser.platform.private_key,
        algorithm="RS256",
        headers={"kid": browser.platform.kid},
    )
    response = browser.post_launch(token, login.state)
    assert response.status_code == 401
    assert "not valid Unicode" in refusal_text(response)


def test_an_oversized_launch_body_is_413(browser: Browser) -> None:
    response = browser.client.post(
        "/lti/launch", data={"id_token": "x" * 100_000, "state": "s"}, follow_redirects=False
    )
    assert response.status_code == 413
    refusal_text(response)


def test_malformed_bodies_are_refused(browser: Browser) -> None:
    bodies: list[tuple[bytes, str]] = [
        (b"\xff\xfe\x00", "application/x-www-form-urlencoded"),
        (b'{"id_token": ["a"], "state": {"x": 1}}', "application/json"),
        (b"[" * 5000 + b"]" * 5000, "application/json"),
        (b"id_token=%ED%A0%80&state=%ED%A0%80", "application/x-www-form-urlencoded"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
    ]
    for path in ("/lti/launch", "/lti/login"):
        for content, content_type in bodies:
            response = browser.client.post(
                path, content=content, headers={"Content-Type": content_type}
            )
            assert 400 <= response.status_code < 500, (path, content[:40], response.text[:300])
            refusal_text(response)


FIELDS = [
    "media_id",
    "iss",
    "login_hint",
    "target_link_uri",
    "client_id",
    "lti_deployment_id",
    "lti_message_hint",
    "id_token",
    "state",
    "lti_storage_target",
]


def test_random_parameters_never_give_a_5xx(browser: Browser) -> None:
    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        path=st.sampled_from(
            ["/lti/login", "/lti/launch", "/lti/deep-link/x", "/lti/open/x", "/lti/jwks"]
        ),
        method=st.sampled_from(["GET", "POST"]),
        params=st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=300), max_size=6),
    )
    def run(path: str, method: str, params: dict[str, str]) -> None:
        if method == "GET":
            response = browser.client.get(path, params=params, follow_redirects=False)
        else:
            response = browser.client.post(path, data=params, follow_redirects=False)
        assert response.status_code < 500, (method, path, params, response.text[:300])

    run()
