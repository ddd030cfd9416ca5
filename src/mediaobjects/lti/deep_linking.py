"""The answer to a deep-linking launch: the media chosen become ``ltiResourceLink`` content
items (``custom.media_id``, an ``iframe`` of the player's size, a ``thumbnail`` and the title)
in an ``LtiDeepLinkingResponse`` JWT signed with the tool's current key (``iss`` our client_id,
``aud`` the platform, ``exp``, ``iat``, a fresh ``nonce``, the launch's ``deployment_id`` and
its ``data`` echoed), which the browser posts to the platform's ``deep_link_return_url``. The
chosen media are linked into the launch's context (by a learner: only their own), and the
launch is used up.

The picker page (``lti.picker``: choosing, searching, uploading) posts to ``respond``; this
module holds the rules it must keep, ``may_choose`` (who may place media) among them."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from mediaobjects.errors import BadRequest, Forbidden, NotFound
from mediaobjects.lti import identity, keys, registrations, service
from mediaobjects.lti import repository as repo
from mediaobjects.lti.models import LtiLaunch
from mediaobjects.lti.tokens import sign
from mediaobjects.media_objects import service as media
from mediaobjects.media_objects.models import MediaObject

RESPONSE = "LtiDeepLinkingResponse"
# The player's frame in the LMS page (the media page's embed code uses the same size).
IFRAME_WIDTH, IFRAME_HEIGHT = 640, 360
THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT = 320, 180
RESPONSE_LIFETIME = timedelta(minutes=5)
MAX_ITEMS = 50
# Roles of no course that still build courses: an LMS's administrators (LIS institution and
# system roles, and the membership role some platforms send them).
ADMINISTRATOR_ROLES = ("#Administrator", "#SysAdmin")
LEARNERS_MESSAGE = (
    "As a student of this course you may add media of your own (your uploads); media of the "
    "course and of other people is added by its teachers."
)


@dataclass(frozen=True)
class Chosen:
    media_object: MediaObject
    title: str


@dataclass(frozen=True)
class DeepLinkingAnswer:
    """What the browser posts (``JWT``) and where (``return_url``)."""

    return_url: str
    jwt: str
    content_items: list[dict[str, Any]]


def _chosen(session: Session, user_id: int, media_ids: list[str]) -> list[MediaObject]:
    user = identity.user_by_id(session, user_id)
    if user is None:
        raise NotFound("the user of this launch no longer exists")
    principal = identity.principal_of(session, user)
    found = []
    for media_id in dict.fromkeys(media_ids):
        media_object = media.find_media_object(session, media_id)
        if media_object is None or media_object.workflow_state == "deleted":
            raise NotFound(f"the media {media_id[:64]!r} does not exist")
        if not media.can_read(session, principal, media_object):
            raise Forbidden(f"you may not use the media {media_id[:64]!r}")
        found.append(media_object)
    return found


def may_choose(launch: LtiLaunch) -> bool:
    """Whether this deep-linking launch may place any media its user may see. In a course:
    its staff (teacher, designer, TA, as the launch's roles made them) or an LMS
    administrator; outside any course (a user's own space, a portfolio), anyone. Others —
    a student embedding a video in a discussion post (Canvas's editor button is offered to
    students; Moodle's "select content" too) — place only media of their own
    (``own_media_only``)."""
    if launch.course_id is None:
        return True
    claims = service.launch_claims(launch)
    if claims.get("staff"):
        return True
    roles = claims.get("roles")
    return isinstance(roles, list) and any(
        isinstance(role, str) and role.endswith(ADMINISTRATOR_ROLES) for role in roles
    )


def respond(
    session: Session,
    launch_id: str,
    media_ids: list[str],
    *,
    secret_key: str,
    launch_url: str,
    title_of: Callable[[MediaObject], str],
    thumbnail_of: Callable[[MediaObject], str | None],
    now: datetime,
) -> DeepLinkingAnswer:
    """The signed response for the media chosen in this launch. The launch must be an
    unexpired, unused deep-linking launch; the media its user's to see; no more than the
    platform accepts (one unless ``accept_multiple``). An empty choice answers the platform
    with no items (the teacher cancelled). The media are linked into the launch's context
    when its user is staff there, or (a learner) for media of their own."""
    launch = service.find_launch(session, launch_id, now)
    if launch.message_type != service.DEEP_LINKING:
        raise NotFound("this launch is not a deep-linking launch")
    if not repo.use_launch(session, launch.id, now):
        raise Forbidden("this choice was sent already; open the tool again from the LMS")
    registration = registrations.registration_by_id(session, launch.registration_id)
    if registration is None:
        raise NotFound("the platform of this launch is no longer registered")
    stored = service.launch_claims(launch)
    settings: dict[str, Any] = stored["deep_linking_settings"]
    staff = stored.get("staff") is True
    if len(media_ids) > MAX_ITEMS:
        raise BadRequest.for_field("media_id", f"at most {MAX_ITEMS} media at once", "too_long")
    accepted = settings.get("accept_types")
    if media_ids and isinstance(accepted, list) and "ltiResourceLink" not in accepted:
        raise BadRequest("the LMS does not accept links to the tool here")
    if len(set(media_ids)) > 1 and settings.get("accept_multiple") is False:
        raise BadRequest.for_field("media_id", "the LMS accepts one media here", "too_long")
    chosen = _chosen(session, launch.user_id, media_ids)
    if not may_choose(launch) and any(m.user_id != launch.user_id for m in chosen):
        # A student may see the course's media, or another course's, and must not hand
        # them on: only their own. (Cancelling, no media, stays open: the dialog closes.)
        raise Forbidden(LEARNERS_MESSAGE)
    items = []
    for media_object in chosen:
        item: dict[str, Any] = {
            "type": "ltiResourceLink",
            "title": title_of(media_object),
            "url": launch_url,
            "custom": {"media_id": media_object.media_id},
            "iframe": {"width": IFRAME_WIDTH, "height": IFRAME_HEIGHT},
        }
        thumbnail = thumbnail_of(media_object)
        if thumbnail is not None:
            item["thumbnail"] = {
                "url": thumbnail,
                "width": THUMBNAIL_WIDTH,
                "height": THUMBNAIL_HEIGHT,
            }
        items.append(item)
        # The link lets the context's learners watch what they could not: an instructor
        # vouches for it, a learner only for media of their own (a student of another
        # course may see its media, and must not hand them on to this one).
        if launch.context_id is not None and (staff or media_object.user_id == launch.user_id):
            service.link_media(
                session, registration.id, launch.context_id, media_object.id, launch.user_id
            )
    claims: dict[str, Any] = {
        "iss": registration.client_id,
        "aud": registration.issuer,
        "nonce": secrets.token_urlsafe(24),
        service.CLAIM + "deployment_id": launch.deployment_id,
        service.CLAIM + "message_type": RESPONSE,
        service.CLAIM + "version": service.VERSION,
        service.DL_CLAIM + "content_items": items,
    }
    if "data" in settings:
        claims[service.DL_CLAIM + "data"] = settings["data"]
    key = keys.signing_key(session, secret_key)
    token = sign(claims, key.private_key, key.kid, lifetime=RESPONSE_LIFETIME)
    return DeepLinkingAnswer(str(settings["deep_link_return_url"]), token, items)
