"""Every query of transcript search: keeping a track's cue rows, and finding the tracks and
cues that match a query among those a caller may read. The full-text part differs by
database (FTS5 MATCH on SQLite, a tsvector on PostgreSQL); both are fixed SQL text whose only
inputs are bound parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased

from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.transcripts.models import CaptionCue


class MatchedTrack(NamedTuple):
    track_id: int
    media_object_id: int
    locale: str
    kind: str
    hits: int
    total: int


class MatchedCue(NamedTuple):
    track_id: int
    start_ms: int
    end_ms: int
    text: str


def replace_cues(
    session: Session, track_id: int, media_object_id: int, rows: Sequence[Sequence[Any]]
) -> None:
    """The track's cue rows become exactly ``rows`` (cue_index, start_ms, end_ms, text,
    folded), and the full-text index follows: PostgreSQL computes each row's tsvector; on
    SQLite the new rows are added to the FTS5 table here, in one statement (a trigger per row
    costs four times as much: 470 against 105 ms for 20 tracks of 500 cues), while the
    triggers of migration 0005 remove deleted rows, cascades included."""
    delete_cues(session, track_id)
    if not rows:
        return
    session.execute(
        insert(_CUES),
        [
            {
                "track_id": track_id,
                "media_object_id": media_object_id,
                "cue_index": row[0],
                "start_ms": row[1],
                "end_ms": row[2],
                "text": row[3],
                "folded": row[4],
            }
            for row in rows
        ],
    )
    if session.get_bind().dialect.name == "sqlite":
        session.execute(_FTS_ADD_TRACK, {"track_id": track_id})


# The table, for a plain executemany (the ORM's bulk insert path adds nothing here).
_CUES = CaptionCue.metadata.tables[CaptionCue.__tablename__]
_FTS_ADD_TRACK = text(
    "INSERT INTO caption_cues_fts(rowid, folded) "
    "SELECT id, folded FROM caption_cues WHERE track_id = :track_id"
)


def delete_cues(session: Session, track_id: int) -> None:
    session.execute(delete(CaptionCue).where(CaptionCue.track_id == track_id))


def _matching(
    session: Session, phrases: Sequence[str], fts5_match: str
) -> tuple[str, dict[str, Any]]:
    """FROM and WHERE text selecting the cues (alias ``c``) that match, and their parameters.
    Every group must match one cue: AND in FTS5, ``&&`` of tsqueries in PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        # The FTS5 query runs once, as a list: joined, SQLite may instead probe the FTS5
        # table once per cue of the wanted tracks (a phrase: 70 ms for 10 tracks).
        return (
            "caption_cues AS c WHERE c.id IN "
            "(SELECT rowid FROM caption_cues_fts WHERE caption_cues_fts MATCH :match)",
            {"match": fts5_match},
        )
    # phraseto_tsquery runs the words through the same parser as the generated tsvector, so
    # both sides agree however PostgreSQL would split a word.
    tsquery = " && ".join(f"phraseto_tsquery('simple', :p{i})" for i in range(len(phrases)))
    params = {f"p{i}": phrase for i, phrase in enumerate(phrases)}
    return f"caption_cues AS c WHERE c.terms @@ ({tsquery})", params


