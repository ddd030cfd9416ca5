"""The deep-link picker's rules (``GET /lti/deep-link/{launch_id}`` and its script's calls):
which launch opens it, the places it lists media from, and the picker token that authorises
the page's script.

The LMS shows the picker in its iframe, where no cookie of ours can be counted on: the launch
id in the page's URL (random, handed only to the browser of the launch, bound to its user, and
expiring with ``MEDIAOBJECTS_LTI_LAUNCH_SECONDS``) is what opens the page. The page's script
(uploading, following an upload's processing) sends a picker token in the
``X-LTI-Picker-Token`` header instead: signed for this launch and its user, expiring with the
launch. A header, so another site can make no browser send it (a form or an image cannot, and
a script from another origin would need our CORS consent); and never in a URL, so access logs
and referrers do not carry it. Whether the user may see or add a media is asked of the
listing, upload and media services, as the API asks them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mediaobjects.accounts import service as accounts
from mediaobjects.accounts.models import User
from mediaobjects.accounts.permissions import Context, ContextType
from mediaobjects.accounts.principal import Principal
from mediaobjects.errors import BadRequest, Forbidden, NotFound, Unauthenticated
from mediaobjects.files import uploads
from mediaobjects.lti import deep_linking, identity, service
from mediaobjects.media_objects import listing
from mediaobjects.media_objects import service as media
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.verifiers import Verifiers

HEADER = "X-LTI-Picker-Token"
# The picker lists the launch's course, the user's own media, and their other courses and
# groups; a person enrolled in hundreds of courses gets the first ones (by name).
MAX_PLACES = 50
OWN = "own"


@dataclass(frozen=True)
class Place:
    """Where the picker lists media from: ``key`` as the page's ``place`` parameter says it
    (``own``, ``course-12``, ``group-3``), and the context (None: the user's own files)."""

    key: str
    label: str
    context: Context | None


@dataclass(frozen=True)
class Picker:
    """An open deep-linking launch, as the picker needs it."""

    launch_id: str
    user: User
    principal: Principal
    course_id: int | None
    accept_multiple: bool
    # A student's launch in a course: only their own media (``deep_linking.may_choose``).
    own_only: bool
    expires_at: datetime


def open_picker(session: Session, launch_id: str, now: datetime) -> Picker:
    """The picker of an unexpired, unused deep-linking launch (404 unknown or expired, 403
    when its choice was sent already). A student's launch in a course opens on their own
    media only."""
    launch = service.find_launch(session, launch_id, now)
    if launch.message_type != service.DEEP_LINKING:
        raise NotFound("this launch is not a deep-linking launch")
    if launch.used_at is not None:
        raise Forbidden("this choice was sent already; open the tool again from the LMS")
    user = identity.user_by_id(session, launch.user_id)
    if user is None:
        raise NotFound("the user of this launch no longer exists")
    settings: dict[str, Any] = service.launch_claims(launch).get("deep_linking_settings") or {}
    return Picker(
        launch_id=launch.id,
        user=user,
        principal=identity.principal_of(session, user),
        course_id=launch.course_id,
        # The specification's default is to accept several.
        accept_multiple=settings.get("accept_multiple") is not False,
        own_only=not deep_linking.may_choose(launch),
        expires_at=launch.expires_at,
    )


def token_for(verifiers: Verifiers, picker: Picker) -> str:
    """The picker token the page hands its script."""
    return verifiers.lti_picker(picker.launch_id, picker.user.id, picker.expires_at)


def authorize_script(
    session: Session, verifiers: Verifiers, launch_id: str, token: str | None, now: datetime
) -> Picker:
    """The picker whose script sent ``token``: an open launch, and the token its page was
    given (for this launch and its user, unexpired)."""
    if not token:
        raise Unauthenticated(f"the picker's requests need its page's {HEADER} header")
    picker = open_picker(session, launch_id, now)
    if not verifiers.opens_lti_picker(picker.launch_id, picker.user.id, token):
        raise Unauthenticated(
            "the picker token is not this launch's or has expired; open the tool again from the LMS"
        )
    return picker


def places(session: Session, picker: Picker) -> list[Place]:
    """The user's own media first (as Kaltura's "My Media": where a teacher keeps what they
    embed, and where an upload goes by default), then the launch's course (when the user
    belongs to it), then their other courses and groups. A student's launch in a course:
    their own media only."""
    own = Place(OWN, "My media", None)
    if picker.own_only:
        return [own]
    course: list[Place] = []
    others: list[Place] = []
    for membership in accounts.memberships(session, picker.principal):
        label = membership.name
        if membership.course_name:
            label = f"{membership.name} ({membership.course_name})"
        place = Place(
            f"{membership.type.lower()}-{membership.id}",
            label,
            Context(membership.type, membership.id),
        )
        if membership.type == "Course" and membership.id == picker.course_id:
            course.append(place)
        else:
            others.append(place)
    return [own, *course, *others][:MAX_PLACES]


def choose_place(choices: list[Place], key: str | None) -> Place:
    """The place the page's ``place`` parameter names (the first when none)."""
    if not key:
        return choices[0]
    for place in choices:
        if place.key == key:
            return place
    raise BadRequest.for_field("place", "place is not one of the picker's places", "inclusion")


def list_media(
    session: Session, picker: Picker, place: Place, query: listing.ListQuery
) -> listing.Page:
    """One page of the media the user may see there, as the API's media list answers."""
    return listing.list_media_objects(session, picker.principal, context=place.context, query=query)


def upload_target(session: Session, picker: Picker, place: Place) -> tuple[ContextType, str] | None:
    """Where an upload from this place goes (the place itself), or None when the user may not
    add files there (as the upload API decides)."""
    context_type: ContextType = "User" if place.context is None else place.context.type
    ref = "self" if place.context is None else str(place.context.id)
    try:
        uploads.authorize_upload(session, picker.principal, context_type, ref)
    except Forbidden:
        return None
    return context_type, ref


def media_to_follow(session: Session, picker: Picker, media_id: str) -> MediaObject:
    """A media the picker's script follows after an upload: one the user may see."""
    media_object = media.load_media_object(session, picker.principal, media_id)
    media.require_read(session, picker.principal, media_object)
    return media_object
