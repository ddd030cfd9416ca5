"""Every query of the media objects domain."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    case,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediaobjects.db.rows import column_rows
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import (
    LIVE_INIT_SEQUENCE,
    SOURCE_ROW_COLUMNS,
    MediaLiveSegment,
    MediaObject,
    MediaSource,
    MediaThumbnail,
    SourceRow,
)

# The statements of the hottest queries are built once, at import: building a SELECT costs
# about as much as running it on SQLite (85 of 170 microseconds, measured here).
_BY_MEDIA_ID_WITH_FILE = (
    select(MediaObject, Attachment)
    .outerjoin(Attachment, Attachment.id == MediaObject.attachment_id)
    .where(MediaObject.media_id == bindparam("media_id"))
)
_BY_OLD_MEDIA_ID = (
    select(MediaObject)
    .where(MediaObject.old_media_id == bindparam("media_id"))
    .order_by(MediaObject.id)
    .limit(1)
)
_ATTACHMENT_WITH_MEDIA = (
    select(Attachment, MediaObject)
    .outerjoin(MediaObject, MediaObject.media_id == Attachment.media_entry_id)
    .where(Attachment.id == bindparam("attachment_id"))
)
_SOURCE_WITH_MEDIA = (
    select(MediaSource, MediaObject)
    .join(MediaObject, MediaObject.id == MediaSource.media_object_id)
    .where(MediaSource.id == bindparam("source_id"))
)
_SOURCE_ROWS_OF = select(*SOURCE_ROW_COLUMNS).where(
    MediaSource.media_object_id.in_(bindparam("ids", expanding=True))
)


def get_by_media_id(session: Session, media_id: str) -> MediaObject | None:
    """Canvas looks media up by ``media_id`` or, when set, ``old_media_id``. An exact
    ``media_id`` wins: another object's old id must never hide a current one.

    The media object's default file comes in the same query: read access and caption rights
    follow it, so every request that finds media by id asks for it next."""
    exact = session.execute(_BY_MEDIA_ID_WITH_FILE, {"media_id": media_id}).first()
    if exact is not None:
        return exact[0]
    return session.scalars(_BY_OLD_MEDIA_ID, {"media_id": media_id}).first()


def get_attachment_with_media(
    session: Session, attachment_id: int
) -> tuple[Attachment, MediaObject | None] | None:
    """A file and the media object its ``media_entry_id`` names (by ``media_id``), in one
    query; the media object is None when only an ``old_media_id`` could match it."""
    row = session.execute(_ATTACHMENT_WITH_MEDIA, {"attachment_id": attachment_id}).first()
    return (row[0], row[1]) if row is not None else None


def get(session: Session, media_object_id: int) -> MediaObject | None:
    return session.get(MediaObject, media_object_id)


def in_processing_states(session: Session, states: list[str]) -> list[MediaObject]:
    """Active media objects whose processing is in one of ``states``, oldest first."""
    stmt = (
        select(MediaObject)
        .where(MediaObject.workflow_state != "deleted")
        .where(MediaObject.processing_state.in_(states))
        .order_by(MediaObject.id)
    )
    return list(session.scalars(stmt))


def unfinished_before(session: Session, before: datetime) -> list[str]:
    """media_ids of active media objects still ``pending`` or ``processing`` whose row was
    last changed before ``before``, oldest first."""
    stmt = (
        select(MediaObject.media_id)
        .where(MediaObject.workflow_state != "deleted")
        .where(MediaObject.processing_state.in_(("pending", "processing")))
        .where(MediaObject.updated_at < before)
        .order_by(MediaObject.id)
    )
    return list(session.scalars(stmt))


def add(session: Session, media_object: MediaObject) -> MediaObject:
    session.add(media_object)
    session.flush()
    return media_object


# ---- listing (media_objects.listing) ---------------------------------------------------------


def _case_variants(char: str) -> str:
    """``char`` and every one-character upper/lower/case-folded form reachable from it."""
    found = {char}
    frontier = [char]
    while frontier:
        current = frontier.pop()
        for other in (current.lower(), current.upper(), current.casefold()):
            if len(other) == 1 and other not in found:
                found.add(other)
                frontier.append(other)
    return "".join(sorted(found))


def _glob_pattern(term: str) -> str:
    # SQLite's GLOB is case-sensitive and understands [...] classes over UTF-8 characters;
    # inside a class, * ? [ are literal and "]" is literal when it comes first.
    pieces = []
    for char in term:
        variants = _case_variants(char)
        pieces.append(f"[{variants}]" if len(variants) > 1 or char in "*?[]" else char)
    return "*" + "".join(pieces) + "*"


def _regex_pattern(term: str) -> str:
    # A PostgreSQL regular expression: ASCII punctuation escaped with a backslash (a backslash
    # before a non-alphanumeric character is that character), letters as explicit classes.
    pieces = []
    for char in term:
        variants = _case_variants(char)
        if len(variants) > 1:
            pieces.append(f"[{variants}]")
        elif char.isascii() and not char.isalnum():
            pieces.append("\\" + char)
        else:
            pieces.append(char)
    return "".join(pieces)


def _displayed_title() -> ColumnElement[str]:
    """SQL for the title shown in JSON: user_entered_title if present, else title, else
    "Untitled" (canvas-media-api.md §1.1)."""
    return case(
        (func.trim(MediaObject.user_entered_title) != "", MediaObject.user_entered_title),
        (func.trim(MediaObject.title) != "", MediaObject.title),
        else_=literal("Untitled"),
    )


def _title_contains(session: Session, term: str) -> ColumnElement[bool]:
    """Case-insensitive substring match of the displayed title (decision D10).

    Neither SQLite's lower()/LIKE nor PostgreSQL's lower()/ILIKE in the C locale fold
    non-ASCII letters, so each letter of the term becomes an explicit class of its case forms
    ("É" -> [Éé]); the result is the same on both databases whatever their locale. % and _ are
    ordinary characters in both patterns, so no LIKE escaping is needed."""
    if session.get_bind().dialect.name == "sqlite":
        return _displayed_title().op("GLOB", is_comparison=True)(_glob_pattern(term))
    return _displayed_title().op("~", is_comparison=True)(_regex_pattern(term))


def _scope_conditions(include_restricted: bool) -> list[ColumnElement[bool]]:
    """Media objects of the not-deleted media files of one context (bound parameters
    ``context_type`` and ``context_id``) that the caller may read.

    The read rule of files (hidden and locked files only for those who manage the context's
    files) is applied here as a filter, never row by row, so one restricted file can neither
    leak nor fail the whole list (Canvas bug, canvas-media-api.md §5.15). IN (subquery)
    lists an object once however many of the context's files share it."""
    files = select(Attachment.media_entry_id).where(
        Attachment.context_type == bindparam("context_type"),
        Attachment.context_id == bindparam("context_id"),
        Attachment.workflow_state != "deleted",
        Attachment.media_entry_id.is_not(None),
    )
    if not include_restricted:
        files = files.where(Attachment.hidden.is_(False), Attachment.locked.is_(False))
    return [
        MediaObject.media_id.in_(files),
        # Decision D16: deleted media objects are not listed.
        MediaObject.workflow_state != "deleted",
    ]


