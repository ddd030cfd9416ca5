"""Every query of the caption reports: writing a track's summaries, and the course and account
reports, each one statement over the summaries (the page's locales and kinds are a second,
small one), whatever the number of media objects."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from mediaobjects.accounts.models import Course
from mediaobjects.caption_reports.models import CaptionSummary
from mediaobjects.db.rows import column_rows
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects import repository as media_repo
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks.models import MediaTrack

# Tracks that count as captions for a report: what a deaf viewer can turn on. Their
# workflow_state is not asked: on SQLite the column sits after the caption texts, so reading
# it for every track of a course would read every caption file (twice the report's time on a
# course of 1,000 lectures). What it would tell is in the summaries instead: an automatic
# track still being made (or whose making failed) has no cues (``cues = 0``) and does not
# count; ``automatic`` says who made a track's content.
CAPTION_KINDS = ("captions", "subtitles")


def _has_cues(summary: Any) -> ColumnElement[bool]:
    # No summary, or one of unreadable text (cues NULL), still counts, as before.
    return or_(summary.cues.is_(None), summary.cues != 0)


STATUSES = ("missing", "failing", "passing")


# ---- summaries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryValues:
    profile: str
    cues: int | None
    errors: int | None
    warnings: int | None
    coverage: float | None
    meets_profile: bool


def replace_summaries(
    session: Session,
    track_id: int,
    values: Sequence[SummaryValues],
    now: datetime,
    *,
    automatic: bool = False,
) -> None:
    """The track's summaries become exactly ``values`` (one per profile); ``automatic``: its
    content was made by speech recognition. Core statements, so that no summary object
    lingers in the session to collide with the next write."""
    forget_track(session, track_id)
    if values:
        session.execute(
            insert(CaptionSummary),
            [
                {
                    "track_id": track_id,
                    "profile": v.profile,
                    "cues": v.cues,
                    "errors": v.errors,
                    "warnings": v.warnings,
                    "coverage": v.coverage,
                    "meets_profile": v.meets_profile,
                    "automatic": automatic,
                    "computed_at": now,
                }
                for v in values
            ],
        )


def summaries_of_tracks(
    session: Session, track_ids: list[int], profile: str
) -> dict[int, SummaryValues]:
    """The stored summaries of these tracks against ``profile``, keyed by track id (tracks
    not summarised yet are absent)."""
    if not track_ids:
        return {}
    stmt = select(
        CaptionSummary.track_id,
        CaptionSummary.cues,
        CaptionSummary.errors,
        CaptionSummary.warnings,
        CaptionSummary.coverage,
        CaptionSummary.meets_profile,
    ).where(CaptionSummary.track_id.in_(track_ids), CaptionSummary.profile == profile)
    return {
        int(row[0]): SummaryValues(profile, row[1], row[2], row[3], row[4], bool(row[5]))
        for row in session.execute(stmt)
    }


def forget_track(session: Session, track_id: int) -> None:
    session.execute(
        delete(CaptionSummary).where(CaptionSummary.track_id == track_id),
        execution_options={"synchronize_session": False},
    )


def forget_media(session: Session, media_object_id: int) -> None:
    tracks = select(MediaTrack.id).where(MediaTrack.media_object_id == media_object_id)
    session.execute(
        delete(CaptionSummary).where(CaptionSummary.track_id.in_(tracks)),
        execution_options={"synchronize_session": False},
    )


def get_media_object(session: Session, media_object_id: int) -> MediaObject | None:
    return session.get(MediaObject, media_object_id)


def tracks_of(session: Session, media_object_id: int) -> list[MediaTrack]:
    """Every track of the media object, on any of its attachments (each is summarised; the
    reports choose the visible ones)."""
    stmt = (
        select(MediaTrack)
        .where(MediaTrack.media_object_id == media_object_id)
        .order_by(MediaTrack.id)
    )
    return list(session.scalars(stmt))


def media_object_ids_with_tracks(session: Session, *, missing_only: bool) -> list[int]:
    """Active media objects with at least one track (with ``missing_only``: one that has no
    summary yet), in id order."""
    has_track = select(MediaTrack.media_object_id)
    if missing_only:
        summarised = select(CaptionSummary.track_id)
        has_track = has_track.where(MediaTrack.id.not_in(summarised))
    stmt = (
        select(MediaObject.id)
        .where(MediaObject.workflow_state != "deleted", MediaObject.id.in_(has_track))
        .order_by(MediaObject.id)
    )
    return list(session.scalars(stmt))


# ---- the course report ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    id: int
    media_id: str
    title: str | None
    user_entered_title: str | None
    media_type: str | None
    duration: float | None
    processing_state: str
    created_at: datetime
    track_id: int | None
    track_locale: str | None
    track_kind: str | None
    errors: int | None
    warnings: int | None
    coverage: float | None
    meets_profile: bool | None
    status: str
    track_automatic: bool | None


@dataclass(frozen=True)
class TrackLabel:
    media_object_id: int
    locale: str
    kind: str
    automatic: bool


def _visible_on_media_object(default_attachment_id: Any = None) -> ColumnElement[bool]:
    # The tracks the media list shows for a media object (media_tracks.repository
    # media_object_view): legacy tracks of no attachment, and those of its default file.
    default = MediaObject.attachment_id if default_attachment_id is None else default_attachment_id
    return or_(MediaTrack.attachment_id.is_(None), MediaTrack.attachment_id == default)


def _locale_matches(by_locale: bool) -> list[ColumnElement[bool]]:
    if not by_locale:
        return []
    # "en" asks for every English track (en, en-US, en-GB); "en-US" for that one. Canonical
    # locales hold letters, digits and hyphens only, so LIKE needs no escaping.
    folded = func.lower(MediaTrack.locale)
    return [or_(folded == bindparam("locale"), folded.like(bindparam("locale_prefix")))]


def _caption_tracks(by_locale: bool, owners: Any) -> Select[Any]:
    """The caption tracks of the media objects of ``owners`` (a CTE of already scoped media
    objects: ``id``, ``attachment_id``), each with its summary for the profile, ranked per
    media object: the best first (meets the profile, then fewest errors, highest coverage,
    fewest warnings; then locale and id, for a stable choice)."""
    summary = CaptionSummary
    rank = func.row_number().over(
        partition_by=MediaTrack.media_object_id,
        order_by=(
            case((summary.meets_profile.is_(True), 0), else_=1),
            case((summary.errors.is_(None), 1), else_=0),
            summary.errors,
            case((summary.coverage.is_(None), 1), else_=0),
            summary.coverage.desc(),
            case((summary.warnings.is_(None), 1), else_=0),
            summary.warnings,
            MediaTrack.locale,
            MediaTrack.id,
        ),
    )
    return (
        select(
            MediaTrack.media_object_id.label("media_object_id"),
            MediaTrack.id.label("track_id"),
            MediaTrack.locale.label("locale"),
            MediaTrack.kind.label("kind"),
            summary.errors.label("errors"),
            summary.warnings.label("warnings"),
            summary.coverage.label("coverage"),
            summary.meets_profile.label("meets_profile"),
            summary.automatic.label("automatic"),
            rank.label("rank"),
        )
        .join(owners, owners.c.id == MediaTrack.media_object_id)
        .outerjoin(
            summary,
            and_(summary.track_id == MediaTrack.id, summary.profile == bindparam("profile")),
        )
        .where(
            _visible_on_media_object(owners.c.attachment_id),
            MediaTrack.kind.in_(CAPTION_KINDS),
            _has_cues(summary),
            *_locale_matches(by_locale),
        )
    )


def _status(best: Any) -> ColumnElement[str]:
    return case(
        (best.c.track_id.is_(None), literal("missing")),
        (best.c.meets_profile.is_(True), literal("passing")),
        else_=literal("failing"),
    )


def _status_rank(best: Any) -> ColumnElement[int]:
    return case(
        (best.c.track_id.is_(None), 0),
        (best.c.meets_profile.is_(True), 2),
        else_=1,
    )


def _nulls_last(column: Any, descending: bool) -> list[ColumnElement[Any]]:
    # Unknown values (no duration yet, no summary) last in both directions, on both databases.
    return [
        case((column.is_(None), 1), else_=0),
        column.desc() if descending else column.asc(),
    ]


def _order(sort: str, descending: bool, best: Any | None) -> list[ColumnElement[Any]]:
    """The row order; ``best`` None for the sorts by a media object column alone."""
    keys: list[ColumnElement[Any]]
    if sort == "title":
        key = MediaObject.title_sort_key
        keys = [key.desc().nulls_first() if descending else key.asc().nulls_last()]
    elif sort == "created_at":
        keys = [MediaObject.created_at.desc() if descending else MediaObject.created_at.asc()]
    elif sort == "duration":
        keys = _nulls_last(MediaObject.duration, descending)
    elif best is None:
        raise ValueError(f"sorting by {sort} needs the best tracks")
    elif sort == "coverage":
        keys = _nulls_last(best.c.coverage, descending)
    elif sort == "errors":
        keys = _nulls_last(best.c.errors, descending)
    else:  # status: missing, failing, passing
        rank = _status_rank(best)
        keys = [rank.desc() if descending else rank.asc()]
    if sort != "title":
        # Rows of one status (or one duration) in title order, as the media list shows them.
        keys.append(MediaObject.title_sort_key.asc().nulls_last())
    keys.append(MediaObject.id.desc() if descending else MediaObject.id.asc())
    return keys


# Sorts by a column of the media object: without a status filter, the page can be chosen
# before any track is looked at, and only the page's media objects get their best track.
MEDIA_SORTS = frozenset({"title", "created_at", "duration"})


def _report_stmt(
    *, locale: str | None, statuses: Sequence[str], sort: str, descending: bool
) -> Select[Any]:
    return _report_stmt_of_shape(locale is not None, tuple(statuses), sort, descending)


def _row_columns(best: Any) -> tuple[Any, ...]:
    return (
        MediaObject.id,
        MediaObject.media_id,
        MediaObject.title,
        MediaObject.user_entered_title,
        MediaObject.media_type,
        MediaObject.duration,
        MediaObject.processing_state,
        MediaObject.created_at,
        best.c.track_id,
        best.c.locale,
        best.c.kind,
        best.c.errors,
        best.c.warnings,
        best.c.coverage,
        best.c.meets_profile,
        _status(best).label("status"),
        best.c.automatic,
    )


@cache
def _paged_stmt(by_locale: bool, sort: str, descending: bool) -> Select[Any]:
    """A page sorted by a media object column, every status: the page's ids and the total
    are chosen over the media objects alone (as the media list does), then only those media
    objects' tracks are ranked. The page is a CTE used twice, which both databases compute
    once."""
    page = (
        select(
            MediaObject.id.label("id"),
            MediaObject.attachment_id.label("attachment_id"),
            func.count().over().label("total"),
        )
        .where(*media_repo.listed_conditions(True))
        .order_by(*_order(sort, descending, None))
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .cte("page")
    )
    best = _caption_tracks(by_locale, page).subquery("best")
    return (
        select(*_row_columns(best), page.c.total)
        .select_from(page)
        .join(MediaObject, MediaObject.id == page.c.id)
        .outerjoin(best, and_(best.c.media_object_id == MediaObject.id, best.c.rank == 1))
        .order_by(*_order(sort, descending, best))
    )


# Built once per shape (the locale is a bound parameter): building this SELECT costs more than
# running it on a course of a hundred media objects.
@cache
def _report_stmt_of_shape(
    by_locale: bool, statuses: tuple[str, ...], sort: str, descending: bool
) -> Select[Any]:
    # The scope is a CTE read twice (the tracks to rank, the rows), which both databases
    # compute once.
    scope = (
        select(MediaObject.id.label("id"), MediaObject.attachment_id.label("attachment_id"))
        .where(*media_repo.listed_conditions(True))
        .cte("scope")
    )
    best = _caption_tracks(by_locale, scope).subquery("best")
    status = _status(best)
    stmt = (
        select(*_row_columns(best), func.count().over().label("total"))
        .select_from(scope)
        .join(MediaObject, MediaObject.id == scope.c.id)
        .outerjoin(best, and_(best.c.media_object_id == MediaObject.id, best.c.rank == 1))
    )
    if len(statuses) < len(STATUSES):
        stmt = stmt.where(status.in_(list(statuses)))
    return stmt.order_by(*_order(sort, descending, best))


def _params(context_type: str, context_id: int, profile: str, locale: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "context_type": context_type,
        "context_id": context_id,
        "profile": profile,
    }
    if locale is not None:
        params["locale"] = locale.lower()
        params["locale_prefix"] = locale.lower() + "-%"
    return params


def report_rows(
    session: Session,
    *,
    context_type: str,
    context_id: int,
    profile: str,
    locale: str | None,
    statuses: Sequence[str],
    sort: str,
    descending: bool,
    limit: int | None,
    offset: int,
) -> tuple[list[ReportRow], int | None]:
    """The report's rows in order (``limit`` None: all of them) and how many rows the report
    has (None when this page is empty)."""
    params = _params(context_type, context_id, profile, locale)
    if limit is not None and sort in MEDIA_SORTS and len(statuses) == len(STATUSES):
        stmt = _paged_stmt(locale is not None, sort, descending)
        params["limit"], params["offset"] = limit, offset
    else:
        stmt = _report_stmt(locale=locale, statuses=statuses, sort=sort, descending=descending)
        if limit is not None:
            stmt = stmt.limit(bindparam("limit")).offset(bindparam("offset"))
            params["limit"], params["offset"] = limit, offset
    rows = column_rows(session, stmt, params)
    total = int(rows[0][-1]) if rows else None
    return [ReportRow(*row[:-1]) for row in rows], total


def count_report_rows(
    session: Session,
    *,
    context_type: str,
    context_id: int,
    profile: str,
    locale: str | None,
    statuses: Sequence[str],
) -> int:
    inner = _report_stmt(locale=locale, statuses=statuses, sort="title", descending=False)
    stmt = select(func.count()).select_from(inner.subquery())
    params = _params(context_type, context_id, profile, locale)
    return int(session.scalar(stmt, params) or 0)


_LABELS = (
    select(
        MediaTrack.media_object_id,
        MediaTrack.locale,
        MediaTrack.kind,
        func.coalesce(CaptionSummary.automatic, False),
    )
    .join(MediaObject, MediaObject.id == MediaTrack.media_object_id)
    .outerjoin(
        CaptionSummary,
        and_(
            CaptionSummary.track_id == MediaTrack.id,
            CaptionSummary.profile == bindparam("profile"),
        ),
    )
    .where(_visible_on_media_object(), _has_cues(CaptionSummary))
    .order_by(MediaTrack.locale, MediaTrack.id)
)
_LABELS_OF_MANY = _LABELS.where(MediaTrack.media_object_id.in_(bindparam("ids", expanding=True)))
_LABELS_OF_SCOPE = _LABELS.where(*media_repo.listed_conditions(True))


def track_labels(
    session: Session,
    *,
    context_type: str,
    context_id: int,
    profile: str,
    media_object_ids: Iterable[int] | None,
) -> list[TrackLabel]:
    """Locale, kind and maker of every track the media list shows for the scope's media
    objects (``media_object_ids`` None: all of them) but those with no cues yet (automatic
    tracks being made, or whose making failed), ordered by locale. ``profile``: the
    summaries read (any would do: they agree on cues and maker)."""
    if media_object_ids is None:
        stmt = _LABELS_OF_SCOPE
        params: dict[str, Any] = {"context_type": context_type, "context_id": context_id}
    else:
        # The ids come from the scoped report: no need to apply the scope again.
        stmt = _LABELS_OF_MANY
        params = {"ids": list(media_object_ids)}
        if not params["ids"]:
            return []
    params["profile"] = profile
    return [
        TrackLabel(int(row[0]), str(row[1]), str(row[2]), bool(row[3]))
        for row in column_rows(session, stmt, params)
    ]


_STATUSES_OF_MANY_OWNERS = (
    select(MediaObject.id.label("id"), MediaObject.attachment_id.label("attachment_id"))
    .where(MediaObject.id.in_(bindparam("ids", expanding=True)))
    .cte("owners")
)
_STATUSES_OF_MANY_BEST = _caption_tracks(False, _STATUSES_OF_MANY_OWNERS).subquery("best")
_STATUSES_OF_MANY = (
    select(_STATUSES_OF_MANY_OWNERS.c.id, _status(_STATUSES_OF_MANY_BEST))
    .select_from(_STATUSES_OF_MANY_OWNERS)
    .outerjoin(
        _STATUSES_OF_MANY_BEST,
        and_(
            _STATUSES_OF_MANY_BEST.c.media_object_id == _STATUSES_OF_MANY_OWNERS.c.id,
            _STATUSES_OF_MANY_BEST.c.rank == 1,
        ),
    )
)


def statuses_of(session: Session, media_object_ids: Iterable[int], profile: str) -> dict[int, str]:
    """The report's status (missing, failing, passing) of each media object, judged by
    ``profile`` exactly as a report row is (its best caption track). The ids come from an
    already scoped list (a page of the media list): no scope is applied here."""
    ids = list(media_object_ids)
    if not ids:
        return {}
    rows = column_rows(session, _STATUSES_OF_MANY, {"ids": ids, "profile": profile})
    return {int(row[0]): str(row[1]) for row in rows}


# ---- the account report -----------------------------------------------------------------------


@dataclass(frozen=True)
class CourseRow:
    course_id: int
    course_name: str
    media_count: int
    captioned_count: int
    passing_count: int
    duration: float
    captioned_duration: float


def _course_media() -> Subquery:
    """(course, media object) for every media object a course lists, as its media list shows
    it to the course's teachers (hidden and locked files included)."""
    return (
        select(
            Attachment.context_id.label("course_id"),
            MediaObject.id.label("media_object_id"),
            MediaObject.duration.label("duration"),
        )
        .join(MediaObject, MediaObject.media_id == Attachment.media_entry_id)
        .where(
            Attachment.context_type == "Course",
            Attachment.workflow_state != "deleted",
            MediaObject.workflow_state != "deleted",
        )
        .distinct()
        .subquery("media")
    )


