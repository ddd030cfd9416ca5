"""Web sign-in as a person meets it: the /login form, signing in with a password or an access
token, the session cookie and its limits (idle, absolute, signing out, a deleted user, a forged
value), the CSRF token the API asks of cookie requests that change things, and the rate limits
on failed sign-ins. Each browser is its own TestClient, with its own cookie jar."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from mediaobjects.accounts import service as accounts
from mediaobjects.accounts.models import User, WebSession
from mediaobjects.accounts.principal import Principal
from mediaobjects.app import create_app
from mediaobjects.context import build_context, build_limiter
from mediaobjects.http.session_cookie import csrf_token_for
from mediaobjects.settings import Settings
from mediaobjects.storage.local import LocalStorage
from mediaobjects.web.session import require_web_principal
from tests.support.api import Api
from tests.support.clock import Clock
from tests.support.world import build_world

PASSWORD = "correct horse battery staple"
FAILED = "The login or password is incorrect."
UNAUTHENTICATED = {
    "status": "unauthenticated",
    "errors": [{"message": "user authorization required"}],
}


def _user_with_password(api: Api, login: str, password: str = PASSWORD) -> int:
    body = api.ok(
        "POST",
        "/api/v1/accounts/self/users",
        data={
            "user[name]": "Grace Hopper",
            "pseudonym[unique_id]": login,
            "pseudonym[password]": password,
        },
    )
    assert "password" not in str(body).lower()
    return int(body["id"])


def _browser(api: Api, base_url: str = "http://testserver") -> TestClient:
    return TestClient(api.client.app, base_url=base_url, follow_redirects=False)


def _sign_in(browser: TestClient, login: str, password: str, **extra: str) -> Any:
    return browser.post("/login", data={"unique_id": login, "password": password, **extra})


def _csrf(browser: TestClient, api: Api) -> str:
    """The CSRF token the pages of this browser's session carry (``web.session.csrf_token``)."""
    return csrf_token_for(api.ctx, browser.cookies["mediaobjects_session"])


def test_the_form_is_plain_accessible_html_without_script(api: Api) -> None:
    r = _browser(api).get("/login?next=/users/self/media")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in r.text
    for field in ("unique_id", "password", "access_token"):
        assert f'<label for="{field}">' in r.text
        assert f'id="{field}" name="{field}"' in r.text
    assert "<script" not in r.text and "style=" not in r.text
    assert 'value="/users/self/media"' in r.text
    policy = r.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy


def test_the_form_is_in_the_pages_layout_with_their_policy(api: Api) -> None:
    r = _browser(api).get("/login")
    assert 'class="skip-link" href="#main"' in r.text and '<main id="main"' in r.text
    assert re.search(r'<link rel="stylesheet" href="/static/app\.css\?v=[0-9a-f]{16}">', r.text)
    # Nobody is signed in here: no navigation, no sign-out, no CSRF token to give away.
    assert 'aria-label="Main"' not in r.text and "/logout" not in r.text
    assert "csrf-token" not in r.text
    policy = r.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "form-action 'self'" in policy
    # Not the pages' no-referrer: under it Chromium posts the form with "Origin: null", which
    # the login-CSRF check refuses (test_pages_browser signs in through this form).
    assert r.headers["referrer-policy"] == "same-origin"


def test_the_form_goes_straight_on_when_already_signed_in(api: Api) -> None:
    browser, _ = _signed_in(api)
    r = browser.get("/login?next=/courses/7/media")
    assert r.status_code == 303 and r.headers["location"] == "/courses/7/media"
    r = browser.get("/login?next=//evil.example/")
    assert r.status_code == 303 and r.headers["location"] == "/"
    # A stale cookie (signed out elsewhere) gets the form, not a loop.
    stale = _browser(api)
    stale.cookies.set("mediaobjects_session", "not-a-session")
    assert stale.get("/login").status_code == 200


