"""Absolute URLs the API hands out, built from the request's own scheme, host and port, with
signed expiring verifiers where a browser must fetch without an Authorization header
(file downloads, caption tracks: decision D5), and a permanent embed verifier on the player
page URLs (``embedded_iframe_url``; see ``media_objects.verifiers``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import Request

from mediaobjects.context import AppContext
from mediaobjects.media_objects import verifiers

DOWNLOAD_PURPOSE = "download"
TRACK_PURPOSE = "track"
SOURCE_PURPOSE = "source"


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class Urls:
    def __init__(self, request: Request, ctx: AppContext) -> None:
        self.base = base_url(request)
        self._signer = ctx.signer
        self._expires = datetime.now(UTC) + timedelta(seconds=ctx.settings.signed_url_ttl_seconds)

    def file_download(self, attachment_id: int) -> str:
        verifier = self._signer.sign(DOWNLOAD_PURPOSE, f"attachment:{attachment_id}", self._expires)
        return f"{self.base}/files/{attachment_id}/download?download_frd=1&verifier={verifier}"

    def _track_verifier(self, track_id: int) -> str:
        return self._signer.sign(TRACK_PURPOSE, f"track:{track_id}", self._expires)

    def media_object_track(self, media_id: str, track_id: int) -> str:
        verifier = self._track_verifier(track_id)
        return f"{self.base}/media_objects/{media_id}/media_tracks/{track_id}?verifier={verifier}"

    def attachment_track(self, attachment_id: int, track_id: int) -> str:
        verifier = self._track_verifier(track_id)
        return (
            f"{self.base}/media_attachments/{attachment_id}/media_tracks/{track_id}"
            f"?verifier={verifier}"
        )

    def media_source(self, source_id: int, name: str, ext: str) -> str:
        verifier = self._signer.sign(SOURCE_PURPOSE, f"source:{source_id}", self._expires)
        return f"{self.base}/media_sources/{source_id}/{name}.{ext}?verifier={verifier}"

    def media_verifier(self, media_id: str) -> str:
        """Grants reading one media object's player page, poster, thumbnails and redirect
        until the signed URLs expire."""
        return verifiers.sign_media(self._signer, media_id, self._expires)

    def thumbnail(self, media_id: str, width: int = 640, height: int = 360) -> str:
        return (
            f"{self.base}/media_objects/{media_id}/thumbnail?width={width}&height={height}"
            f"&verifier={self.media_verifier(media_id)}"
        )

    # The player pages carry an embed verifier: a browser framing them sends no credentials,
    # and the URL is pasted into course pages, so it must not expire. It opens that page only;
    # the page hands out short-lived URLs for what it plays.
    def media_object_iframe(self, media_id: str) -> str:
        verifier = verifiers.sign_media_object_embed(self._signer, media_id)
        return f"{self.base}/media_objects_iframe/{media_id}?verifier={verifier}"

    def attachment_iframe(self, attachment_id: int) -> str:
        verifier = verifiers.sign_attachment_embed(self._signer, attachment_id)
        return f"{self.base}/media_attachments_iframe/{attachment_id}?verifier={verifier}"


def verify_track(ctx: AppContext, track_id: int, verifier: str | None) -> bool:
    return verifier is not None and ctx.signer.verify(TRACK_PURPOSE, f"track:{track_id}", verifier)


def verify_download(ctx: AppContext, attachment_id: int, verifier: str | None) -> bool:
    return verifier is not None and ctx.signer.verify(
        DOWNLOAD_PURPOSE, f"attachment:{attachment_id}", verifier
    )


def verify_source(ctx: AppContext, source_id: int, verifier: str | None) -> bool:
    return verifier is not None and ctx.signer.verify(
        SOURCE_PURPOSE, f"source:{source_id}", verifier
    )


def verify_media(ctx: AppContext, media_id: str, verifier: str | None) -> bool:
    return verifiers.verify_media(ctx.signer, media_id, verifier)
