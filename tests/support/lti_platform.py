"""A strict LTI 1.3 platform for the tests (PyJWT + cryptography), standing in for Canvas or
Moodle: its own RSA key and key set (answered in process through the tool's key-set fetcher,
no sockets), an authorization endpoint that checks the tool's authentication request to the
letter (``redirect_uri`` exactly the registered one, ``response_mode=form_post``,
``prompt=none``, our ``login_hint``...) and answers with a signed id_token, and a browser
helper that walks login -> authorize -> launch with the tool's TestClient (https, so the
``Secure`` cookies flow)."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm

from mediaobjects.lti.key_sets import KeySetUnavailable

TOOL = "https://testserver"
LAUNCH_URL = f"{TOOL}/lti/launch"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
DESIGNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"


@dataclass
class Person:
    """Someone on the platform."""

    sub: str
    name: str
    email: str
    roles: list[str] = field(default_factory=list)


def new_key() -> tuple[rsa.RSAPrivateKey, str]:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048), secrets.token_hex(8)


class Platform:
    def __init__(
        self,
        issuer: str = "https://lms.example.edu",
        client_id: str = "10000000000042",
        deployment_id: str = "7:deployment",
        launch_url: str = LAUNCH_URL,
    ) -> None:
        self.issuer = issuer
        # The tool's redirect URI as registered with this platform.
        self.launch_url = launch_url
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.auth_login_url = f"{issuer}/api/lti/authorize_redirect"
        self.auth_token_url = f"{issuer}/login/oauth2/token"
        self.key_set_url = f"{issuer}/api/lti/security/jwks"
        self.deep_link_return_url = f"{issuer}/courses/1/deep_linking_response"
        self.private_key, self.kid = new_key()
        # Keys published besides the signing one (a rotation in progress).
        self.published: dict[str, rsa.RSAPrivateKey] = {self.kid: self.private_key}
        self.key_set_fetches = 0
        self.unreachable = False
        # The `data` of the last deep-linking request, and the nonces of responses taken.
        self.deep_linking_data: str | None = None
        self.accept_multiple = True
        self.seen_response_nonces: set[str] = set()

    # ---- what the tool fetches
    def key_set(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.published.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
        return {"keys": keys}

    def fetch(self, url: str, timeout: float) -> bytes:
        """The tool's key-set fetcher (build_context(lti_key_set_fetcher=...))."""
        assert timeout > 0
        if url != self.key_set_url:
            raise KeySetUnavailable(f"no key set at {url}")
        if self.unreachable:
            raise KeySetUnavailable("connection refused")
        self.key_set_fetches += 1
        return json.dumps(self.key_set()).encode()

    def rotate(self) -> None:
        """A new signing key, published beside the old one."""
        self.private_key, self.kid = new_key()
        self.published[self.kid] = self.private_key

    # ---- registration at the tool
    def registration(self, **overrides: Any) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "auth_login_url": self.auth_login_url,
            "auth_token_url": self.auth_token_url,
            "key_set_url": self.key_set_url,
            "deployment_ids": [self.deployment_id],
            **overrides,
        }

    # ---- tokens
    def claims(
        self,
        person: Person,
        nonce: str | None,
        *,
        message_type: str = "LtiResourceLinkRequest",
        context: dict[str, Any] | None = None,
        custom: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": person.sub,
            "exp": now + 300,
            "iat": now,
            "name": person.name,
            "email": person.email,
            CLAIM + "message_type": message_type,
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": self.deployment_id,
            CLAIM + "target_link_uri": self.launch_url,
            CLAIM + "roles": person.roles,
        }
        if nonce is not None:
            claims["nonce"] = nonce
        if context is not None:
            claims[CLAIM + "context"] = context
        if custom is not None:
            claims[CLAIM + "custom"] = custom
        if message_type == "LtiResourceLinkRequest":
            claims[CLAIM + "resource_link"] = {"id": "link-" + secrets.token_hex(4)}
        else:
            self.deep_linking_data = "opaque-" + secrets.token_hex(4)
            claims[DL_CLAIM + "deep_linking_settings"] = {
                "deep_link_return_url": self.deep_link_return_url,
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe"],
                "accept_multiple": self.accept_multiple,
                "data": self.deep_linking_data,
            }
        return claims

    def sign(
        self, claims: dict[str, Any], key: rsa.RSAPrivateKey | None = None, kid: str | None = None
    ) -> str:
        return jwt.encode(
            claims,
            key or self.private_key,
            algorithm="RS256",
            headers={"kid": kid or self.kid},
        )

    def authorize(self, location: str, login_hint: str) -> dict[str, str]:
        """Checks the tool's authentication request as a strict platform does; returns its
        parameters (state, nonce)."""
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.auth_login_url, location
        query = {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()}
        assert query["scope"] == "openid"
        assert query["response_type"] == "id_token"
        assert query["response_mode"] == "form_post"
        assert query["prompt"] == "none"
        assert query["client_id"] == self.client_id
        # Registered redirect URIs must match exactly.
        assert query["redirect_uri"] == self.launch_url, query["redirect_uri"]
        assert query["login_hint"] == login_hint
        assert len(query["state"]) >= 32 and len(query["nonce"]) >= 16
        return query

    def receive_deep_link(self, tool: TestClient, page: str) -> list[dict[str, Any]]:
        """What the platform does with the tool's auto-posting page: the form must post to
        its deep_link_return_url, and the JWT verify with the tool's published keys, with
        iss our client_id, aud our issuer, exp, iat, a nonce never seen before, the
        deployment, message type, version and the request's data echoed. The content items."""
        action = re.search(r'<form id="lti-return" method="post" action="([^"]+)"', page)
        assert action is not None and unescape(action.group(1)) == self.deep_link_return_url
        found = re.search(r'name="JWT" value="([^"]+)"', page)
        assert found is not None
        return self.verify_deep_link(unescape(found.group(1)), tool.get("/lti/jwks").json())

    def verify_deep_link(self, token: str, tool_key_set: dict[str, Any]) -> list[dict[str, Any]]:
        """The checks of ``receive_deep_link`` on the posted ``JWT`` itself, with the tool's
        key set as ``/lti/jwks`` answers it. The content items."""
        header = jwt.get_unverified_header(token)
        assert header["alg"] == "RS256"
        keys = jwt.PyJWKSet.from_dict(tool_key_set)
        claims: dict[str, Any] = jwt.decode(
            token,
            keys[header["kid"]].key,
            algorithms=["RS256"],
            audience=self.issuer,
            issuer=self.client_id,
            options={"require": ["exp", "iat", "nonce", "iss", "aud"]},
        )
        assert claims["exp"] - claims["iat"] <= 600
        if claims["nonce"] in self.seen_response_nonces:
            raise AssertionError("replayed deep-linking response")
        self.seen_response_nonces.add(claims["nonce"])
        assert claims[CLAIM + "deployment_id"] == self.deployment_id
        assert claims[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
        assert claims[CLAIM + "version"] == "1.3.0"
        assert claims[DL_CLAIM + "data"] == self.deep_linking_data
        items: list[dict[str, Any]] = claims[DL_CLAIM + "content_items"]
        return items


def authorization_url(response: Any) -> str:
    """Where the login page's script goes on to (the platform's authorization request),
    once the login cookie stuck in its frame."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    found = re.search(
        r'<div id="lti-storage" data-step="login"[^>]* data-next="([^"]+)"', response.text
    )
    assert found is not None, response.text
    return unescape(found.group(1))


@dataclass
class Login:
    """A started login: the authentication request's parameters (state, nonce)."""

    state: str
    nonce: str


class Browser:
    """One browser (its own cookies) using the tool inside the platform."""

    def __init__(self, client: TestClient, platform: Platform) -> None:
        self.client = client
        self.platform = platform

    def login(self, person: Person, **extra: str) -> Login:
        params = {
            "iss": self.platform.issuer,
            "login_hint": person.sub,
            "target_link_uri": LAUNCH_URL,
            "client_id": self.platform.client_id,
            "lti_deployment_id": self.platform.deployment_id,
            **extra,
        }
        response = self.client.post("/lti/login", data=params, follow_redirects=False)
        query = self.platform.authorize(authorization_url(response), person.sub)
        return Login(query["state"], query["nonce"])

    def post_launch(self, id_token: str, state: str) -> Any:
        return self.client.post(
            "/lti/launch", data={"id_token": id_token, "state": state}, follow_redirects=False
        )

    def launch(
        self,
        person: Person,
        *,
        message_type: str = "LtiResourceLinkRequest",
        context: dict[str, Any] | None = None,
        custom: dict[str, Any] | None = None,
    ) -> Any:
        login = self.login(person)
        claims = self.platform.claims(
            person, login.nonce, message_type=message_type, context=context, custom=custom
        )
        return self.post_launch(self.platform.sign(claims), login.state)
