"""Every query of the media objects domain."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mediaobjects.media_objects.models import MediaObject


def get_by_media_id(session: Session, media_id: str) -> MediaObject | None:
    """Canvas looks media up by ``media_id`` or, when set, ``old_media_id``."""
    stmt = select(MediaObject).where(
        or_(MediaObject.media_id == media_id, MediaObject.old_media_id == media_id)
    )
    return session.scalars(stmt.order_by(MediaObject.id)).first()


def add(session: Session, media_object: MediaObject) -> MediaObject:
    session.add(media_object)
    session.flush()
    return media_object
