"""What each signed URL grants (decision D21): one purpose and one resource, nothing else.

Browsers fetch media, captions and player pages without an Authorization header, so the URLs
the API hands out carry a ``verifier`` (``signing.Signer``). Each is bound to a purpose and to
the resource of the route it was made for: a thumbnail verifier of ``/media_objects/m1`` opens
that thumbnail and not ``/media_attachments/7/thumbnail`` of the same media (a student's private
copy), nor any player page; a track verifier opens one track on one route. Only the embed
verifier of ``embedded_iframe_url`` is permanent (Canvas's file verifier never expires, and
teachers paste the URL into pages that live for years); it opens its one player page, which
hands out short-lived verifiers for what it plays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from mediaobjects.signing import Signer

DOWNLOAD = "download"
UPLOAD = "upload"
SOURCE = "source"
TRACK = "track"
THUMBNAIL = "thumbnail"
STREAM = "stream"
EMBED = "embed"
LTI_PICKER = "lti_picker"


@dataclass(frozen=True)
class Route:
    """The resource a media route names: ``/media_objects/:media_id/...`` or
    ``/media_attachments/:attachment_id/...``, with the id as the route carries it."""

    kind: Literal["media", "attachment"]
    ref: str

    @classmethod
    def media(cls, media_id: str) -> Route:
        return cls("media", media_id)

    @classmethod
    def attachment(cls, attachment_id: int | str) -> Route:
        return cls("attachment", str(attachment_id))

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.ref}"


def _track_subject(route: Route, track_id: int) -> str:
    return f"{route.subject}/track:{track_id}"


class Verifiers:
    """Signs and checks the verifiers of every purpose with the installation's signer."""

    def __init__(self, signer: Signer) -> None:
        self._signer = signer

    def _check(self, purpose: str, subject: str, verifier: str | None, *, permanent: bool) -> bool:
        return verifier is not None and self._signer.verify(
            purpose, subject, verifier, allow_permanent=permanent
        )

    # ---- file bytes and uploads
    def download(self, attachment_id: int, expires_at: datetime) -> str:
        return self._signer.sign(DOWNLOAD, f"attachment:{attachment_id}", expires_at)

    def opens_download(self, attachment_id: int, verifier: str | None) -> bool:
        return self._check(DOWNLOAD, f"attachment:{attachment_id}", verifier, permanent=False)

    def upload(self, nonce: str, expires_at: datetime) -> str:
        return self._signer.sign(UPLOAD, nonce, expires_at)

    def opens_upload(self, nonce: str, verifier: str | None) -> bool:
        return self._check(UPLOAD, nonce, verifier, permanent=False)

    # ---- what a player fetches
    def source(self, source_id: int, expires_at: datetime) -> str:
        return self._signer.sign(SOURCE, f"source:{source_id}", expires_at)

    def opens_source(self, source_id: int, verifier: str | None) -> bool:
        return self._check(SOURCE, f"source:{source_id}", verifier, permanent=False)

    def track(self, route: Route, track_id: int, expires_at: datetime) -> str:
        return self._signer.sign(TRACK, _track_subject(route, track_id), expires_at)

    def opens_track(self, route: Route, track_id: int, verifier: str | None) -> bool:
        return self._check(TRACK, _track_subject(route, track_id), verifier, permanent=False)

    def thumbnail(self, route: Route, expires_at: datetime) -> str:
        return self._signer.sign(THUMBNAIL, route.subject, expires_at)

    def opens_thumbnail(self, route: Route, verifier: str | None) -> bool:
        return self._check(THUMBNAIL, route.subject, verifier, permanent=False)

    def stream(self, route: Route, expires_at: datetime) -> str:
        """Opens the HLS playlists (master, variants, subtitles, the early stream's live
        playlist) of one route, and the early stream's pieces; the renditions' bytes and the
        tracks they list carry verifiers of their own."""
        return self._signer.sign(STREAM, route.subject, expires_at)

    def opens_stream(self, route: Route, verifier: str | None) -> bool:
        return self._check(STREAM, route.subject, verifier, permanent=False)

    # ---- the player page
    def embed(self, route: Route) -> str:
        return self._signer.sign(EMBED, route.subject, None)

    def player(self, route: Route, expires_at: datetime) -> str:
        """An expiring verifier of the player page (an LTI resource launch hands one out
        after checking who may view the media from where; the LMS launches again each time)."""
        return self._signer.sign(EMBED, route.subject, expires_at)

    def opens_player(self, route: Route, verifier: str | None) -> bool:
        return self._check(EMBED, route.subject, verifier, permanent=True)

    # ---- the LTI deep-link picker's script
    def lti_picker(self, launch_id: str, user_id: int, expires_at: datetime) -> str:
        """The picker token of a deep-linking launch: its page's script sends it in a header
        (``lti.picker``), since the LMS's frame carries no cookie of ours."""
        return self._signer.sign(LTI_PICKER, _picker_subject(launch_id, user_id), expires_at)

    def opens_lti_picker(self, launch_id: str, user_id: int, verifier: str | None) -> bool:
        return self._check(
            LTI_PICKER, _picker_subject(launch_id, user_id), verifier, permanent=False
        )


def _picker_subject(launch_id: str, user_id: int) -> str:
    return f"launch:{launch_id}/user:{user_id}"
