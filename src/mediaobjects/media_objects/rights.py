"""Who may add and delete the captions of a media object (canvas-media-api.md §1.4): through
the media object, the right follows its default attachment, or its context when it has none;
through an attachment, it is that attachment's update right."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from mediaobjects.accounts import access
from mediaobjects.accounts.permissions import (
    MANAGE_COURSE_CONTENT_ADD,
    MANAGE_COURSE_CONTENT_DELETE,
    Context,
)
from mediaobjects.accounts.principal import Principal
from mediaobjects.errors import NotFound
from mediaobjects.files import service as files
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject


@dataclass(frozen=True)
class CaptionRights:
    """Canvas's ``add_captions`` and ``delete_captions`` rights on one media object."""

    add: bool
    delete: bool


NO_RIGHTS = CaptionRights(add=False, delete=False)
ALL_RIGHTS = CaptionRights(add=True, delete=True)


def context_of(media_object: MediaObject) -> Context | None:
    """The course, group or user owning the media object; None for the contexts (submissions,
    conversation messages, quiz questions) in which no permission can be held."""
    if media_object.context_id is None:
        return None
    if media_object.context_type == "Course":
        return Context("Course", media_object.context_id)
    if media_object.context_type == "Group":
        return Context("Group", media_object.context_id)
    if media_object.context_type == "User":
        return Context("User", media_object.context_id)
    return None


def default_attachment(session: Session, media_object: MediaObject) -> Attachment | None:
    """The media object's default attachment, None when it has none or the file was deleted
    (its captions then follow the rules for media without a file)."""
    if media_object.attachment_id is None:
        return None
    try:
        return files.load_attachment(session, media_object.attachment_id)
    except NotFound:
        return None


def caption_rights(
    session: Session, principal: Principal, media_object: MediaObject
) -> CaptionRights:
    """The caption rights of ``principal`` on ``media_object`` reached by its media id."""
    user = principal.user
    if user is None:
        return NO_RIGHTS
    if principal.is_site_admin:
        return ALL_RIGHTS
    attachment = default_attachment(session, media_object)
    if attachment is not None:
        # Ownership of the media object is irrelevant here, as in Canvas: a student who
        # uploaded a course video cannot caption it once it is a course file.
        return attachment_caption_rights(session, principal, attachment)
    is_owner = media_object.user_id is not None and media_object.user_id == user.id
    context = context_of(media_object)
    granted = (
        access.permissions_in(session, principal, context) if context is not None else frozenset()
    )
    return CaptionRights(
        add=is_owner or MANAGE_COURSE_CONTENT_ADD in granted,
        delete=is_owner or MANAGE_COURSE_CONTENT_DELETE in granted,
    )


def attachment_caption_rights(
    session: Session, principal: Principal, attachment: Attachment
) -> CaptionRights:
    """The caption rights through ``/media_attachments/:id``: whoever may update the
    attachment may caption it, even when the media object's default attachment lives in a
    course they cannot touch (§1.4, newest Canvas)."""
    if principal.user is None:
        return NO_RIGHTS
    if files.can_update(session, principal, attachment):
        return ALL_RIGHTS
    return NO_RIGHTS
