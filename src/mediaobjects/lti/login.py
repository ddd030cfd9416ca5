"""OIDC login initiation, the first step of every LTI 1.3 launch (``/lti/login``): the request
is checked against a registration (issuer, client_id, the deployment hint, ``target_link_uri``
ours), a login state is stored (digests of the state and of the browser-binding cookie, the
nonce, an expiry), and the platform gets its authorization request. Also the helpers the
launch shares with it: digests, comparing endpoints."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

from sqlalchemy.orm import Session

from mediaobjects.errors import BadRequest, Forbidden, NotFound
from mediaobjects.lti import registrations
from mediaobjects.lti import repository as repo
from mediaobjects.lti.models import LtiLoginState

MAX_PARAM = 2048


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def same_endpoint(url: str, ours: str) -> bool:
    """Whether ``url`` is the endpoint ``ours`` (scheme, host, port and path; the query may
    differ)."""
    try:
        given, mine = urlsplit(url), urlsplit(ours)
        return (
            given.scheme == mine.scheme
            and given.netloc.lower() == mine.netloc.lower()
            and (given.path or "/") == (mine.path or "/")
            and not given.fragment
        )
    except ValueError:
        return False


# ---- login initiation ----------------------------------------------------------------------


@dataclass(frozen=True)
class LoginRequest:
    """The parameters of an OIDC login initiation (GET query or POST form)."""

    iss: str | None
    login_hint: str | None
    target_link_uri: str | None
    client_id: str | None = None
    lti_deployment_id: str | None = None
    lti_message_hint: str | None = None


@dataclass(frozen=True)
class LoginStarted:
    redirect_url: str
    # The registration's authorization endpoint: the origin platform storage answers from.
    auth_login_url: str
    state: str
    # The browser-binding cookie's value (only its digest is stored).
    browser_token: str
    max_age: int


def _required(name: str, value: str | None) -> str:
    if value is None or not value.strip():
        raise BadRequest.for_field(name, f"the login request has no {name}", "required")
    if len(value) > MAX_PARAM:
        raise BadRequest.for_field(name, f"the login request's {name} is too long", "too_long")
    return value


def start_login(
    session: Session,
    request: LoginRequest,
    *,
    launch_url: str,
    now: datetime,
    lifetime: timedelta,
) -> LoginStarted:
    """Checks the initiation against a registration and stores a login state; the platform
    gets its authorization request (``redirect_url``) and the browser a binding cookie."""
    iss = _required("iss", request.iss)
    login_hint = _required("login_hint", request.login_hint)
    target = _required("target_link_uri", request.target_link_uri)
    client_id = request.client_id
    if client_id is not None and len(client_id) > MAX_PARAM:
        raise BadRequest.for_field("client_id", "the login request's client_id is too long")
    registration = registrations.registration_for_login(session, iss, client_id or None)
    if registration is None and not client_id and registrations.issuer_known(session, iss):
        raise BadRequest.for_field(
            "client_id",
            f"several platforms are registered with issuer {iss[:255]!r}: the login request "
            "must name its client_id",
            "required",
        )
    if registration is None:
        who = f"issuer {iss!r}" + (f" and client_id {client_id!r}" if client_id else "")
        raise NotFound(
            f"no platform is registered with {who}; a site admin registers it first "
            "(POST /api/v1/accounts/self/lti_registrations or `mediaobjects lti register`)"
        )
    if not same_endpoint(target, launch_url):
        raise BadRequest.for_field(
            "target_link_uri",
            f"target_link_uri {target!r} is not this tool's launch URL ({launch_url})",
            "invalid",
        )
    deployment = request.lti_deployment_id
    if deployment is not None and not registrations.has_deployment(
        session, registration.id, deployment
    ):
        raise Forbidden(unknown_deployment(deployment))
    repo.delete_expired(session, now)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(24)
    # The browser binding (its cookie, or platform storage, brings it back to the launch):
    # 32 random bytes, as lti.cookies expects.
    browser_token = secrets.token_urlsafe(32)
    session.add(
        LtiLoginState(
            state_digest=digest(state),
            nonce=nonce,
            registration_id=registration.id,
            browser_digest=digest(browser_token),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": registration.client_id,
        "redirect_uri": launch_url,
        "login_hint": login_hint,
        "state": state,
        "nonce": nonce,
    }
    if request.lti_message_hint is not None:
        params["lti_message_hint"] = request.lti_message_hint[:MAX_PARAM]
    separator = "&" if urlsplit(registration.auth_login_url).query else "?"
    return LoginStarted(
        redirect_url=registration.auth_login_url + separator + urlencode(params),
        auth_login_url=registration.auth_login_url,
        state=state,
        browser_token=browser_token,
        max_age=int(lifetime.total_seconds()),
    )


def unknown_deployment(deployment: str) -> str:
    return (
        f"the deployment {deployment[:255]!r} is not registered for this platform; a site admin "
        "adds it to the registration's deployment_ids"
    )
