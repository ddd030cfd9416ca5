"""What the LTI tests look at: a person's course memberships as the home page lists them, and
the users the service knows."""

from __future__ import annotations

from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mediaobjects.accounts import service as accounts
from mediaobjects.accounts.authentication import principal_for_user
from mediaobjects.context import AppContext
from tests.support.api import Api, Person


def login_of(api: Api, person: Person) -> str:
    return str(api.ok("GET", f"/api/v1/users/{person.id}")["login_id"])


def memberships(ctx: AppContext, login: str) -> dict[str, tuple[str, ...]]:
    """Course name -> active enrollment types of the user with this login ({} if none)."""
    with ctx.read() as session:
        user = accounts.find_user_by_login(session, login)
        assert user is not None, f"no user {login}"
        found = accounts.memberships(session, principal_for_user(session, user))
    return {m.name: m.roles for m in found if m.type == "Course"}


def user_exists(ctx: AppContext, login: str) -> bool:
    with ctx.read() as session:
        return accounts.find_user_by_login(session, login) is not None


def player_location(response: Any, media_id: str) -> str:
    """The player URL a resource launch redirected to, checked to carry an expiring verifier."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    parts = urlsplit(location)
    assert parts.path == f"/media_objects_iframe/{media_id}"
    verifier = parse_qs(parts.query)["verifier"][0]
    expires = verifier.partition(".")[0]
    assert expires.isdigit(), "an LTI launch hands out an expiring player verifier"
    return location


def refusal_text(response: Any) -> str:
    """The refusal page's text, once it is a framable 4xx HTML page without a stack trace."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    assert "frame-ancestors" not in response.headers["content-security-policy"]
    assert "Traceback" not in response.text
    return unescape(response.text)
