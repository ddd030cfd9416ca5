"""The browser pages: Home ``/`` and the media libraries of a course, a group and the user
(``/courses/:id/media``, ``/groups/:id/media``, ``/users/self/media``). They call the very
services the API's media list and caption report call (``media_objects.listing``,
``caption_reports.service``): what a page shows is what the API would answer the same user.

Not signed in: 303 to /login. A domain error (403, 404, a 400 for a bad search) is an HTML
page with the same status."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from mediaobjects.accounts import access
from mediaobjects.accounts import service as accounts
from mediaobjects.accounts.permissions import Context
from mediaobjects.accounts.principal import Principal
from mediaobjects.caption_reports import service as reports
from mediaobjects.captions import locale_label
from mediaobjects.errors import Forbidden, MediaObjectsError
from mediaobjects.files import uploads
from mediaobjects.http.deps import Ctx, DbSession
from mediaobjects.http.urls import Urls
from mediaobjects.media_objects import listing, schemas
from mediaobjects.media_objects import service as media
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks import service as tracks
from mediaobjects.web.session import csrf_token, login_redirect, web_principal
from mediaobjects.web.templating import page_headers, render

router = APIRouter(include_in_schema=False)

PER_PAGE = 24
HOME_MEDIA = 8
SORTS = {
    "title": ("Title (A to Z)", "title", "asc"),
    "title_desc": ("Title (Z to A)", "title", "desc"),
    "newest": ("Newest first", "created_at", "desc"),
    "oldest": ("Oldest first", "created_at", "asc"),
}
STATUS_LABELS = {
    "missing": "Captions missing",
    "failing": "Captions need work",
    "passing": "Captions pass",
}
STATE_LABELS = {
    "pending": "Waiting",
    "processing": "Processing",
    "ready": "Ready",
    "failed": "Failed",
}


@dataclass(frozen=True)
class ListRequest:
    """A media list page's query (``sort_by``, ``search_term``, ``page``) as the listing
    service's parameters."""

    sort_key: str
    search: str
    pairs: list[tuple[str, str]]


def list_request(params: Mapping[str, str], default_sort: str, per_page: int) -> ListRequest:
    sort_key = params.get("sort_by", default_sort)
    if sort_key not in SORTS:
        sort_key = default_sort
    search = params.get("search_term", "").strip()
    _, sort, order = SORTS[sort_key]
    pairs = [("sort", sort), ("order", order), ("per_page", str(per_page))]
    if search:
        pairs.append(("search_term", search))
    if params.get("page"):
        pairs.append(("page", params["page"]))
    return ListRequest(sort_key, search, pairs)


def media_page_path(media_id: str) -> str:
    """The media page of a media object (``web.media_page``)."""
    return "/media_objects/" + quote(media_id, safe="")


@dataclass(frozen=True)
class Item:
    """One media object as a library card shows it."""

    media_id: str
    title: str
    duration: str | None
    processing_state: str
    state_label: str
    locales: list[str]
    thumbnail: str | None
    player_url: str
    created_at: str
    status: str | None
    status_label: str | None


def duration_text(seconds: float | None) -> str | None:
    """``1:02:03`` or ``2:03``; None when not known yet."""
    if seconds is None:
        return None
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _card_link(session: Session, principal: Principal, urls: Urls, mo: MediaObject) -> str:
    """The media page for those who may read the media object; the people of a course that
    holds a copy of the file read the copy, not the media object's default file, and the media
    page would refuse them (403): their card opens the player (embed verifier), as before."""
    if media.can_read(session, principal, mo):
        return media_page_path(mo.media_id)
    return urls.media_object_iframe(mo.media_id)


def media_cards(
    session: Session,
    principal: Principal,
    urls: Urls,
    context: Context | None,
    media: list[MediaObject],
) -> list[Item]:
    page_tracks = tracks.visible_tracks_of_many(session, media)
    statuses = reports.statuses_of(session, principal, context, [m.id for m in media])
    out = []
    for mo in media:
        locales = sorted({locale_label(t.locale) for t in page_tracks[mo.id]})
        status = statuses.get(mo.id) if statuses is not None else None
        out.append(
            Item(
                media_id=mo.media_id,
                title=schemas.display_title(mo),
                duration=duration_text(mo.duration),
                processing_state=mo.processing_state,
                state_label=STATE_LABELS.get(mo.processing_state, mo.processing_state),
                locales=locales,
                thumbnail=urls.media_object_thumbnail(mo.media_id, 320, 180)
                if mo.poster_key
                else None,
                player_url=_card_link(session, principal, urls, mo),
                created_at=mo.created_at.strftime("%Y-%m-%d"),
                status=status,
                status_label=STATUS_LABELS.get(status) if status is not None else None,
            )
        )
    return out


