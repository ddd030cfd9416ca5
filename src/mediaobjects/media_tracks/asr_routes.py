"""Canvas's automatic-captions routes (``POST /api/v1/media_objects/:media_id/asr`` and
``POST /api/v1/media_attachments/:attachment_id/asr``, what the ``@instructure/canvas-media``
caption creator's ``doAsrRequest`` calls). Thin handlers: authorise before the body is read,
parameters in, service call, the track's JSON out at once; the ``transcribe_track`` job is
queued after the request's transaction commits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from mediaobjects.accounts import authentication
from mediaobjects.accounts.principal import Principal
from mediaobjects.context import AppContext
from mediaobjects.errors import NotFound, UnprocessableError
from mediaobjects.http.deps import Ctx, CurrentPrincipal, authorized, get_ctx
from mediaobjects.http.limits import limit_asr_request
from mediaobjects.http.openapi import ERROR_RESPONSES, MEDIA_TRACK, ok
from mediaobjects.http.params import Params, read_params
from mediaobjects.http.request_bodies import body
from mediaobjects.http.responses import canvas_json
from mediaobjects.media_objects import service as media
from mediaobjects.media_tracks import asr
from mediaobjects.media_tracks.schemas import track_json

router = APIRouter(tags=["automatic captions"], responses=ERROR_RESPONSES)

# A locale and a flag: anything larger is not a request of this route (413).
MAX_BODY_BYTES = 4096

NOT_ENABLED = (
    "Automatic captions are not enabled on this server (MEDIAOBJECTS_ASR_ENGINE); an "
    "administrator can install the asr extra (pip install 'mediaobjects[asr]')."
)

ASR_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "locale": {
            "type": "string",
            "description": "BCP 47 language of the speech; absent or empty: detect it",
        },
        "replace_human": {
            "type": "boolean",
            "description": "Replace a track of the locale written by a person (kept as a "
            "version); needs the rights to delete captions",
        },
    },
    "additionalProperties": False,
}


def _check(
    session: Session,
    principal: Principal,
    media_object_id: str | None,
    attachment_ref: str | None,
) -> None:
    if attachment_ref is None:
        assert media_object_id is not None
        media_object = media.load_media_object(session, principal, media_object_id)
        asr.authorize_auto_captions(session, principal, media_object=media_object)
        return
    try:
        attachment, media_object = media.load_media_attachment(session, principal, attachment_ref)
    except NotFound:
        # A file whose media is still being uploaded (media_entry_id "maybe"): Canvas's 422,
        # for whoever may change the file; 404 for everybody else.
        asr.refuse_unprocessed_attachment(session, principal, attachment_ref)
        raise
    asr.authorize_auto_captions(
        session, principal, media_object=media_object, attachment=attachment
    )


def may_request_media_object_asr(
    media_object_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    authentication.require_user(principal)
    authorized(request, ctx, lambda session: _check(session, principal, media_object_id, None))


def may_request_media_attachment_asr(
    attachment_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    authentication.require_user(principal)
    authorized(request, ctx, lambda session: _check(session, principal, None, attachment_id))


async def _asr_params(request: Request) -> Params:
    return await read_params(request, MAX_BODY_BYTES)


AsrParams = Annotated[Params, Depends(_asr_params)]


def _request(
    request: Request,
    ctx: AppContext,
    principal: Principal,
    params: Params,
    *,
    media_object_id: str | None = None,
    attachment_ref: str | None = None,
) -> Response:
    locale = asr.parse_locale(params.raw("locale"))
    replace_human = asr.parse_replace_human(params.raw("replace_human"))
    if ctx.asr is None:
        raise UnprocessableError(NOT_ENABLED)
    with ctx.write() as session:
        if attachment_ref is not None:
            attachment, media_object = media.load_media_attachment(
                session, principal, attachment_ref
            )
        else:
            assert media_object_id is not None
            attachment = None
            media_object = media.load_media_object(session, principal, media_object_id)
        made = asr.start_auto_captions(
            session,
            principal,
            media_object=media_object,
            attachment=attachment,
            locale=locale,
            replace_human=replace_human,
            max_tracks=ctx.settings.max_tracks_per_media,
        )
        if made.queue:
            # Past the caller's rate, the 429 rolls the request back: nothing is queued.
            limit_asr_request(ctx, request, principal, session)
        payload = track_json(made.track, set())
    # After the commit: the job must find the track.
    if made.queue:
        ctx.enqueue("transcribe_track", track_id=made.track.id)
    return canvas_json(request, payload)


@router.post(
    "/api/v1/media_objects/{media_object_id}/asr",
    summary="Request automatic captions",
    responses=ok("The automatic track (processing)", MEDIA_TRACK),
    dependencies=[Depends(may_request_media_object_asr)],
    openapi_extra=body(ASR_BODY, required=False),
)
def create_media_object_asr(
    media_object_id: str, request: Request, principal: CurrentPrincipal, params: AsrParams
) -> Response:
    return _request(request, get_ctx(request), principal, params, media_object_id=media_object_id)


@router.post(
    "/api/v1/media_attachments/{attachment_id}/asr",
    summary="Request automatic captions",
    responses=ok("The automatic track (processing)", MEDIA_TRACK),
    dependencies=[Depends(may_request_media_attachment_asr)],
    openapi_extra=body(ASR_BODY, required=False),
)
def create_media_attachment_asr(
    attachment_id: str, request: Request, principal: CurrentPrincipal, params: AsrParams
) -> Response:
    return _request(request, get_ctx(request), principal, params, attachment_ref=attachment_id)
