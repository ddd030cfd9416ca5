"""Media track routes: the API list and replace (GET/PUT .../media_tracks) and the non-API
create, show (WebVTT) and delete routes used by players and the Canvas UI, each for a media
object and for a media attachment. Thin handlers: parameters in, service call, JSON out."""

from __future__ import annotations

import hashlib
import json
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from mediaobjects.accounts import service as accounts
from mediaobjects.accounts.principal import Principal
from mediaobjects.context import AppContext
from mediaobjects.errors import BadRequest
from mediaobjects.files.models import Attachment
from mediaobjects.http.arrays import array_param
from mediaobjects.http.deps import Ctx, CurrentPrincipal, DbSession, get_ctx
from mediaobjects.http.openapi import (
    ERROR_RESPONSES,
    MEDIA_OBJECT,
    MEDIA_TRACK,
    WEBVTT_RESPONSES,
    array_of,
    ok,
)
from mediaobjects.http.params import Params, parse_params, read_body
from mediaobjects.http.ranges import etag_matches
from mediaobjects.http.responses import canvas_json
from mediaobjects.http.urls import Urls, verify_track
from mediaobjects.media_objects import service as media
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_objects.views import media_object_payload
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.schemas import INCLUDABLE, track_json

router = APIRouter(tags=["media tracks"], responses=ERROR_RESPONSES)

# A PUT carries many tracks at once; each may be as large as the caption limit.
PUT_BODY_FACTOR = 64
FORM_OVERHEAD = 64 * 1024


def _include(params_pairs: list[tuple[str, str]]) -> set[str]:
    return {value for value in array_param(params_pairs, "include") if value in INCLUDABLE}


def _list_response(request: Request, views: list[tracks.TrackView], include: set[str]) -> Response:
    return canvas_json(request, [track_json(view.track, include) for view in views])


def _query_pairs(request: Request) -> list[tuple[str, str]]:
    return parse_qsl(request.url.query, keep_blank_values=True)


async def _json_array_body(request: Request, limit: int) -> Any:
    """The raw PUT body as JSON, whatever the Content-Type (Canvas reads it raw, and the
    official curl example sends it form-encoded)."""
    raw = await read_body(request, limit)
    if not raw.strip():
        return []
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(
            "The request body must be a JSON array of tracks, e.g. "
            '[{"locale": "en", "content": "WEBVTT ..."}]'
        ) from None


# ---- API: list and replace ---------------------------------------------------------------------


