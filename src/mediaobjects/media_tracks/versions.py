"""Rules of a track's history: listing its versions, restoring one, retiming the track, and
the deleted tracks kept for the retention period (listing them, bringing one back, and the
chore that removes them once expired). Same rights as writing the track; through a copy of the
media's file, tracks inherited from the original need the rights on the original (D19)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from mediaobjects.accounts import authentication
from mediaobjects.accounts.principal import Principal
from mediaobjects.captions import (
    CaptionError,
    normalise_caption,
    retime,
    write_srt,
    write_webvtt,
)
from mediaobjects.captions.retime import SyncPoint
from mediaobjects.db.base import utcnow
from mediaobjects.errors import (
    BadRequest,
    FieldError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    UnprocessableEntity,
)
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.listing import MAX_OFFSET
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_objects.rights import caption_rights
from mediaobjects.media_tracks import history
from mediaobjects.media_tracks import repository as repo
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.models import MediaTrack, TrackVersion

LEGACY_CONTENT_MESSAGE = (
    "The track's current content is not valid SRT or WebVTT (it was imported as Canvas stored "
    "it), so its cues cannot be retimed: {problem}. Replace the content with a corrected file "
    "first."
)
NOTHING_LEFT_MESSAGE = (
    "Retiming would move every cue before the start of the media, leaving the track empty; "
    "nothing was changed."
)
LOCALE_TAKEN_MESSAGE = (
    "A {locale} track exists again; restore one of its versions instead, or delete it first."
)
ORIGINAL_TRACK_MESSAGE = (
    "The {locale} captions belong to the original file this one was copied from; only someone "
    "who may change the original's captions can change their history."
)


@dataclass(frozen=True)
class VersionPage:
    items: list[TrackVersion]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class RetimedTrack:
    track: MediaTrack
    clipped: tuple[int, ...]
    dropped: tuple[int, ...]


@dataclass(frozen=True)
class DeletedTrack:
    """A deleted track still within the retention period: ``id`` is the id it had."""

    id: int
    locale: str
    kind: str
    attachment_id: int | None
    deleted_at: datetime
    deleted_by: int | None
    version_ids: tuple[int, ...]


# ---- a track's versions -----------------------------------------------------------------------


def authorize_track_write(
    session: Session,
    principal: Principal,
    track_id: int,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
) -> None:
    """Whoever may write the track may read and change its history; checked before a body
    is read."""
    _writable_track(session, principal, track_id, media_object, attachment)


def list_versions(
    session: Session,
    principal: Principal,
    track_id: int,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
    page: int,
    per_page: int,
    content: bool,
) -> VersionPage:
    """The track's versions, newest (its current content) first."""
    _, track = _writable_track(session, principal, track_id, media_object, attachment)
    total = repo.count_versions(session, track.id)
    offset = (page - 1) * per_page
    if offset > MAX_OFFSET:
        # Absurd page numbers would overflow the database's OFFSET; no page is that far.
        return VersionPage([], total, page, per_page)
    items = repo.page_of_versions(session, track.id, offset=offset, limit=per_page, content=content)
    return VersionPage(items, total, page, per_page)


def restore_version(
    session: Session,
    principal: Principal,
    track_id: int,
    version_id: int,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
    limits: tracks.TrackLimits,
    lenient: bool,
) -> MediaTrack:
    """The version's content becomes the track's again, validated as any write is, and is
    recorded as a new version (``restore``). The track keeps its locale and kind."""
    user = authentication.require_user(principal)
    route, track = _writable_track(session, principal, track_id, media_object, attachment)
    version = repo.get_version(session, version_id)
    if version is None or version.track_id != track.id:
        raise NotFound()
    content, webvtt = _checked(version.content, limits, lenient)
    _rewrite(session, route, track, content, webvtt, "restore", user.id)
    return track