def test_signing_in_with_a_password_gives_a_session_cookie_and_goes_to_next(api: Api) -> None:
    user_id = _user_with_password(api, "grace@example.edu")
    browser = _browser(api)
    r = _sign_in(browser, "Grace@Example.edu", PASSWORD, next="/courses/7/media?page=2")
    assert r.status_code == 303
    assert r.headers["location"] == "/courses/7/media?page=2"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("mediaobjects_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP: a Secure cookie would never come back
    me = browser.get("/api/v1/users/self")
    assert me.status_code == 200 and me.json()["id"] == user_id
    # The database holds a digest, never the cookie's value.
    raw = browser.cookies["mediaobjects_session"]
    with api.ctx.read() as session:
        digests = list(session.scalars(select(WebSession.session_digest)))
    assert len(digests) == 1 and raw not in digests[0]


def test_the_cookie_is_secure_over_https(api: Api) -> None:
    _user_with_password(api, "grace@example.edu")
    r = _sign_in(_browser(api, "https://testserver"), "grace@example.edu", PASSWORD)
    assert r.status_code == 303
    assert "Secure" in r.headers["set-cookie"]


def test_an_access_token_signs_in_too(api: Api) -> None:
    person = api.user("Token Person")
    browser = _browser(api)
    r = browser.post("/login", data={"access_token": person.token})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert browser.get("/api/v1/users/self").json()["id"] == person.id


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=y",
        "",
    ],
)
def test_next_outside_the_site_goes_home(api: Api, target: str) -> None:
    _user_with_password(api, "grace@example.edu")
    r = _sign_in(_browser(api), "grace@example.edu", PASSWORD, next=target)
    assert r.status_code == 303
    assert r.headers["location"] == "/"


def test_unknown_login_and_wrong_password_look_the_same(api: Api) -> None:
    _user_with_password(api, "grace@example.edu")
    browser = _browser(api)
    wrong = _sign_in(browser, "grace@example.edu", "not the password")
    unknown = _sign_in(browser, "nobody@example.edu", "not the password")
    no_password = _sign_in(browser, "admin", "not the password")  # a user without one
    bad_token = browser.post("/login", data={"access_token": "1~forged"})
    for r in (wrong, unknown, no_password, bad_token):
        assert r.status_code == 401
        assert FAILED in r.text
        assert "set-cookie" not in r.headers
        assert "not the password" not in r.text
    assert browser.get("/api/v1/users/self").status_code == 401


def test_a_huge_password_is_a_400_not_work(api: Api) -> None:
    _user_with_password(api, "grace@example.edu")
    huge = "x" * 1_000_000
    r = _sign_in(_browser(api), "grace@example.edu", huge)
    assert r.status_code == 400
    assert huge[:1000] not in r.text