@router.get(
    "/api/v1/media_objects/{media_object_id}/media_tracks",
    summary="List a media object's tracks",
    responses=ok("The tracks", array_of(MEDIA_TRACK)),
)
def list_media_object_tracks(
    media_object_id: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    accounts.require_user(principal)
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
    accounts.require_user(principal)
    attachment, media_object = media.load_media_attachment(session, principal, attachment_id)
    views = tracks.list_tracks(session, principal, media_object=media_object, attachment=attachment)
    return _list_response(request, views, _include(_query_pairs(request)))


async def _tracks_body(request: Request) -> Any:
    ctx = get_ctx(request)
    return await _json_array_body(request, ctx.settings.max_caption_bytes * PUT_BODY_FACTOR)


TracksBody = Annotated[Any, Depends(_tracks_body)]


def _replace(
    request: Request,
    ctx: AppContext,
    session: Session,
    principal: Principal,
    body: Any,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> Response:
    accounts.require_user(principal)
    media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
    views = tracks.replace_tracks(
        session,
        principal,
        body,
        media_object=media_object,
        attachment=attachment,
        max_caption_bytes=ctx.settings.max_caption_bytes,
        lenient=ctx.settings.captions_lenient,
    )
    return _list_response(request, views, _include(_query_pairs(request)))


@router.put(
    "/api/v1/media_objects/{media_object_id}/media_tracks",
    summary="Replace a media object's tracks",
    responses=ok("The tracks now", array_of(MEDIA_TRACK)),
)
def update_media_object_tracks(
    media_object_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    body: TracksBody,
) -> Response:
    return _replace(request, ctx, session, principal, body, media_object_id=media_object_id)


@router.put(
    "/api/v1/media_attachments/{attachment_id}/media_tracks",
    summary="Replace a media attachment's tracks",
    responses=ok("The tracks now", array_of(MEDIA_TRACK)),
)
def update_media_attachment_tracks(
    attachment_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    body: TracksBody,
) -> Response:
    return _replace(request, ctx, session, principal, body, attachment_ref=attachment_id)


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


# ---- non-API: create one, show content, delete one -----------------------------------------------


async def _caption_form(request: Request) -> Params:
    ctx = get_ctx(request)
    return await parse_params(request, ctx.settings.max_caption_bytes + FORM_OVERHEAD)


CaptionForm = Annotated[Params, Depends(_caption_form)]


def _create(
    request: Request,
    ctx: AppContext,
    session: Session,
    principal: Principal,
    params: Params,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> Response:
    accounts.require_user(principal)
    media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
    track = tracks.upsert_track(
        session,
        principal,
        media_object=media_object,
        attachment=attachment,
        locale=params.text("locale", max_length=None),
        kind=params.text("kind", max_length=None),
        content=params.text("content", max_length=None),
        max_caption_bytes=ctx.settings.max_caption_bytes,
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
)
def create_media_object_track(
    media_object_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    params: CaptionForm,
) -> Response:
    return _create(request, ctx, session, principal, params, media_object_id=media_object_id)


@router.post(
    "/media_attachments/{attachment_id}/media_tracks",
    summary="Add or replace one track",
    responses=ok("The track", MEDIA_TRACK),
)
def create_media_attachment_track(
    attachment_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    params: CaptionForm,
) -> Response:
    return _create(request, ctx, session, principal, params, attachment_ref=attachment_id)


def _show(
    request: Request,
    ctx: AppContext,
    session: Session,
    principal: Principal,
    track_ref: str,
    verifier: str | None,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> Response:
    track_id = accounts.parse_id(track_ref)
    verified = verify_track(ctx, track_id, verifier)
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
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    last_modified = format_datetime(track.updated_at, usegmt=True)
    headers = {
        "ETag": etag,
        "Last-Modified": last_modified,
        "Cache-Control": "private, max-age=0, must-revalidate",
        "X-Content-Type-Options": "nosniff",
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    since = request.headers.get("if-modified-since")
    if since and request.headers.get("if-none-match") is None:
        try:
            if track.updated_at.replace(microsecond=0) <= parsedate_to_datetime(since):
                return Response(status_code=304, headers=headers)
        except (TypeError, ValueError):
            pass
    return Response(body, headers=headers, media_type="text/vtt; charset=utf-8")


@router.get(
    "/media_objects/{media_object_id}/media_tracks/{track_id}",
    summary="A track as WebVTT",
    response_class=Response,
    responses=WEBVTT_RESPONSES,
)
def show_media_object_track(
    media_object_id: str,
    track_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    verifier: str | None = None,
) -> Response:
    return _show(
        request, ctx, session, principal, track_id, verifier, media_object_id=media_object_id
    )


@router.get(
    "/media_attachments/{attachment_id}/media_tracks/{track_id}",
    summary="A track as WebVTT",
    response_class=Response,
    responses=WEBVTT_RESPONSES,
)
def show_media_attachment_track(
    attachment_id: str,
    track_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    verifier: str | None = None,
) -> Response:
    return _show(request, ctx, session, principal, track_id, verifier, attachment_ref=attachment_id)


@router.delete(
    "/media_objects/{media_object_id}/media_tracks/{track_id}",
    summary="Delete one track",
    responses=ok("The media object", MEDIA_OBJECT),
)
def delete_media_object_track(
    media_object_id: str,
    track_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    accounts.require_user(principal)
    media_object = media.load_media_object(session, principal, media_object_id)
    tracks.delete_track(session, principal, accounts.parse_id(track_id), media_object=media_object)
    return canvas_json(
        request, media_object_payload(session, principal, Urls(request, ctx), media_object)
    )


@router.delete(
    "/media_attachments/{attachment_id}/media_tracks/{track_id}",
    summary="Delete one track",
    responses=ok("The deleted track", MEDIA_TRACK),
)
def delete_media_attachment_track(
    attachment_id: str,
    track_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    accounts.require_user(principal)
    attachment, media_object = media.load_media_attachment(session, principal, attachment_id)
    track = tracks.delete_track(
        session,
        principal,
        accounts.parse_id(track_id),
        media_object=media_object,
        attachment=attachment,
    )
    return canvas_json(request, track_json(track, set()))
