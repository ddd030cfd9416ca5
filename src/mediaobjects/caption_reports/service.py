"""Rules of the caption reports: who may read them, the query parameters (profile, locale,
status filter, sort, pagination) with their 400s, and the rows, read from the stored summaries
in one query for a page (and one for the page's locales and kinds).

The course report lists exactly the media the course's media list shows a caller who manages
the course's files (hidden and locked files included); the account report is for site
admins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from mediaobjects.accounts import access, authentication
from mediaobjects.accounts.permissions import MANAGE_FILES_EDIT, Context
from mediaobjects.accounts.principal import Principal
from mediaobjects.caption_reports import repository as repo
from mediaobjects.caption_reports.repository import STATUSES, CourseRow, ReportRow, SummaryValues
from mediaobjects.captions import LocaleError, normalise_locale
from mediaobjects.captions.quality import PROFILE_NAMES
from mediaobjects.errors import BadRequest, Forbidden
from mediaobjects.media_objects import listing

Sort = Literal["title", "duration", "coverage", "errors", "status", "created_at"]
SORTS: tuple[Sort, ...] = ("title", "duration", "coverage", "errors", "status", "created_at")
DEFAULT_PROFILE = "default"
MAX_OFFSET = listing.MAX_OFFSET


@dataclass(frozen=True)
class ReportQuery:
    profile: str = DEFAULT_PROFILE
    locale: str | None = None
    statuses: tuple[str, ...] = STATUSES
    sort: Sort = "title"
    descending: bool = False
    page: int = 1
    per_page: int = listing.DEFAULT_PER_PAGE


@dataclass(frozen=True)
class ReportEntry:
    """One media object's row: the numbers are those of its best caption track (see
    ``repository._caption_tracks``); ``track_*`` name that track. ``locales``, ``kinds`` and
    ``sources`` (``asr``: made by speech recognition, ``human``: written by a person) are
    those of its tracks with cues."""

    row: ReportRow
    locales: list[str]
    kinds: list[str]
    sources: list[str]


@dataclass(frozen=True)
class ReportPage:
    entries: list[ReportEntry]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class CoursePage:
    rows: list[CourseRow]
    total: int
    page: int
    per_page: int


def _last(pairs: list[tuple[str, str]], name: str) -> str | None:
    found: str | None = None
    for key, value in pairs:
        if key == name:
            found = value
    return found


def _profile(pairs: list[tuple[str, str]]) -> str:
    raw = _last(pairs, "profile")
    if raw is None or raw == "":
        return DEFAULT_PROFILE
    if raw not in PROFILE_NAMES:
        raise BadRequest.for_field(
            "profile", "profile must be one of " + ", ".join(PROFILE_NAMES), "inclusion"
        )
    return raw


def _locale(pairs: list[tuple[str, str]]) -> str | None:
    raw = _last(pairs, "locale")
    if raw is None or raw == "":
        return None
    try:
        return normalise_locale(raw)
    except LocaleError as exc:
        raise BadRequest.for_field("locale", exc.message) from exc


def _statuses(values: Iterable[str]) -> tuple[str, ...]:
    # None given: every status.
    asked = set(values)
    unknown = asked - set(STATUSES)
    if unknown:
        raise BadRequest.for_field(
            "status", "status must be one of " + ", ".join(STATUSES), "inclusion"
        )
    return tuple(s for s in STATUSES if s in asked) or STATUSES


def _sort(pairs: list[tuple[str, str]]) -> tuple[Sort, bool]:
    raw = _last(pairs, "sort")
    sort: Sort = "title"
    if raw is not None and raw != "":
        if raw not in SORTS:
            raise BadRequest.for_field("sort", "sort must be one of " + ", ".join(SORTS))
        sort = SORTS[SORTS.index(raw)]
    order = _last(pairs, "order")
    if order not in (None, "", "asc", "desc"):
        raise BadRequest.for_field("order", "order must be asc or desc")
    return sort, order == "desc"


def parse_report_query(pairs: Iterable[tuple[str, str]], statuses: Iterable[str]) -> ReportQuery:
    """The report parameters of a request (its decoded query pairs; ``statuses`` the values
    of its array parameter ``status``), or a 400 naming the field; ``page`` and ``per_page``
    as the media list reads them."""
    pairs = list(pairs)
    sort, descending = _sort(pairs)
    page, per_page = listing.parse_page(pairs)
    return ReportQuery(
        profile=_profile(pairs),
        locale=_locale(pairs),
        statuses=_statuses(statuses),
        sort=sort,
        descending=descending,
        page=page,
        per_page=per_page,
    )


def parse_account_query(pairs: Iterable[tuple[str, str]]) -> ReportQuery:
    """The account report's parameters: ``profile``, ``locale``, ``page``, ``per_page``."""
    pairs = list(pairs)
    page, per_page = listing.parse_page(pairs)
    return ReportQuery(profile=_profile(pairs), locale=_locale(pairs), page=page, per_page=per_page)


def authorize_course_report(session: Session, principal: Principal, context: Context) -> None:
    """Those who manage the course's files (teachers, TAs, designers, site admins) may read
    its caption report; anyone else enrolled or not gets 403, nobody 401."""
    authentication.require_user(principal)
    if MANAGE_FILES_EDIT not in access.permissions_in(session, principal, context):
        raise Forbidden()


