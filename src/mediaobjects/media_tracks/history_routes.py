"""Routes of a track's history: its versions (list, restore), retiming it, and the deleted
tracks kept for the retention period (list, restore), each for a media object and for a media
attachment. Thin handlers: parameters in, service call, JSON out. Writes authorise in a
decorator dependency before their body is read (``http.deps``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from mediaobjects.accounts import authentication
from mediaobjects.accounts.principal import Principal
from mediaobjects.context import AppContext
from mediaobjects.files.models import Attachment
from mediaobjects.http.arrays import array_param
from mediaobjects.http.body import read_body
from mediaobjects.http.deps import Ctx, CurrentPrincipal, DbSession, authorized, get_ctx
from mediaobjects.http.json_input import loads_body
from mediaobjects.http.limits import limit_track_put
from mediaobjects.http.openapi import (
    ERROR_RESPONSES,
    MEDIA_TRACK,
    TOO_MANY_REQUESTS,
    array_of,
    ok,
    paginated,
)
from mediaobjects.http.pagination import link_header
from mediaobjects.http.responses import canvas_json
from mediaobjects.http.urls import request_url
from mediaobjects.media_objects import listing
from mediaobjects.media_objects import service as media
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks import versions
from mediaobjects.media_tracks.schemas import (
    VERSION_INCLUDABLE,
    deleted_track_json,
    parse_retime_body,
    track_json,
    version_json,
)
from mediaobjects.numbers import parse_id

router = APIRouter(tags=["track history"], responses=ERROR_RESPONSES)

_TIMESTAMP: dict[str, Any] = {"type": "string", "format": "date-time"}
TRACK_VERSION: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "created_at": _TIMESTAMP,
        "user_id": {"type": ["integer", "null"]},
        "reason": {"type": "string"},
        "content": {"type": "string"},
        "webvtt_content": {"type": ["string", "null"]},
    },
    "required": ["id", "created_at", "user_id", "reason"],
    "additionalProperties": False,
}
DELETED_TRACK: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "locale": {"type": "string"},
        "kind": {"type": "string"},
        "deleted_at": _TIMESTAMP,
        "deleted_by": {"type": ["integer", "null"]},
        "version_ids": {"type": "array", "items": {"type": "integer"}},
    },
    "required": ["id", "locale", "kind", "deleted_at", "deleted_by", "version_ids"],
    "additionalProperties": False,
}
_CUE_NUMBERS: dict[str, Any] = {"type": "array", "items": {"type": "integer"}}
RETIME_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "offset_ms": {"type": "integer"},
                        "sync_points": {
                            "type": "array",
                            "items": {
                                "type": "array",
                                "items": {"type": "integer", "minimum": 0},
                                "minItems": 2,
                                "maxItems": 2,
                            },
                            "minItems": 2,
                            "maxItems": 2,
                        },
                    },
                    "additionalProperties": False,
                }
            }
        },
    }
}


def _retimed_schema() -> dict[str, Any]:
    properties = dict(MEDIA_TRACK["properties"])
    properties["clipped"] = _CUE_NUMBERS
    properties["dropped"] = _CUE_NUMBERS
    return {
        **MEDIA_TRACK,
        "properties": properties,
        "required": [*MEDIA_TRACK["required"], "clipped", "dropped"],
    }


def _pairs(request: Request) -> list[tuple[str, str]]:
    return parse_qsl(request.url.query, keep_blank_values=True)


def _load(
    session: Session, principal: Principal, media_object_id: str | None, attachment_ref: str | None
) -> tuple[MediaObject, Attachment | None]:
    if attachment_ref is not None:
        attachment, media_object = media.load_media_attachment(session, principal, attachment_ref)
        return media_object, attachment
    assert media_object_id is not None
    return media.load_media_object(session, principal, media_object_id), None


def _limits(ctx: AppContext) -> tracks.TrackLimits:
    return tracks.TrackLimits(
        max_caption_bytes=ctx.settings.max_caption_bytes,
        max_tracks=ctx.settings.max_tracks_per_media,
    )


# ---- versions -------------------------------------------------------------------------------


def _list_versions(
    request: Request,
    session: Session,
    principal: Principal,
    track_ref: str,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> Response:
    authentication.require_user(principal)
    pairs = _pairs(request)
    media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
    page, per_page = listing.parse_page(pairs)
    include = {v for v in array_param(pairs, "include") if v in VERSION_INCLUDABLE}
    found = versions.list_versions(
        session,
        principal,
        parse_id(track_ref),
        media_object=media_object,
        attachment=attachment,
        page=page,
        per_page=per_page,
        content=bool(include),
    )
    link = link_header(request_url(request), found.page, found.per_page, found.total)
    body = [version_json(version, include) for version in found.items]
    return canvas_json(request, body, headers={"Link": link})


@router.get(
    "/api/v1/media_objects/{media_object_id}/media_tracks/{track_id}/versions",
    summary="List a track's versions, newest first",
    responses=paginated("A page of versions", TRACK_VERSION),
)
def list_media_object_track_versions(
    media_object_id: str,
    track_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    return _list_versions(request, session, principal, track_id, media_object_id=media_object_id)


@router.get(
    "/api/v1/media_attachments/{attachment_id}/media_tracks/{track_id}/versions",
    summary="List a track's versions, newest first",
    responses=paginated("A page of versions", TRACK_VERSION),
)
def list_media_attachment_track_versions(
    attachment_id: str,
    track_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    return _list_versions(request, session, principal, track_id, attachment_ref=attachment_id)


def _restore_version(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    track_ref: str,
    version_ref: str,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> Response:
    authentication.require_user(principal)
    limit_track_put(ctx, request, principal)
    with ctx.write() as session:
        media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
        track = versions.restore_version(
            session,
            principal,
            parse_id(track_ref),
            parse_id(version_ref),
            media_object=media_object,
            attachment=attachment,
            limits=_limits(ctx),
            lenient=ctx.settings.captions_lenient,
        )
        return canvas_json(request, track_json(track, {"created_at", "updated_at"}))


@router.post(
    "/api/v1/media_objects/{media_object_id}/media_tracks/{track_id}/versions/{version_id}/restore",
    summary="Make a version the track's content again",
    responses={**ok("The track now", MEDIA_TRACK), **TOO_MANY_REQUESTS},
)
def restore_media_object_track_version(
    media_object_id: str,
    track_id: str,
    version_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
) -> Response:
    return _restore_version(
        request, ctx, principal, track_id, version_id, media_object_id=media_object_id
    )


@router.post(
    "/api/v1/media_attachments/{attachment_id}/media_tracks/{track_id}/versions/{version_id}/restore",
    summary="Make a version the track's content again",
    responses={**ok("The track now", MEDIA_TRACK), **TOO_MANY_REQUESTS},
)
def restore_media_attachment_track_version(
    attachment_id: str,
    track_id: str,
    version_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
) -> Response:
    return _restore_version(
        request, ctx, principal, track_id, version_id, attachment_ref=attachment_id
    )


# ---- retime ---------------------------------------------------------------------------------


def _may_retime(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    track_ref: str,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> None:
    authentication.require_user(principal)
    # Retiming parses and rewrites the whole track: counted with PUTs, before any work.
    limit_track_put(ctx, request, principal)

    def check(session: Session) -> None:
        media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
        versions.authorize_track_write(
            session,
            principal,
            parse_id(track_ref),
            media_object=media_object,
            attachment=attachment,
        )

    authorized(request, ctx, check)


def may_retime_media_object_track(
    media_object_id: str, track_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may_retime(request, ctx, principal, track_id, media_object_id=media_object_id)


def may_retime_media_attachment_track(
    attachment_id: str, track_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may_retime(request, ctx, principal, track_id, attachment_ref=attachment_id)


async def _json_body(request: Request) -> Any:
    raw = await read_body(request, get_ctx(request).settings.max_request_body_bytes)
    return loads_body(raw, "The request body (a JSON object)") if raw.strip() else None


JsonBody = Annotated[Any, Depends(_json_body)]


def _retime(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    track_ref: str,
    body: Any,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> Response:
    asked = parse_retime_body(body)
    with ctx.write() as session:
        media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
        result = versions.retime_track(
            session,
            principal,
            parse_id(track_ref),
            media_object=media_object,
            attachment=attachment,
            offset_ms=asked.offset_ms,
            sync_points=asked.sync_points,
            limits=_limits(ctx),
        )
        payload = track_json(result.track, {"created_at", "updated_at"})
        payload["clipped"] = list(result.clipped)
        payload["dropped"] = list(result.dropped)
        return canvas_json(request, payload)


@router.post(
    "/api/v1/media_objects/{media_object_id}/media_tracks/{track_id}/retime",
    summary="Move every cue of a track in time",
    responses={
        **ok("The track now, and the cues clipped or dropped", _retimed_schema()),
        **TOO_MANY_REQUESTS,
    },
    dependencies=[Depends(may_retime_media_object_track)],
    openapi_extra=RETIME_BODY,
)
def retime_media_object_track(
    media_object_id: str,
    track_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    body: JsonBody,
) -> Response:
    return _retime(request, ctx, principal, track_id, body, media_object_id=media_object_id)


@router.post(
    "/api/v1/media_attachments/{attachment_id}/media_tracks/{track_id}/retime",
    summary="Move every cue of a track in time",
    responses={
        **ok("The track now, and the cues clipped or dropped", _retimed_schema()),
        **TOO_MANY_REQUESTS,
    },
    dependencies=[Depends(may_retime_media_attachment_track)],
    openapi_extra=RETIME_BODY,
)
def retime_media_attachment_track(
    attachment_id: str,
    track_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    body: JsonBody,
) -> Response:
    return _retime(request, ctx, principal, track_id, body, attachment_ref=attachment_id)


# ---- deleted tracks -------------------------------------------------------------------------


def _list_deleted(
    request: Request,
    ctx: AppContext,
    session: Session,
    principal: Principal,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> Response:
    authentication.require_user(principal)
    media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
    found = versions.list_deleted_tracks(
        session,
        principal,
        media_object=media_object,
        attachment=attachment,
        retention_days=ctx.settings.track_version_retention_days,
    )
    body = [
        deleted_track_json(d.id, d.locale, d.kind, d.deleted_at, d.deleted_by, d.version_ids)
        for d in found
    ]
    return canvas_json(request, body)


@router.get(
    "/api/v1/media_objects/{media_object_id}/deleted_tracks",
    summary="List tracks deleted within the retention period",
    responses=ok("The deleted tracks", array_of(DELETED_TRACK)),
)
def list_media_object_deleted_tracks(
    media_object_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    return _list_deleted(request, ctx, session, principal, media_object_id=media_object_id)


@router.get(
    "/api/v1/media_attachments/{attachment_id}/deleted_tracks",
    summary="List tracks deleted within the retention period",
    responses=ok("The deleted tracks", array_of(DELETED_TRACK)),
)
def list_media_attachment_deleted_tracks(
    attachment_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    return _list_deleted(request, ctx, session, principal, attachment_ref=attachment_id)


def _restore_deleted(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    track_ref: str,
    version_ref: str | None,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> Response:
    authentication.require_user(principal)
    limit_track_put(ctx, request, principal)
    with ctx.write() as session:
        media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
        track = versions.restore_deleted_track(
            session,
            principal,
            parse_id(track_ref),
            parse_id(version_ref) if version_ref is not None else None,
            media_object=media_object,
            attachment=attachment,
            limits=_limits(ctx),
            lenient=ctx.settings.captions_lenient,
            retention_days=ctx.settings.track_version_retention_days,
        )
        return canvas_json(request, track_json(track, {"created_at", "updated_at"}))


_RESTORED = {**ok("The track brought back (a new id)", MEDIA_TRACK), **TOO_MANY_REQUESTS}


@router.post(
    "/api/v1/media_objects/{media_object_id}/deleted_tracks/{track_id}/restore",
    summary="Bring a deleted track back with its newest version",
    responses=_RESTORED,
)
def restore_media_object_deleted_track(
    media_object_id: str, track_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> Response:
    return _restore_deleted(
        request, ctx, principal, track_id, None, media_object_id=media_object_id
    )


@router.post(
    "/api/v1/media_objects/{media_object_id}/deleted_tracks/{track_id}/versions/{version_id}/restore",
    summary="Bring a deleted track back with one of its versions",
    responses=_RESTORED,
)
def restore_media_object_deleted_track_version(
    media_object_id: str,
    track_id: str,
    version_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
) -> Response:
    return _restore_deleted(
        request, ctx, principal, track_id, version_id, media_object_id=media_object_id
    )


@router.post(
    "/api/v1/media_attachments/{attachment_id}/deleted_tracks/{track_id}/restore",
    summary="Bring a deleted track back with its newest version",
    responses=_RESTORED,
)
def restore_media_attachment_deleted_track(
    attachment_id: str, track_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> Response:
    return _restore_deleted(request, ctx, principal, track_id, None, attachment_ref=attachment_id)


@router.post(
    "/api/v1/media_attachments/{attachment_id}/deleted_tracks/{track_id}/versions/{version_id}/restore",
    summary="Bring a deleted track back with one of its versions",
    responses=_RESTORED,
)
def restore_media_attachment_deleted_track_version(
    attachment_id: str,
    track_id: str,
    version_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
) -> Response:
    return _restore_deleted(
        request, ctx, principal, track_id, version_id, attachment_ref=attachment_id
    )