def listed_conditions(include_restricted: bool) -> list[ColumnElement[bool]]:
    """The media list's scope (see ``_scope_conditions``), for other domains' queries over
    exactly the media a context lists (the caption reports): bound parameters
    ``context_type`` and ``context_id``."""
    return _scope_conditions(include_restricted)


# Built once per shape, as the statements of the other hot queries: a page of a course's
# media is asked for each time a teacher or student opens the media list.
@cache
def _count_stmt(include_restricted: bool) -> Select[int]:
    return (
        select(func.count()).select_from(MediaObject).where(*_scope_conditions(include_restricted))
    )


def _page_key(sort: str, descending: bool) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    key: ColumnElement[Any]
    if sort == "created_at":
        key = MediaObject.created_at.desc() if descending else MediaObject.created_at.asc()
    elif descending:
        # Canvas: untitled objects (NULL key) last when ascending, first when descending.
        key = MediaObject.title_sort_key.desc().nulls_first()
    else:
        key = MediaObject.title_sort_key.asc().nulls_last()
    # The id tie-break makes pages stable when keys repeat.
    tie = MediaObject.id.desc() if descending else MediaObject.id.asc()
    return key, tie


def _page_ids(
    include_restricted: bool, sort: str, descending: bool, search: ColumnElement[bool] | None
) -> Select[int, int]:
    """One page of (id, total): only the narrow (sort key, id) pairs are sorted and
    skipped. count(*) OVER () gives the total with the page, saving a second pass."""
    key, tie = _page_key(sort, descending)
    stmt = select(MediaObject.id, func.count().over().label("total")).where(
        *_scope_conditions(include_restricted)
    )
    if search is not None:
        stmt = stmt.where(search)
    return stmt.order_by(key, tie).limit(bindparam("limit")).offset(bindparam("offset"))


