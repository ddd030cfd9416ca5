"""Every query of the course media settings and of the automatic-caption rule: a course's
settings row, and the course's media with the locales of their tracks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_settings.models import CourseMediaSettings
from mediaobjects.media_tracks.models import MediaTrack


def get_settings(session: Session, course_id: int) -> CourseMediaSettings | None:
    return session.get(CourseMediaSettings, course_id)


def add_settings(session: Session, settings: CourseMediaSettings) -> None:
    session.add(settings)
    session.flush()


@dataclass(frozen=True)
class MediaRow:
    """What the rule needs to know of one media object."""

    id: int
    media_id: str
    title: str | None
    duration: float | None
    processing_state: str
    speech_ms: int | None


_MEDIA_COLUMNS = (
    MediaObject.id,
    MediaObject.media_id,
    MediaObject.user_entered_title,
    MediaObject.title,
    MediaObject.duration,
    MediaObject.processing_state,
    MediaObject.speech_ms,
)


def course_media(session: Session, course_id: int) -> list[MediaRow]:
    """The course's media objects that are not deleted, in title order."""
    rows = session.execute(
        select(*_MEDIA_COLUMNS)
        .where(
            MediaObject.context_type == "Course",
            MediaObject.context_id == course_id,
            MediaObject.workflow_state == "active",
        )
        .order_by(MediaObject.title_sort_key.is_(None), MediaObject.title_sort_key, MediaObject.id)
    ).all()
    return [
        MediaRow(
            id=row[0],
            media_id=row[1],
            title=row[2] or row[3],
            duration=row[4],
            processing_state=row[5],
            speech_ms=row[6],
        )
        for row in rows
    ]


# Tracks that count as captions in their locale: every track (any kind, written by a person
# or by the engine, in any state) but an automatic one that failed, which a new request runs
# again in place (request_auto_captions).
_COUNTED = ~(
    (MediaTrack.kind == "subtitles")
    & MediaTrack.external_id.is_not(None)
    & (MediaTrack.workflow_state == "failed")
)


def track_locales(session: Session, media_object_id: int) -> list[str]:
    """The locales of the tracks of a media object that count as captions (see _COUNTED)."""
    return list(
        session.scalars(
            select(MediaTrack.locale).where(MediaTrack.media_object_id == media_object_id, _COUNTED)
        )
    )


def course_track_locales(session: Session, course_id: int) -> dict[int, list[str]]:
    """``track_locales`` of every media object of the course, in one query."""
    rows = session.execute(
        select(MediaTrack.media_object_id, MediaTrack.locale)
        .join(MediaObject, MediaObject.id == MediaTrack.media_object_id)
        .where(MediaObject.context_type == "Course", MediaObject.context_id == course_id, _COUNTED)
    ).all()
    found: dict[int, list[str]] = {}
    for media_object_id, locale in rows:
        found.setdefault(media_object_id, []).append(locale)
    return found


def get_media_object(session: Session, media_id: str) -> MediaObject | None:
    return session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).first()