def retime_track(
    session: Session,
    principal: Principal,
    track_id: int,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
    offset_ms: int | None,
    sync_points: tuple[SyncPoint, SyncPoint] | None,
    limits: tracks.TrackLimits,
) -> RetimedTrack:
    """Moves every cue of the track (see ``captions.retime``) and stores the result in the
    track's own format (SRT stays SRT, WebVTT stays WebVTT), recorded as version ``retime``."""
    user = authentication.require_user(principal)
    route, track = _writable_track(session, principal, track_id, media_object, attachment)
    try:
        parsed = normalise_caption(track.content)
    except CaptionError as exc:
        message = LEGACY_CONTENT_MESSAGE.format(problem=exc)
        raise UnprocessableEntity(
            message, errors=[FieldError("content", message, "invalid")]
        ) from exc
    try:
        result = retime(parsed.document, offset_ms=offset_ms, sync_points=sync_points)
    except CaptionError as exc:
        raise BadRequest.for_field("sync_points", str(exc)) from exc
    if not result.document.cues:
        raise UnprocessableEntity(
            NOTHING_LEFT_MESSAGE, errors=[FieldError(None, NOTHING_LEFT_MESSAGE, "empty")]
        )
    written = (
        write_srt(result.document) if parsed.format == "srt" else write_webvtt(result.document)
    )
    content, webvtt = _checked(written, limits, lenient=False)
    _rewrite(session, route, track, content, webvtt, "retime", user.id)
    return RetimedTrack(track, result.clipped, result.dropped)


def writable_track(
    session: Session,
    principal: Principal,
    track_id: int,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
) -> MediaTrack:
    """Track ``track_id`` of the route, for a change written in place (retime, restore, the
    caption editor): the add-captions right on the route (403), the track shown there (404),
    and for a track inherited through a copy of the file the right on the original (D19)."""
    return _writable_track(session, principal, track_id, media_object, attachment)[1]


def checked_content(
    content: str, limits: tracks.TrackLimits, lenient: bool = False
) -> tuple[str, str]:
    """Caption content as every write checks it: 413 past ``limits.max_caption_bytes``, 422
    listing each problem of the caption validation; the (content, WebVTT) to store."""
    return _checked(content, limits, lenient)


# ---- deleted tracks ---------------------------------------------------------------------------


def authorize_deleted_tracks(
    session: Session,
    principal: Principal,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
) -> None:
    tracks.authorize_add(session, principal, media_object=media_object, attachment=attachment)


def list_deleted_tracks(
    session: Session,
    principal: Principal,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
    retention_days: int,
    now: datetime | None = None,
) -> list[DeletedTrack]:
    """Tracks deleted within the retention period that the route showed, newest deletion
    first. Needs the right to add captions on the route."""
    authorize_deleted_tracks(session, principal, media_object=media_object, attachment=attachment)
    route = tracks._resolve(session, media_object, attachment)
    return _deleted(session, route, _cutoff(retention_days, now))


def restore_deleted_track(
    session: Session,
    principal: Principal,
    track_id: int,
    version_id: int | None,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
    limits: tracks.TrackLimits,
    lenient: bool,
    retention_days: int,
    now: datetime | None = None,
) -> MediaTrack:
    """Brings a deleted track back with the content of ``version_id`` (None: its newest
    version): a new track of the same locale and kind on the file it belonged to, holding all
    its versions plus the ``restore`` one. 422 when that locale has a track again."""
    user = authentication.require_user(principal)
    authorize_deleted_tracks(session, principal, media_object=media_object, attachment=attachment)
    route = tracks._resolve(session, media_object, attachment)
    found = [d for d in _deleted(session, route, _cutoff(retention_days, now)) if d.id == track_id]
    if not found:
        raise NotFound()
    deleted = found[0]
    chosen = version_id if version_id is not None else deleted.version_ids[0]
    if chosen not in deleted.version_ids:
        raise NotFound()
    version = repo.get_version(session, chosen)
    assert version is not None
    inherited = route.attachment is not None and deleted.attachment_id != route.attachment.id
    if inherited and not caption_rights(session, principal, route.media_object).add:
        raise Forbidden(ORIGINAL_TRACK_MESSAGE.format(locale=deleted.locale))
    content, webvtt = _checked(version.content, limits, lenient)
    attachment_id = deleted.attachment_id
    if attachment_id is None:
        # A legacy track without attachment joins the default one when written to.
        attachment_id = route.media_object.attachment_id
    taken = [
        view
        for view in tracks._visible(session, route)
        if tracks._key(view.track.locale) == tracks._key(deleted.locale)
        and view.track.attachment_id == attachment_id
    ]
    if taken:
        message = LOCALE_TAKEN_MESSAGE.format(locale=deleted.locale)
        raise UnprocessableEntity(message, errors=[FieldError("locale", message, "taken")])
    restored: list[MediaTrack] = []

    def apply() -> None:
        track = repo.add_track(
            session,
            MediaTrack(
                media_object_id=route.media_object.id,
                attachment_id=attachment_id,
                user_id=user.id,
                kind=deleted.kind,
                locale=deleted.locale,
                content=content,
                webvtt_content=webvtt,
            ),
        )
        session.flush()
        repo.move_versions(session, deleted.id, track.id)
        history.record_write(session, track, "restore", user.id)
        route.media_object.updated_at = utcnow()
        session.flush()
        tracks._check_track_count(session, route, limits.max_tracks)
        restored.append(track)

    tracks._in_savepoint(session, apply, lambda: None)
    return restored[0]


