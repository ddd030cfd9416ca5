"""Access tokens: accepted as Bearer and as access_token; unknown, expired and revoked tokens
get Canvas's 401; anonymous callers get 401 and unauthorised ones 403 (canvas-media-api §2.0)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mediaobjects.accounts.models import AccessToken
from tests.support.api import Api

INVALID = {"errors": [{"message": "Invalid access token."}]}


def test_bearer_header_authenticates(api: Api) -> None:
    r = api.request("GET", "/api/v1/users/self", api.admin)
    assert r.status_code == 200
    assert r.json()["id"] == api.admin.id


def test_access_token_query_parameter_authenticates(api: Api) -> None:
    r = api.client.get(f"/api/v1/users/self?access_token={api.admin.token}")
    assert r.status_code == 200
    assert r.json()["login_id"] == "admin"


def test_unknown_token_is_401_with_canvas_body_and_www_authenticate(api: Api) -> None:
    r = api.client.get("/api/v1/users/self", headers={"Authorization": "Bearer 1~nope"})
    assert r.status_code == 401
    assert r.json() == INVALID
    assert r.headers["www-authenticate"].startswith("Bearer realm=")


def test_unknown_token_in_query_is_401(api: Api) -> None:
    r = api.client.get("/api/v1/users/self?access_token=garbage")
    assert r.status_code == 401
    assert r.json() == INVALID


def test_non_bearer_authorization_header_is_401(api: Api) -> None:
    r = api.client.get("/api/v1/users/self", headers={"Authorization": "Basic YTpi"})
    assert r.status_code == 401
    assert r.json() == INVALID


def test_anonymous_is_401_unauthenticated(api: Api) -> None:
    r = api.client.get("/api/v1/users/self")
    assert r.status_code == 401
    assert r.json() == {
        "status": "unauthenticated",
        "errors": [{"message": "user authorization required"}],
    }
    assert "www-authenticate" in r.headers


def test_expired_token_is_401(api: Api) -> None:
    user = api.user()
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    token = api.ok(
        "POST",
        f"/api/v1/users/{user.id}/tokens",
        data={"token[purpose]": "short", "token[expires_at]": soon},
    )
    assert token["expires_at"] is not None
    with api.ctx.write() as session:
        row = session.scalars(select(AccessToken).where(AccessToken.id == token["id"])).one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    r = api.client.get("/api/v1/users/self", headers={"Authorization": f"Bearer {token['token']}"})
    assert r.status_code == 401
    assert r.json() == {"errors": [{"message": "Expired access token."}]}


def test_revoked_token_is_401(api: Api) -> None:
    user = api.user()
    token = api.ok("POST", f"/api/v1/users/{user.id}/tokens", data={"token[purpose]": "x"})
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert api.client.get("/api/v1/users/self", headers=headers).status_code == 200
    api.ok("DELETE", f"/api/v1/users/{user.id}/tokens/{token['id']}")
    r = api.client.get("/api/v1/users/self", headers=headers)
    assert r.status_code == 401
    assert r.json() == {"errors": [{"message": "Revoked access token."}]}


def test_tokens_are_stored_hashed(api: Api) -> None:
    user = api.user()
    token = api.ok("POST", f"/api/v1/users/{user.id}/tokens", data={"token[purpose]": "x"})
    with api.ctx.read() as session:
        rows = list(session.scalars(select(AccessToken)))
    raw = token["token"]
    for row in rows:
        assert raw not in (row.token_digest, row.token_hint)
        assert len(row.token_digest) == 64
    # The full token is shown once, at creation.
    again = api.ok("DELETE", f"/api/v1/users/{user.id}/tokens/{token['id']}")
    assert "token" not in again


def test_authenticated_but_not_allowed_is_403(api: Api) -> None:
    user = api.user()
    r = api.request("POST", "/api/v1/accounts/self/courses", user, data={"course[name]": "X"})
    assert r.status_code == 403
    assert r.json() == {
        "status": "unauthorized",
        "errors": [{"message": "user not authorized to perform that action"}],
    }


def test_last_used_at_is_recorded(api: Api) -> None:
    user = api.user()
    api.request("GET", "/api/v1/users/self", user)
    with api.ctx.read() as session:
        row = session.scalars(select(AccessToken).where(AccessToken.user_id == user.id)).one()
    assert row.last_used_at is not None


def test_unknown_api_route_is_canvas_404(api: Api) -> None:
    r = api.request("GET", "/api/v1/nothing/here", api.admin)
    assert r.status_code == 404
    assert r.json() == {"errors": [{"message": "The specified resource does not exist."}]}


def test_absolute_form_request_target_is_served(api: Api) -> None:
    # urllib3 2.x sends absolute-form targets when following Link headers (client-contract 1.1.6).
    r = api.client.get(
        "http://testserver/api/v1/users/self",
        headers={"Authorization": f"Bearer {api.admin.token}"},
    )
    assert r.status_code == 200