def _headers(urls: Urls, request: Request, *, frame_self: bool = False) -> dict[str, str]:
    origin = urlsplit(urls.base)
    own = f"{request.url.scheme}://{request.url.netloc}"
    base = f"{origin.scheme}://{origin.netloc}"
    return page_headers(() if base == own else (base,), frame_self=frame_self)


def _page(
    request: Request,
    template: str,
    status_code: int = 200,
    *,
    frame_self: bool = False,
    **values: object,
) -> HTMLResponse:
    ctx = request.app.state.ctx
    urls = Urls(request, ctx)
    values.setdefault("active", "")
    # Every page: the session's token in <meta name="csrf-token"> for its scripts' API calls
    # (X-CSRF-Token) and in the header's sign-out form.
    values.setdefault("csrf", csrf_token(request))
    return HTMLResponse(
        render(template, **values),
        status_code=status_code,
        headers=_headers(urls, request, frame_self=frame_self),
    )


def _error(request: Request, principal: Principal | None, exc: MediaObjectsError) -> Response:
    titles = {400: "Check your search", 403: "Not allowed", 404: "Not found"}
    return _page(
        request,
        "error.html",
        status_code=exc.status_code,
        principal=principal,
        title=titles.get(exc.status_code, "Something went wrong"),
        message=exc.message if exc.status_code == 400 else None,
    )


@router.get("/")
def home(request: Request, ctx: Ctx, session: DbSession) -> Response:
    principal = web_principal(request)
    if principal is None:
        return login_redirect(request)
    urls = Urls(request, ctx)
    places = accounts.memberships(session, principal)
    own = listing.list_media_objects(
        session,
        principal,
        context=None,
        query=listing.ListQuery(sort="created_at", order="desc", per_page=HOME_MEDIA),
    )
    return _page(
        request,
        "home.html",
        active="home",
        principal=principal,
        title="Home",
        courses=[p for p in places if p.type == "Course"],
        groups=[p for p in places if p.type == "Group"],
        items=media_cards(session, principal, urls, None, own.items),
        total=own.total,
    )


def _library(
    request: Request,
    ctx: Ctx,
    session: Session,
    context_type: Literal["Course", "Group"] | None,
    ref: str | None,
) -> Response:
    principal = web_principal(request)
    if principal is None:
        return login_redirect(request)
    params = request.query_params
    view = "list" if params.get("view") == "list" else "grid"
    asked = list_request(params, "title", PER_PAGE)
    sort_key, search, pairs = asked.sort_key, asked.search, asked.pairs
    try:
        context = None
        heading = "My media"
        if context_type is not None and ref is not None:
            context = access.load_context(session, context_type, ref, principal)
        query = listing.parse_list_query(pairs)
        page = listing.list_media_objects(session, principal, context=context, query=query)
        if context is not None and ref is not None:
            # Found by load_context just now; the list above has checked read_contents.
            place = access.load_course if context.type == "Course" else access.load_group
            heading = place(session, ref).name
    except MediaObjectsError as exc:
        return _error(request, principal, exc)
    urls = Urls(request, ctx)
    pages = max(1, math.ceil(page.total / page.per_page))
    # The upload form only for those the upload API accepts (students see none).
    upload_path = None
    try:
        if context is None:
            uploads.authorize_upload(session, principal, "User", "self")
            upload_path = "/api/v1/users/self/files"
        else:
            uploads.authorize_upload(session, principal, context.type, str(context.id))
            upload_path = f"/api/v1/{context.type.lower()}s/{context.id}/files"
    except Forbidden:
        pass

    def link(**changes: str | int | None) -> str:
        current: dict[str, str | int | None] = {
            "search_term": search or None,
            "sort_by": sort_key if sort_key != "title" else None,
            "view": view if view != "grid" else None,
            "page": page.page if page.page != 1 else None,
        }
        current.update(changes)
        query = urlencode({k: v for k, v in current.items() if v is not None})
        return request.url.path + (f"?{query}" if query else "")

    return _page(
        request,
        "library.html",
        active="own" if context is None else "",
        principal=principal,
        title=heading,
        heading=heading,
        items=media_cards(session, principal, urls, context, page.items),
        total=page.total,
        page=page.page,
        pages=pages,
        search=search,
        sort_key=sort_key,
        sorts=SORTS,
        view=view,
        link=link,
        upload_path=upload_path,
    )


@router.get("/courses/{course_id}/media")
def course_library(course_id: str, request: Request, ctx: Ctx, session: DbSession) -> Response:
    return _library(request, ctx, session, "Course", course_id)


@router.get("/groups/{group_id}/media")
def group_library(group_id: str, request: Request, ctx: Ctx, session: DbSession) -> Response:
    return _library(request, ctx, session, "Group", group_id)


@router.get("/users/self/media")
def own_library(request: Request, ctx: Ctx, session: DbSession) -> Response:
    return _library(request, ctx, session, None, None)