def remove_expired_versions(
    session: Session, *, retention_days: int, now: datetime | None = None
) -> int:
    """The chore: removes the versions of tracks deleted longer than the retention period
    ago; returns how many."""
    return repo.delete_versions_deleted_before(session, _cutoff(retention_days, now))


# ---- helpers ----------------------------------------------------------------------------------


def _cutoff(retention_days: int, now: datetime | None) -> datetime:
    return (now if now is not None else utcnow()) - timedelta(days=retention_days)


def _writable_track(
    session: Session,
    principal: Principal,
    track_id: int,
    media_object: MediaObject | None,
    attachment: Attachment | None,
) -> tuple[tracks._Route, MediaTrack]:
    authentication.require_user(principal)
    route = tracks._resolve(session, media_object, attachment)
    if not tracks._rights(session, principal, route).add:
        raise Forbidden()
    view = tracks._find_visible(session, route, track_id)
    if view.inherited and not caption_rights(session, principal, route.media_object).add:
        raise Forbidden(ORIGINAL_TRACK_MESSAGE.format(locale=view.track.locale))
    return route, view.track


def _checked(content: str, limits: tracks.TrackLimits, lenient: bool) -> tuple[str, str]:
    """Content as any write checks it: size, then caption validation; (content, WebVTT)."""
    max_bytes = limits.max_caption_bytes
    if len(content.encode("utf-8", "surrogatepass")) > max_bytes:
        message = f"is larger than the limit of {max_bytes} bytes"
        raise PayloadTooLarge(
            f"Caption content must not be larger than {max_bytes} bytes.",
            errors=[FieldError("content", message, "too_large")],
        )
    try:
        normalised = tracks._normalise_content(content, lenient)
    except CaptionError as exc:
        raise UnprocessableEntity(
            errors=[
                FieldError("content", str(p), "invalid", line=p.line, cue=p.cue)
                for p in exc.problems
            ]
        ) from exc
    # Converted formats (SBV, TTML, SAMI, SCC) are stored as their WebVTT.
    return normalised.content or content, normalised.webvtt


def _rewrite(
    session: Session,
    route: tracks._Route,
    track: MediaTrack,
    content: str,
    webvtt: str,
    reason: str,
    user_id: int,
) -> None:
    history.keep_current(session, track)
    repo.update_track(
        session, track, locale=track.locale, kind=None, content=content, webvtt_content=webvtt
    )
    route.media_object.updated_at = utcnow()
    history.record_write(session, track, reason, user_id)


def _deleted(session: Session, route: tracks._Route, since: datetime) -> list[DeletedTrack]:
    media_object = route.media_object
    default = media_object.attachment_id
    ids: list[int] = []
    if route.attachment is None:
        legacy = True
    else:
        # An attachment showed its own tracks and those it inherited from the default one.
        ids.append(route.attachment.id)
        legacy = False
    if default is not None and default not in ids:
        ids.append(default)
    rows = repo.deleted_versions(session, media_object.id, ids, legacy=legacy, since=since)
    grouped: dict[int, list[TrackVersion]] = {}
    for version in rows:
        grouped.setdefault(version.track_id, []).append(version)
    out = []
    for track_id, versions in grouped.items():
        newest = versions[0]
        assert newest.deleted_at is not None
        out.append(
            DeletedTrack(
                id=track_id,
                locale=newest.locale,
                kind=newest.kind,
                attachment_id=newest.attachment_id,
                deleted_at=newest.deleted_at,
                deleted_by=newest.deleted_by,
                version_ids=tuple(v.id for v in versions),
            )
        )
    return out
