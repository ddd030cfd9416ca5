"""The platform storage contract the login and launch use, without a browser: which
``lti_storage_target`` values count, the platform origin messages go to, the relaunch link,
which re-posted bindings are trusted, and what the pages carry (their script from /static/
only, frameable by the LMS, nothing cached)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser

import pytest
from starlette.requests import Request

from mediaobjects.lti.platform_storage import (
    BINDING_FIELD,
    StorageTarget,
    blocked_page,
    launch_page,
    login_page,
    posted_binding,
    relaunch_url,
    storage_key,
    storage_target,
    web_origin,
)

BINDING = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"
AUTH = "https://sso.canvaslms.com/api/lti/authorize_redirect"
TARGET = StorageTarget("post_message_forwarding", "https://sso.canvaslms.com")


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of <script> elements."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text = ""
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text += data

    def first(self, tag: str, **match: str) -> dict[str, str | None]:
        for name, attrs in self.tags:
            if name == tag and all(attrs.get(k) == v for k, v in match.items()):
                return attrs
        raise AssertionError(f"no <{tag}> with {match}")

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def request(headers: dict[str, str], url: str = "https://media.example.edu/lti/launch") -> Request:
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    return Request(
        {
            "type": "http",
            "method": "POST",
            "scheme": scheme,
            "server": (host, 443),
            "path": "/" + path,
            "query_string": b"",
            "headers": [(b"host", host.encode())]
            + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        }
    )


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ("_parent", StorageTarget("_parent", "https://sso.canvaslms.com")),
        ("post_message_forwarding", TARGET),
        (None, None),
        ("", None),
        ("_top", None),
        ("_blank", None),
        ("a frame", None),
        ("javascript:alert(1)", None),
        ("x" * 65, None),
    ],
)
def test_which_storage_targets_count(frame: str | None, expected: StorageTarget | None) -> None:
    assert storage_target(frame, AUTH) == expected


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://SSO.Example.edu:443/auth", "https://sso.example.edu"),
        ("https://sso.example.edu:8443/auth?x=1", "https://sso.example.edu:8443"),
        ("http://127.0.0.2:8080/auth", "http://127.0.0.2:8080"),
        ("https://user:pw@sso.example.edu/auth", "https://sso.example.edu"),
        ("https://[::1]:9000/auth", "https://[::1]:9000"),
        ("ftp://sso.example.edu/auth", None),
        ("/relative/auth", None),
        ("https://sso.example.edu:99999/auth", None),
    ],
)
def test_origins_are_written_as_browsers_write_them(url: str, origin: str | None) -> None:
    assert web_origin(url) == origin


def test_no_storage_without_a_usable_authorization_url() -> None:
    assert storage_target("_parent", "/authorize") is None


def test_each_login_has_its_own_key() -> None:
    assert storage_key("s1") != storage_key("s2")
    assert "s1" in storage_key("s1")


def test_the_relaunch_link_repeats_the_initiation_without_the_storage_target() -> None:
    link = relaunch_url(
        "https://media.example.edu/lti/login",
        {
            "iss": "https://canvas.instructure.com",
            "login_hint": "42&x",
            "target_link_uri": "https://media.example.edu/lti/launch",
            "lti_message_hint": "hint",
            "client_id": "10000000000001",
            "lti_deployment_id": "d1",
            "lti_storage_target": "post_message_forwarding",
            "unrelated": "dropped",
        },
    )
    assert link == (
        "https://media.example.edu/lti/login?iss=https%3A%2F%2Fcanvas.instructure.com"
        "&login_hint=42%26x&target_link_uri=https%3A%2F%2Fmedia.example.edu%2Flti%2Flaunch"
        "&lti_message_hint=hint&lti_deployment_id=d1&client_id=10000000000001"
    )
    assert relaunch_url("https://t.example/lti/login?a=1", {"iss": "i"}) == (
        "https://t.example/lti/login?a=1&iss=i"
    )


OWN = "https://media.example.edu"


@pytest.mark.parametrize(
    ("headers", "trusted"),
    [
        ({"Sec-Fetch-Site": "same-origin", "Origin": OWN}, True),
        ({"Sec-Fetch-Site": "same-origin"}, True),
        # An attacker's page posting its own state and binding straight at the launch.
        ({"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, False),
        ({"Sec-Fetch-Site": "same-site", "Origin": "https://other.example.edu"}, False),
        # A navigation typed or bookmarked: not the launch page's form.
        ({"Sec-Fetch-Site": "none"}, False),
        # Browsers without Fetch Metadata: the Origin header decides.
        ({"Origin": OWN}, True),
        ({"Origin": "https://media.example.edu:8443"}, False),
        ({"Origin": "null"}, False),
        ({}, False),
    ],
)
def test_a_reposted_binding_counts_only_from_this_origin(
    headers: dict[str, str], trusted: bool
) -> None:
    found = posted_binding(request(headers), BINDING, own_origin=OWN + "/")
    assert found == (BINDING if trusted else None)


@pytest.mark.parametrize("value", [None, "", "short", BINDING + "x"])
def test_a_reposted_value_that_is_no_binding_counts_for_nothing(value: str | None) -> None:
    assert posted_binding(request({"Sec-Fetch-Site": "same-origin"}), value, own_origin=OWN) is None


def assert_policy(headers: Mapping[str, str]) -> str:
    policy = headers["content-security-policy"]
    assert "script-src 'self';" in policy and "default-src 'none'" in policy
    # The LMS's page (an origin no registration names) frames these pages.
    assert "frame-ancestors" not in policy
    assert headers["cache-control"] == "private, no-store"
    assert headers["referrer-policy"] == "no-referrer"
    return policy


def test_the_login_page_hands_its_script_what_to_store_and_where_to_go() -> None:
    auth_url = 'https://sso.canvaslms.com/auth?state=s1&redirect_uri=x"><script>'
    response = login_page(
        state="s1",
        binding=BINDING,
        auth_url=auth_url,
        target=TARGET,
        relaunch_url="https://media.example.edu/lti/login?iss=i",
    )
    assert response.status_code == 200
    policy = assert_policy(response.headers)
    assert "form-action 'self';" in policy
    page = Elements(bytes(response.body).decode())
    config = page.first("div", id="lti-storage")
    assert config == {
        "id": "lti-storage",
        "data-step": "login",
        "data-frame": "post_message_forwarding",
        "data-origin": "https://sso.canvaslms.com",
        "data-key": "mediaobjects_login_s1",
        "data-timeout": "3000",
        "data-cookie-path": "/lti",
        "data-value": BINDING,
        "data-next": auth_url,
    }
    scripts = page.all("script")
    assert [s["type"] for s in scripts] == ["module"]
    assert re.fullmatch(r"/static/lti-storage\.js\?v=[0-9a-f]{16}", scripts[0]["src"] or "")
    assert page.script_text.strip() == ""
    assert "hidden" in page.first("section", **{"class": "lti-fallback"})
    link = page.first("a", **{"class": "lti-new-tab"})
    assert link["href"] == "https://media.example.edu/lti/login?iss=i"
    assert link["target"] == "_blank" and link["rel"] == "noopener"


def test_a_login_without_platform_storage_still_probes_the_cookie() -> None:
    response = login_page(
        state="s1", binding=BINDING, auth_url=AUTH, target=None, relaunch_url=None
    )
    config = Elements(bytes(response.body).decode()).first("div", id="lti-storage")
    assert config["data-frame"] == "" and config["data-origin"] == ""
    assert config["data-next"] == AUTH


def test_the_launch_page_reposts_the_launch_with_the_binding_field() -> None:
    response = launch_page(
        request({}),
        state="s1",
        id_token="eyJ.a.b",
        target=TARGET,
        launch_url="https://media.example.edu/lti/launch",
    )
    assert "form-action 'self';" in assert_policy(response.headers)
    page = Elements(bytes(response.body).decode())
    form = page.first("form", id="lti-storage-form")
    assert form["method"] == "post" and form["action"] == "https://media.example.edu/lti/launch"
    fields = {i["name"]: i["value"] for i in page.all("input")}
    assert fields == {
        "id_token": "eyJ.a.b",
        "state": "s1",
        "lti_storage_target": "post_message_forwarding",
        BINDING_FIELD: "",
    }
    assert page.first("div", id="lti-storage")["data-step"] == "launch"
    # No relaunch link known at launch time: the fallback explains instead.
    assert not [a for a in page.all("a") if a.get("class") == "lti-new-tab"]


def test_the_launch_page_may_post_to_the_configured_public_url() -> None:
    response = launch_page(
        request({}, url="http://10.0.0.5:8000/lti/launch"),
        state="s1",
        id_token="t",
        target=TARGET,
        launch_url="https://media.example.edu/lti/launch",
    )
    assert "form-action 'self' https://media.example.edu;" in assert_policy(response.headers)


def test_the_blocked_page_says_what_happened() -> None:
    response = blocked_page(relaunch_url="https://media.example.edu/lti/login?iss=i")
    assert response.status_code == 401
    assert_policy(response.headers)
    body = bytes(response.body).decode()
    page = Elements(body)
    assert page.all("script") == []
    assert "hidden" not in page.first("section", **{"class": "lti-fallback"})
    assert "blocked" in body
    assert page.first("a", **{"class": "lti-new-tab"})["target"] == "_blank"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "/lti/authorize", "data:text/html,x"])
def test_a_page_never_sends_the_browser_to_anything_but_a_web_url(url: str) -> None:
    with pytest.raises(ValueError):
        login_page(state="s1", binding=BINDING, auth_url=url, target=None, relaunch_url=None)
    with pytest.raises(ValueError):
        launch_page(request({}), state="s1", id_token="t", target=TARGET, launch_url=url)