def test_a_sign_in_form_posted_from_another_site_is_refused(api: Api) -> None:
    _user_with_password(api, "grace@example.edu")
    browser = _browser(api)
    r = browser.post(
        "/login",
        data={"unique_id": "grace@example.edu", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403
    assert "mediaobjects_session" not in browser.cookies
    own = browser.post(
        "/login",
        data={"unique_id": "grace@example.edu", "password": PASSWORD},
        headers={"Origin": "http://testserver"},
    )
    assert own.status_code == 303


def _signed_in(api: Api, login: str = "grace@example.edu") -> tuple[TestClient, int]:
    user_id = _user_with_password(api, login)
    browser = _browser(api)
    assert _sign_in(browser, login, PASSWORD).status_code == 303
    return browser, user_id


def test_the_api_takes_the_cookie_for_changes_only_with_the_csrf_token(api: Api) -> None:
    browser, user_id = _signed_in(api)
    url = f"/api/v1/users/{user_id}/tokens"
    missing = browser.post(url, data={"token[purpose]": "from the page"})
    wrong = browser.post(url, data={"token[purpose]": "x"}, headers={"X-CSRF-Token": "x" * 43})
    for r in (missing, wrong):
        assert r.status_code == 403
        assert r.json()["status"] == "unauthorized"
        assert "CSRF" in r.json()["errors"][0]["message"]
    # Another browser's token is no good either: the token is bound to the session.
    other, _ = _signed_in(api, "other@example.edu")
    stolen = browser.post(
        url, data={"token[purpose]": "x"}, headers={"X-CSRF-Token": _csrf(other, api)}
    )
    assert stolen.status_code == 403
    ok = browser.post(
        url, data={"token[purpose]": "from the page"}, headers={"X-CSRF-Token": _csrf(browser, api)}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["user_id"] == user_id


def test_a_bearer_token_is_judged_alone_cookie_or_not(api: Api) -> None:
    browser, _ = _signed_in(api)
    person = api.user("Scripted")
    r = browser.post(
        f"/api/v1/users/{person.id}/tokens",
        data={"token[purpose]": "script"},
        headers=person.headers,
    )
    assert r.status_code == 200
    assert r.json()["user_id"] == person.id


def test_a_forged_cookie_is_nobody(api: Api) -> None:
    browser = _browser(api)
    browser.cookies.set("mediaobjects_session", "forged-" + "a" * 40)
    r = browser.get("/api/v1/users/self")
    assert r.status_code == 401 and r.json() == UNAUTHENTICATED
    huge = _browser(api)
    huge.cookies.set("mediaobjects_session", "b" * 3000)
    assert huge.get("/api/v1/users/self").status_code == 401
    posted = browser.post("/api/v1/users/self/tokens", data={"token[purpose]": "x"})
    assert posted.status_code == 401


def _move_session(api: Api, **changes: datetime) -> None:
    with api.ctx.write() as session:
        session.execute(update(WebSession).values(**changes))


def test_an_idle_session_ends(api: Api) -> None:
    browser, _ = _signed_in(api)
    idle = timedelta(minutes=api.ctx.settings.session_idle_minutes)
    _move_session(api, last_seen_at=datetime.now(UTC) - idle + timedelta(minutes=5))
    assert browser.get("/api/v1/users/self").status_code == 200  # seen: idle time restarts
    with api.ctx.read() as session:
        seen = session.scalars(select(WebSession.last_seen_at)).one()
    assert datetime.now(UTC) - seen < timedelta(minutes=1)
    _move_session(api, last_seen_at=datetime.now(UTC) - idle - timedelta(seconds=1))
    r = browser.get("/api/v1/users/self")
    assert r.status_code == 401 and r.json() == UNAUTHENTICATED


def test_a_session_ends_at_its_absolute_limit_however_active(api: Api) -> None:
    browser, _ = _signed_in(api)
    _move_session(api, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert browser.get("/api/v1/users/self").status_code == 401


def test_the_session_of_a_deleted_user_ends(api: Api) -> None:
    browser, user_id = _signed_in(api)
    with api.ctx.write() as session:
        session.execute(delete(User).where(User.id == user_id))
    r = browser.get("/api/v1/users/self")
    assert r.status_code == 401 and r.json() == UNAUTHENTICATED


def test_signing_out_ends_the_session_and_needs_the_csrf_token(api: Api) -> None:
    browser, _ = _signed_in(api)
    raw = browser.cookies["mediaobjects_session"]
    refused = browser.post("/logout", data={})
    assert refused.status_code == 403
    assert browser.get("/api/v1/users/self").status_code == 200
    r = browser.post("/logout", data={"authenticity_token": _csrf(browser, api)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "mediaobjects_session=" in r.headers["set-cookie"]
    assert "mediaobjects_session" not in browser.cookies
    # The old value, kept by someone, opens nothing any more.
    again = _browser(api)
    again.cookies.set("mediaobjects_session", raw)
    assert again.get("/api/v1/users/self").status_code == 401


def test_signing_in_again_gets_a_new_session_id(api: Api) -> None:
    browser, _ = _signed_in(api)
    planted = browser.cookies["mediaobjects_session"]
    assert _sign_in(browser, "grace@example.edu", PASSWORD).status_code == 303
    assert browser.cookies["mediaobjects_session"] != planted
    old = _browser(api)
    old.cookies.set("mediaobjects_session", planted)
    assert old.get("/api/v1/users/self").status_code == 401


@pytest.fixture
def clock(api: Api) -> Clock:
    clock = Clock()
    api.ctx.limiter = build_limiter(
        Settings(
            rate_limit_sign_in_login_per_minute=2,
            rate_limit_sign_in_login_burst=3,
            rate_limit_sign_in_address_per_minute=6,
            rate_limit_sign_in_address_burst=5,
        ),
        clock,
    )
    return clock


def test_failed_sign_ins_for_one_login_are_limited(api: Api, clock: Clock) -> None:
    _user_with_password(api, "grace@example.edu")
    browser = _browser(api)
    for _ in range(3):
        assert _sign_in(browser, "grace@example.edu", "guess").status_code == 401
    limited = _sign_in(browser, "GRACE@example.edu", PASSWORD)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) == 30
    assert "mediaobjects_session" not in browser.cookies
    clock.advance(30)
    assert _sign_in(browser, "grace@example.edu", PASSWORD).status_code == 303


def test_failed_sign_ins_from_one_address_are_limited(api: Api, clock: Clock) -> None:
    _user_with_password(api, "grace@example.edu")
    browser = _browser(api)
    for n in range(5):
        assert _sign_in(browser, f"nobody{n}@example.edu", "guess").status_code == 401
    limited = browser.post("/login", data={"access_token": "1~guess"})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) == 10
    clock.advance(10)
    assert _sign_in(browser, "grace@example.edu", PASSWORD).status_code == 303


def test_successful_sign_ins_are_not_counted(api: Api, clock: Clock) -> None:
    _user_with_password(api, "grace@example.edu")
    for _ in range(8):
        assert _sign_in(_browser(api), "grace@example.edu", PASSWORD).status_code == 303


def test_the_player_and_media_urls_work_for_a_signed_in_user(api: Api) -> None:
    world = build_world(api)
    api.ok(
        "PUT",
        f"/api/v1/accounts/self/logins/{world.student.id}",
        data={"login[password]": PASSWORD},
    )
    login = api.ok("GET", f"/api/v1/users/{world.student.id}")["login_id"]
    browser = _browser(api)
    assert _sign_in(browser, login, PASSWORD).status_code == 303
    assert browser.get(f"/media_objects_iframe/{world.media_id}").status_code == 200
    assert browser.get(f"/media_objects/{world.media_id}/info").status_code == 200
    anonymous = _browser(api)
    assert anonymous.get(f"/media_objects/{world.media_id}/info").status_code == 401
    # Signed in as someone outside the course: the cookie proves who, not a right.
    api.ok(
        "PUT",
        f"/api/v1/accounts/self/logins/{world.outsider.id}",
        data={"login[password]": PASSWORD},
    )
    outsider_login = api.ok("GET", f"/api/v1/users/{world.outsider.id}")["login_id"]
    outsider = _browser(api)
    assert _sign_in(outsider, outsider_login, PASSWORD).status_code == 303
    assert outsider.get(f"/media_objects/{world.media_id}/info").status_code in (403, 404)


def test_pages_that_need_a_user_send_visitors_to_login_and_back(api: Api, app: FastAPI) -> None:

    @app.get("/test-only/needs-sign-in")
    def needs(principal: Principal = Depends(require_web_principal)) -> dict[str, int | None]:
        return {"id": principal.user_id}

    r = _browser(api).get("/test-only/needs-sign-in?x=1")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/test-only/needs-sign-in%3Fx%3D1"
    browser, user_id = _signed_in(api)
    assert browser.get("/test-only/needs-sign-in").json() == {"id": user_id}


def test_the_login_page_never_shows_a_password(api: Api) -> None:
    r = _sign_in(_browser(api), "grace@example.edu", "s3cret-typed-password")
    assert r.status_code == 401
    assert "s3cret-typed-password" not in r.text
    assert re.search(r'value="grace@example.edu"', r.text)


def test_secure_follows_x_forwarded_proto_only_from_a_trusted_proxy(settings: Settings) -> None:
    trusting = settings.model_copy(
        update={"trusted_proxies": "127.0.0.1", "public_url": "https://media.example.edu"}
    )
    context = build_context(trusting, storage=LocalStorage(trusting.data_dir / "files"))
    try:
        app = create_app(context=context)
        with context.write() as session:
            admin = accounts.ensure_admin_user(session)
            accounts.set_password(session, admin, PASSWORD)
        form = {"unique_id": "admin", "password": PASSWORD}
        https = {"X-Forwarded-Proto": "https"}
        proxy = TestClient(app, follow_redirects=False, client=("127.0.0.1", 40000))
        r = proxy.post("/login", data=form, headers=https)
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]
        stranger = TestClient(app, follow_redirects=False, client=("10.9.9.9", 40000))
        r = stranger.post("/login", data=form, headers=https)
        assert r.status_code == 303 and "Secure" not in r.headers["set-cookie"]
        # Behind the proxy, the browser's Origin is the public address, not the Host it sent.
        public = {**https, "Origin": "https://media.example.edu"}
        assert proxy.post("/login", data=form, headers=public).status_code == 303
        evil = {**https, "Origin": "https://evil.example"}
        assert proxy.post("/login", data=form, headers=evil).status_code == 403
    finally:
        context.close()
