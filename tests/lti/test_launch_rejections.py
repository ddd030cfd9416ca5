"""Every way a launch is refused: each answers a 4xx HTML page saying what failed (framable,
no stack trace) and changes nothing (no user, course or enrollment is made)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from mediaobjects.context import AppContext
from mediaobjects.lti.cookies import login_cookie_name, new_login_binding
from mediaobjects.lti.models import LtiLoginState
from tests.lti.helpers import refusal_text, user_exists
from tests.support.api import Api
from tests.support.lti_platform import CLAIM, INSTRUCTOR, TOOL, Browser, Person, Platform, new_key

CONTEXT = {"id": "ctx-1", "title": "Course One"}
EMAIL = "pat@lms.example.edu"
# The login a launch of this person would give its new user.
LOGIN = "lti-1-sub-pat"


@pytest.fixture
def person() -> Person:
    return Person("sub-pat", "Pat Person", EMAIL, [INSTRUCTOR])


def _refused(response: Any, status: int, words: str, ctx: AppContext) -> None:
    text = refusal_text(response)
    assert response.status_code == status, (response.status_code, text[-800:])
    assert words in text, text[-800:]
    assert not user_exists(ctx, LOGIN), "a refused launch made a user"


def _launch_with(browser: Browser, person: Person, change: Any = None, *, sign: Any = None) -> Any:
    login = browser.login(person)
    claims = browser.platform.claims(person, login.nonce, context=CONTEXT)
    if change is not None:
        change(claims)
    token = sign(claims) if sign is not None else browser.platform.sign(claims)
    return browser.post_launch(token, login.state)


def test_a_replayed_id_token_is_refused(browser: Browser, person: Person, ctx: AppContext) -> None:
    login = browser.login(person)
    token = browser.platform.sign(browser.platform.claims(person, login.nonce, context=CONTEXT))
    assert browser.post_launch(token, login.state).status_code == 200
    again = browser.post_launch(token, login.state)
    assert again.status_code == 403
    assert "used already" in refusal_text(again)


def test_a_state_is_used_once_even_with_a_new_token(browser: Browser, person: Person) -> None:
    login = browser.login(person)
    platform = browser.platform
    first = platform.sign(platform.claims(person, login.nonce, context=CONTEXT))
    assert browser.post_launch(first, login.state).status_code == 200
    second = platform.sign(platform.claims(person, login.nonce, context=CONTEXT))
    response = browser.post_launch(second, login.state)
    assert response.status_code == 403
    assert "state was used already" in refusal_text(response)


def test_a_token_without_nonce_is_refused(
    browser: Browser, person: Person, ctx: AppContext
) -> None:
    response = _launch_with(browser, person, lambda c: c.pop("nonce"))
    _refused(response, 400, "has no nonce", ctx)


def test_a_token_with_another_nonce_is_refused(
    browser: Browser, person: Person, ctx: AppContext
) -> None:
    response = _launch_with(browser, person, lambda c: c.update(nonce="someone-elses-nonce"))
    _refused(response, 403, "nonce is not the one this login sent", ctx)


def test_a_forged_signature_is_refused(browser: Browser, person: Person, ctx: AppContext) -> None:
    forger, _ = new_key()
    # The platform's kid, someone else's key.
    response = _launch_with(browser, person, sign=lambda c: browser.platform.sign(c, key=forger))
    _refused(response, 401, "signature does not verify", ctx)


def test_a_token_signed_with_an_unpublished_kid_is_refused(
    browser: Browser, person: Person, ctx: AppContext
) -> None:
    stranger, _ = new_key()
    response = _launch_with(
        browser, person, sign=lambda c: browser.platform.sign(c, key=stranger, kid="unknown-kid")
    )
    _refused(response, 401, "which the platform's key set does not publish", ctx)


def test_an_unknown_deployment_is_refused(
    browser: Browser, person: Person, ctx: AppContext
) -> None:
    response = _launch_with(browser, person, lambda c: c.update({CLAIM + "deployment_id": "9:x"}))
    _refused(response, 403, "deployment '9:x' is not registered", ctx)


def test_an_expired_token_is_refused(browser: Browser, person: Person, ctx: AppContext) -> None:
    past = int(time.time()) - 3600

    def expire(claims: dict[str, Any]) -> None:
        claims.update(iat=past - 300, exp=past)

    _refused(_launch_with(browser, person, expire), 401, "has expired", ctx)


@pytest.mark.parametrize("claim", ["exp", "iat"])
def test_a_token_without_exp_or_iat_is_refused(
    browser: Browser, person: Person, ctx: AppContext, claim: str
) -> None:
    response = _launch_with(browser, person, lambda c: c.pop(claim))
    _refused(response, 401, f"lacks the required claim '{claim}'", ctx)


def test_a_token_issued_in_the_future_is_refused(
    browser: Browser, person: Person, ctx: AppContext
) -> None:
    later = int(time.time()) + 3600
    response = _launch_with(browser, person, lambda c: c.update(iat=later, exp=later + 300))
    _refused(response, 401, "not valid yet", ctx)


def test_a_foreign_target_link_uri_is_refused(
    browser: Browser, person: Person, ctx: AppContext
) -> None:
    foreign = "https://evil.example.com/lti/launch"
    response = _launch_with(
        browser, person, lambda c: c.update({CLAIM + "target_link_uri": foreign})
    )
    _refused(response, 400, "target_link_uri is not this tool's launch URL", ctx)


def test_a_login_for_a_foreign_target_link_uri_is_refused(
    browser: Browser, person: Person, ctx: AppContext
) -> None:
    response = browser.client.post(
        "/lti/login",
        data={
            "iss": browser.platform.issuer,
            "login_hint": person.sub,
            "target_link_uri": "https://evil.example.com/lti/launch",
            "client_id": browser.platform.client_id,
        },
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert "is not this tool's launch URL" in refusal_text(response)
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"aud": "another-client"}, "audience (aud) is not this tool's client_id"),
        ({"aud": ["another-client"]}, "audience (aud) is not this tool's client_id"),
        ({"iss": "https://evil.example.com"}, "issuer (iss) is not the registered platform"),
        ({"azp": "another-client"}, "authorized party (azp) is not this tool's client_id"),
    ],
)
def test_a_token_for_someone_else_is_refused(
    browser: Browser, person: Person, ctx: AppContext, change: dict[str, Any], words: str
) -> None:
    _refused(_launch_with(browser, person, lambda c: c.update(change)), 401, words, ctx)


def test_several_audiences_need_an_authorized_party(
    browser: Browser, person: Person, ctx: AppContext
) -> None:
    platform = browser.platform

    def widen(claims: dict[str, Any]) -> None:
        claims["aud"] = [platform.client_id, "another-client"]
        claims.pop("azp")

    _refused(_launch_with(browser, person, widen), 401, "no authorized party (azp)", ctx)


@pytest.mark.parametrize("algorithm", ["HS256", "none"])
def test_only_rs256_is_accepted(
    browser: Browser, person: Person, ctx: AppContext, algorithm: str
) -> None:
    def sign(claims: dict[str, Any]) -> str:
        key = "a-shared-secret-of-enough-length-for-hs256" if algorithm == "HS256" else None
        return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": browser.platform.kid})

    response = _launch_with(browser, person, sign=sign)
    _refused(response, 401, "only RS256 is accepted", ctx)


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({CLAIM + "version": "1.1"}, 400, "LTI version must be 1.3.0"),
        ({CLAIM + "message_type": "LtiSubmissionReviewRequest"}, 400, "is not supported"),
        ({CLAIM + "roles": "Instructor"}, 400, "roles claim must be a list"),
        ({CLAIM + "resource_link": None}, 400, "needs the resource_link claim"),
        ({CLAIM + "context": {"title": "no id"}}, 400, "context claim has no usable id"),
        ({"sub": ""}, 401, "subject (sub) must be a non-empty string"),
    ],
)
def test_malformed_launch_claims_are_refused(
    browser: Browser,
    person: Person,
    ctx: AppContext,
    change: dict[str, Any],
    status: int,
    words: str,
) -> None:
    _refused(_launch_with(browser, person, lambda c: c.update(change)), status, words, ctx)


def test_another_browser_cannot_use_the_login(
    browser: Browser, person: Person, ctx: AppContext, app: Any
) -> None:
    login = browser.login(person)
    token = browser.platform.sign(browser.platform.claims(person, login.nonce, context=CONTEXT))
    # An attacker who got the id_token and state posts them from their own browser: with
    # no login cookie there (and no platform storage offered) it is the blocked-cookie page;
    # with a login cookie of the right name but their own value, a refusal.
    with TestClient(app, base_url=TOOL) as elsewhere:
        response = Browser(elsewhere, browser.platform).post_launch(token, login.state)
        _refused(response, 401, "Your browser blocked the sign-in", ctx)
        elsewhere.cookies.set(login_cookie_name(login.state), new_login_binding())
        response = Browser(elsewhere, browser.platform).post_launch(token, login.state)
    _refused(response, 403, "this browser did not start the login", ctx)
    # The rightful browser still can: the refusals consumed nothing.
    assert browser.post_launch(token, login.state).status_code == 200


def test_an_expired_login_is_refused(browser: Browser, person: Person, ctx: AppContext) -> None:
    login = browser.login(person)
    with ctx.write() as session:
        for state in session.query(LtiLoginState).all():
            state.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    token = browser.platform.sign(browser.platform.claims(person, login.nonce, context=CONTEXT))
    _refused(browser.post_launch(token, login.state), 400, "its state has expired", ctx)


def test_an_unknown_state_and_missing_fields_are_refused(
    browser: Browser, person: Person, ctx: AppContext
) -> None:
    token = browser.platform.sign(browser.platform.claims(person, "n", context=CONTEXT))
    _refused(browser.post_launch(token, "made-up-state"), 400, "state is unknown", ctx)
    _refused(browser.client.post("/lti/launch", data={"state": "x"}), 400, "has no id_token", ctx)
    _refused(browser.client.post("/lti/launch", data={"id_token": token}), 400, "has no state", ctx)


def test_an_unreachable_key_set_is_refused(
    browser: Browser, person: Person, ctx: AppContext
) -> None:
    browser.platform.unreachable = True
    _refused(_launch_with(browser, person), 400, "could not be fetched", ctx)


def test_a_rotated_platform_key_is_fetched_once_and_forged_kids_fetch_no_more(
    browser: Browser, person: Person, platform: Platform
) -> None:
    assert _launch_with(browser, person).status_code == 200
    assert platform.key_set_fetches == 1
    stranger, _ = new_key()
    for n in range(3):
        response = _launch_with(
            browser, person, sign=lambda c, n=n: platform.sign(c, key=stranger, kid=f"forged-{n}")
        )
        assert response.status_code == 401
    # The refetches an unknown kid may cause are rate-limited (30 s by default).
    assert platform.key_set_fetches == 1


def test_a_rotated_platform_key_is_fetched_again(
    browser: Browser, person: Person, platform: Platform, ctx: AppContext
) -> None:
    ctx.lti_key_sets.refetch_interval = 0
    assert _launch_with(browser, person).status_code == 200
    platform.rotate()
    assert _launch_with(browser, person).status_code == 200
    assert platform.key_set_fetches == 2


def test_a_login_without_client_id_needs_a_single_registration_of_its_issuer(
    api: Api, browser: Browser, person: Person
) -> None:
    params = {
        "iss": browser.platform.issuer,
        "login_hint": person.sub,
        "target_link_uri": "https://testserver/lti/launch",
    }
    alone = browser.client.get("/lti/login", params=params, follow_redirects=False)
    assert alone.status_code == 200
    other = Platform(client_id="another-school")
    api.ok("POST", "/api/v1/accounts/self/lti_registrations", json=other.registration())
    ambiguous = browser.client.get("/lti/login", params=params, follow_redirects=False)
    assert ambiguous.status_code == 400
    assert "must name its client_id" in refusal_text(ambiguous)


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"iss": "https://unknown.example.com"}, 404, "no platform is registered with issuer"),
        ({"client_id": "other"}, 404, "and client_id 'other'"),
        ({"lti_deployment_id": "9:x"}, 403, "deployment '9:x' is not registered"),
        ({"login_hint": ""}, 400, "has no login_hint"),
        ({"iss": None}, 400, "has no iss"),
    ],
)
def test_login_initiations_that_are_refused(
    browser: Browser, person: Person, params: dict[str, Any], status: int, words: str
) -> None:
    data = {
        "iss": browser.platform.issuer,
        "login_hint": person.sub,
        "target_link_uri": "https://testserver/lti/launch",
        "client_id": browser.platform.client_id,
        **params,
    }
    data = {k: v for k, v in data.items() if v is not None}
    response = browser.client.get("/lti/login", params=data, follow_redirects=False)
    assert response.status_code == status
    assert words in refusal_text(response)
