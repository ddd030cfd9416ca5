"""Delivery routes: a media source's bytes (signed URL, Range, ETag; a presigned redirect on
S3), the Canvas ``redirect`` route that picks a rendition by bitrate, and thumbnails."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from mediaobjects.accounts.principal import Principal
from mediaobjects.context import AppContext
from mediaobjects.delivery_cache import SourceFacts
from mediaobjects.files.models import Attachment
from mediaobjects.http.conditional import etag_of, not_modified
from mediaobjects.http.deps import Caller, Ctx, CurrentPrincipal, DbSession
from mediaobjects.http.limits import picture_admission
from mediaobjects.http.openapi import (
    ERROR_RESPONSES,
    MEDIA_SOURCE_RESPONSES,
    REDIRECT_RESPONSES,
    THUMBNAIL_RESPONSES,
)
from mediaobjects.http.streaming import stream_stored
from mediaobjects.http.urls import Urls
from mediaobjects.media_objects import pictures, schemas
from mediaobjects.media_objects import service as media
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_objects.sizes import Size
from mediaobjects.numbers import parse_id
from mediaobjects.verifiers import Route

router = APIRouter(tags=["delivery"], responses=ERROR_RESPONSES)
MAX_THUMBNAIL_SIDE = 2000
# Which standard size a thumbnail response holds: the picture fits in width x height, aspect
# ratio kept (0: that side follows from it). Clients asked for another size scale it.
SIZE_HEADER = "X-Thumbnail-Size"


def _readable(
    session: Session,
    ctx: AppContext,
    principal: Principal,
    media_object: MediaObject,
    attachment: Attachment | None,
    verifier: str | None,
) -> None:
    """A thumbnail verifier made for this very route (D21), or read access (to the attachment
    on attachment routes)."""
    route = (
        Route.attachment(attachment.id)
        if attachment is not None
        else Route.media(media_object.media_id)
    )
    if not ctx.verifiers.opens_thumbnail(route, verifier):
        media.require_read_route(session, principal, media_object, attachment)


@router.get(
    "/media_sources/{source_id}/{filename}",
    summary="A media source's bytes",
    response_class=Response,
    responses=MEDIA_SOURCE_RESPONSES,
)
@router.head(
    "/media_sources/{source_id}/{filename}",
    summary="Headers of a media source",
    operation_id="head_media_source",
    response_class=Response,
    responses=MEDIA_SOURCE_RESPONSES,
)
def show_media_source(
    source_id: str,
    filename: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    caller: Caller,
    verifier: str | None = None,
) -> Response:
    sid = parse_id(source_id)
    verified = ctx.verifiers.opens_source(sid, verifier)
    # A verifier proves the right to read: what it opens may come from the delivery cache,
    # and then the request touches no database at all.
    facts = ctx.deliveries.sources.get(sid) if verified else None
    if facts is None:
        source, media_object = media.load_source(session, sid)
        if not verified:
            media.require_read(session, caller(), media_object)
        facts = SourceFacts(
            key=source.storage_key,
            size=source.size,
            etag=source.etag,
            content_type=source.content_type,
            filename=f"{schemas.display_title(media_object)}.{source.file_ext}",
        )
        ctx.deliveries.sources.put(sid, facts)
    return stream_stored(
        request,
        ctx,
        key=facts.key,
        size=facts.size,
        etag_value=facts.etag,
        content_type=facts.content_type,
        filename=facts.filename,
    )


def _redirect(
    request: Request,
    ctx: AppContext,
    session: Session,
    principal: Principal,
    media_object: MediaObject,
    attachment: Attachment | None,
    bitrate: str | None,
) -> Response:
    # No verifier opens this route: none is handed out for it (D21), so it takes read access.
    media.require_read_route(session, principal, media_object, attachment)
    source = media.pick_source(session, media_object, bitrate)
    url = Urls(request, ctx).media_source(source.id, source.name, source.file_ext)
    return Response(
        status_code=302, headers={"Location": url, "Cache-Control": "private, no-store"}
    )


@router.get(
    "/media_objects/{media_object_id}/redirect",
    summary="Redirect to a rendition",
    status_code=302,
    response_class=Response,
    responses=REDIRECT_RESPONSES,
)
def redirect_media_object(
    media_object_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    bitrate: str | None = None,
) -> Response:
    media_object = media.load_media_object(session, principal, media_object_id)
    return _redirect(request, ctx, session, principal, media_object, None, bitrate)


@router.get(
    "/media_attachments/{attachment_id}/redirect",
    summary="Redirect to a rendition",
    status_code=302,
    response_class=Response,
    responses=REDIRECT_RESPONSES,
)
def redirect_media_attachment(
    attachment_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    bitrate: str | None = None,
) -> Response:
    attachment, media_object = media.load_media_attachment(session, principal, attachment_id)
    return _redirect(request, ctx, session, principal, media_object, attachment, bitrate)


def _thumbnail(
    request: Request,
    ctx: AppContext,
    session: Session,
    principal: Principal,
    media_object: MediaObject,
    attachment: Attachment | None,
    width: int | None,
    height: int | None,
    verifier: str | None,
) -> Response:
    _readable(session, ctx, principal, media_object, attachment, verifier)
    filename = f"{schemas.display_title(media_object)}.jpg"
    admit = picture_admission(ctx, request, principal)
    # A drawing may wait for a slot: the request's read transaction ends here and gives its
    # database connection back (nothing was written). Requests waiting while holding one
    # could take the whole pool, and the drawings they wait for need a connection to finish.
    session.commit()
    found = pictures.picture_of(
        ctx.pipeline, ctx.drawing, ctx.placeholders, media_object, width, height, admit=admit
    )
    if isinstance(found, pictures.DrawnPicture):
        return _placeholder_response(request, found.data, filename, found.standard)
    response = stream_stored(
        request,
        ctx,
        key=found.key,
        size=found.size,
        etag_value=found.etag,
        content_type="image/jpeg",
        filename=filename,
        cache_control="private, max-age=3600",
    )
    if found.standard is not None:
        response.headers[SIZE_HEADER] = str(found.standard)
    return response


def _placeholder_response(request: Request, data: bytes, filename: str, size: Size) -> Response:
    etag = etag_of(data)
    headers = {
        SIZE_HEADER: str(size),
        "ETag": etag,
        # Revalidated each time: the real picture may come.
        "Cache-Control": "no-cache",
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(filename, safe='')}",
        "X-Content-Type-Options": "nosniff",
    }
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(data, headers=headers, media_type="image/jpeg")


Side = Annotated[int | None, Query(ge=1, le=MAX_THUMBNAIL_SIDE)]


@router.get(
    "/media_objects/{media_object_id}/thumbnail",
    summary="A media object's picture",
    response_class=Response,
    responses=THUMBNAIL_RESPONSES,
)
def thumbnail_media_object(
    media_object_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    width: Side = None,
    height: Side = None,
    verifier: str | None = None,
) -> Response:
    media_object = media.load_media_object(session, principal, media_object_id)
    return _thumbnail(request, ctx, session, principal, media_object, None, width, height, verifier)


@router.get(
    "/media_attachments/{attachment_id}/thumbnail",
    summary="A media file's picture",
    response_class=Response,
    responses=THUMBNAIL_RESPONSES,
)
def thumbnail_media_attachment(
    attachment_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    width: Side = None,
    height: Side = None,
    verifier: str | None = None,
) -> Response:
    attachment, media_object = media.load_media_attachment(session, principal, attachment_id)
    return _thumbnail(
        request, ctx, session, principal, media_object, attachment, width, height, verifier
    )