def _media_flags(by_locale: bool) -> Subquery:
    """Per media object with caption tracks: whether one of them meets the profile."""
    passing = func.max(case((CaptionSummary.meets_profile.is_(True), 1), else_=0))
    return (
        select(MediaTrack.media_object_id.label("media_object_id"), passing.label("passing"))
        .join(MediaObject, MediaObject.id == MediaTrack.media_object_id)
        .outerjoin(
            CaptionSummary,
            and_(
                CaptionSummary.track_id == MediaTrack.id,
                CaptionSummary.profile == bindparam("profile"),
            ),
        )
        .where(
            _visible_on_media_object(),
            MediaTrack.kind.in_(CAPTION_KINDS),
            _has_cues(CaptionSummary),
            *_locale_matches(by_locale),
        )
        .group_by(MediaTrack.media_object_id)
        .subquery("flags")
    )


def course_rows(
    session: Session, *, profile: str, locale: str | None, limit: int | None, offset: int
) -> tuple[list[CourseRow], int | None]:
    """One row per course that is not deleted, by name (then id), with its media counts and
    durations; and the number of courses (None when this page is empty)."""
    media = _course_media()
    flags = _media_flags(locale is not None)
    captioned = case((flags.c.media_object_id.is_not(None), 1), else_=0)
    stmt = (
        select(
            Course.id,
            Course.name,
            func.count(media.c.media_object_id),
            func.coalesce(func.sum(captioned), 0),
            func.coalesce(func.sum(flags.c.passing), 0),
            func.coalesce(func.sum(media.c.duration), 0.0),
            func.coalesce(
                func.sum(case((flags.c.media_object_id.is_not(None), media.c.duration))), 0.0
            ),
            func.count().over(),
        )
        .outerjoin(media, media.c.course_id == Course.id)
        .outerjoin(flags, flags.c.media_object_id == media.c.media_object_id)
        .where(Course.workflow_state != "deleted")
        .group_by(Course.id, Course.name)
        .order_by(Course.name, Course.id)
    )
    params: dict[str, Any] = {"profile": profile}
    if locale is not None:
        params["locale"] = locale.lower()
        params["locale_prefix"] = locale.lower() + "-%"
    if limit is not None:
        stmt = stmt.limit(bindparam("limit")).offset(bindparam("offset"))
        params["limit"], params["offset"] = limit, offset
    rows = column_rows(session, stmt, params)
    total = int(rows[0][-1]) if rows else None
    return [
        CourseRow(
            course_id=int(r[0]),
            course_name=str(r[1]),
            media_count=int(r[2]),
            captioned_count=int(r[3]),
            passing_count=int(r[4]),
            duration=float(r[5]),
            captioned_duration=float(r[6]),
        )
        for r in rows
    ], total


def count_courses(session: Session) -> int:
    stmt = select(func.count()).select_from(Course).where(Course.workflow_state != "deleted")
    return int(session.scalar(stmt) or 0)
