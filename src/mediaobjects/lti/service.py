"""The LTI 1.3 launch, after its login (``lti.login``): the id_token POSTed to /lti/launch
checked as the specifications require and more strictly than stock libraries (``find_login``:
state bound to the browser and single-use; ``check_token``: RS256 by the registration's
``kid``, ``iss``/``aud``/``azp``, ``exp`` and ``iat`` required, the login's nonce;
``check_claims``: nonce never used, deployment known, ``target_link_uri`` ours, message type
and version), and what the launch leads to (``accept_launch``: the user and course of the
launch, enrollments from roles, then the player for a resource link, a stored launch for deep
linking, or the landing page of a navigation launch).

Verification only reads (the key set is fetched outside any transaction); acceptance writes,
in one unit of work that a failure rolls back, so a refused launch changes nothing. Every
refusal is a domain error whose message says what failed."""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediaobjects.accounts.models import User
from mediaobjects.errors import BadRequest, Forbidden, NotFound, Unauthenticated
from mediaobjects.lti import identity, registrations
from mediaobjects.lti import repository as repo
from mediaobjects.lti.key_sets import KeySetCache, KeySetUnavailable
from mediaobjects.lti.login import MAX_PARAM, digest, same_endpoint, unknown_deployment
from mediaobjects.lti.models import (
    LtiLaunch,
    LtiLinkedMedia,
    LtiRegistration,
    LtiUsedNonce,
)
from mediaobjects.lti.tokens import TokenRejected, canonical, decode_id_token, unverified_kid
from mediaobjects.media_objects import service as media

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
MESSAGE_TYPES = (RESOURCE_LINK, DEEP_LINKING)
VERSION = "1.3.0"
# Canvas sends the custom variable itself when it cannot substitute it (not a copy).
UNSUBSTITUTED_HISTORY = "$Context.id.history"
MAX_HISTORY = 100
# How long the landing page's "open in a new tab" link of a navigation launch works.
OPEN_LIFETIME = timedelta(minutes=10)


# ---- the launch: verification (reads only) ---------------------------------------------------


@dataclass(frozen=True)
class VerifiedLaunch:
    registration_id: int
    state_id: int
    claims: dict[str, Any]
    message_type: str
    deployment_id: str


def _claim(claims: dict[str, Any], name: str) -> Any:
    return claims.get(CLAIM + name)