def authorize_account_report(principal: Principal) -> None:
    authentication.require_site_admin(principal)


def _entries(
    session: Session,
    context: Context,
    rows: list[ReportRow],
    *,
    profile: str,
    whole_scope: bool,
) -> list[ReportEntry]:
    ids = None if whole_scope else [row.id for row in rows]
    labels = repo.track_labels(
        session,
        context_type=context.type,
        context_id=context.id,
        profile=profile,
        media_object_ids=ids,
    )
    locales: dict[int, list[str]] = {}
    kinds: dict[int, list[str]] = {}
    sources: dict[int, list[str]] = {}
    for label in labels:
        found = locales.setdefault(label.media_object_id, [])
        if label.locale not in found:
            found.append(label.locale)
        kinds.setdefault(label.media_object_id, []).append(label.kind)
        sources.setdefault(label.media_object_id, []).append("asr" if label.automatic else "human")
    return [
        ReportEntry(
            row=row,
            locales=locales.get(row.id, []),
            kinds=sorted(set(kinds.get(row.id, []))),
            sources=sorted(set(sources.get(row.id, []))),
        )
        for row in rows
    ]


def course_report(
    session: Session, principal: Principal, context: Context, query: ReportQuery
) -> ReportPage:
    """One page of the course's caption report."""
    authorize_course_report(session, principal, context)
    offset = (query.page - 1) * query.per_page
    if offset > MAX_OFFSET:
        total = _count(session, context, query)
        return ReportPage([], total, query.page, query.per_page)
    rows, counted = repo.report_rows(
        session,
        context_type=context.type,
        context_id=context.id,
        profile=query.profile,
        locale=query.locale,
        statuses=query.statuses,
        sort=query.sort,
        descending=query.descending,
        limit=query.per_page,
        offset=offset,
    )
    total = counted if counted is not None else _count(session, context, query)
    entries = _entries(session, context, rows, profile=query.profile, whole_scope=False)
    return ReportPage(entries, total, query.page, query.per_page)


def whole_course_report(
    session: Session, principal: Principal, context: Context, query: ReportQuery
) -> list[ReportEntry]:
    """Every row of the course's caption report (for CSV: a spreadsheet wants them all),
    in two queries whatever the course's size; ``page`` and ``per_page`` are ignored."""
    authorize_course_report(session, principal, context)
    rows, _total = repo.report_rows(
        session,
        context_type=context.type,
        context_id=context.id,
        profile=query.profile,
        locale=query.locale,
        statuses=query.statuses,
        sort=query.sort,
        descending=query.descending,
        limit=None,
        offset=0,
    )
    return _entries(session, context, rows, profile=query.profile, whole_scope=True)


def _count(session: Session, context: Context, query: ReportQuery) -> int:
    return repo.count_report_rows(
        session,
        context_type=context.type,
        context_id=context.id,
        profile=query.profile,
        locale=query.locale,
        statuses=query.statuses,
    )


def account_report(
    session: Session, principal: Principal, query: ReportQuery, *, whole: bool = False
) -> CoursePage:
    """One row per course (by name): its media, how many have captions, how many pass the
    profile, and their durations. ``whole``: every course (CSV)."""
    authorize_account_report(principal)
    offset = (query.page - 1) * query.per_page
    if not whole and offset > MAX_OFFSET:
        return CoursePage([], repo.count_courses(session), query.page, query.per_page)
    rows, counted = repo.course_rows(
        session,
        profile=query.profile,
        locale=query.locale,
        limit=None if whole else query.per_page,
        offset=0 if whole else offset,
    )
    total = counted if counted is not None else repo.count_courses(session)
    return CoursePage(rows, total, query.page, query.per_page)


def may_read_statuses(session: Session, principal: Principal, context: Context | None) -> bool:
    """Whether the caller may see the report's caption status of the media listed in
    ``context``: those who may read its caption report (``authorize_course_report``), and, for
    their own media (no context), the user themselves."""
    if principal.user is None:
        return False
    if context is None:
        return True
    return MANAGE_FILES_EDIT in access.permissions_in(session, principal, context)


def statuses_of(
    session: Session,
    principal: Principal,
    context: Context | None,
    media_object_ids: Iterable[int],
    *,
    profile: str = DEFAULT_PROFILE,
) -> dict[int, str] | None:
    """The caption status (missing, failing, passing) of each of these media objects (a page
    of the media list of ``context``, None: the caller's own) as the caption report would show
    it, or None when the caller may not read the report there."""
    if not may_read_statuses(session, principal, context):
        return None
    return repo.statuses_of(session, media_object_ids, profile)


# A track's numbers against one profile (cues, errors, warnings, coverage, meets_profile).
TrackSummary = SummaryValues


def track_summaries(
    session: Session, track_ids: Iterable[int], *, profile: str = DEFAULT_PROFILE
) -> dict[int, TrackSummary]:
    """The stored quality summary (what the caption report counts) of each of these tracks
    against ``profile``; absent for a track not summarised yet. No access check: for pages
    whose caller may read these tracks (as the quality API asks)."""
    return repo.summaries_of_tracks(session, list(track_ids), profile)