def matched_tracks(
    session: Session,
    *,
    phrases: Sequence[str],
    fts5_match: str,
    context_type: str,
    context_id: int,
    include_restricted: bool,
    limit: int,
    offset: int,
) -> list[MatchedTrack]:
    """One page of the tracks with matching cues that the caller may read in one context, in
    the media list's title order, each with its number of matching cues and the total number of
    such tracks (see ``_readable_matches``)."""
    stmt, params = _readable_matches(session, phrases, fts5_match, include_restricted)
    stmt = (
        stmt.order_by(
            MediaObject.title_sort_key.asc().nulls_last(),
            MediaObject.id,
            MediaTrack.locale,
            MediaTrack.id,
        )
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    params.update(context_type=context_type, context_id=context_id, limit=limit, offset=offset)
    return [MatchedTrack._make(row) for row in session.execute(stmt, params)]


def count_matched_tracks(
    session: Session,
    *,
    phrases: Sequence[str],
    fts5_match: str,
    context_type: str,
    context_id: int,
    include_restricted: bool,
) -> int:
    """How many tracks ``matched_tracks`` pages through."""
    stmt, params = _readable_matches(session, phrases, fts5_match, include_restricted)
    params.update(context_type=context_type, context_id=context_id)
    counted = select(func.count()).select_from(stmt.subquery())
    return int(session.scalar(counted, params) or 0)


def _readable_matches(
    session: Session, phrases: Sequence[str], fts5_match: str, include_restricted: bool
) -> tuple[Select[Any], dict[str, Any]]:
    """The tracks with matching cues that the caller may read in one context (bound
    parameters ``context_type`` and ``context_id``).

    A track is readable through a file of the context, as ``media_tracks.service`` shows
    tracks: the file's own tracks; through the media object's default file also the legacy
    tracks that belong to no file; through another file (a copy) the default file's tracks
    for locales the copy has none of. Files are those the media list counts: not deleted, and
    hidden or locked ones only for those who manage the context's files. Deleted media
    objects are never searched."""
    where, params = _matching(session, phrases, fts5_match)
    # ``where`` is fixed text naming bound parameters (``_matching``): nothing of the query.
    sql = f"SELECT c.track_id AS track_id, count(*) AS hits FROM {where} GROUP BY c.track_id"  # noqa: S608
    hits = text(sql).columns(track_id=Integer, hits=Integer).subquery("hits")
    readable = _readable_track_ids(include_restricted)
    stmt = (
        select(
            MediaTrack.id,
            MediaObject.id,
            MediaTrack.locale,
            MediaTrack.kind,
            hits.c.hits,
            func.count().over(),
        )
        .select_from(hits)
        .join(MediaTrack, MediaTrack.id == hits.c.track_id)
        .join(MediaObject, MediaObject.id == MediaTrack.media_object_id)
        .where(MediaObject.workflow_state != "deleted", MediaTrack.id.in_(readable))
    )
    return stmt, params


def _readable_track_ids(include_restricted: bool) -> Select[int]:
    """The ids of every track readable through the context's files (bound parameters
    ``context_type`` and ``context_id``), uncorrelated: the database lists a course's tracks
    once (a few per file) rather than looking for a file of each matching track."""
    file = aliased(Attachment)
    media = aliased(MediaObject)
    track = aliased(MediaTrack)
    own = aliased(MediaTrack)
    shadowed = exists().where(
        own.attachment_id == file.id,
        own.media_object_id == track.media_object_id,
        func.lower(own.locale) == func.lower(track.locale),
    )
    stmt = (
        select(track.id)
        .select_from(file)
        .join(media, media.media_id == file.media_entry_id)
        .join(
            track,
            and_(
                track.media_object_id == media.id,
                or_(
                    track.attachment_id == file.id,
                    and_(file.id == media.attachment_id, track.attachment_id.is_(None)),
                    and_(
                        track.attachment_id == media.attachment_id,
                        file.id != media.attachment_id,
                        ~shadowed,
                    ),
                ),
            ),
        )
        .where(
            file.context_type == bindparam("context_type"),
            file.context_id == bindparam("context_id"),
            file.workflow_state != "deleted",
        )
    )
    if not include_restricted:
        stmt = stmt.where(file.hidden.is_(False), file.locked.is_(False))
    return stmt


def matched_cues(
    session: Session,
    *,
    phrases: Sequence[str],
    fts5_match: str,
    track_ids: Sequence[int],
    per_track: int,
    text_chars: int,
) -> list[MatchedCue]:
    """The first ``per_track`` matching cues (in time order) of each of ``track_ids``, each
    text cut to its first ``text_chars`` characters."""
    if not track_ids:
        return []
    where, params = _matching(session, phrases, fts5_match)
    # ``where`` is fixed text naming bound parameters (``_matching``): nothing of the query.
    sql = (
        "SELECT track_id, start_ms, end_ms, text FROM ("  # noqa: S608
        "SELECT c.track_id AS track_id, c.cue_index AS cue_index, c.start_ms AS start_ms, "
        "c.end_ms AS end_ms, substr(c.text, 1, :text_chars) AS text, row_number() OVER "
        "(PARTITION BY c.track_id ORDER BY c.cue_index) AS n "
        f"FROM {where} AND c.track_id IN :track_ids"
        ") AS found WHERE n <= :per_track ORDER BY track_id, cue_index"
    )
    stmt = text(sql).bindparams(bindparam("track_ids", expanding=True))
    params.update(track_ids=list(track_ids), per_track=per_track, text_chars=text_chars)
    return [MatchedCue._make(row) for row in session.execute(stmt, params)]


def media_objects_by_id(session: Session, ids: Sequence[int]) -> dict[int, MediaObject]:
    if not ids:
        return {}
    stmt = select(MediaObject).where(MediaObject.id.in_(list(ids)))
    return {media_object.id: media_object for media_object in session.scalars(stmt)}


def automatic_track_ids(session: Session, track_ids: Sequence[int]) -> set[int]:
    """Those of ``track_ids`` (a page of results) made by speech recognition (as
    media_tracks.schemas.is_asr: subtitles with an external id)."""
    stmt = select(MediaTrack.id).where(
        MediaTrack.id.in_(list(track_ids)),
        MediaTrack.kind == "subtitles",
        MediaTrack.external_id.is_not(None),
    )
    return set(session.scalars(stmt))
