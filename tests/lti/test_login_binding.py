"""The login's browser binding through the real /lti/login and /lti/launch: one cookie per
login (two embeds launching at once each find theirs), and where the browser keeps no cookie
in the LMS's frame, the binding kept by the platform's storage and re-posted by our launch
page — trusted only from our own origin. (The browser half: test_platform_storage_browser.)"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient

from mediaobjects.context import AppContext
from mediaobjects.lti.cookies import login_cookie_name
from mediaobjects.lti.platform_storage import BINDING_FIELD, STORAGE_TARGET_FIELD, storage_key
from tests.lti.helpers import refusal_text, user_exists
from tests.support.lti_platform import INSTRUCTOR, LAUNCH_URL, TOOL, Browser, Person, Platform

FORWARDING = "post_message_forwarding"
CONTEXT = {"id": "ctx-b", "title": "Binding 101"}
PERSON = Person("sub-bee", "Bee Binder", "bee@lms.example.edu", [INSTRUCTOR])
LOGIN = "lti-1-sub-bee"


def _attributes(page: str, element_id: str) -> dict[str, str]:
    found = re.search(rf'<(?:div|form) id="{element_id}"([^>]*)>', page)
    assert found is not None, page
    return {k: unescape(v) for k, v in re.findall(r'([\w-]+)="([^"]*)"', found.group(1))}


def _hidden_fields(page: str) -> dict[str, str]:
    return {
        unescape(name): unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    }


def _start(client: TestClient, platform: Platform, **extra: str) -> Any:
    return client.post(
        "/lti/login",
        data={
            "iss": platform.issuer,
            "login_hint": PERSON.sub,
            "target_link_uri": LAUNCH_URL,
            "client_id": platform.client_id,
            **extra,
        },
        follow_redirects=False,
    )


def test_two_logins_at_once_each_keep_their_own_cookie(
    browser: Browser, platform: Platform
) -> None:
    # Two embedded players on one LMS page: both logins start before either launch returns.
    first, second = browser.login(PERSON), browser.login(PERSON)
    assert login_cookie_name(first.state) != login_cookie_name(second.state)
    for login in (second, first):
        claims = platform.claims(PERSON, login.nonce, context=CONTEXT)
        assert browser.post_launch(platform.sign(claims), login.state).status_code == 200


def test_the_login_page_hands_the_binding_to_platform_storage(
    client: TestClient, platform: Platform, registered: dict[str, Any]
) -> None:
    started = _start(client, platform, **{STORAGE_TARGET_FIELD: FORWARDING})
    assert started.status_code == 200
    page = _attributes(started.text, "lti-storage")
    query = platform.authorize(page["data-next"], PERSON.sub)
    assert page["data-step"] == "login"
    assert page["data-frame"] == FORWARDING
    # Messages go to the platform's authorization origin only.
    assert page["data-origin"] == platform.issuer
    assert page["data-key"] == storage_key(query["state"])
    # The value stored is the cookie's value: either proves the same login.
    assert client.cookies.get(login_cookie_name(query["state"])) == page["data-value"]
    assert "frame-ancestors" not in started.headers["content-security-policy"]


def test_a_launch_without_the_cookie_is_completed_through_platform_storage(
    client: TestClient, platform: Platform, registered: dict[str, Any], ctx: AppContext
) -> None:
    started = _start(client, platform, **{STORAGE_TARGET_FIELD: FORWARDING})
    page = _attributes(started.text, "lti-storage")
    query = platform.authorize(page["data-next"], PERSON.sub)
    binding = page["data-value"]
    client.cookies.clear()  # the browser kept no cookie in the LMS's frame
    token = platform.sign(platform.claims(PERSON, query["nonce"], context=CONTEXT))
    form = {"id_token": token, "state": query["state"], STORAGE_TARGET_FIELD: FORWARDING}
    relay = client.post("/lti/launch", data=form, follow_redirects=False)
    # The launch page: it will read the binding back and post the launch again from here.
    assert relay.status_code == 200
    assert _attributes(relay.text, "lti-storage")["data-step"] == "launch"
    assert _attributes(relay.text, "lti-storage-form")["action"] == LAUNCH_URL
    assert _hidden_fields(relay.text) == {**form, BINDING_FIELD: ""}
    assert not user_exists(ctx, LOGIN), "nothing is done before the binding is proven"
    # A re-post from another site (a login CSRF carrying the attacker's binding) is not
    # trusted: the launch page again, nothing used up.
    forged = client.post(
        "/lti/launch",
        data={**form, BINDING_FIELD: binding},
        headers={"Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert _attributes(forged.text, "lti-storage")["data-step"] == "launch"
    assert not user_exists(ctx, LOGIN)
    # Our own page's re-post with a wrong binding is refused; with the right one, launched.
    wrong = client.post(
        "/lti/launch",
        data={**form, BINDING_FIELD: "x" * 43},
        headers={"Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert wrong.status_code == 403
    assert "did not start the login" in refusal_text(wrong)
    done = client.post(
        "/lti/launch",
        data={**form, BINDING_FIELD: binding},
        headers={"Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert done.status_code == 200, refusal_text(done)
    assert user_exists(ctx, LOGIN)


def test_without_cookie_or_platform_storage_the_launch_offers_the_way_out(
    client: TestClient, platform: Platform, registered: dict[str, Any], ctx: AppContext
) -> None:
    started = _start(client, platform)
    page = _attributes(started.text, "lti-storage")
    assert page["data-frame"] == ""
    # The login page's link starts the same login again in a tab of its own.
    new_tab = re.search(r'<a class="lti-new-tab" href="([^"]+)"', started.text)
    assert new_tab is not None
    assert unescape(new_tab.group(1)).startswith(f"{TOOL}/lti/login?iss=")
    query = platform.authorize(page["data-next"], PERSON.sub)
    client.cookies.clear()
    token = platform.sign(platform.claims(PERSON, query["nonce"], context=CONTEXT))
    blocked = client.post(
        "/lti/launch", data={"id_token": token, "state": query["state"]}, follow_redirects=False
    )
    assert blocked.status_code == 401
    assert "Your browser blocked the sign-in" in refusal_text(blocked)
    assert not user_exists(ctx, LOGIN)
