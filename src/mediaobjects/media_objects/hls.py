"""HLS routes: the master playlist of a media object (or of a media file, the attachment twin),
its variant playlists (byte ranges of each fragmented rendition) and one-segment subtitle
playlists of its caption tracks, written per request; and, while the ladder runs on an upload
that cannot be played as it is, the live playlist of its early stream (``media_objects.live``)
with the pieces it names.

The playlists open with the ``stream`` verifier of their route (what ``hls_url`` carries) or
with read access. Every URI in them is absolute and signed: variants with the same route's
verifier, media bytes with the source's, subtitles with the track's, so a player that sends no
credentials can follow all of them (a relative URI would drop the verifier)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from mediaobjects.captions import KINDS, locale_label
from mediaobjects.captions.locales import preferred_locale
from mediaobjects.context import AppContext
from mediaobjects.errors import NotFound
from mediaobjects.files.models import Attachment
from mediaobjects.http.deps import Caller, Ctx, DbSession, LazyPrincipal
from mediaobjects.http.openapi import ERROR_RESPONSES, HLS_RESPONSES, MEDIA_SOURCE_RESPONSES
from mediaobjects.http.streaming import stream_stored
from mediaobjects.http.urls import Urls
from mediaobjects.media_objects import service as media
from mediaobjects.media_objects import streaming
from mediaobjects.media_objects.models import LIVE_INIT_SEQUENCE, MediaObject
from mediaobjects.media_tracks import service as tracks
from mediaobjects.numbers import parse_id
from mediaobjects.streaming import playlists
from mediaobjects.transcoding.live import LIVE_SEGMENT_SECONDS
from mediaobjects.verifiers import Route

router = APIRouter(tags=["delivery"], responses=ERROR_RESPONSES)

# Track kinds a player shows as subtitles; descriptions, chapters and metadata are not.
SUBTITLE_KINDS = ("subtitles", "captions")


def _open(
    ctx: AppContext,
    session: Session,
    caller: LazyPrincipal,
    route: Route,
    verifier: str | None,
) -> tuple[MediaObject, Attachment | None]:
    """The media (and file) the route names, if the verifier opens its playlists or the caller
    may read it there."""
    verified = ctx.verifiers.opens_stream(route, verifier)
    principal = caller.beside_verifier() if verified else caller()
    attachment: Attachment | None = None
    if route.kind == "attachment":
        attachment, media_object = media.load_media_attachment(session, principal, route.ref)
    else:
        media_object = media.load_media_object(session, principal, route.ref)
    if not verified:
        media.require_read_route(session, principal, media_object, attachment)
    return media_object, attachment


def _playlist(text: str) -> Response:
    # The URIs inside are signed for a few hours; a cached copy would outlive them.
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    return Response(text, media_type=playlists.CONTENT_TYPE, headers=headers)


def _subtitle_kind(kind: str) -> str | None:
    kind = kind if kind in KINDS else "subtitles"  # as the player page shows unknown kinds
    return kind if kind in SUBTITLE_KINDS else None


def _master(
    request: Request,
    ctx: AppContext,
    session: Session,
    caller: LazyPrincipal,
    route: Route,
    verifier: str | None,
) -> Response:
    media_object, attachment = _open(ctx, session, caller, route, verifier)
    renditions = streaming.stream_renditions(session, media_object)
    urls = Urls(request, ctx)
    variants = []
    for rendition in renditions:
        peak, average = playlists.peak_and_average(_segments(urls, rendition))
        variants.append(
            playlists.Variant(
                uri=urls.hls(route, f"variants/{rendition.name}.m3u8"),
                bandwidth=peak,
                average_bandwidth=average,
                width=rendition.width,
                height=rendition.height,
                codecs=rendition.index.codecs or None,
            )
        )
    views = [
        view
        for view in tracks.visible_tracks(
            session, media_object=media_object, attachment=attachment, content=False
        )
        if view.track.workflow_state == "ready" and _subtitle_kind(view.track.kind) is not None
    ]
    default = preferred_locale(
        request.headers.get("accept-language"), [view.track.locale for view in views]
    )
    subtitles: list[playlists.SubtitleRendition] = []
    names: set[str] = set()
    for view in views:
        track = view.track
        name = locale_label(track.locale)
        kind = _subtitle_kind(track.kind)
        if name in names:  # NAME is unique within a group
            name = f"{name} ({kind}, {track.id})"
        names.add(name)
        subtitles.append(
            playlists.SubtitleRendition(
                uri=urls.hls(route, f"subtitles/{track.id}.m3u8"),
                name=name,
                language=track.locale,
                default=track.locale == default and not any(s.default for s in subtitles),
                captions=kind == "captions",
            )
        )
    return _playlist(playlists.master_playlist(variants, subtitles))


def _segments(urls: Urls, rendition: streaming.StreamRendition) -> list[playlists.Segment]:
    media_url = urls.media_source(rendition.source_id, rendition.name, rendition.file_ext)
    return [
        playlists.Segment(
            media_url, segment.duration, playlists.ByteRange(segment.offset, segment.length)
        )
        for segment in rendition.index.segments
    ]


def _variant_text(urls: Urls, rendition: streaming.StreamRendition) -> str:
    media_url = urls.media_source(rendition.source_id, rendition.name, rendition.file_ext)
    return playlists.media_playlist(
        _segments(urls, rendition),
        map_uri=media_url,
        map_range=playlists.ByteRange(0, rendition.index.header_length),
    )


def _variant(
    request: Request,
    ctx: AppContext,
    session: Session,
    caller: LazyPrincipal,
    route: Route,
    name: str,
    verifier: str | None,
) -> Response:
    media_object, _ = _open(ctx, session, caller, route, verifier)
    rendition = streaming.stream_rendition(session, media_object, name)
    return _playlist(_variant_text(Urls(request, ctx), rendition))


def _live(
    request: Request,
    ctx: AppContext,
    session: Session,
    caller: LazyPrincipal,
    route: Route,
    verifier: str | None,
) -> Response:
    """The early stream as an EVENT playlist, growing with each reload; once processing is
    over, the same segments, ended, for as long as they are kept. A player keeps its segments'
    URIs: hls.js 1.7.4 stops with a fatal error when a reload names a segment by another URI,
    and never fires ``ended`` after mixing these pieces with the rendition's fragments (their
    audio is cut a few milliseconds apart), both measured (docs/streaming.md). New players get
    the master playlist (``hls_url``); once the pieces are gone, a late request for this URL
    gets the lowest rendition's playlist, which a fresh player plays from its start."""
    media_object, _ = _open(ctx, session, caller, route, verifier)
    urls = Urls(request, ctx)
    try:
        segments = streaming.early_stream(session, media_object)
    except NotFound:
        lowest = streaming.stream_renditions(session, media_object)[0]  # NotFound: none
        return _playlist(_variant_text(urls, lowest))
    text = playlists.media_playlist(
        [
            playlists.Segment(urls.hls(route, f"live/{piece.sequence}.m4s"), piece.duration)
            for piece in segments
        ],
        map_uri=urls.hls(route, f"live/{LIVE_INIT}"),
        # Growing while processing; then ended (VOD), the same segments under the same URIs.
        ended=media_object.processing_state != "processing",
        target=LIVE_SEGMENT_SECONDS,
    )
    return _playlist(text)


