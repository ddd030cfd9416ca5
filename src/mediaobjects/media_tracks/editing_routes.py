"""Routes of the caption editor's API (docs/api.md "Caption editing"): a track as cues (GET),
cues saved back (PUT), a new track from cues (POST .../media_tracks/cues) and the check of cues
(POST .../caption_check), each for a media object and for a media attachment. Thin handlers:
parameters in, service call, JSON out. Writes and the check authorise (and count against their
rate limit) in a decorator dependency before their body is read (``http.deps``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from mediaobjects.accounts import authentication
from mediaobjects.accounts.principal import Principal
from mediaobjects.captions.quality import PROFILE_NAMES, RULES
from mediaobjects.context import AppContext
from mediaobjects.files.models import Attachment
from mediaobjects.http.body import read_body
from mediaobjects.http.deps import Ctx, CurrentPrincipal, DbSession, authorized, get_ctx
from mediaobjects.http.json_input import loads_body
from mediaobjects.http.limits import limit_caption_check, limit_track_put
from mediaobjects.http.openapi import (
    ERROR_RESPONSES,
    MEDIA_TRACK,
    TOO_MANY_REQUESTS,
    ok,
)
from mediaobjects.http.request_bodies import body
from mediaobjects.http.responses import canvas_json
from mediaobjects.media_objects import service as media
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks import editing
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.schemas import track_json
from mediaobjects.numbers import parse_id

router = APIRouter(tags=["caption editing"], responses=ERROR_RESPONSES)

# JSON spends more bytes on a cue than WebVTT does (field names, quotes, escapes such as
# \u00e9 for é): a body may be this many times the caption limit.
BODY_FACTOR = 4

_INT: dict[str, Any] = {"type": "integer"}
_MS: dict[str, Any] = {"type": "integer", "minimum": 0}
CUE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "start_ms": _MS,
        "end_ms": _MS,
        "text": {"type": "string"},
        "identifier": {"type": ["string", "null"]},
        "settings": {"type": "string"},
    },
    "required": ["start_ms", "end_ms", "text", "identifier", "settings"],
    "additionalProperties": False,
}
_CUE_IN: dict[str, Any] = {**CUE, "required": ["start_ms", "end_ms", "text"]}
_CUES_IN: dict[str, Any] = {"type": "array", "items": _CUE_IN}
_EDITED_TRACK: dict[str, Any] = {
    **MEDIA_TRACK,
    "properties": {**MEDIA_TRACK["properties"], "version_id": {"type": ["integer", "null"]}},
    "required": [*MEDIA_TRACK["required"], "version_id", "created_at", "updated_at"],
}
TRACK_CUES: dict[str, Any] = {
    "type": "object",
    "properties": {"track": _EDITED_TRACK, "cues": {"type": "array", "items": CUE}},
    "required": ["track", "cues"],
    "additionalProperties": False,
}
CAPTION_CHECK: dict[str, Any] = {
    "type": "object",
    "properties": {
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "cue": {"type": ["integer", "null"], "minimum": 0},
                    "field": {"type": ["string", "null"]},
                    "rule": {"enum": ["invalid", "inclusion", "too_large", *RULES]},
                    "severity": {"enum": ["error", "warning"]},
                    "message": {"type": "string"},
                },
                "required": ["cue", "field", "rule", "severity", "message"],
                "additionalProperties": False,
            },
        },
        "meets_profile": {"type": "boolean"},
    },
    "required": ["problems", "meets_profile"],
    "additionalProperties": False,
}
SAVE_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "cues": _CUES_IN,
        "base_version_id": {"type": ["integer", "null"]},
        "kind": {"type": "string"},
    },
    "required": ["cues"],
    "additionalProperties": False,
}
CREATE_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {"cues": _CUES_IN, "locale": {"type": "string"}, "kind": {"type": "string"}},
    "required": ["cues", "locale"],
    "additionalProperties": False,
}
CHECK_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "cues": _CUES_IN,
        "locale": {"type": "string"},
        "kind": {"type": "string"},
        "profile": {"type": "string", "description": "One of " + ", ".join(PROFILE_NAMES)},
    },
    "required": ["cues"],
    "additionalProperties": False,
}

MO_CUES = "/api/v1/media_objects/{media_object_id}/media_tracks/{track_id}/cues"
MA_CUES = "/api/v1/media_attachments/{attachment_id}/media_tracks/{track_id}/cues"
MO_NEW = "/api/v1/media_objects/{media_object_id}/media_tracks/cues"
MA_NEW = "/api/v1/media_attachments/{attachment_id}/media_tracks/cues"
MO_CHECK = "/api/v1/media_objects/{media_object_id}/caption_check"
MA_CHECK = "/api/v1/media_attachments/{attachment_id}/caption_check"


def max_body_bytes(ctx: AppContext) -> int:
    return max(ctx.settings.max_request_body_bytes, BODY_FACTOR * ctx.settings.max_caption_bytes)


def _limits(ctx: AppContext) -> editing.EditorLimits:
    return editing.EditorLimits(
        track=tracks.TrackLimits(
            max_caption_bytes=ctx.settings.max_caption_bytes,
            max_tracks=ctx.settings.max_tracks_per_media,
        ),
        max_cues=editing.max_cues_for(ctx.settings.max_caption_bytes),
    )


def _load(
    session: Session, principal: Principal, media_object_id: str | None, attachment_ref: str | None
) -> tuple[MediaObject, Attachment | None]:
    if attachment_ref is not None:
        attachment, media_object = media.load_media_attachment(session, principal, attachment_ref)
        return media_object, attachment
    assert media_object_id is not None
    return media.load_media_object(session, principal, media_object_id), None


def _track_cues_json(edited: editing.EditedTrack) -> dict[str, Any]:
    track = track_json(edited.track, {"created_at", "updated_at"})
    track["version_id"] = edited.version.id if edited.version is not None else None
    return {
        "track": track,
        "cues": [
            {
                "start_ms": cue.start_ms,
                "end_ms": cue.end_ms,
                "text": cue.text,
                "identifier": cue.identifier,
                "settings": cue.settings,
            }
            for cue in edited.cues
        ],
    }


async def _json_body(request: Request) -> Any:
    raw = await read_body(request, max_body_bytes(get_ctx(request)))
    if not raw.strip():
        return None
    return loads_body(raw, "The request body (a JSON object)")


JsonBody = Annotated[Any, Depends(_json_body)]


def _authorize(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    limit: Callable[[AppContext, Request, Principal], None],
    check: Callable[[Session, MediaObject, Attachment | None], None],
    media_object_id: str | None,
    attachment_ref: str | None,
) -> None:
    authentication.require_user(principal)
    # Counted per caller before the body is read: parsing and checking cues is the work.
    limit(ctx, request, principal)

    def run(session: Session) -> None:
        media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
        check(session, media_object, attachment)

    authorized(request, ctx, run)


# ---- GET and PUT .../media_tracks/:track_id/cues ------------------------------------------------


def _get(
    request: Request,
    session: Session,
    principal: Principal,
    track_ref: str,
    media_object_id: str | None,
    attachment_ref: str | None,
) -> Response:
    authentication.require_user(principal)
    media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
    edited = editing.track_cues(
        session, principal, parse_id(track_ref), media_object=media_object, attachment=attachment
    )
    return canvas_json(request, _track_cues_json(edited))


@router.get(
    MO_CUES,
    summary="A track as cues, for the caption editor",
    responses=ok("The track and its cues", TRACK_CUES),
)
def media_object_track_cues(
    media_object_id: str,
    track_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    return _get(request, session, principal, track_id, media_object_id, None)


@router.get(
    MA_CUES,
    summary="A track as cues, for the caption editor",
    responses=ok("The track and its cues", TRACK_CUES),
)
def media_attachment_track_cues(
    attachment_id: str,
    track_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    return _get(request, session, principal, track_id, None, attachment_id)


def _may_save(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    track_ref: str,
    media_object_id: str | None,
    attachment_ref: str | None,
) -> None:
    def check(session: Session, media_object: MediaObject, attachment: Attachment | None) -> None:
        editing.authorize_save(
            session,
            principal,
            parse_id(track_ref),
            media_object=media_object,
            attachment=attachment,
        )

    _authorize(request, ctx, principal, limit_track_put, check, media_object_id, attachment_ref)


def may_save_media_object_cues(
    media_object_id: str, track_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may_save(request, ctx, principal, track_id, media_object_id, None)


def may_save_media_attachment_cues(
    attachment_id: str, track_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may_save(request, ctx, principal, track_id, None, attachment_id)


def _save(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    track_ref: str,
    payload: Any,
    media_object_id: str | None,
    attachment_ref: str | None,
) -> Response:
    with ctx.write() as session:
        media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
        edited = editing.save_cues(
            session,
            principal,
            parse_id(track_ref),
            payload,
            media_object=media_object,
            attachment=attachment,
            limits=_limits(ctx),
        )
        return canvas_json(request, _track_cues_json(edited))


@router.put(
    MO_CUES,
    summary="Save a track's cues (the caption editor)",
    responses={**ok("The track and its cues now", TRACK_CUES), **TOO_MANY_REQUESTS},
    dependencies=[Depends(may_save_media_object_cues)],
    openapi_extra=body(SAVE_BODY),
)
def save_media_object_track_cues(
    media_object_id: str,
    track_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    payload: JsonBody,
) -> Response:
    return _save(request, ctx, principal, track_id, payload, media_object_id, None)


@router.put(
    MA_CUES,
    summary="Save a track's cues (the caption editor)",
    responses={**ok("The track and its cues now", TRACK_CUES), **TOO_MANY_REQUESTS},
    dependencies=[Depends(may_save_media_attachment_cues)],
    openapi_extra=body(SAVE_BODY),
)
def save_media_attachment_track_cues(
    attachment_id: str,
    track_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    payload: JsonBody,
) -> Response:
    return _save(request, ctx, principal, track_id, payload, None, attachment_id)


# ---- POST .../media_tracks/cues (a new track) and POST .../caption_check ---------------------


def _may_add(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    limit: Callable[[AppContext, Request, Principal], None],
    media_object_id: str | None,
    attachment_ref: str | None,
) -> None:
    def check(session: Session, media_object: MediaObject, attachment: Attachment | None) -> None:
        editing.authorize_add(session, principal, media_object=media_object, attachment=attachment)

    _authorize(request, ctx, principal, limit, check, media_object_id, attachment_ref)


def may_create_media_object_track(
    media_object_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may_add(request, ctx, principal, limit_track_put, media_object_id, None)


def may_create_media_attachment_track(
    attachment_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may_add(request, ctx, principal, limit_track_put, None, attachment_id)


def _create(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    payload: Any,
    media_object_id: str | None,
    attachment_ref: str | None,
) -> Response:
    with ctx.write() as session:
        media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
        edited = editing.create_track(
            session,
            principal,
            payload,
            media_object=media_object,
            attachment=attachment,
            limits=_limits(ctx),
        )
        return canvas_json(request, _track_cues_json(edited), status_code=201)


@router.post(
    MO_NEW,
    summary="Make a new track from cues (the caption editor)",
    responses={**ok("The new track and its cues", TRACK_CUES, status=201), **TOO_MANY_REQUESTS},
    dependencies=[Depends(may_create_media_object_track)],
    openapi_extra=body(CREATE_BODY),
)
def create_media_object_track_from_cues(
    media_object_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    payload: JsonBody,
) -> Response:
    return _create(request, ctx, principal, payload, media_object_id, None)


@router.post(
    MA_NEW,
    summary="Make a new track from cues (the caption editor)",
    responses={**ok("The new track and its cues", TRACK_CUES, status=201), **TOO_MANY_REQUESTS},
    dependencies=[Depends(may_create_media_attachment_track)],
    openapi_extra=body(CREATE_BODY),
)
def create_media_attachment_track_from_cues(
    attachment_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    payload: JsonBody,
) -> Response:
    return _create(request, ctx, principal, payload, None, attachment_id)


def may_check_media_object_captions(
    media_object_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may_add(request, ctx, principal, limit_caption_check, media_object_id, None)


def may_check_media_attachment_captions(
    attachment_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    _may_add(request, ctx, principal, limit_caption_check, None, attachment_id)


def _check(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    payload: Any,
    media_object_id: str | None,
    attachment_ref: str | None,
) -> Response:
    # Writes nothing: a short read-only unit once the body is in.
    with ctx.read() as session:
        media_object, attachment = _load(session, principal, media_object_id, attachment_ref)
        result = editing.check_cues(
            session,
            principal,
            payload,
            media_object=media_object,
            attachment=attachment,
            limits=_limits(ctx),
        )
    return canvas_json(
        request,
        {
            "problems": [
                {
                    "cue": p.cue,
                    "field": p.field,
                    "rule": p.rule,
                    "severity": p.severity,
                    "message": p.message,
                }
                for p in result.problems
            ],
            "meets_profile": result.meets_profile,
        },
    )


@router.post(
    MO_CHECK,
    summary="Check cues as a save would, and their caption quality (the caption editor)",
    responses={**ok("The problems found", CAPTION_CHECK), **TOO_MANY_REQUESTS},
    dependencies=[Depends(may_check_media_object_captions)],
    openapi_extra=body(CHECK_BODY),
)
def check_media_object_captions(
    media_object_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    payload: JsonBody,
) -> Response:
    return _check(request, ctx, principal, payload, media_object_id, None)


@router.post(
    MA_CHECK,
    summary="Check cues as a save would, and their caption quality (the caption editor)",
    responses={**ok("The problems found", CAPTION_CHECK), **TOO_MANY_REQUESTS},
    dependencies=[Depends(may_check_media_attachment_captions)],
    openapi_extra=body(CHECK_BODY),
)
def check_media_attachment_captions(
    attachment_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    payload: JsonBody,
) -> Response:
    return _check(request, ctx, principal, payload, None, attachment_id)
