"""Rules of the media objects domain: finding media and who may read or manage it, retitling,
and registration (``POST /api/v1/media_objects``). Uploads create media through
``media_objects.creation``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediaobjects.accounts import access, authentication
from mediaobjects.accounts.permissions import MANAGE_COURSE_CONTENT_ADD, READ_CONTENTS, Context
from mediaobjects.accounts.principal import Principal
from mediaobjects.errors import (
    BadRequest,
    BadRequestMessage,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    Unauthenticated,
)
from mediaobjects.files import service as files
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects import repository as repo
from mediaobjects.media_objects import rights
from mediaobjects.media_objects.creation import truncate_title
from mediaobjects.media_objects.models import MediaObject, MediaSource, SourceRow
from mediaobjects.media_objects.sorting import display_title_key
from mediaobjects.numbers import parse_id

# ---- finding media and who may see it -------------------------------------------------------


def _storable(media_id: str) -> bool:
    """Whether a media id from a URL could be stored at all: no row has a longer one, and
    PostgreSQL cannot even compare text holding NUL (the query would fail, not miss)."""
    return len(media_id) <= 255 and "\x00" not in media_id


def find_media_object(session: Session, media_id: str) -> MediaObject | None:
    """The media object with this media id or old media id, deleted or not; no access check."""
    return repo.get_by_media_id(session, media_id) if _storable(media_id) else None


def load_media_object(session: Session, principal: Principal, media_id: str) -> MediaObject:
    """The active media object with this media id (or old media id). Unknown or deleted ids are
    404 for a signed-in caller and 401 for an anonymous one (decisions D3, D16)."""
    media_object = find_media_object(session, media_id)
    if media_object is None or media_object.workflow_state == "deleted":
        if principal.user is None:
            raise Unauthenticated()
        raise NotFound()
    return media_object


def _find_media_attachment(session: Session, attachment_ref: str) -> tuple[Attachment, MediaObject]:
    found = repo.get_attachment_with_media(session, parse_id(attachment_ref))
    if found is None:
        raise NotFound()
    attachment, media_object = found
    if attachment.workflow_state == "deleted" or attachment.media_entry_id is None:
        raise NotFound()
    if media_object is None:
        # Named by an old media id: the rare second look-up.
        media_object = repo.get_by_media_id(session, attachment.media_entry_id)
    if media_object is None or media_object.workflow_state == "deleted":
        raise NotFound()
    return attachment, media_object


def load_media_attachment(
    session: Session, principal: Principal, attachment_ref: str
) -> tuple[Attachment, MediaObject]:
    """A media file (an attachment with a ``media_entry_id``) and its media object."""
    try:
        return _find_media_attachment(session, attachment_ref)
    except NotFound:
        if principal.user is None:
            raise Unauthenticated() from None
        raise


def can_read(session: Session, principal: Principal, media_object: MediaObject) -> bool:
    """Read access to a media object: through its default file when it has one, else through
    its context; owners and site admins always."""
    user = principal.user
    if user is None:
        return False
    if principal.is_site_admin or media_object.user_id == user.id:
        return True
    attachment = rights.default_attachment(session, media_object)
    if attachment is not None:
        return files.can_read(session, principal, attachment)
    context = rights.context_of(media_object)
    if context is None:
        return False
    return READ_CONTENTS in access.permissions_in(session, principal, context)


def require_read(session: Session, principal: Principal, media_object: MediaObject) -> None:
    authentication.require_user(principal)
    if not can_read(session, principal, media_object):
        raise Forbidden()


def require_read_route(
    session: Session,
    principal: Principal,
    media_object: MediaObject,
    attachment: Attachment | None,
) -> None:
    """Read access as the route asks it: to the attachment on ``/media_attachments/...``
    routes, to the media object on ``/media_objects/...`` ones."""
    if attachment is not None:
        require_read_attachment(session, principal, attachment)
    else:
        require_read(session, principal, media_object)


def require_read_attachment(session: Session, principal: Principal, attachment: Attachment) -> None:
    authentication.require_user(principal)
    if not files.can_read(session, principal, attachment):
        raise Forbidden()


# ---- the player page ---------------------------------------------------------------------------
# The page behind embedded_iframe_url opens with the embed verifier that URL carries (it never
# expires and opens that one page: D21), or with read access. Behind a valid embed verifier a
# deleted or unknown id is 404 even to an anonymous browser (not D3's 401): the verifier shows
# the id was handed out, so "gone" discloses nothing.


def open_media_object_player(
    session: Session, principal: Principal, media_id: str, *, embedded: bool
) -> MediaObject:
    """The media object ``/media_objects_iframe/:media_id`` shows, if the caller may see it;
    ``embedded`` when the route checked an embed verifier for this page."""
    if embedded:
        media_object = find_media_object(session, media_id)
        if media_object is None or media_object.workflow_state == "deleted":
            raise NotFound()
        return media_object
    media_object = load_media_object(session, principal, media_id)
    require_read(session, principal, media_object)
    return media_object


def open_attachment_player(
    session: Session, principal: Principal, attachment_ref: str, *, embedded: bool
) -> tuple[Attachment, MediaObject]:
    """The media file (and its media object) ``/media_attachments_iframe/:id`` shows, if the
    caller may see it; ``embedded`` when the route checked an embed verifier for this page."""
    if embedded:
        return _find_media_attachment(session, attachment_ref)
    attachment, media_object = load_media_attachment(session, principal, attachment_ref)
    require_read_attachment(session, principal, attachment)
    return attachment, media_object


# ---- retitle ---------------------------------------------------------------------------------

BLANK_TITLE = "The user_entered_title parameter must have a value"


def can_manage(session: Session, principal: Principal, media_object: MediaObject) -> bool:
    """Who may rename or re-register a media object (decision D12): its owner, whoever may edit
    its default file, whoever manages course content in its context, a site admin."""
    user = principal.user
    if user is None:
        return False
    if principal.is_site_admin or media_object.user_id == user.id:
        return True
    attachment = rights.default_attachment(session, media_object)
    if attachment is not None and files.can_update(session, principal, attachment):
        return True
    context = rights.context_of(media_object)
    if context is None:
        return False
    return MANAGE_COURSE_CONTENT_ADD in access.permissions_in(session, principal, context)


def _set_user_entered_title(media_object: MediaObject, title: str | None) -> None:
    if title is None or not title.strip():
        raise BadRequestMessage(BLANK_TITLE)
    media_object.user_entered_title = truncate_title(title)
    media_object.title_sort_key = display_title_key(
        media_object.user_entered_title, media_object.title
    )


# Decision D19: the title is the shared media object's, so a copy cannot rename it for all.
TITLE_OF_ORIGINAL = (
    "The title belongs to the original media, which every copy of this file shows; only "
    "someone who may edit the original can change it."
)


def authorize_retitle(
    session: Session,
    principal: Principal,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> MediaObject:
    """The media object a retitle would rename, when the caller may rename it: through the
    media id, whoever may manage it (D12); through a file, whoever may edit that file and
    also manage the media object, since every copy shares its title (D19)."""
    authentication.require_user(principal)
    if attachment_ref is not None:
        attachment, media_object = load_media_attachment(session, principal, attachment_ref)
        if not files.can_update(session, principal, attachment):
            raise Forbidden()
        if not can_manage(session, principal, media_object):
            raise Forbidden(TITLE_OF_ORIGINAL)
        return media_object
    if media_object_id is None:
        raise TypeError("pass media_object_id= or attachment_ref=")
    media_object = load_media_object(session, principal, media_object_id)
    if not can_manage(session, principal, media_object):
        raise Forbidden()
    return media_object


def retitle(
    session: Session,
    principal: Principal,
    title: str | None,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> MediaObject:
    media_object = authorize_retitle(
        session, principal, media_object_id=media_object_id, attachment_ref=attachment_ref
    )
    _set_user_entered_title(media_object, title)
    session.flush()
    return media_object


# ---- register ----------------------------------------------------------------------------------

_MEDIA_ID = re.compile(r"[A-Za-z0-9._~-]{1,255}")
_CONTEXT_CODE = re.compile(r"(course|group|user)_([0-9]{1,18})")
UPLOADED_MEDIA_FOLDER = "Uploaded Media"


@dataclass(frozen=True)
class Registration:
    media_id: str | None
    media_type: str | None
    context_code: str | None
    title: str | None
    user_entered_title: str | None


def _validate_registration(reg: Registration) -> tuple[str, str, str]:
    errors: list[FieldError] = []
    if not reg.media_id:
        errors.append(FieldError("id", "id is required", "required"))
    elif not _MEDIA_ID.fullmatch(reg.media_id):
        errors.append(
            FieldError("id", "id may contain only letters, digits, '.', '_', '~' and '-'")
        )
    elif reg.media_id in (".", ".."):
        # A URL cannot carry these as a path segment: clients normalise /media_objects/../info
        # to /info, so the media object could never be reached.
        errors.append(FieldError("id", "id must not be '.' or '..'"))
    media_type = (reg.media_type or "").strip().lower()
    if not media_type:
        errors.append(FieldError("type", "type is required", "required"))
    elif not (
        media_type in ("audio", "video")
        or media_type.startswith(("audio/", "video/"))
        and len(media_type) <= 255
    ):
        errors.append(
            FieldError("type", "type must be audio, video, or an audio/* or video/* type")
        )
    if not reg.context_code:
        errors.append(FieldError("context_code", "context_code is required", "required"))
    elif not _CONTEXT_CODE.fullmatch(reg.context_code):
        errors.append(
            FieldError(
                "context_code",
                "context_code must name a course, group or user, e.g. course_12 or user_5",
            )
        )
    if errors:
        raise BadRequest(errors[0].message, errors=errors)
    assert reg.media_id is not None and reg.context_code is not None
    return reg.media_id, media_type, reg.context_code


def _resolve_context(session: Session, principal: Principal, context_code: str) -> Context:
    match = _CONTEXT_CODE.fullmatch(context_code)
    assert match is not None
    kind = {"course": "Course", "group": "Group", "user": "User"}[match.group(1)]
    try:
        return access.load_context(session, kind, match.group(2), principal)
    except NotFound:
        raise BadRequest.for_field(
            "context_code", f"context_code {context_code} does not exist", "not_found"
        ) from None


def register_media_object(
    session: Session, principal: Principal, reg: Registration
) -> tuple[MediaObject, Attachment | None, bool]:
    """``POST /api/v1/media_objects`` (§2.3 with D15): (media object, its file, created?).

    An existing media id is updated only by someone who may manage it; ownership never moves.
    A new one is created in the context, with a hidden placeholder file in "Uploaded Media" as
    Canvas does, so that it can be addressed as a media attachment."""
    user = authentication.require_user(principal)
    media_id, media_type, context_code = _validate_registration(reg)
    context = _resolve_context(session, principal, context_code)
    access.require_permission(session, principal, context, READ_CONTENTS)
    existing = repo.get_by_media_id(session, media_id)
    if existing is not None:
        if existing.workflow_state == "deleted" or not can_manage(session, principal, existing):
            raise Forbidden()
        if reg.title is not None:
            existing.title = truncate_title(reg.title)
        existing.media_type = media_type
        if reg.user_entered_title is not None and reg.user_entered_title.strip():
            existing.user_entered_title = truncate_title(reg.user_entered_title)
        existing.title_sort_key = display_title_key(existing.user_entered_title, existing.title)
        session.flush()
        return existing, rights.default_attachment(session, existing), False
    title = truncate_title(reg.title) if reg.title is not None else None
    user_title = (
        truncate_title(reg.user_entered_title)
        if reg.user_entered_title is not None and reg.user_entered_title.strip()
        else None
    )
    media_object = MediaObject(
        media_id=media_id,
        context_type=context.type,
        context_id=context.id,
        user_id=user.id,
        title=title,
        user_entered_title=user_title,
        title_sort_key=display_title_key(user_title, title),
        media_type=media_type,
    )
    try:
        with session.begin_nested():
            repo.add(session, media_object)
    except IntegrityError:
        # Registered concurrently by someone else: D15 says one row per media id.
        raise Conflict(f"media id {media_id} is already registered") from None
    display = user_title or title or "Untitled"
    attachment = files.create_placeholder(
        session,
        context,
        folder_path=UPLOADED_MEDIA_FOLDER,
        name=display,
        content_type=media_type,
        media_entry_id=media_id,
        user_id=user.id,
    )
    media_object.attachment_id = attachment.id
    session.flush()
    return media_object, attachment, True


def sources_of(session: Session, media_object_ids: list[int]) -> dict[int, list[SourceRow]]:
    """The playable sources of each media object (renditions and the probed original)."""
    return repo.sources_of_many(session, media_object_ids)


def streaming_early(session: Session, media_objects: list[MediaObject]) -> set[int]:
    """Which of the media objects (ids) are being processed and have an early stream growing
    (``media_objects.live``): the player can start on it before any rendition exists."""
    processing = [mo.id for mo in media_objects if mo.processing_state == "processing"]
    return repo.streaming_live(session, processing)


def load_source(session: Session, source_id: int) -> tuple[MediaSource, MediaObject]:
    """A media source and its media object; 404 when either is gone or deleted."""
    found = repo.get_source_with_media(session, source_id)
    if found is None or found[1].workflow_state == "deleted":
        raise NotFound()
    return found


def pick_source(session: Session, media_object: MediaObject, bitrate: str | None) -> SourceRow:
    """Canvas's ``redirect`` rule: the source whose bitrate equals the parameter (compared as
    strings), else the lowest bitrate; 404 while nothing is playable."""
    sources = repo.sources_of_many(session, [media_object.id])[media_object.id]
    if not sources:
        raise NotFound()
    if bitrate is not None:
        for source in sources:
            if str(source.bitrate) == bitrate:
                return source
    return min(sources, key=lambda s: (s.bitrate is None, s.bitrate or 0, s.id))


def get_media_object(session: Session, media_object_id: int) -> MediaObject | None:
    """The media object of that row id, deleted or not; no access check (for jobs)."""
    return repo.get(session, media_object_id)


def smallest_source_key(session: Session, media_object_id: int) -> str | None:
    """The storage key of the media object's smallest rendition (what audio is taken from)."""
    return repo.smallest_source_key(session, media_object_id)