LIVE_INIT = "init.mp4"
_LIVE_SEGMENT = re.compile(r"(0|[1-9][0-9]{0,8})\.m4s")


def _live_piece(
    request: Request,
    ctx: AppContext,
    session: Session,
    caller: LazyPrincipal,
    route: Route,
    piece_name: str,
    verifier: str | None,
) -> Response:
    media_object, _ = _open(ctx, session, caller, route, verifier)
    if piece_name == LIVE_INIT:
        sequence = LIVE_INIT_SEQUENCE
    elif (found := _LIVE_SEGMENT.fullmatch(piece_name)) is not None:
        sequence = int(found.group(1))
    else:
        raise NotFound()
    piece = streaming.early_piece(session, media_object, sequence)
    return stream_stored(
        request,
        ctx,
        key=piece.storage_key,
        size=piece.size,
        etag_value=piece.etag,
        content_type=LIVE_CONTENT_TYPE,
        filename=piece_name,
    )


# Both pieces are ISO BMFF; "video/mp4" is what browsers and hls.js take without question.
LIVE_CONTENT_TYPE = "video/mp4"


def _subtitles(
    request: Request,
    ctx: AppContext,
    session: Session,
    caller: LazyPrincipal,
    route: Route,
    track_ref: str,
    verifier: str | None,
) -> Response:
    media_object, attachment = _open(ctx, session, caller, route, verifier)
    track_id = parse_id(track_ref)
    shown = {
        view.track.id
        for view in tracks.visible_tracks(
            session, media_object=media_object, attachment=attachment, content=False
        )
        if view.track.workflow_state == "ready"
    }
    if track_id not in shown:
        raise NotFound()
    # The WebVTT covers the whole media: cue times are media times (the renditions start at
    # 0), so no X-TIMESTAMP-MAP is needed (hls.js then maps cue 0 to the first fragment's 0).
    duration = media_object.duration or 0.0
    text = playlists.subtitle_playlist(Urls(request, ctx).track(route, track_id), duration)
    return _playlist(text)


@router.get(
    "/media_objects/{media_object_id}/hls/master.m3u8",
    summary="HLS master playlist of a media object",
    response_class=Response,
    responses=HLS_RESPONSES,
)
def show_media_object_master_playlist(
    media_object_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    caller: Caller,
    verifier: str | None = None,
) -> Response:
    return _master(request, ctx, session, caller, Route.media(media_object_id), verifier)


