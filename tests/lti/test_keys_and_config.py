"""What a platform reads of the tool: its key set (current and next key, rotation), the Canvas
developer-key JSON, and that the tool's signatures verify with the published keys."""

from __future__ import annotations

from datetime import timedelta

import jwt
from fastapi.testclient import TestClient
from sqlalchemy import select

from mediaobjects.context import AppContext
from mediaobjects.lti import keys, tokens
from mediaobjects.lti.models import LtiToolKey


def test_the_key_set_publishes_a_current_and_a_next_key(client: TestClient) -> None:
    response = client.get("/lti/jwks")
    assert response.status_code == 200
    published = response.json()["keys"]
    assert len(published) == 2
    assert len({k["kid"] for k in published}) == 2
    for key in published:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
        assert "d" not in key and "p" not in key, "a private part is published"
    # The same keys on every request (made once, kept in the database).
    assert client.get("/lti/jwks").json()["keys"] == published


def test_the_tool_signs_with_the_current_published_key(client: TestClient, ctx: AppContext) -> None:
    published = client.get("/lti/jwks").json()
    with ctx.write() as session:
        signing = keys.signing_key(session, "test-secret-key")
    token = tokens.sign(
        {"iss": "tool", "aud": "lms"},
        signing.private_key,
        signing.kid,
        lifetime=timedelta(minutes=5),
    )
    kid = jwt.get_unverified_header(token)["kid"]
    verifying = jwt.PyJWKSet.from_dict(published)[kid]
    claims = jwt.decode(token, verifying.key, algorithms=["RS256"], audience="lms")
    assert claims["iss"] == "tool" and claims["exp"] - claims["iat"] == 300


def test_private_keys_are_stored_encrypted(client: TestClient, ctx: AppContext) -> None:
    client.get("/lti/jwks")
    with ctx.read() as session:
        stored = list(session.scalars(select(LtiToolKey)))
    assert len(stored) == 2
    for key in stored:
        assert "PRIVATE KEY" not in key.private_key
    # Under another secret key they are unusable: the next signature rotates them away.
    with ctx.write() as session:
        before = keys.signing_key(session, "test-secret-key").kid
        after = keys.signing_key(session, "another-secret").kid
        assert after != before
        assert keys.signing_key(session, "another-secret").kid == after
    assert after in {k["kid"] for k in client.get("/lti/jwks").json()["keys"]}


def test_rotation_keeps_the_old_key_published_for_a_while(
    client: TestClient, ctx: AppContext
) -> None:
    before = {k["kid"] for k in client.get("/lti/jwks").json()["keys"]}
    with ctx.write() as session:
        old = keys.signing_key(session, "test-secret-key").kid
        keys.rotate_keys(session, "test-secret-key")
        new = keys.signing_key(session, "test-secret-key").kid
    after = {k["kid"] for k in client.get("/lti/jwks").json()["keys"]}
    assert new in before, "the key that signs now was published before the rotation"
    assert old in after and new in after and len(after) == 3


def test_the_canvas_developer_key_json(client: TestClient) -> None:
    response = client.get("/lti/config.json")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "mediaobjects"
    assert body["oidc_initiation_url"] == "https://testserver/lti/login"
    assert body["target_link_uri"] == "https://testserver/lti/launch"
    assert body["public_jwk_url"] == "https://testserver/lti/jwks"
    assert body["custom_fields"] == {"context_history": "$Context.id.history"}
    assert body["scopes"] == []
    canvas = body["extensions"][0]
    assert canvas["platform"] == "canvas.instructure.com"
    assert canvas["domain"] == "testserver"
    assert canvas["privacy_level"] == "public"
    placements = {p["placement"]: p for p in canvas["settings"]["placements"]}
    assert {name: p["message_type"] for name, p in placements.items()} == {
        "editor_button": "LtiDeepLinkingRequest",
        "link_selection": "LtiDeepLinkingRequest",
        "assignment_selection": "LtiDeepLinkingRequest",
        "course_navigation": "LtiResourceLinkRequest",
        "user_navigation": "LtiResourceLinkRequest",
    }
    assert all(p["target_link_uri"] == "https://testserver/lti/launch" for p in placements.values())
