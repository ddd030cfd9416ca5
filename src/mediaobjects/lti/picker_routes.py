"""The deep-link picker, shown in the LMS's iframe after a deep-linking launch (the editor's
media button, a module link, an assignment): ``GET /lti/deep-link/{launch_id}`` lists the
media the launching user may see (the launch's course, their own, their other courses and
groups), searches titles and pages through them as the library pages do, uploads through the
Canvas upload flow of the library page (static/upload.js), and posts the chosen ``media_id``
fields to ``POST /lti/deep-link/{launch_id}`` (``tool_routes``), which answers the platform.
Cancel posts no media: the platform gets an empty response and closes its dialog.

The page's script calls ``POST /lti/deep-link/{launch_id}/files`` (step one of an upload)
and ``GET /lti/deep-link/{launch_id}/media/{media_id}`` (an upload's processing state) with
the page's picker token in ``X-LTI-Picker-Token`` (``lti.picker`` says why a header); they
answer JSON and Canvas error envelopes, as the API does. The page answers HTML, a refusal
included; it may be framed by any site (no ``frame-ancestors``), and names whose media it
shows, so that nobody is fooled into choosing or uploading as someone else."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from mediaobjects.context import AppContext
from mediaobjects.errors import BadRequest, MediaObjectsError
from mediaobjects.files.routes import start_upload
from mediaobjects.http.body import allow_body
from mediaobjects.http.deps import Ctx, DbSession
from mediaobjects.http.params import read_params
from mediaobjects.http.responses import canvas_json
from mediaobjects.http.urls import Urls
from mediaobjects.lti import deep_linking
from mediaobjects.lti import picker as lti_picker
from mediaobjects.lti.picker import Picker, Place
from mediaobjects.lti.tool_routes import refusal
from mediaobjects.media_objects import listing
from mediaobjects.media_objects.views import media_object_payload
from mediaobjects.web.pages import SORTS, list_request, media_cards
from mediaobjects.web.templating import render

router = APIRouter(include_in_schema=False)

PER_PAGE = 12
DEFAULT_SORT = "newest"


def _headers(urls: Urls, request: Request) -> dict[str, str]:
    # Framed by the LMS (any site: no frame-ancestors). Scripts and styles from /static/ only,
    # no inline script; images, uploads and the script's calls to this service (and to the
    # public URL, when the request came by another name); forms post here only.
    base = urlsplit(urls.base)
    origin = f"{base.scheme}://{base.netloc}"
    same = origin == f"{request.url.scheme}://{request.url.netloc}"
    own = "'self'" if same else f"'self' {origin}"
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'self'; style-src 'self'; img-src {own}; "
            f"connect-src {own}; form-action 'self'; base-uri 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "private, no-store",
    }


def _submit_path(launch_id: str) -> str:
    return f"/lti/deep-link/{quote(launch_id, safe='')}"


def _page(request: Request, ctx: AppContext, launch_id: str) -> Response:
    params = request.query_params
    urls = Urls(request, ctx)
    asked = list_request(params, DEFAULT_SORT, PER_PAGE)
    sort_key, search, pairs = asked.sort_key, asked.search, asked.pairs
    problem = None
    try:
        with ctx.read() as session:
            picker = lti_picker.open_picker(session, launch_id, datetime.now(UTC))
            places = lti_picker.places(session, picker)
            place = lti_picker.choose_place(places, params.get("place"))
            try:
                found = lti_picker.list_media(
                    session, picker, place, listing.parse_list_query(pairs)
                )
            except BadRequest as exc:
                # A search of one letter: said beside the search box, not instead of the page.
                problem = exc.message
                found = listing.Page(items=[], total=0, page=1, per_page=PER_PAGE)
            items = media_cards(session, picker.principal, urls, place.context, found.items)
            target = lti_picker.upload_target(session, picker, place)
    except MediaObjectsError as exc:
        return refusal(exc)
    pages = max(1, math.ceil(found.total / found.per_page))

    def link(**changes: str | int | None) -> str:
        current: dict[str, str | int | None] = {
            "place": place.key if place is not places[0] else None,
            "search_term": search or None,
            "sort_by": sort_key if sort_key != DEFAULT_SORT else None,
            "page": found.page if found.page != 1 else None,
        }
        current.update(changes)
        query = urlencode({k: v for k, v in current.items() if v is not None})
        return _submit_path(launch_id) + (f"?{query}" if query else "")

    base = _submit_path(launch_id)
    html = render(
        "lti_picker.html",
        title="Choose media",
        principal=None,
        csrf="",
        active="",
        user_name=picker.user.name,
        own_only=(deep_linking.LEARNERS_MESSAGE if picker.own_only else None),
        token=lti_picker.token_for(ctx.verifiers, picker),
        submit_path=base,
        multiple=picker.accept_multiple,
        places=places,
        place=place,
        search=search,
        sort_key=sort_key,
        sorts=SORTS,
        problem=problem,
        items=items,
        total=found.total,
        page=found.page,
        pages=pages,
        link=link,
        upload_path=(
            f"{base}/files?{urlencode({'place': place.key})}" if target is not None else None
        ),
        info_path=f"{base}/media/{{media_id}}",
    )
    return HTMLResponse(html, status_code=400 if problem else 200, headers=_headers(urls, request))


@router.get("/lti/deep-link/{launch_id}")
async def deep_link_page(launch_id: str, request: Request, ctx: Ctx) -> Response:
    """The picker. The launch id in the URL is the credential: unguessable, bound to the
    launch's user, expiring with the launch, useless once its choice was sent."""
    return await run_in_threadpool(_page, request, ctx, launch_id)


# ---- the page's script ----------------------------------------------------------------------


def _authorized(ctx: AppContext, request: Request, launch_id: str) -> Picker:
    token = request.headers.get(lti_picker.HEADER)
    with ctx.read() as session:
        return lti_picker.authorize_script(
            session, ctx.verifiers, launch_id, token, datetime.now(UTC)
        )


def _upload_place(ctx: AppContext, picker: Picker, key: str | None) -> Place:
    with ctx.read() as session:
        return lti_picker.choose_place(lti_picker.places(session, picker), key)


@router.post("/lti/deep-link/{launch_id}/files")
async def start_picker_upload(launch_id: str, request: Request, ctx: Ctx) -> Response:
    """Step one of an upload from the picker (query ``place``; form ``name``, ``size``,
    ``content_type`` as the API's ``POST .../files``): the same ticket, for the launch's user,
    into the place shown. Step two is the ticket's signed ``upload_url``, as always."""
    picker = await run_in_threadpool(_authorized, ctx, request, launch_id)
    place = await run_in_threadpool(_upload_place, ctx, picker, request.query_params.get("place"))
    context_type = "User" if place.context is None else place.context.type
    ref = "self" if place.context is None else str(place.context.id)
    allow_body(request)
    params = await read_params(request, ctx.settings.max_request_body_bytes)
    return await run_in_threadpool(
        start_upload, request, ctx, picker.principal, params, context_type, ref
    )


@router.get("/lti/deep-link/{launch_id}/media/{media_id}")
def picker_media(
    launch_id: str, media_id: str, request: Request, ctx: Ctx, session: DbSession
) -> Response:
    """A media the picker follows after uploading it: the media object JSON of
    ``/media_objects/:id/info`` (state, duration, thumbnail), for the launch's user."""
    picker = _authorized(ctx, request, launch_id)
    media_object = lti_picker.media_to_follow(session, picker, media_id)
    payload = media_object_payload(
        session, picker.principal, Urls(request, ctx), media_object, include_sources=False
    )
    return canvas_json(request, payload)