@router.get(
    "/media_attachments/{attachment_id}/hls/master.m3u8",
    summary="HLS master playlist of a media file",
    response_class=Response,
    responses=HLS_RESPONSES,
)
def show_media_attachment_master_playlist(
    attachment_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    caller: Caller,
    verifier: str | None = None,
) -> Response:
    return _master(request, ctx, session, caller, Route.attachment(attachment_id), verifier)


@router.get(
    "/media_objects/{media_object_id}/hls/variants/{name}.m3u8",
    summary="HLS playlist of one rendition of a media object",
    response_class=Response,
    responses=HLS_RESPONSES,
)
def show_media_object_variant_playlist(
    media_object_id: str,
    name: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    caller: Caller,
    verifier: str | None = None,
) -> Response:
    route = Route.media(media_object_id)
    return _variant(request, ctx, session, caller, route, name, verifier)


@router.get(
    "/media_attachments/{attachment_id}/hls/variants/{name}.m3u8",
    summary="HLS playlist of one rendition of a media file",
    response_class=Response,
    responses=HLS_RESPONSES,
)
def show_media_attachment_variant_playlist(
    attachment_id: str,
    name: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    caller: Caller,
    verifier: str | None = None,
) -> Response:
    route = Route.attachment(attachment_id)
    return _variant(request, ctx, session, caller, route, name, verifier)


@router.get(
    "/media_objects/{media_object_id}/hls/live.m3u8",
    summary="HLS playlist of a media object's early stream while it is processed",
    response_class=Response,
    responses=HLS_RESPONSES,
)
def show_media_object_live_playlist(
    media_object_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    caller: Caller,
    verifier: str | None = None,
) -> Response:
    return _live(request, ctx, session, caller, Route.media(media_object_id), verifier)


@router.get(
    "/media_attachments/{attachment_id}/hls/live.m3u8",
    summary="HLS playlist of a media file's early stream while it is processed",
    response_class=Response,
    responses=HLS_RESPONSES,
)
def show_media_attachment_live_playlist(
    attachment_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    caller: Caller,
    verifier: str | None = None,
) -> Response:
    return _live(request, ctx, session, caller, Route.attachment(attachment_id), verifier)


@router.get(
    "/media_objects/{media_object_id}/hls/live/{piece}",
    summary="A piece of a media object's early stream",
    response_class=Response,
    responses=MEDIA_SOURCE_RESPONSES,
)
@router.head(
    "/media_objects/{media_object_id}/hls/live/{piece}",
    summary="Headers of a piece of a media object's early stream",
    operation_id="head_media_object_live_piece",
    response_class=Response,
    responses=MEDIA_SOURCE_RESPONSES,
)
def show_media_object_live_piece(
    media_object_id: str,
    piece: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    caller: Caller,
    verifier: str | None = None,
) -> Response:
    route = Route.media(media_object_id)
    return _live_piece(request, ctx, session, caller, route, piece, verifier)


@router.get(
    "/media_attachments/{attachment_id}/hls/live/{piece}",
    summary="A piece of a media file's early stream",
    response_class=Response,
    responses=MEDIA_SOURCE_RESPONSES,
)
@router.head(
    "/media_attachments/{attachment_id}/hls/live/{piece}",
    summary="Headers of a piece of a media file's early stream",
    operation_id="head_media_attachment_live_piece",
    response_class=Response,
    responses=MEDIA_SOURCE_RESPONSES,
)
def show_media_attachment_live_piece(
    attachment_id: str,
    piece: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    caller: Caller,
    verifier: str | None = None,
) -> Response:
    route = Route.attachment(attachment_id)
    return _live_piece(request, ctx, session, caller, route, piece, verifier)


@router.get(
    "/media_objects/{media_object_id}/hls/subtitles/{track_id}.m3u8",
    summary="HLS playlist of one caption track of a media object",
    response_class=Response,
    responses=HLS_RESPONSES,
)
def show_media_object_subtitle_playlist(
    media_object_id: str,
    track_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    caller: Caller,
    verifier: str | None = None,
) -> Response:
    route = Route.media(media_object_id)
    return _subtitles(request, ctx, session, caller, route, track_id, verifier)


@router.get(
    "/media_attachments/{attachment_id}/hls/subtitles/{track_id}.m3u8",
    summary="HLS playlist of one caption track of a media file",
    response_class=Response,
    responses=HLS_RESPONSES,
)
def show_media_attachment_subtitle_playlist(
    attachment_id: str,
    track_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    caller: Caller,
    verifier: str | None = None,
) -> Response:
    route = Route.attachment(attachment_id)
    return _subtitles(request, ctx, session, caller, route, track_id, verifier)