def _checked_claims(
    session: Session, registration: LtiRegistration, claims: dict[str, Any], launch_url: str
) -> tuple[str, str]:
    if _claim(claims, "version") != VERSION:
        raise BadRequest(f"the launch's LTI version must be {VERSION}")
    message_type = _claim(claims, "message_type")
    if message_type not in MESSAGE_TYPES:
        raise BadRequest(
            f"the message type {str(message_type)[:64]!r} is not supported "
            f"(only {' and '.join(MESSAGE_TYPES)})"
        )
    deployment = _claim(claims, "deployment_id")
    if not isinstance(deployment, str) or not deployment or len(deployment) > 255:
        raise BadRequest("the launch has no deployment_id")
    if not registrations.has_deployment(session, registration.id, deployment):
        raise Forbidden(unknown_deployment(deployment))
    target = _claim(claims, "target_link_uri")
    if not isinstance(target, str) or not same_endpoint(target, launch_url):
        raise BadRequest(
            f"the launch's target_link_uri is not this tool's launch URL ({launch_url})"
        )
    roles = _claim(claims, "roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise BadRequest("the launch's roles claim must be a list of role URIs")
    context = _claim(claims, "context")
    if context is not None and (
        not isinstance(context, dict)
        or not isinstance(context.get("id"), str)
        or not context["id"]
        or len(context["id"]) > 255
    ):
        raise BadRequest("the launch's context claim has no usable id")
    if message_type == RESOURCE_LINK:
        link = _claim(claims, "resource_link")
        if not isinstance(link, dict) or not isinstance(link.get("id"), str):
            raise BadRequest("a resource link launch needs the resource_link claim with an id")
    else:
        settings = claims.get(DL_CLAIM + "deep_linking_settings")
        if not isinstance(settings, dict):
            raise BadRequest("a deep linking launch needs the deep_linking_settings claim")
        return_url = settings.get("deep_link_return_url")
        if not isinstance(return_url, str) or registrations.url_problem(return_url):
            raise BadRequest("deep_linking_settings has no usable deep_link_return_url")
    return str(message_type), deployment


@dataclass(frozen=True)
class PendingLaunch:
    """A launch whose login checked out (state and browser), before its token is checked:
    what the token must then match."""

    state_id: int
    nonce: str
    registration_id: int
    issuer: str
    client_id: str
    key_set_url: str


class NoLoginBinding(Forbidden):
    """A launch of a pending login that came back with no binding at all (no cookie, nothing
    re-posted from platform storage): the browser keeps no cookie in the LMS's frame.
    ``auth_login_url``: the login's platform, whose storage may hold the binding."""

    def __init__(self, auth_login_url: str) -> None:
        super().__init__(
            "this browser did not keep the login's cookie (it may block cookies in frames): "
            "open the tool in a new tab, or allow cookies for this site"
        )
        self.auth_login_url = auth_login_url


def find_login(
    session: Session,
    *,
    id_token: str | None,
    state: str | None,
    browser_token: str | None,
    now: datetime,
) -> PendingLaunch:
    """The login this launch completes: its state issued here, unused, unexpired, and
    ``browser_token`` (the login's cookie, or the binding re-posted from platform storage)
    the one given to the browser that started it. Nothing is used up here. Raises
    ``NoLoginBinding`` when the login is pending and no binding came at all."""
    if not state or len(state) > MAX_PARAM:
        raise BadRequest.for_field("state", "the launch has no state", "required")
    if not id_token:
        raise BadRequest.for_field("id_token", "the launch has no id_token", "required")
    login = repo.find_login_state(session, digest(state))
    if login is None:
        raise BadRequest("the launch's state is unknown: no login was started with it here")
    if login.used_at is not None:
        raise Forbidden("the launch's state was used already: each login launches once")
    if login.expires_at <= now:
        raise BadRequest("the login took too long: its state has expired; launch again")
    registration = registrations.registration_by_id(session, login.registration_id)
    if registration is None:
        raise NotFound("the platform of this login is no longer registered")
    if browser_token is None:
        raise NoLoginBinding(registration.auth_login_url)
    if not hmac.compare_digest(digest(browser_token), login.browser_digest):
        raise Forbidden(
            "this browser did not start the login: the launch must come back to the browser "
            "that began it"
        )
    return PendingLaunch(
        login.id,
        login.nonce,
        registration.id,
        registration.issuer,
        registration.client_id,
        registration.key_set_url,
    )


def check_token(key_sets: KeySetCache, pending: PendingLaunch, id_token: str) -> dict[str, Any]:
    """The id_token's verified claims (signature by the platform's published ``kid``, ``iss``,
    ``aud``/``azp``, ``exp``, ``iat``, ``sub``, the login's ``nonce``). No database: the key
    set may have to be fetched, which is not done inside a transaction."""
    try:
        kid = unverified_kid(id_token)
        try:
            jwk = key_sets.key_for(pending.registration_id, pending.key_set_url, kid)
        except KeySetUnavailable as exc:
            raise BadRequest(
                f"the id_token cannot be verified: the platform's key set at "
                f"{pending.key_set_url} could not be fetched or read ({exc})"
            ) from exc
        if jwk is None:
            raise Unauthenticated(
                f"the id_token is signed with key {kid[:64]!r}, which the platform's key set "
                "does not publish"
            )
        claims = decode_id_token(id_token, jwk, issuer=pending.issuer, client_id=pending.client_id)
    except TokenRejected as exc:
        raise Unauthenticated(str(exc)) from exc
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise BadRequest("the id_token has no nonce")
    if not hmac.compare_digest(nonce.encode(), pending.nonce.encode()):
        raise Forbidden("the id_token's nonce is not the one this login sent")
    return claims


def check_claims(
    session: Session, pending: PendingLaunch, claims: dict[str, Any], *, launch_url: str
) -> VerifiedLaunch:
    """The launch once its claims check: nonce never used, deployment registered,
    ``target_link_uri`` ours, message type and version, the message's own claims."""
    registration = registrations.registration_by_id(session, pending.registration_id)
    if registration is None:
        raise NotFound("the platform of this login is no longer registered")
    if repo.nonce_used(session, registration.id, digest(str(claims["nonce"]))):
        raise Forbidden("this id_token was used already")
    message_type, deployment = _checked_claims(session, registration, claims, launch_url)
    return VerifiedLaunch(registration.id, pending.state_id, claims, message_type, deployment)


# ---- the launch: acceptance (writes) -------------------------------------------------------


@dataclass(frozen=True)
class LaunchOutcome:
    """Where the launch leads: the player of ``media_id``, the deep-link picker of
    ``launch_id``, or (neither) the landing page, whose link opens the course's (or the
    user's) media in a new tab through ``open_launch_id``."""

    user: User
    course_id: int | None
    media_id: str | None = None
    launch_id: str | None = None
    open_launch_id: str | None = None
    course_name: str | None = None


def _consume(session: Session, verified: VerifiedLaunch, now: datetime) -> None:
    if not repo.use_login_state(session, verified.state_id, now):
        raise Forbidden("the launch's state was used already: each login launches once")
    exp = datetime.fromtimestamp(float(verified.claims["exp"]), UTC)
    try:
        with session.begin_nested():
            session.add(
                LtiUsedNonce(
                    registration_id=verified.registration_id,
                    nonce_digest=digest(str(verified.claims["nonce"])),
                    expires_at=max(exp, now) + timedelta(minutes=5),
                )
            )
            session.flush()
    except IntegrityError as exc:
        raise Forbidden("this id_token was used already") from exc


def context_history(claims: dict[str, Any]) -> list[str]:
    """The contexts this course was copied from (Canvas's ``$Context.id.history``, asked
    for as the custom field ``context_history``), newest first."""
    custom = _claim(claims, "custom")
    raw = custom.get("context_history") if isinstance(custom, dict) else None
    if not isinstance(raw, str) or raw.strip() == UNSUBSTITUTED_HISTORY:
        return []
    found = [part.strip() for part in raw.split(",")[:MAX_HISTORY]]
    return [part for part in found if part and len(part) <= 255]


def _custom_media_id(claims: dict[str, Any]) -> str | None:
    custom = _claim(claims, "custom")
    value = custom.get("media_id") if isinstance(custom, dict) else None
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise BadRequest("the launch's custom media_id is not a media id")
    return value.strip()


def _open_media(
    session: Session,
    registration_id: int,
    user: User,
    context_id: str | None,
    staff: bool,
    claims: dict[str, Any],
    media_id: str,
) -> str:
    """The media id of the player to open, once this launch may see it."""
    media_object = media.find_media_object(session, media_id)
    if media_object is None or media_object.workflow_state == "deleted":
        raise NotFound(f"the media {media_id[:64]!r} linked here no longer exists")
    principal = identity.principal_of(session, user)
    if media.can_read(session, principal, media_object):
        return media_object.media_id
    if context_id is not None:
        contexts = [context_id, *context_history(claims)]
        if repo.linked_in_any(session, registration_id, contexts, media_object.id):
            return media_object.media_id
        if staff:
            # An instructor placing (or re-opening) a link vouches for it: the course's
            # students may watch it from now on.
            link_media(session, registration_id, context_id, media_object.id, user.id)
            return media_object.media_id
    raise Forbidden(
        "you may not watch this media from here: it was not linked into this course, and "
        "it is not yours or your course's"
    )


def link_media(
    session: Session, registration_id: int, context_id: str, media_object_id: int, user_id: int
) -> None:
    """Records that the media may be viewed from this LTI context (idempotent)."""
    if repo.find_link(session, registration_id, context_id, media_object_id) is not None:
        return
    try:
        with session.begin_nested():
            session.add(
                LtiLinkedMedia(
                    registration_id=registration_id,
                    context_id=context_id,
                    media_object_id=media_object_id,
                    user_id=user_id,
                )
            )
            session.flush()
    except IntegrityError:
        # Linked by a concurrent launch: the same fact.
        pass


def accept_launch(
    session: Session,
    verified: VerifiedLaunch,
    *,
    now: datetime,
    launch_lifetime: timedelta,
    new_launch_id: Callable[[], str] = lambda: secrets.token_urlsafe(32),
) -> LaunchOutcome:
    """Consumes the state and nonce, maps the user and context, refreshes enrollments, then
    decides where the launch leads."""
    _consume(session, verified, now)
    registration = registrations.registration_by_id(session, verified.registration_id)
    if registration is None:
        raise NotFound("the platform of this login is no longer registered")
    claims = verified.claims
    user = identity.launch_user(session, registration, claims)
    context_claim = _claim(claims, "context")
    roles: list[str] = _claim(claims, "roles")
    course_id: int | None = None
    context_id: str | None = None
    staff = False
    if isinstance(context_claim, dict):
        where = identity.launch_context(session, registration, context_claim)
        course_id, context_id = where.course_id, where.context_id
        types = identity.apply_roles(session, course_id, user, roles)
        staff = bool(types & identity.STAFF)
    launch = LtiLaunch(
        id=new_launch_id(),
        registration_id=registration.id,
        deployment_id=verified.deployment_id,
        user_id=user.id,
        course_id=course_id,
        context_id=context_id,
        message_type=verified.message_type,
        claims=canonical(
            {
                "deep_linking_settings": claims.get(DL_CLAIM + "deep_linking_settings"),
                "roles": roles,
                "context": context_claim,
                "staff": staff,
            }
        ),
        created_at=now,
        expires_at=now + launch_lifetime,
    )
    if verified.message_type == DEEP_LINKING:
        session.add(launch)
        session.flush()
        return LaunchOutcome(user, course_id, launch_id=launch.id)
    media_id = _custom_media_id(claims)
    if media_id is None:
        # Course or user navigation: a page in the frame, whose link opens the media pages
        # in a tab of their own (where this service's session cookie is first-party).
        launch.expires_at = now + min(launch_lifetime, OPEN_LIFETIME)
        session.add(launch)
        session.flush()
        title = context_claim.get("title") if isinstance(context_claim, dict) else None
        return LaunchOutcome(
            user,
            course_id,
            open_launch_id=launch.id,
            course_name=title if isinstance(title, str) else None,
        )
    opened = _open_media(session, registration.id, user, context_id, staff, claims, media_id)
    return LaunchOutcome(user, course_id, media_id=opened)


def find_launch(session: Session, launch_id: str, now: datetime) -> LtiLaunch:
    """A stored launch still usable (for the deep-link picker)."""
    launch = repo.get_launch(session, launch_id) if len(launch_id) <= 64 else None
    if launch is None or launch.expires_at <= now:
        raise NotFound("this launch is unknown or has expired; open the tool again from the LMS")
    return launch


def launch_claims(launch: LtiLaunch) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(launch.claims)
    return data


@dataclass(frozen=True)
class Opened:
    """Who a navigation launch's link signs in, and the course it is about (None: the
    user's own media)."""

    user: User
    course_id: int | None


def navigation_launch(session: Session, launch_id: str, now: datetime) -> Opened:
    """Who the landing page's link would sign in, without using it up (the page that asks
    first)."""
    launch = find_launch(session, launch_id, now)
    if launch.message_type != RESOURCE_LINK:
        raise NotFound("this launch has no pages to open")
    if launch.used_at is not None:
        raise Forbidden("this link was used already; open the tool again from the LMS")
    user = identity.user_by_id(session, launch.user_id)
    if user is None:
        raise NotFound("the user of this launch no longer exists")
    return Opened(user, launch.course_id)


def open_navigation_launch(session: Session, launch_id: str, now: datetime) -> Opened:
    """Uses up the navigation launch behind the landing page's link (once, within
    OPEN_LIFETIME): its user is signed in to the web pages in the new tab."""
    opened = navigation_launch(session, launch_id, now)
    if not repo.use_launch(session, launch_id, now):
        raise Forbidden("this link was used already; open the tool again from the LMS")
    return opened
