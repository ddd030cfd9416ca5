"""Every query of the media tracks domain, above all the two visibility rules of
canvas-media-api.md §1.3: which tracks a media object shows, and which an attachment shows
(its own plus those it inherits from the media object's default attachment)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, defer

from mediaobjects.db.rows import column_rows
from mediaobjects.media_tracks.models import TRACK_SUMMARY_COLUMNS, MediaTrack, TrackSummaryRow

# Caption texts can be hundreds of kilobytes; lists, info and the player page show none.
_WITHOUT_TEXTS = (defer(MediaTrack.content), defer(MediaTrack.webvtt_content))
_VIEWS_OF_MANY = (
    select(*TRACK_SUMMARY_COLUMNS)
    .where(MediaTrack.media_object_id.in_(bindparam("ids", expanding=True)))
    .order_by(MediaTrack.locale, MediaTrack.id)
)


# Statements are built once per shape (with or without a default file, with or without the
# texts) and reused: building a SELECT costs about as much as running it on SQLite.
@cache
def _media_object_view_stmt(with_default: bool, content: bool) -> Select[MediaTrack]:
    on_default: ColumnElement[bool] = MediaTrack.attachment_id.is_(None)
    if with_default:
        on_default = or_(on_default, MediaTrack.attachment_id == bindparam("default_id"))
    stmt = (
        select(MediaTrack)
        .where(MediaTrack.media_object_id == bindparam("media_object_id"), on_default)
        .order_by(MediaTrack.locale, MediaTrack.id)
    )
    return stmt if content else stmt.options(*_WITHOUT_TEXTS)


def media_object_view(
    session: Session,
    media_object_id: int,
    default_attachment_id: int | None,
    *,
    content: bool = True,
) -> list[MediaTrack]:
    """Tracks of the media object that belong to no attachment (legacy) or to its default
    attachment, every user's, ordered by locale. Tracks of other attachments are not here.
    ``content=False`` leaves the caption texts unloaded (serializers that show none)."""
    stmt = _media_object_view_stmt(default_attachment_id is not None, content)
    params = {"media_object_id": media_object_id, "default_id": default_attachment_id}
    return list(session.scalars(stmt, params))


def media_object_views(
    session: Session, defaults: dict[int, int | None]
) -> dict[int, list[TrackSummaryRow]]:
    """``media_object_view`` for many media objects in one query (``defaults`` maps a media
    object id to its default attachment id), as plain rows without the caption texts: the
    list serializers never show them."""
    if not defaults:
        return {}
    views: dict[int, list[TrackSummaryRow]] = {media_object_id: [] for media_object_id in defaults}
    for row in column_rows(session, _VIEWS_OF_MANY, {"ids": list(defaults)}):
        track = TrackSummaryRow._make(row)
        default = defaults[track.media_object_id]
        if track.attachment_id is None or track.attachment_id == default:
            views[track.media_object_id].append(track)
    return views


@cache
def _attachment_view_stmt(inherits: bool, content: bool) -> Select[MediaTrack]:
    condition: ColumnElement[bool] = MediaTrack.attachment_id == bindparam("attachment_id")
    if inherits:
        own = aliased(MediaTrack)
        shadowed = exists().where(
            own.attachment_id == bindparam("attachment_id"),
            own.media_object_id == MediaTrack.media_object_id,
            func.lower(own.locale) == func.lower(MediaTrack.locale),
        )
        condition = or_(
            condition, and_(MediaTrack.attachment_id == bindparam("default_id"), ~shadowed)
        )
    stmt = select(MediaTrack).where(condition).order_by(MediaTrack.locale, MediaTrack.id)
    return stmt if content else stmt.options(*_WITHOUT_TEXTS)


def attachment_view(
    session: Session, attachment_id: int, default_attachment_id: int | None, *, content: bool = True
) -> list[tuple[MediaTrack, bool]]:
    """Attachment X's own tracks and the default attachment's tracks for every locale X has
    none of, each paired with ``inherited``; ordered by locale (Canvas leaves the order to the
    database, which would make the list differ between SQLite and PostgreSQL).

    Locales are compared without regard to case (decision D9) so that a legacy ``EN`` of X
    hides an inherited ``en``. Tracks with no attachment never appear here, as in Canvas."""
    inherits = default_attachment_id is not None and default_attachment_id != attachment_id
    stmt = _attachment_view_stmt(inherits, content)
    params = {"attachment_id": attachment_id, "default_id": default_attachment_id}
    return [
        (track, track.attachment_id != attachment_id) for track in session.scalars(stmt, params)
    ]


def get_track(session: Session, track_id: int) -> MediaTrack | None:
    return session.get(MediaTrack, track_id)


def add_track(session: Session, track: MediaTrack) -> MediaTrack:
    """Adds the track to the session; the caller flushes (inside a savepoint, since the
    (attachment_id, locale) constraint can fail)."""
    session.add(track)
    return track


def update_track(
    session: Session,
    track: MediaTrack,
    *,
    locale: str,
    kind: str | None,
    content: str,
    webvtt_content: str | None,
) -> MediaTrack:
    track.locale = locale
    if kind is not None:
        track.kind = kind
    track.content = content
    track.webvtt_content = webvtt_content
    return track


def delete_track(session: Session, track: MediaTrack) -> None:
    session.delete(track)


def count_tracks(session: Session, media_object_id: int) -> int:
    """Every track of the media object, on any of its attachments."""
    stmt = (
        select(func.count())
        .select_from(MediaTrack)
        .where(MediaTrack.media_object_id == media_object_id)
    )
    return int(session.scalar(stmt) or 0)
