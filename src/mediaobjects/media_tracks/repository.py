"""Every query of the media tracks domain, above all the two visibility rules of
canvas-media-api.md §1.3: which tracks a media object shows, and which an attachment shows
(its own plus those it inherits from the media object's default attachment); and the track
versions (history, deleted tracks kept for the retention period)."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, aliased, defer

from mediaobjects.db.rows import column_rows
from mediaobjects.media_tracks.models import (
    TRACK_SUMMARY_COLUMNS,
    MediaTrack,
    TrackSummaryRow,
    TrackVersion,
)

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


def get_track(session: Session, track_id: int, *, lock: bool = False) -> MediaTrack | None:
    """``lock``: the row is locked until the transaction ends and read fresh (PostgreSQL's
    SELECT ... FOR UPDATE; SQLite's writers hold the database's write lock already), so that
    a check of the track's state and the write that depends on it see the same row."""
    if lock:
        return session.get(MediaTrack, track_id, with_for_update=True, populate_existing=True)
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


def lock_track(session: Session, track_id: int) -> None:
    """Waits for, and holds until the transaction ends, the track's row lock (PostgreSQL;
    SQLite's writers hold the database's write lock already): a writer that was still
    writing the track (a ``transcribe_track`` job adding its version) has committed when
    this returns. Nothing happens if the row is gone."""
    session.execute(select(MediaTrack.id).where(MediaTrack.id == track_id).with_for_update())


# The first key of the advisory locks below: their own space, apart from other users' keys.
_TRACK_SET_LOCK = 0x7472  # "tr"


def lock_tracks_of(session: Session, media_object_id: int) -> None:
    """Makes writers replacing a media object's set of tracks take turns (PostgreSQL: an
    advisory lock held until the transaction ends; SQLite's writers hold the database's write
    lock already). Without it, two PUTs inserting the same locales in different orders each
    waited on the other's unique-index entry, and PostgreSQL ended one with a deadlock error.
    An advisory lock rather than the media object's row lock: other writers of that row or of
    its tracks (jobs, other routes) are not held up by it."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock(:space, :key)"),
        {"space": _TRACK_SET_LOCK, "key": media_object_id % 2**31},
    )


def count_tracks(session: Session, media_object_id: int) -> int:
    """Every track of the media object, on any of its attachments."""
    stmt = (
        select(func.count())
        .select_from(MediaTrack)
        .where(MediaTrack.media_object_id == media_object_id)
    )
    return int(session.scalar(stmt) or 0)


# ---- versions -------------------------------------------------------------------------------


def add_version(session: Session, version: TrackVersion) -> TrackVersion:
    session.add(version)
    return version


def has_versions(session: Session, track_id: int) -> bool:
    stmt = select(exists().where(TrackVersion.track_id == track_id))
    return bool(session.scalar(stmt))


def count_versions(session: Session, track_id: int) -> int:
    stmt = select(func.count()).select_from(TrackVersion).where(TrackVersion.track_id == track_id)
    return int(session.scalar(stmt) or 0)


def page_of_versions(
    session: Session, track_id: int, *, offset: int, limit: int, content: bool
) -> list[TrackVersion]:
    """Newest first: ids grow with every insert on both databases, where two versions written
    in the same clock tick would tie on ``created_at``."""
    stmt = (
        select(TrackVersion)
        .where(TrackVersion.track_id == track_id)
        .order_by(TrackVersion.id.desc())
        .offset(offset)
        .limit(limit)
    )
    if not content:
        stmt = stmt.options(defer(TrackVersion.content), defer(TrackVersion.webvtt_content))
    return list(session.scalars(stmt))


def get_version(session: Session, version_id: int) -> TrackVersion | None:
    return session.get(TrackVersion, version_id)


def newest_version(session: Session, track_id: int) -> TrackVersion | None:
    stmt = (
        select(TrackVersion)
        .where(TrackVersion.track_id == track_id)
        .order_by(TrackVersion.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def mark_versions_deleted(session: Session, track_id: int, when: datetime, by: int | None) -> None:
    stmt = (
        update(TrackVersion)
        .where(TrackVersion.track_id == track_id, TrackVersion.deleted_at.is_(None))
        .values(deleted_at=when, deleted_by=by)
    )
    session.execute(stmt, execution_options={"synchronize_session": False})


def move_versions(session: Session, from_track_id: int, to_track_id: int) -> None:
    """The versions of a deleted track join the track that brings it back."""
    stmt = (
        update(TrackVersion)
        .where(TrackVersion.track_id == from_track_id)
        .values(track_id=to_track_id, deleted_at=None, deleted_by=None)
    )
    session.execute(stmt, execution_options={"synchronize_session": False})


def deleted_versions(
    session: Session,
    media_object_id: int,
    attachment_ids: list[int],
    *,
    legacy: bool,
    since: datetime,
) -> list[TrackVersion]:
    """Versions (without their texts) of the media object's tracks deleted since ``since``
    that belonged to one of ``attachment_ids`` (or to no attachment, with ``legacy``);
    newest deletion first, each track's versions newest first."""
    on_attachment: ColumnElement[bool] = TrackVersion.attachment_id.in_(attachment_ids)
    if legacy:
        on_attachment = or_(on_attachment, TrackVersion.attachment_id.is_(None))
    stmt = (
        select(TrackVersion)
        .where(
            TrackVersion.media_object_id == media_object_id,
            TrackVersion.deleted_at.is_not(None),
            TrackVersion.deleted_at >= since,
            on_attachment,
        )
        .order_by(
            TrackVersion.deleted_at.desc(), TrackVersion.track_id.desc(), TrackVersion.id.desc()
        )
        .options(defer(TrackVersion.content), defer(TrackVersion.webvtt_content))
    )
    return list(session.scalars(stmt))


def delete_versions_deleted_before(session: Session, cutoff: datetime) -> int:
    """Removes the versions of tracks deleted before ``cutoff``; returns how many."""
    stmt = delete(TrackVersion).where(TrackVersion.deleted_at < cutoff)
    result = session.execute(stmt, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)


def processing_asr_count(session: Session, media_object_id: int, *, besides: int) -> int:
    """Automatic tracks of the media object still ``processing``, other than ``besides``."""
    stmt = (
        select(func.count())
        .select_from(MediaTrack)
        .where(
            MediaTrack.media_object_id == media_object_id,
            MediaTrack.id != besides,
            MediaTrack.external_id.is_not(None),
            MediaTrack.kind == "subtitles",
            MediaTrack.workflow_state == "processing",
        )
    )
    return int(session.scalar(stmt) or 0)


def asr_processing_before(session: Session, before: datetime) -> list[int]:
    """Ids of automatic tracks still ``processing`` (waiting for their transcription job) whose
    row was last changed before ``before``, oldest first."""
    stmt = (
        select(MediaTrack.id)
        .where(
            MediaTrack.external_id.is_not(None),
            MediaTrack.kind == "subtitles",
            MediaTrack.workflow_state == "processing",
            MediaTrack.updated_at < before,
        )
        .order_by(MediaTrack.id)
    )
    return list(session.scalars(stmt))
