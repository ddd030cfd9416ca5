"""The player iframe routes (``embedded_iframe_url``). The page needs read access to the media
(a token, e.g. ``?access_token=``) or the signed ``verifier`` that ``embedded_iframe_url``
carries, since a browser embedding the page sends no Authorization header; who may open it is
decided by ``media_objects.service.open_*_player``."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from mediaobjects.context import AppContext
from mediaobjects.files.models import Attachment
from mediaobjects.http.deps import Ctx, CurrentPrincipal, DbSession
from mediaobjects.http.openapi import ERROR_RESPONSES, PLAYER_RESPONSES
from mediaobjects.http.urls import Urls
from mediaobjects.media_objects import schemas
from mediaobjects.media_objects import service as media
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_objects.views import hls_url_of
from mediaobjects.media_tracks import service as tracks
from mediaobjects.verifiers import Route
from mediaobjects.web.player import PlayerSource, PlayerTrack, player_headers, render_player

router = APIRouter(tags=["player"], responses=ERROR_RESPONSES)


def _page(
    request: Request,
    ctx: AppContext,
    session: Session,
    media_object: MediaObject,
    attachment: Attachment | None,
) -> Response:
    urls = Urls(request, ctx)
    nonce = secrets.token_urlsafe(18)
    rows = media.sources_of(session, [media_object.id])[media_object.id]
    sources = [
        PlayerSource(urls.media_source(s.id, s.name, s.file_ext), s.content_type)
        for s in schemas.ordered_sources(rows)
    ]
    route = (
        Route.attachment(attachment.id)
        if attachment is not None
        else Route.media(media_object.media_id)
    )
    hls_url = hls_url_of(
        urls, route, rows, early=bool(media.streaming_early(session, [media_object]))
    )
    views = tracks.visible_tracks(
        session, media_object=media_object, attachment=attachment, content=False
    )
    track_list = [
        PlayerTrack(
            urls.attachment_track(attachment.id, v.track.id)
            if attachment is not None
            else urls.media_object_track(media_object.media_id, v.track.id),
            v.track.kind,
            v.track.locale,
        )
        for v in views
        if v.track.workflow_state == "ready"
    ]
    poster = None
    if media_object.poster_key:
        poster = (
            urls.attachment_thumbnail(attachment.id)
            if attachment is not None
            else urls.media_object_thumbnail(media_object.media_id)
        )
    html = render_player(
        title=schemas.display_title(media_object),
        media_type=media_object.media_type or "video",
        processing_state=media_object.processing_state,
        processing_error=media_object.processing_error,
        poster_url=poster,
        sources=sources,
        tracks=track_list,
        accept_language=request.headers.get("accept-language"),
        nonce=nonce,
        hls_url=hls_url,
    )
    return HTMLResponse(html, headers=player_headers(nonce))


@router.get(
    "/media_objects_iframe/{media_object_id}",
    summary="Player page for a media object",
    response_class=HTMLResponse,
    responses=PLAYER_RESPONSES,
)
def media_object_iframe(
    media_object_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    verifier: str | None = None,
) -> Response:
    embedded = ctx.verifiers.opens_player(Route.media(media_object_id), verifier)
    media_object = media.open_media_object_player(
        session, principal, media_object_id, embedded=embedded
    )
    return _page(request, ctx, session, media_object, None)


@router.get(
    "/media_attachments_iframe/{attachment_id}",
    summary="Player page for a media attachment",
    response_class=HTMLResponse,
    responses=PLAYER_RESPONSES,
)
def media_attachment_iframe(
    attachment_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    verifier: str | None = None,
) -> Response:
    embedded = ctx.verifiers.opens_player(Route.attachment(attachment_id), verifier)
    attachment, media_object = media.open_attachment_player(
        session, principal, attachment_id, embedded=embedded
    )
    return _page(request, ctx, session, media_object, attachment)
