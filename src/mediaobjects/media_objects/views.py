"""Assembles MediaObject JSON for a request: the caller's caption rights, the tracks visible on
the route, the media sources, and the signed URLs. Shared by the media object and media track
routes (both answer with MediaObject JSON somewhere)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from mediaobjects.accounts.principal import Principal
from mediaobjects.files import service as files
from mediaobjects.files.models import Attachment
from mediaobjects.http.urls import Urls
from mediaobjects.media_objects import rights, schemas
from mediaobjects.media_objects import service as media
from mediaobjects.media_objects.models import MediaObject, SourceRow
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.schemas import track_summary_json
from mediaobjects.verifiers import Route


def _sources_json(urls: Urls, sources: list[SourceRow]) -> list[dict[str, Any]]:
    return [
        schemas.source_json(source, urls.media_source(source.id, source.name, source.file_ext))
        for source in schemas.ordered_sources(sources)
    ]


def hls_url_of(
    urls: Urls, route: Route, sources: list[SourceRow], *, early: bool = False
) -> str | None:
    """The master playlist's signed URL once a rendition streams; before that, the live
    playlist's when the media has an ``early`` stream growing; else None."""
    if any(source.streamable for source in sources):
        return urls.hls(route)
    return urls.hls(route, "live.m3u8") if early else None


def media_object_payload(
    session: Session,
    principal: Principal,
    urls: Urls,
    media_object: MediaObject,
    *,
    include_tracks: bool = True,
    include_sources: bool = True,
) -> dict[str, Any]:
    """The media-object serializer (§2.1): tracks of the media-object view, every user's."""
    track_list = None
    if include_tracks:
        track_list = [
            track_summary_json(
                view.track, urls.media_object_track(media_object.media_id, view.track.id)
            )
            for view in tracks.visible_tracks(session, media_object=media_object, content=False)
        ]
    sources = hls_url = None
    if include_sources:
        found = media.sources_of(session, [media_object.id])[media_object.id]
        sources = _sources_json(urls, found)
        early = bool(media.streaming_early(session, [media_object]))
        hls_url = hls_url_of(urls, Route.media(media_object.media_id), found, early=early)
    return schemas.media_object_json(
        media_object,
        can_add_captions=rights.caption_rights(session, principal, media_object).add,
        embedded_iframe_url=urls.media_object_iframe(media_object.media_id),
        thumbnail_url=urls.media_object_thumbnail(media_object.media_id)
        if media_object.poster_key
        else None,
        tracks=track_list,
        sources=sources,
        hls_url=hls_url,
    )


def media_object_page_payload(
    session: Session,
    principal: Principal,
    urls: Urls,
    items: list[MediaObject],
    *,
    include_tracks: bool = True,
    include_sources: bool = True,
) -> list[dict[str, Any]]:
    """``media_object_payload`` for a page of media objects, with the page's files and tracks
    loaded in one query each instead of one per media object."""
    # Held in a local: the session's identity map only keeps weak references, and the rights
    # and sources below look each file up by id.
    loaded = files.preload_attachments(
        session, [mo.attachment_id for mo in items if mo.attachment_id is not None]
    )
    page_tracks = tracks.visible_tracks_of_many(session, items) if include_tracks else {}
    page_sources = media.sources_of(session, [mo.id for mo in items]) if include_sources else {}
    early = media.streaming_early(session, items) if include_sources else set()
    out = []
    for media_object in items:
        track_list = None
        if include_tracks:
            track_list = [
                track_summary_json(track, urls.media_object_track(media_object.media_id, track.id))
                for track in page_tracks[media_object.id]
            ]
        sources = hls_url = None
        if include_sources:
            sources = _sources_json(urls, page_sources[media_object.id])
            route = Route.media(media_object.media_id)
            hls_url = hls_url_of(
                urls, route, page_sources[media_object.id], early=media_object.id in early
            )
        out.append(
            schemas.media_object_json(
                media_object,
                can_add_captions=rights.caption_rights(session, principal, media_object).add,
                embedded_iframe_url=urls.media_object_iframe(media_object.media_id),
                thumbnail_url=urls.media_object_thumbnail(media_object.media_id)
                if media_object.poster_key
                else None,
                tracks=track_list,
                sources=sources,
                hls_url=hls_url,
            )
        )
    del loaded
    return out


def attachment_payload(
    session: Session,
    principal: Principal,
    urls: Urls,
    attachment: Attachment,
    media_object: MediaObject,
) -> dict[str, Any]:
    """The attachment serializer (§2.4): rights and tracks as seen through this file."""
    found = media.sources_of(session, [media_object.id])[media_object.id]
    track_list = [
        track_summary_json(
            view.track, urls.attachment_track(attachment.id, view.track.id), view.inherited
        )
        for view in tracks.visible_tracks(
            session, media_object=media_object, attachment=attachment, content=False
        )
    ]
    return schemas.media_object_json(
        media_object,
        can_add_captions=files.can_update(session, principal, attachment),
        embedded_iframe_url=urls.attachment_iframe(attachment.id),
        # The attachment's own route: a verifier opens only the route it was made for (D21).
        thumbnail_url=urls.attachment_thumbnail(attachment.id) if media_object.poster_key else None,
        tracks=track_list,
        sources=_sources_json(urls, found),
        hls_url=hls_url_of(
            urls,
            Route.attachment(attachment.id),
            found,
            early=bool(media.streaming_early(session, [media_object])),
        ),
    )
