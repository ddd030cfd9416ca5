"""Transcript search routes: the media of a course, a group or the caller's own files whose
captions hold the searched words, with the matching cues. Thin handlers: parameters in,
service call, JSON out."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from mediaobjects.accounts import access, authentication
from mediaobjects.accounts.principal import Principal
from mediaobjects.http.deps import CurrentPrincipal, DbSession, QueryParams
from mediaobjects.http.openapi import ERROR_RESPONSES, paginated
from mediaobjects.http.pagination import link_header
from mediaobjects.http.params import Params
from mediaobjects.http.responses import canvas_json
from mediaobjects.http.urls import request_url
from mediaobjects.media_objects import listing
from mediaobjects.media_objects.schemas import display_title
from mediaobjects.transcripts import service as search
from mediaobjects.transcripts.query import MAX_QUERY_LENGTH, MAX_QUERY_WORDS
from mediaobjects.transcripts.service import MAX_CUES_PER_ROW, SearchPage

router = APIRouter(tags=["transcript search"], responses=ERROR_RESPONSES)

_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
SEARCH_ROW: dict[str, Any] = {
    "type": "object",
    "properties": {
        "media_id": _STR,
        "title": _STR,
        "locale": _STR,
        "kind": _STR,
        "asr": {"type": "boolean"},
        "match_count": _INT,
        "cues": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "start_ms": _INT,
                    "end_ms": _INT,
                    "text": _STR,
                    "highlighted": _STR,
                },
                "required": ["start_ms", "end_ms", "text", "highlighted"],
            },
        },
    },
    "required": ["media_id", "title", "locale", "kind", "asr", "match_count", "cues"],
}

SearchTerms = Annotated[
    str | None,
    Query(
        description=f'The words to find, all in one cue; "quoted phrases" match adjacent '
        f"words. Accents and case are ignored. At most {MAX_QUERY_LENGTH} characters and "
        f"{MAX_QUERY_WORDS} words.",
    ),
]
PageNumber = Annotated[str | None, Query(description="The page to show (default 1).")]
PerPage = Annotated[str | None, Query(description="Rows per page, 1 to 100 (default 10).")]

_RESPONSES = paginated(
    f"A page of tracks with matching cues (at most {MAX_CUES_PER_ROW} cues a row)", SEARCH_ROW
)


def _q(request: Request) -> str | None:
    """The last ``q`` of the query string (Rails keeps the last of repeated keys). Bytes that
    are not UTF-8 become lone surrogates, which the query parser refuses, instead of being
    silently replaced: a search for something else than was asked is worse than a 400."""
    found: str | None = None
    for key, value in parse_qsl(
        request.url.query, keep_blank_values=True, errors="surrogateescape"
    ):
        if key == "q":
            found = value
    return found


def _search(
    request: Request,
    session: Session,
    principal: Principal,
    params: Params,
    context_type: Literal["Course", "Group"] | None,
    context_ref: str | None,
) -> Response:
    authentication.require_user(principal)
    context = None
    if context_type is not None and context_ref is not None:
        context = access.load_context(session, context_type, context_ref, principal)
    page, per_page = listing.parse_page(params.pairs)
    found = search.search_captions(
        session, principal, context=context, q=_q(request), page=page, per_page=per_page
    )
    link = link_header(request_url(request), found.page, found.per_page, found.total)
    return canvas_json(request, _payload(found), headers={"Link": link})


def _payload(found: SearchPage) -> list[dict[str, Any]]:
    return [
        {
            "media_id": row.media_object.media_id,
            "title": display_title(row.media_object),
            "locale": row.locale,
            "kind": row.kind,
            "asr": row.asr,
            "match_count": row.match_count,
            "cues": [
                {
                    "start_ms": cue.start_ms,
                    "end_ms": cue.end_ms,
                    "text": cue.text,
                    "highlighted": cue.highlighted,
                }
                for cue in row.cues
            ],
        }
        for row in found.rows
    ]


@router.get(
    "/api/v1/courses/{course_id}/caption_search",
    summary="Search the captions of a course's media",
    responses=_RESPONSES,
)
def search_course_captions(
    course_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
    q: SearchTerms = None,
    page: PageNumber = None,
    per_page: PerPage = None,
) -> Response:
    return _search(request, session, principal, params, "Course", course_id)


@router.get(
    "/api/v1/groups/{group_id}/caption_search",
    summary="Search the captions of a group's media",
    responses=_RESPONSES,
)
def search_group_captions(
    group_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
    q: SearchTerms = None,
    page: PageNumber = None,
    per_page: PerPage = None,
) -> Response:
    return _search(request, session, principal, params, "Group", group_id)


@router.get(
    "/api/v1/users/self/caption_search",
    summary="Search the captions of the caller's own media",
    responses=_RESPONSES,
)
def search_own_captions(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: QueryParams,
    q: SearchTerms = None,
    page: PageNumber = None,
    per_page: PerPage = None,
) -> Response:
    return _search(request, session, principal, params, None, None)
