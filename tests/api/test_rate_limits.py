"""Rate limits as a client sees them: past its rate a caller gets 429 with Retry-After in the
Canvas envelope, other callers are not affected, and waiting as told is enough. Token creation
here; thumbnail drawing in tests/media_objects/test_thumbnails.py. A clock the test moves
stands in for time."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from mediaobjects.accounts.models import User
from mediaobjects.accounts.principal import ANONYMOUS, Principal
from mediaobjects.context import build_limiter
from mediaobjects.http.limits import caller_key
from mediaobjects.settings import Settings
from tests.support.api import Api
from tests.support.clock import Clock
from tests.support.world import build_world

SRT = "1\n00:00:01,000 --> 00:00:02,000\nHello\n"


@pytest.fixture
def clock(api: Api) -> Clock:
    clock = Clock()
    api.ctx.limiter = build_limiter(
        Settings(
            rate_limit_token_per_minute=2,
            rate_limit_token_burst=3,
            rate_limit_tracks_per_minute=1,
            rate_limit_tracks_burst=1,
        ),
        clock,
    )
    return clock


def test_creating_tokens_too_fast_gets_429_with_retry_after(api: Api, clock: Clock) -> None:
    me = api.user()  # made by the admin, which is not counted
    url = "/api/v1/users/self/tokens"
    for _ in range(3):
        assert api.request("POST", url, me, data={"token[purpose]": "x"}).status_code == 200
    refused = api.request("POST", url, me, data={"token[purpose]": "x"})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "30"
    assert refused.json() == {
        "errors": [
            {
                "message": "Too many access tokens created; try again in 30 s.",
                "error_code": "too_many_requests",
            }
        ]
    }
    # Another user is another caller.
    other = api.user()
    assert api.request("POST", url, other, data={"token[purpose]": "x"}).status_code == 200
    clock.now += 30
    assert api.request("POST", url, me, data={"token[purpose]": "x"}).status_code == 200
    assert api.request("POST", url, me, data={"token[purpose]": "x"}).status_code == 429


def test_site_admins_provisioning_users_are_not_limited(api: Api, clock: Clock) -> None:
    # Provisioning gives each user a token: a class is hundreds at once.
    people = [api.user() for _ in range(10)]
    for person in people:
        made = api.request(
            "POST", f"/api/v1/users/{person.id}/tokens", api.admin, data={"token[purpose]": "y"}
        )
        assert made.status_code == 200


def test_requests_without_a_user_are_refused_before_they_count(api: Api, clock: Clock) -> None:
    for _ in range(5):
        anonymous = api.request("POST", "/api/v1/users/self/tokens", data={"token[purpose]": "x"})
        assert anonymous.status_code == 401
    assert len(api.ctx.limiter) == 0


def _request(host: str) -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": "/", "headers": [], "client": (host, 5000)}
    )


def test_a_caller_is_the_user_else_the_address() -> None:
    user = Principal(User(id=7, name="A", sortable_name="A"))
    assert caller_key(_request("10.0.0.1"), user) == caller_key(_request("10.0.0.2"), user)
    assert caller_key(_request("10.0.0.1"), ANONYMOUS) != caller_key(
        _request("10.0.0.2"), ANONYMOUS
    )
    assert caller_key(_request("10.0.0.1"), user) != caller_key(_request("10.0.0.1"), ANONYMOUS)
    # A client cannot choose its address by writing a header.
    spoofed = Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": [(b"x-forwarded-for", b"10.9.9.9")],
            "client": ("10.0.0.1", 5000),
        }
    )
    assert caller_key(spoofed, ANONYMOUS) == caller_key(_request("10.0.0.1"), ANONYMOUS)


def test_replacing_tracks_too_fast_gets_429_and_changes_nothing(api: Api, clock: Clock) -> None:
    world = build_world(api)
    url = f"/api/v1/media_objects/{world.media_id}/media_tracks"
    first = [{"locale": "en", "content": SRT}]
    assert api.request("PUT", url, world.teacher, json=first).status_code == 200
    refused = api.request("PUT", url, world.teacher, json=[])
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert refused.json()["errors"][0]["error_code"] == "too_many_requests"
    # Nothing was deleted by the refused PUT, and another caller is not held back.
    assert [t["locale"] for t in api.ok("GET", url, world.teacher)] == ["en"]
    assert api.request("PUT", url, world.ta, json=first).status_code == 200
    clock.now += 60
    assert api.request("PUT", url, world.teacher, json=first).status_code == 200


def test_refused_callers_do_not_spend_the_limit_of_anyone(api: Api, clock: Clock) -> None:
    """Anonymous and unauthorised PUTs are refused (401/403) without counting against the
    address or the user: the limit is for work that would be done."""
    world = build_world(api)
    url = f"/api/v1/media_objects/{world.media_id}/media_tracks"
    for _ in range(3):
        assert api.request("PUT", url, None, json=[]).status_code == 401
    assert api.request("PUT", url, world.teacher, json=[]).status_code == 200