def _page_rows(
    ids: Select[int, int], sort: str, descending: bool
) -> Select[MediaObject, Attachment, int]:
    """The full rows of the page's media objects, with their default files, in page order
    (the page's few rows sorted again: cheaper than numbering every row of the scope)."""
    page = ids.subquery()
    return (
        select(MediaObject, Attachment, page.c.total)
        .join(page, page.c.id == MediaObject.id)
        .outerjoin(Attachment, Attachment.id == MediaObject.attachment_id)
        .order_by(*_page_key(sort, descending))
    )


@cache
def _page_stmt(
    include_restricted: bool, sort: str, descending: bool
) -> Select[MediaObject, Attachment, int]:
    # Built once per shape, as the statements of the other hot queries: a page of a course's
    # media is asked for each time a teacher or student opens the media list.
    return _page_rows(_page_ids(include_restricted, sort, descending, None), sort, descending)


def count_listed(
    session: Session,
    *,
    context_type: str,
    context_id: int,
    include_restricted: bool,
    search: str | None,
) -> int:
    stmt = _count_stmt(include_restricted)
    if search is not None:
        stmt = stmt.where(_title_contains(session, search))
    params = {"context_type": context_type, "context_id": context_id}
    return int(session.scalar(stmt, params) or 0)


def listed_page(
    session: Session,
    *,
    context_type: str,
    context_id: int,
    include_restricted: bool,
    search: str | None,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
) -> tuple[list[MediaObject], int | None]:
    """One page of media objects (their default files loaded with them) and the total number
    listed (None when the page is empty), in one query: the page's ids are chosen over the
    narrow (sort key, id) pairs, and only those rows are read whole."""
    if search is None:
        stmt = _page_stmt(include_restricted, sort, descending)
    else:
        condition = _title_contains(session, search)
        ids = _page_ids(include_restricted, sort, descending, condition)
        stmt = _page_rows(ids, sort, descending)
    params = {
        "context_type": context_type,
        "context_id": context_id,
        "limit": limit,
        "offset": offset,
    }
    rows = session.execute(stmt, params).all()
    return [row[0] for row in rows], (int(rows[0][2]) if rows else None)


# Columns a re-run may change; a source keeps its row (id, created_at) and so its URL.
_SOURCE_FIELDS = (
    "is_original",
    "content_type",
    "container_format",
    "file_ext",
    "width",
    "height",
    "bitrate",
    "size",
    "stream_index",
    "storage_key",
    "etag",
)


def source_named(session: Session, media_object_id: int, name: str) -> MediaSource | None:
    stmt = select(MediaSource).where(
        MediaSource.media_object_id == media_object_id, MediaSource.name == name
    )
    return session.scalars(stmt).first()


def streamable_sources(session: Session, media_object_id: int) -> list[MediaSource]:
    """The media object's sources that HLS can play (those with a stream index)."""
    stmt = select(MediaSource).where(
        MediaSource.media_object_id == media_object_id, MediaSource.stream_index.is_not(None)
    )
    return list(session.scalars(stmt))


def put_source(session: Session, media_object_id: int, source: MediaSource) -> MediaSource:
    """``source`` saved under its name: the existing row of that name takes its values (its id,
    and so the URL a player may be streaming, stays), or it is added."""
    existing = source_named(session, media_object_id, source.name)
    if existing is None:
        source.media_object_id = media_object_id
        session.add(source)
        session.flush()
        return source
    for field in _SOURCE_FIELDS:
        setattr(existing, field, getattr(source, field))
    session.flush()
    return existing


