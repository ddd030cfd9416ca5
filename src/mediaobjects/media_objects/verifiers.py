"""The signed verifiers that stand in for read access to media where a browser sends no
Authorization header: the short-lived media verifier (player page, poster, thumbnails,
redirect) and the permanent embed verifier of ``embedded_iframe_url``, which opens the player
page of the one media object or file it names and nothing else."""

from __future__ import annotations

from datetime import datetime

from mediaobjects.signing import Signer

MEDIA_PURPOSE = "media"
# Canvas's file verifier (the attachment's uuid) never expires, and teachers paste
# embedded_iframe_url into course pages that live for years, so this one does not expire
# either. Revoked by deleting the media (404) or by changing the secret key (all at once).
EMBED_PURPOSE = "embed"


def _media_subject(media_id: str) -> str:
    return f"media:{media_id}"


def _attachment_subject(attachment_id: int | str) -> str:
    return f"attachment:{attachment_id}"


def sign_media(signer: Signer, media_id: str, expires_at: datetime) -> str:
    return signer.sign(MEDIA_PURPOSE, _media_subject(media_id), expires_at)


def verify_media(signer: Signer, media_id: str, verifier: str | None) -> bool:
    """A media verifier for this media object that has not expired."""
    return verifier is not None and signer.verify(MEDIA_PURPOSE, _media_subject(media_id), verifier)


def sign_media_object_embed(signer: Signer, media_id: str) -> str:
    """The verifier of ``/media_objects_iframe/:media_id``."""
    return signer.sign(EMBED_PURPOSE, _media_subject(media_id), None)


def sign_attachment_embed(signer: Signer, attachment_id: int) -> str:
    """The verifier of ``/media_attachments_iframe/:attachment_id``."""
    return signer.sign(EMBED_PURPOSE, _attachment_subject(attachment_id), None)


def embeds_media_object(signer: Signer, media_id: str, verifier: str | None) -> bool:
    """Whether ``verifier`` is the embed verifier of the media object page named ``media_id``
    (as written in the path)."""
    return verifier is not None and signer.verify(
        EMBED_PURPOSE, _media_subject(media_id), verifier, allow_permanent=True
    )


def embeds_attachment(signer: Signer, attachment_ref: str, verifier: str | None) -> bool:
    """Whether ``verifier`` is the embed verifier of the file page named ``attachment_ref``
    (as written in the path)."""
    return verifier is not None and signer.verify(
        EMBED_PURPOSE, _attachment_subject(attachment_ref), verifier, allow_permanent=True
    )
