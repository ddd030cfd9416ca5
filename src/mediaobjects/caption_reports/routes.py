"""Caption report routes: a course's report (one row per media object) and the account's (one
row per course), as JSON pages with Link headers, or as CSV (``Accept: text/csv`` or ``.csv``
on the path) with every row. Thin handlers: parameters in, service call, rows out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from mediaobjects.accounts import access, authentication
from mediaobjects.caption_reports import service as reports
from mediaobjects.caption_reports.repository import STATUSES
from mediaobjects.caption_reports.schemas import (
    ACCOUNT_REPORT_COLUMNS,
    COURSE_REPORT_COLUMNS,
    account_report_json,
    course_report_json,
    csv_lines,
)
from mediaobjects.captions.quality import PROFILE_NAMES
from mediaobjects.errors import NotFound
from mediaobjects.http.arrays import array_param
from mediaobjects.http.deps import CurrentPrincipal, DbSession, QueryParams
from mediaobjects.http.openapi import ERROR_RESPONSES, LINK_HEADER, array_of
from mediaobjects.http.pagination import link_header
from mediaobjects.http.responses import canvas_json
from mediaobjects.http.urls import request_url

router = APIRouter(tags=["caption reports"], responses=ERROR_RESPONSES)

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

# ---- OpenAPI: parameters and rows ------------------------------------------------------------

Profile = Annotated[
    str | None,
    Query(
        description="Quality profile the rows are judged by (default: default)",
        json_schema_extra={"enum": list(PROFILE_NAMES)},
    ),
]
Locale = Annotated[
    str | None,
    # No max_length here: FastAPI would answer before the caller is authorised.
    Query(description="Only tracks of this language (en: en, en-US, en-GB...; en-US: that one)"),
]
Sort = Annotated[
    str | None,
    Query(description="Row order (default title)", json_schema_extra={"enum": list(reports.SORTS)}),
]
Order = Annotated[str | None, Query(json_schema_extra={"enum": ["asc", "desc"]})]
Status = Annotated[
    list[str] | None,
    Query(
        description="Only rows of these statuses (repeatable)",
        json_schema_extra={"items": {"enum": list(STATUSES)}},
    ),
]
Page = Annotated[str | None, Query(description="Page number, from 1 (JSON only)")]
PerPage = Annotated[str | None, Query(description="Rows per page, 1 to 100 (JSON only)")]
AccountRef = Annotated[str, Path(json_schema_extra={"enum": ["self", "1"]})]

_NUMBER_OR_NULL: dict[str, Any] = {"type": ["number", "null"]}
_INT_OR_NULL: dict[str, Any] = {"type": ["integer", "null"], "minimum": 0}
_STR_OR_NULL: dict[str, Any] = {"type": ["string", "null"]}
COURSE_REPORT_ROW: dict[str, Any] = {
    "type": "object",
    "properties": {
        "media_id": {"type": "string"},
        "title": {"type": "string"},
        "media_type": _STR_OR_NULL,
        "duration": _NUMBER_OR_NULL,
        "processing_state": {"enum": ["pending", "processing", "ready", "failed"]},
        "locales": {"type": "array", "items": {"type": "string"}},
        "kinds": {"type": "array", "items": {"type": "string"}},
        "coverage": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "errors": _INT_OR_NULL,
        "warnings": _INT_OR_NULL,
        "meets_profile": {"type": ["boolean", "null"]},
        "status": {"enum": list(STATUSES)},
        "track_id": {"type": ["integer", "null"]},
        "track_locale": _STR_OR_NULL,
        "track_kind": _STR_OR_NULL,
        "created_at": {"type": "string", "format": "date-time"},
        "track_automatic": {"type": ["boolean", "null"]},
        "sources": {"type": "array", "items": {"enum": ["asr", "human"]}},
    },
    "required": list(COURSE_REPORT_COLUMNS),
    "additionalProperties": False,
}
ACCOUNT_REPORT_ROW: dict[str, Any] = {
    "type": "object",
    "properties": {
        "course_id": {"type": "integer"},
        "course_name": {"type": "string"},
        "media_count": {"type": "integer", "minimum": 0},
        "captioned_count": {"type": "integer", "minimum": 0},
        "passing_count": {"type": "integer", "minimum": 0},
        "duration": {"type": "number", "minimum": 0},
        "captioned_duration": {"type": "number", "minimum": 0},
    },
    "required": list(ACCOUNT_REPORT_COLUMNS),
    "additionalProperties": False,
}
_CSV: dict[str, Any] = {"text/csv": {"schema": {"type": "string"}}}
_DISPOSITION: dict[str, Any] = {"Content-Disposition": {"schema": {"type": "string"}}}


def _responses(row: dict[str, Any], *, csv_only: bool) -> dict[int | str, dict[str, Any]]:
    if csv_only:
        return {200: {"description": "Every row, as CSV", "headers": _DISPOSITION, "content": _CSV}}
    link = {"Link": {**LINK_HEADER["Link"], "required": False}}
    return {
        200: {
            "description": "A page of rows (JSON, with a Link header), or with Accept: text/csv "
            "every row as CSV",
            "headers": {**link, **_DISPOSITION},
            "content": {"application/json": {"schema": array_of(row)}, **_CSV},
        }
    }


# ---- helpers ----------------------------------------------------------------------------------


def wants_csv(request: Request) -> bool:
    return "text/csv" in request.headers.get("accept", "").lower()


def _csv_response(
    columns: tuple[str, ...], rows: Iterable[dict[str, Any]], filename: str
) -> Response:
    body: Iterator[bytes] = csv_lines(columns, rows)
    return StreamingResponse(
        body,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# ---- course report ----------------------------------------------------------------------------


def _course_report(
    course_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
    *,
    csv: bool,
) -> Response:
    authentication.require_user(principal)
    context = access.load_context(session, "Course", course_id, principal)
    # Authorised before any parameter is looked at: a student learns nothing from a 400.
    reports.authorize_course_report(session, principal, context)
    query = reports.parse_report_query(params.pairs, array_param(params.pairs, "status"))
    if csv:
        entries = reports.whole_course_report(session, principal, context, query)
        return _csv_response(
            COURSE_REPORT_COLUMNS,
            (course_report_json(entry) for entry in entries),
            f"caption_report_course_{context.id}_{query.profile}.csv",
        )
    page = reports.course_report(session, principal, context, query)
    link = link_header(request_url(request), page.page, page.per_page, page.total)
    body = [course_report_json(entry) for entry in page.entries]
    return canvas_json(request, body, headers={"Link": link})


@router.get(
    "/api/v1/courses/{course_id}/caption_report",
    summary="A course's caption report: one row per media object",
    responses=_responses(COURSE_REPORT_ROW, csv_only=False),
)
def show_course_caption_report(
    course_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
    profile: Profile = None,
    locale: Locale = None,
    sort: Sort = None,
    order: Order = None,
    status: Status = None,
    page: Page = None,
    per_page: PerPage = None,
) -> Response:
    csv = wants_csv(request)
    return _course_report(course_id, request, session, principal, params, csv=csv)


@router.get(
    "/api/v1/courses/{course_id}/caption_report.csv",
    summary="A course's caption report as CSV: every row",
    responses=_responses(COURSE_REPORT_ROW, csv_only=True),
)
def download_course_caption_report(
    course_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
    profile: Profile = None,
    locale: Locale = None,
    sort: Sort = None,
    order: Order = None,
    status: Status = None,
) -> Response:
    return _course_report(course_id, request, session, principal, params, csv=True)


# ---- account report ---------------------------------------------------------------------------


def _account_report(
    account_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
    *,
    csv: bool,
) -> Response:
    reports.authorize_account_report(principal)
    if account_id not in ("self", "1"):
        # There is one root account; Canvas clients address it as "self" or by its id.
        raise NotFound()
    query = reports.parse_account_query(params.pairs)
    if csv:
        whole = reports.account_report(session, principal, query, whole=True)
        return _csv_response(
            ACCOUNT_REPORT_COLUMNS,
            (account_report_json(row) for row in whole.rows),
            f"caption_report_account_{query.profile}.csv",
        )
    page = reports.account_report(session, principal, query)
    link = link_header(request_url(request), page.page, page.per_page, page.total)
    return canvas_json(
        request, [account_report_json(row) for row in page.rows], headers={"Link": link}
    )


@router.get(
    "/api/v1/accounts/{account_id}/caption_report",
    summary="The account's caption report: one row per course",
    responses=_responses(ACCOUNT_REPORT_ROW, csv_only=False),
)
def show_account_caption_report(
    account_id: AccountRef,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
    profile: Profile = None,
    locale: Locale = None,
    page: Page = None,
    per_page: PerPage = None,
) -> Response:
    csv = wants_csv(request)
    return _account_report(account_id, request, session, principal, params, csv=csv)


@router.get(
    "/api/v1/accounts/{account_id}/caption_report.csv",
    summary="The account's caption report as CSV: every course",
    responses=_responses(ACCOUNT_REPORT_ROW, csv_only=True),
)
def download_account_caption_report(
    account_id: AccountRef,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
    profile: Profile = None,
    locale: Locale = None,
) -> Response:
    return _account_report(account_id, request, session, principal, params, csv=True)