def replace_sources(
    session: Session,
    media_object_id: int,
    sources: list[MediaSource],
    *,
    keep: tuple[str, ...] = (),
) -> None:
    """The media object's sources become exactly ``sources``, plus those it has already named
    in ``keep`` (a re-run replaces, never adds). A source of the same name keeps its row, so a
    player streaming it while a re-run finishes is not cut off."""
    wanted = {source.name for source in sources} | set(keep)
    session.execute(
        delete(MediaSource).where(
            MediaSource.media_object_id == media_object_id, MediaSource.name.not_in(wanted)
        )
    )
    for source in sources:
        put_source(session, media_object_id, source)


def delete_source(session: Session, media_object_id: int, name: str) -> None:
    session.execute(
        delete(MediaSource).where(
            MediaSource.media_object_id == media_object_id, MediaSource.name == name
        )
    )


def sources_of_many(session: Session, media_object_ids: list[int]) -> dict[int, list[SourceRow]]:
    """The sources of each media object, as plain rows (what serializers and players show)."""
    found: dict[int, list[SourceRow]] = {i: [] for i in media_object_ids}
    if not media_object_ids:
        return found
    for row in column_rows(session, _SOURCE_ROWS_OF, {"ids": media_object_ids}):
        source = SourceRow._make(row)
        found[source.media_object_id].append(source)
    return found


def get_source_with_media(
    session: Session, source_id: int
) -> tuple[MediaSource, MediaObject] | None:
    """A media source and its media object, in one query."""
    row = session.execute(_SOURCE_WITH_MEDIA, {"source_id": source_id}).first()
    return (row[0], row[1]) if row is not None else None


def delete_sources(session: Session, media_object_id: int) -> list[tuple[str, bool]]:
    """Removes the source rows and returns each one's storage key and whether it was the
    original (whose key may be the upload's own, which belongs to its file)."""
    stmt = select(MediaSource.storage_key, MediaSource.is_original).where(
        MediaSource.media_object_id == media_object_id
    )
    keys = [(str(key), bool(original)) for key, original in session.execute(stmt)]
    session.execute(delete(MediaSource).where(MediaSource.media_object_id == media_object_id))
    return keys


def get_thumbnail(
    session: Session, media_object_id: int, width: int, height: int
) -> MediaThumbnail | None:
    stmt = select(MediaThumbnail).where(
        MediaThumbnail.media_object_id == media_object_id,
        MediaThumbnail.width == width,
        MediaThumbnail.height == height,
    )
    return session.scalars(stmt).first()


def save_thumbnail(session: Session, thumbnail: MediaThumbnail) -> MediaThumbnail:
    """Saves a new thumbnail row; when another request saved the same size first, that one."""
    try:
        with session.begin_nested():
            session.add(thumbnail)
            session.flush()
    except IntegrityError:
        found = get_thumbnail(session, thumbnail.media_object_id, thumbnail.width, thumbnail.height)
        if found is None:
            raise
        return found
    return thumbnail


def evict_thumbnails(session: Session, media_object_id: int, *, keep: int) -> list[str]:
    """Deletes a media object's oldest thumbnail rows beyond the newest ``keep``; returns their
    storage keys, for the caller to delete once committed."""
    stmt = (
        select(MediaThumbnail)
        .where(MediaThumbnail.media_object_id == media_object_id)
        .order_by(MediaThumbnail.id.desc())
        .offset(keep)
    )
    old = list(session.scalars(stmt))
    for row in old:
        session.delete(row)
    return [row.storage_key for row in old]


def delete_thumbnails(session: Session, media_object_id: int) -> list[str]:
    stmt = select(MediaThumbnail.storage_key).where(
        MediaThumbnail.media_object_id == media_object_id
    )
    keys = list(session.scalars(stmt))
    session.execute(delete(MediaThumbnail).where(MediaThumbnail.media_object_id == media_object_id))
    return keys


def without_speech_analysis(session: Session) -> list[str]:
    """media_ids of active, ready media objects whose audio has not been analysed for speech
    (``speech_ms`` NULL: processed before the analysis existed, or its analysis failed), oldest
    first."""
    stmt = (
        select(MediaObject.media_id)
        .where(MediaObject.workflow_state != "deleted")
        .where(MediaObject.processing_state == "ready")
        .where(MediaObject.speech_ms.is_(None))
        .order_by(MediaObject.id)
    )
    return list(session.scalars(stmt))


