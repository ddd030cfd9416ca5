"""Creating media objects, kept apart from the media objects service so that the files service
can call it from the upload flow without an import cycle (the media objects service itself
depends on files for permissions)."""

from __future__ import annotations

import secrets
import string

from sqlalchemy.orm import Session

from mediaobjects.media_objects import repository as repo
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_objects.sorting import display_title_key

_MEDIA_ID_ALPHABET = string.ascii_letters + string.digits + "-_"
TITLE_LIMIT = 255


def new_media_id() -> str:
    """Kaltura-like, unguessable: ``m-`` and 32 URL-safe characters."""
    return "m-" + "".join(secrets.choice(_MEDIA_ID_ALPHABET) for _ in range(32))


def truncate_title(title: str) -> str:
    """Canvas keeps 252 characters and appends "..." to anything longer than 255."""
    if len(title) <= TITLE_LIMIT:
        return title
    return title[: TITLE_LIMIT - 3] + "..."


def register_uploaded_media(
    session: Session,
    *,
    attachment_id: int,
    context_type: str,
    context_id: int,
    owner_id: int,
    media_type: str,
    title: str,
) -> MediaObject:
    """A MediaObject for a freshly uploaded audio/video file, the file as default attachment.

    Called inside the upload's transaction: both rows exist, or neither does."""
    media_object = MediaObject(
        media_id=new_media_id(),
        context_type=context_type,
        context_id=context_id,
        user_id=owner_id,
        title=truncate_title(title),
        title_sort_key=display_title_key(None, truncate_title(title)),
        media_type=media_type,
        attachment_id=attachment_id,
    )
    return repo.add(session, media_object)
