"""Rules for downloading a track in a caption format (``captions.formats``): who may (whoever
may read the track's content), which formats exist, and what is written. WebVTT is the body
players get, byte for byte; every other format is written from the cues of that WebVTT."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from mediaobjects.accounts.principal import Principal
from mediaobjects.captions import CaptionDocument, CaptionError, normalise_caption
from mediaobjects.captions.formats import DEFAULT_FORMAT, CaptionFormat, FormatError, find_format
from mediaobjects.errors import BadRequest, FieldError, UnprocessableEntity
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.models import MediaTrack

UNREADABLE_MESSAGE = (
    "This track's captions were imported as they were and are not valid WebVTT or SRT ({why}), "
    "so they can only be downloaded as WebVTT (format=vtt). Upload corrected captions to "
    "download them in other formats."
)


@dataclass(frozen=True)
class TrackDownload:
    """A track written in one format: ``body`` is the file's text."""

    track: MediaTrack
    format: CaptionFormat
    body: str


def download_track(
    session: Session,
    principal: Principal,
    track_id: int,
    format_name: str | None,
    *,
    media_object: MediaObject | None = None,
    attachment: Attachment | None = None,
    verified: bool = False,
) -> TrackDownload:
    """The track ``track_id`` of the route written as ``format_name`` (None: WebVTT). Needs
    what reading the track's content needs (``service.get_track_content``: read access, or
    ``verified``), checked first; an unknown format is a 400 naming the available ones, and
    a legacy track whose stored text no longer parses can only be had as WebVTT (422)."""
    track = tracks.get_track_content(
        session,
        principal,
        track_id,
        media_object=media_object,
        attachment=attachment,
        verified=verified,
    )
    try:
        caption_format = find_format(format_name)
    except FormatError as exc:
        raise BadRequest.for_field("format", exc.message, "inclusion") from exc
    return TrackDownload(track, caption_format, write_track(track, caption_format))


def write_track(track: MediaTrack, caption_format: CaptionFormat) -> str:
    """The track's served WebVTT, as it is for WebVTT, else parsed and written anew."""
    served = tracks.served_webvtt(track)
    if caption_format.name == DEFAULT_FORMAT:
        return served
    if served == tracks.EMPTY_WEBVTT:
        # An automatic track still being made (or failed): no cues, in any format.
        return caption_format.render(CaptionDocument(cues=()), track.locale)
    try:
        # Also reads legacy rows that hold SRT (Canvas stored it raw before converting).
        document = normalise_caption(served).document
    except CaptionError as exc:
        message = UNREADABLE_MESSAGE.format(why=str(exc))
        raise UnprocessableEntity(
            message, errors=[FieldError("content", message, "invalid")]
        ) from exc
    try:
        return caption_format.render(document, track.locale)
    except CaptionError as exc:
        # What the format cannot hold (SCC: a cue ending after its last timecode).
        message = f"this track cannot be written as {caption_format.name}: {exc}"
        raise UnprocessableEntity(
            message, errors=[FieldError("content", message, "invalid")]
        ) from exc