def smallest_source_key(session: Session, media_object_id: int) -> str | None:
    """The storage key of the media object's smallest rendition, else of its original: the
    cheapest file to fetch when only its audio is wanted (every rendition carries the audio)."""
    stmt = (
        select(MediaSource.storage_key)
        .where(MediaSource.media_object_id == media_object_id)
        .order_by(MediaSource.is_original, MediaSource.size, MediaSource.id)
        .limit(1)
    )
    return session.scalars(stmt).first()


def live_pieces(session: Session, media_object_id: int) -> list[MediaLiveSegment]:
    """The pieces of the media object's early stream, the initialisation section first."""
    stmt = (
        select(MediaLiveSegment)
        .where(MediaLiveSegment.media_object_id == media_object_id)
        .order_by(MediaLiveSegment.sequence)
    )
    return list(session.scalars(stmt))


def live_piece(session: Session, media_object_id: int, sequence: int) -> MediaLiveSegment | None:
    stmt = select(MediaLiveSegment).where(
        MediaLiveSegment.media_object_id == media_object_id,
        MediaLiveSegment.sequence == sequence,
    )
    return session.scalars(stmt).first()


def put_live_piece(session: Session, piece: MediaLiveSegment) -> None:
    """``piece`` saved under its sequence number, replacing the row of an earlier try (a
    retry's pass writes the same segments at the same instants under the same keys). Rows are
    never dropped here: a growing playlist only ever gains segments, and every stored object
    stays known to a row, so that the clean-up finds it."""
    existing = live_piece(session, piece.media_object_id, piece.sequence)
    if existing is not None:
        session.delete(existing)
        session.flush()
    session.add(piece)
    session.flush()


def streaming_live(session: Session, media_object_ids: list[int]) -> set[int]:
    """Which of the media objects have an early stream that is still growing (a segment
    written, not retired)."""
    if not media_object_ids:
        return set()
    stmt = (
        select(MediaLiveSegment.media_object_id)
        .where(
            MediaLiveSegment.media_object_id.in_(media_object_ids),
            MediaLiveSegment.sequence > LIVE_INIT_SEQUENCE,
            MediaLiveSegment.retired_at.is_(None),
        )
        .distinct()
    )
    return set(session.scalars(stmt))


def retire_live_pieces(session: Session, media_object_id: int, at: datetime) -> None:
    session.execute(
        update(MediaLiveSegment)
        .where(
            MediaLiveSegment.media_object_id == media_object_id,
            MediaLiveSegment.retired_at.is_(None),
        )
        .values(retired_at=at)
    )


def retired_live_before(session: Session, before: datetime, *, limit: int) -> list[int]:
    """Media objects with early-stream pieces retired before ``before``, or whose media was
    deleted (a piece stored while the media was being released); at most ``limit``."""
    stmt = (
        select(MediaLiveSegment.media_object_id)
        .join(MediaObject, MediaObject.id == MediaLiveSegment.media_object_id)
        .where((MediaLiveSegment.retired_at < before) | (MediaObject.workflow_state == "deleted"))
        .distinct()
        .limit(limit)
    )
    return list(session.scalars(stmt))


def live_keys(session: Session, media_object_id: int, *, retired_only: bool = False) -> list[str]:
    """Storage keys of the media object's early-stream pieces (only the retired ones: what a
    try publishing again meanwhile has not made current again)."""
    stmt = select(MediaLiveSegment.storage_key).where(
        MediaLiveSegment.media_object_id == media_object_id
    )
    if retired_only:
        stmt = stmt.where(MediaLiveSegment.retired_at.is_not(None))
    return [str(key) for key in session.scalars(stmt)]


def delete_live_pieces(
    session: Session, media_object_id: int, keys: list[str], *, retired_only: bool = False
) -> None:
    """Removes the rows of the pieces stored under ``keys`` (those whose objects are gone),
    only the retired ones with ``retired_only``."""
    if keys:
        stmt = delete(MediaLiveSegment).where(
            MediaLiveSegment.media_object_id == media_object_id,
            MediaLiveSegment.storage_key.in_(keys),
        )
        if retired_only:
            stmt = stmt.where(MediaLiveSegment.retired_at.is_not(None))
        session.execute(stmt)
