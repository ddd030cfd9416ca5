"""Media track routes: the API list and replace (GET/PUT .../media_tracks), the API download
of a track in a caption format (GET .../media_tracks/:id/content), and the non-API create, show
(WebVTT, or a format) and delete routes used by players and the Canvas UI, each for a media
object and for a media attachment. Thin handlers: parameters in, service call, JSON out.
Writes authorise in a decorator dependency before their body is read (``http.deps``)."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import format_datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from mediaobjects.accounts import authentication
from mediaobjects.accounts.principal import Principal
from mediaobjects.captions.formats import FORMAT_NAMES
from mediaobjects.context import AppContext
from mediaobjects.delivery_cache import TrackFacts
from mediaobjects.files.models import Attachment
from mediaobjects.http.arrays import array_param
from mediaobjects.http.body import read_body
from mediaobjects.http.conditional import etag_of, not_modified
from mediaobjects.http.deps import (
    Caller,
    Ctx,
    CurrentPrincipal,
    DbSession,
    LazyPrincipal,
    authorized,
    get_ctx,
)
from mediaobjects.http.downloads import (
    download_disposition,
    without_media_extension,
    written_file,
)
from mediaobjects.http.json_input import loads_body
from mediaobjects.http.limits import limit_track_put
from mediaobjects.http.openapi import (
    ERROR_RESPONSES,
    MEDIA_OBJECT,
    MEDIA_TRACK,
    TOO_MANY_REQUESTS,
    TRACK_DOWNLOAD_RESPONSES,
    WEBVTT_RESPONSES,
    array_of,
    ok,
)
from mediaobjects.http.params import Params, read_params
from mediaobjects.http.request_bodies import (
    MEDIA_ATTACHMENT_TRACKS_LINKS,
    MEDIA_OBJECT_TRACKS_LINKS,
    TRACK_BODY,
    TRACKS_BODY,
    body,
    with_links,
)
from mediaobjects.http.responses import canvas_json
from mediaobjects.http.urls import Urls
from mediaobjects.media_objects import service as media
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_objects.schemas import display_title
from mediaobjects.media_objects.views import media_object_payload
from mediaobjects.media_tracks import downloads
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.schemas import INCLUDABLE, track_json
from mediaobjects.numbers import parse_id
from mediaobjects.verifiers import Route

router = APIRouter(tags=["media tracks"], responses=ERROR_RESPONSES)

# Room for the form fields around one caption's content.
FORM_OVERHEAD = 64 * 1024

CaptionFormatName = Annotated[
    str | None,
    Query(
        description="The caption format to write: one of "
        + ", ".join(FORMAT_NAMES)
        + " (any case; default vtt). Names not available on this server answer 400."
    ),
]


def _include(params_pairs: list[tuple[str, str]]) -> set[str]:
    return {value for value in array_param(params_pairs, "include") if value in INCLUDABLE}


def _list_response(request: Request, views: list[tracks.TrackView], include: set[str]) -> Response:
    return canvas_json(request, [track_json(view.track, include) for view in views])


def _query_pairs(request: Request) -> list[tuple[str, str]]:
    return parse_qsl(request.url.query, keep_blank_values=True)


def _limits(ctx: AppContext) -> tracks.TrackLimits:
    return tracks.TrackLimits(
        max_caption_bytes=ctx.settings.max_caption_bytes,
        max_tracks=ctx.settings.max_tracks_per_media,
    )


def _load(
    session: Session,
    principal: Principal,
    media_object_id: str | None,
    attachment_ref: str | None,
) -> tuple[MediaObject, Attachment | None]:
    if attachment_ref is not None:
        attachment, media_object = media.load_media_attachment(session, principal, attachment_ref)
        return media_object, attachment
    assert media_object_id is not None
    return media.load_media_object(session, principal, media_object_id), None


# ---- API: list and replace ---------------------------------------------------------------------


@router.get(
    "/api/v1/media_objects/{media_object_id}/media_tracks",
    summary="List a media object's tracks",
    responses=ok("The tracks", array_of(MEDIA_TRACK)),
)
def list_media_object_tracks(
    media_object_id: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    authentication.require_user(principal)
    media_object = media.load_media_object(session, principal, media_object_id)
    views = tracks.list_tracks(session, principal, media_object=media_object)
    return _list_response(request, views, _include(_query_pairs(request)))


@router.get(
    "/api/v1/media_attachments/{attachment_id}/media_tracks",
    summary="List a media attachment's tracks",
    responses=ok("The tracks", array_of(MEDIA_TRACK)),
)
def list_media_attachment_tracks(
    attachment_id: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    authentication.require_user(principal)
    attachment, media_object = media.load_media_attachment(session, principal, attachment_id)
    views = tracks.list_tracks(session, principal, media_object=media_object, attachment=attachment)
    return _list_response(request, views, _include(_query_pairs(request)))


async def _tracks_body(request: Request) -> Any:
    """The raw PUT body as JSON, whatever the Content-Type (Canvas reads it raw, and the
    official curl example sends it form-encoded). None for an empty body (D20: refused)."""
    raw = await read_body(request, get_ctx(request).settings.max_tracks_body_bytes)
    if not raw.strip():
        return None
    return loads_body(raw, "The request body (a JSON array of tracks)")


TracksBody = Annotated[Any, Depends(_tracks_body)]


def _may(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    authorize: Callable[..., None],
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> None:
    """Runs ``authorize`` (a tracks service check) on the route's media object or file before
    the body may be read."""

    def check(session: Session) -> None:
        media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
        authorize(session, principal, media_object=media_object, attachment=attachment)

    authorized(request, ctx, check)


def _may_replace(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> None:
    authentication.require_user(principal)
    # Counted per caller before the body is read: parsing captions is the expensive part.
    limit_track_put(ctx, request, principal)
    _may(
        request,
        ctx,
        principal,
        tracks.authorize_replace,
        media_object_id=media_object_id,
        attachment_ref=attachment_ref,
    )


def may_replace_media_object_tracks(
    media_object_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may_replace(request, ctx, principal, media_object_id=media_object_id)


def may_replace_media_attachment_tracks(
    attachment_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may_replace(request, ctx, principal, attachment_ref=attachment_id)


def _replace(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    body: Any,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> Response:
    with ctx.write() as session:
        media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
        views = tracks.replace_tracks(
            session,
            principal,
            body,
            media_object=media_object,
            attachment=attachment,
            limits=_limits(ctx),
            lenient=ctx.settings.captions_lenient,
        )
        return _list_response(request, views, _include(_query_pairs(request)))


@router.put(
    "/api/v1/media_objects/{media_object_id}/media_tracks",
    summary="Replace a media object's tracks",
    responses={
        **with_links(ok("The tracks now", array_of(MEDIA_TRACK)), 200, MEDIA_OBJECT_TRACKS_LINKS),
        **TOO_MANY_REQUESTS,
    },
    dependencies=[Depends(may_replace_media_object_tracks)],
    openapi_extra=body(TRACKS_BODY),
)
def update_media_object_tracks(
    media_object_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    body: TracksBody,
) -> Response:
    return _replace(request, ctx, principal, body, media_object_id=media_object_id)


@router.put(
    "/api/v1/media_attachments/{attachment_id}/media_tracks",
    summary="Replace a media attachment's tracks",
    responses={
        **with_links(
            ok("The tracks now", array_of(MEDIA_TRACK)), 200, MEDIA_ATTACHMENT_TRACKS_LINKS
        ),
        **TOO_MANY_REQUESTS,
    },
    dependencies=[Depends(may_replace_media_attachment_tracks)],
    openapi_extra=body(TRACKS_BODY),
)
def update_media_attachment_tracks(
    attachment_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    body: TracksBody,
) -> Response:
    return _replace(request, ctx, principal, body, attachment_ref=attachment_id)


# ---- non-API: create one, show content, delete one -----------------------------------------------


async def _caption_form(request: Request) -> Params:
    ctx = get_ctx(request)
    return await read_params(request, ctx.settings.max_caption_bytes + FORM_OVERHEAD)


CaptionForm = Annotated[Params, Depends(_caption_form)]


def may_add_media_object_track(
    media_object_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may(request, ctx, principal, tracks.authorize_add, media_object_id=media_object_id)


def may_add_media_attachment_track(
    attachment_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may(request, ctx, principal, tracks.authorize_add, attachment_ref=attachment_id)


def _create(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    params: Params,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> Response:
    locale = params.raw("locale")
    kind = params.raw("kind")
    # Checked as caption content by the service (422 naming each problem).
    content = params.raw("content")
    with ctx.write() as session:
        media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
        track = tracks.upsert_track(
            session,
            principal,
            media_object=media_object,
            attachment=attachment,
            locale=locale,
            kind=kind,
            content=content,
            limits=_limits(ctx),
            lenient=ctx.settings.captions_lenient,
        )
        if attachment is not None:
            # Canvas answers the attachment route with the track itself (§2.7).
            return canvas_json(request, track_json(track, set()))
        exclude = set(array_param(params.pairs, "exclude"))
        payload = media_object_payload(
            session,
            principal,
            Urls(request, ctx),
            media_object,
            include_tracks="tracks" not in exclude,
            include_sources="sources" not in exclude,
        )
        return canvas_json(request, payload)


@router.post(
    "/media_objects/{media_object_id}/media_tracks",
    summary="Add or replace one track",
    responses=ok("The media object", MEDIA_OBJECT),
    dependencies=[Depends(may_add_media_object_track)],
    openapi_extra=body(TRACK_BODY),
)
def create_media_object_track(
    media_object_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: CaptionForm,
) -> Response:
    return _create(request, ctx, principal, params, media_object_id=media_object_id)


@router.post(
    "/media_attachments/{attachment_id}/media_tracks",
    summary="Add or replace one track",
    responses=ok("The track", MEDIA_TRACK),
    dependencies=[Depends(may_add_media_attachment_track)],
    openapi_extra=body(TRACK_BODY),
)
def create_media_attachment_track(
    attachment_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: CaptionForm,
) -> Response:
    return _create(request, ctx, principal, params, attachment_ref=attachment_id)


def _show(
    request: Request,
    ctx: AppContext,
    session: Session,
    caller: LazyPrincipal,
    track_ref: str,
    verifier: str | None,
    format_name: str | None,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> Response:
    track_id = parse_id(track_ref)
    route = (
        Route.attachment(attachment_ref)
        if attachment_ref is not None
        else Route.media(media_object_id or "")
    )
    verified = ctx.verifiers.opens_track(route, track_id, verifier)
    if format_name is not None:
        # A download in a chosen format: written per request, not kept in the delivery cache
        # (players ask for the default WebVTT, many times; downloads are rare).
        principal = caller.beside_verifier() if verified else caller()
        media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
        return _download(
            request, session, principal, track_id, format_name, media_object, attachment, verified
        )
    key = (
        ("attachment", attachment_ref, track_id)
        if attachment_ref is not None
        else ("media", media_object_id or "", track_id)
    )
    # A verifier proves the right to read: the track may come from the delivery cache, and
    # then the request touches no database at all.
    facts = ctx.deliveries.tracks.get(key) if verified else None
    if facts is None:
        principal = caller.beside_verifier() if verified else caller()
        media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
        track = tracks.get_track_content(
            session,
            principal,
            track_id,
            media_object=media_object,
            attachment=attachment,
            verified=verified,
        )
        body = tracks.served_webvtt(track).encode("utf-8")
        facts = TrackFacts(body=body, etag=etag_of(body), updated_at=track.updated_at)
        ctx.deliveries.tracks.put(key, facts)
    headers = {
        "ETag": facts.etag,
        "Last-Modified": format_datetime(facts.updated_at, usegmt=True),
        "Cache-Control": "private, max-age=0, must-revalidate",
        "X-Content-Type-Options": "nosniff",
    }
    if not_modified(request, facts.etag, facts.updated_at):
        return Response(status_code=304, headers=headers)
    return Response(facts.body, headers=headers, media_type="text/vtt; charset=utf-8")


@router.get(
    "/media_objects/{media_object_id}/media_tracks/{track_id}",
    summary="A track as WebVTT (or in a caption format)",
    response_class=Response,
    responses=WEBVTT_RESPONSES,
)
def show_media_object_track(
    media_object_id: str,
    track_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    caller: Caller,
    verifier: str | None = None,
    format: CaptionFormatName = None,
) -> Response:
    return _show(
        request, ctx, session, caller, track_id, verifier, format, media_object_id=media_object_id
    )


@router.get(
    "/media_attachments/{attachment_id}/media_tracks/{track_id}",
    summary="A track as WebVTT (or in a caption format)",
    response_class=Response,
    responses=WEBVTT_RESPONSES,
)
def show_media_attachment_track(
    attachment_id: str,
    track_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    caller: Caller,
    verifier: str | None = None,
    format: CaptionFormatName = None,
) -> Response:
    return _show(
        request, ctx, session, caller, track_id, verifier, format, attachment_ref=attachment_id
    )


def _download(
    request: Request,
    session: Session,
    principal: Principal,
    track_id: int,
    format_name: str | None,
    media_object: MediaObject,
    attachment: Attachment | None,
    verified: bool,
) -> Response:
    download = downloads.download_track(
        session,
        principal,
        track_id,
        format_name,
        media_object=media_object,
        attachment=attachment,
        verified=verified,
    )
    written = download.format
    return written_file(
        request,
        download.body,
        content_type=written.content_type,
        updated_at=download.track.updated_at,
        disposition=download_disposition(
            without_media_extension(display_title(media_object)),
            download.track.locale,
            written.extension,
        ),
    )


@router.get(
    "/api/v1/media_objects/{media_object_id}/media_tracks/{track_id}/content",
    summary="Download a track in a caption format",
    response_class=Response,
    responses=TRACK_DOWNLOAD_RESPONSES,
)
def download_media_object_track(
    media_object_id: str,
    track_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    format: CaptionFormatName = None,
) -> Response:
    authentication.require_user(principal)
    media_object = media.load_media_object(session, principal, media_object_id)
    return _download(
        request, session, principal, parse_id(track_id), format, media_object, None, False
    )


@router.get(
    "/api/v1/media_attachments/{attachment_id}/media_tracks/{track_id}/content",
    summary="Download a track in a caption format",
    response_class=Response,
    responses=TRACK_DOWNLOAD_RESPONSES,
)
def download_media_attachment_track(
    attachment_id: str,
    track_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    format: CaptionFormatName = None,
) -> Response:
    authentication.require_user(principal)
    attachment, media_object = media.load_media_attachment(session, principal, attachment_id)
    return _download(
        request, session, principal, parse_id(track_id), format, media_object, attachment, False
    )


@router.delete(
    "/media_objects/{media_object_id}/media_tracks/{track_id}",
    summary="Delete one track",
    responses=ok("The media object", MEDIA_OBJECT),
)
def delete_media_object_track(
    media_object_id: str, track_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> Response:
    authentication.require_user(principal)
    with ctx.write() as session:
        media_object = media.load_media_object(session, principal, media_object_id)
        tracks.delete_track(session, principal, parse_id(track_id), media_object=media_object)
        return canvas_json(
            request, media_object_payload(session, principal, Urls(request, ctx), media_object)
        )


@router.delete(
    "/media_attachments/{attachment_id}/media_tracks/{track_id}",
    summary="Delete one track",
    responses=ok("The deleted track", MEDIA_TRACK),
)
def delete_media_attachment_track(
    attachment_id: str, track_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> Response:
    authentication.require_user(principal)
    with ctx.write() as session:
        attachment, media_object = media.load_media_attachment(session, principal, attachment_id)
        track = tracks.delete_track(
            session,
            principal,
            parse_id(track_id),
            media_object=media_object,
            attachment=attachment,
        )
        return canvas_json(request, track_json(track, set()))
