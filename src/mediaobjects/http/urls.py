"""Absolute URLs the API hands out, with the signed verifiers a browser needs where it sends no
Authorization header (file downloads, media sources, caption tracks, thumbnails: decisions D5
and D21; see ``mediaobjects.verifiers``), and the permanent embed verifier on the player pages
(``embedded_iframe_url``).

Every absolute URL starts with ``MEDIAOBJECTS_PUBLIC_URL`` when it is set. Otherwise it is built
from the request's scheme and Host header, as a single-command install on any address needs,
which also means that a client (or a cache in front of the service) decides what the links
say: deployments behind a proxy or cache set the public URL (docs/deploying.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request

from mediaobjects.context import AppContext
from mediaobjects.verifiers import Route


def base_url(request: Request) -> str:
    """The service's base URL as clients reach it, without a trailing slash."""
    ctx = request.app.state.ctx
    assert isinstance(ctx, AppContext)
    configured: str | None = ctx.settings.public_url
    if configured:
        return configured.rstrip("/")
    return str(request.base_url).rstrip("/")


def request_url(request: Request) -> str:
    """The URL of this request as clients reach it (path and query as received)."""
    query = request.url.query
    return base_url(request) + request.url.path + (f"?{query}" if query else "")


def expiry(now: datetime, ttl_seconds: int) -> datetime:
    """When URLs signed ``now`` expire: ``ttl_seconds`` later, rounded down to a step of up to
    a minute (a 360th of the TTL), so that every request within that step hands out the same
    URLs. Signatures are then computed once per step, not per request (``signing``), and
    browsers see the same URL for the same bytes."""
    step = max(1, min(60, ttl_seconds // 360))
    at = int(now.timestamp()) + ttl_seconds
    return datetime.fromtimestamp(at - at % step, UTC)


class Urls:
    def __init__(self, request: Request, ctx: AppContext) -> None:
        self.base = base_url(request)
        self._verifiers = ctx.verifiers
        self._expires = expiry(datetime.now(UTC), ctx.settings.signed_url_ttl_seconds)
        # One signature a route: a live playlist names thousands of pieces of the same route.
        self._stream_verifiers: dict[Route, str] = {}

    def file_download(self, attachment_id: int) -> str:
        verifier = self._verifiers.download(attachment_id, self._expires)
        return f"{self.base}/files/{attachment_id}/download?download_frd=1&verifier={verifier}"

    def media_object_track(self, media_id: str, track_id: int) -> str:
        verifier = self._verifiers.track(Route.media(media_id), track_id, self._expires)
        return f"{self.base}/media_objects/{media_id}/media_tracks/{track_id}?verifier={verifier}"

    def attachment_track(self, attachment_id: int, track_id: int) -> str:
        verifier = self._verifiers.track(Route.attachment(attachment_id), track_id, self._expires)
        return (
            f"{self.base}/media_attachments/{attachment_id}/media_tracks/{track_id}"
            f"?verifier={verifier}"
        )

    def media_source(self, source_id: int, name: str, ext: str) -> str:
        verifier = self._verifiers.source(source_id, self._expires)
        return f"{self.base}/media_sources/{source_id}/{name}.{ext}?verifier={verifier}"

    def media_object_thumbnail(self, media_id: str, width: int = 640, height: int = 360) -> str:
        verifier = self._verifiers.thumbnail(Route.media(media_id), self._expires)
        return (
            f"{self.base}/media_objects/{media_id}/thumbnail?width={width}&height={height}"
            f"&verifier={verifier}"
        )

    def attachment_thumbnail(self, attachment_id: int, width: int = 640, height: int = 360) -> str:
        verifier = self._verifiers.thumbnail(Route.attachment(attachment_id), self._expires)
        return (
            f"{self.base}/media_attachments/{attachment_id}/thumbnail?width={width}"
            f"&height={height}&verifier={verifier}"
        )

    def route_base(self, route: Route) -> str:
        kind = "media_objects" if route.kind == "media" else "media_attachments"
        return f"{self.base}/{kind}/{route.ref}"

    def hls(self, route: Route, path: str = "master.m3u8") -> str:
        """An HLS playlist of the route (``master.m3u8``, ``variants/<name>.m3u8``,
        ``subtitles/<track id>.m3u8``), with a verifier that opens that route's playlists."""
        verifier = self._stream_verifiers.get(route)
        if verifier is None:
            verifier = self._stream_verifiers[route] = self._verifiers.stream(route, self._expires)
        return f"{self.route_base(route)}/hls/{path}?verifier={verifier}"

    def track(self, route: Route, track_id: int) -> str:
        if route.kind == "attachment":
            return self.attachment_track(int(route.ref), track_id)
        return self.media_object_track(route.ref, track_id)

    def upload(self, nonce: str, expires_at: datetime) -> str:
        verifier = self._verifiers.upload(nonce, expires_at)
        return f"{self.base}/files_api/uploads/{nonce}?token={verifier}"

    # The player pages carry an embed verifier: a browser framing them sends no credentials,
    # and the URL is pasted into course pages, so it must not expire. It opens that page only;
    # the page hands out short-lived URLs for what it plays.
    def media_object_iframe(self, media_id: str) -> str:
        verifier = self._verifiers.embed(Route.media(media_id))
        return f"{self.base}/media_objects_iframe/{media_id}?verifier={verifier}"

    def attachment_iframe(self, attachment_id: int) -> str:
        verifier = self._verifiers.embed(Route.attachment(attachment_id))
        return f"{self.base}/media_attachments_iframe/{attachment_id}?verifier={verifier}"
