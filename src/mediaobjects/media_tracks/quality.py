"""Caption quality of a stored track: who may ask (whoever may read the track's content), what
is known about its media (duration, speech), and the checks of ``captions.quality`` run on the
cues of the WebVTT players get. Shared by the API routes and the web pages."""

from __future__ import annotations

import math

from sqlalchemy.orm import Session

from mediaobjects.accounts.principal import Principal
from mediaobjects.captions import CaptionDocument, CaptionError, normalise_caption, parse_webvtt
from mediaobjects.captions.quality import (
    PROFILE_NAMES,
    MediaFacts,
    QualityReport,
    check_quality,
    speech_intervals_from_json,
)
from mediaobjects.errors import BadRequest, FieldError, UnprocessableEntity
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.models import MediaTrack

DEFAULT_PROFILE = "default"
PROFILE_MESSAGE = "profile must be one of " + ", ".join(PROFILE_NAMES)
UNREADABLE_MESSAGE = (
    "This track's captions were imported as they were and are not valid WebVTT or SRT ({why}), "
    "so their quality cannot be checked. Upload corrected captions to check them."
)


def track_quality(
    session: Session,
    principal: Principal,
    track_id: int,
    profile: str | None,
    *,
    media_object: MediaObject,
    attachment: Attachment | None = None,
) -> QualityReport:
    """The quality of track ``track_id`` of the route (``media_object``, and ``attachment``
    on the attachment route) against ``profile`` (None or blank: ``default``).

    Needs what reading the track's content needs, checked first, so that a caller who may
    not see the track gets the same 401/403/404 as from its GET. Then an unknown profile is
    a 400 naming the profiles, and a legacy track whose text does not parse a 422."""
    track = tracks.get_track_content(
        session, principal, track_id, media_object=media_object, attachment=attachment
    )
    name = quality_profile(profile)
    document = track_document(track)
    return check_quality(document.cues, media_facts(media_object), name)


def quality_profile(profile: str | None) -> str:
    """The profile a request names (any case; None or blank: ``default``); 400 when unknown."""
    if profile is None or profile.strip() == "":
        return DEFAULT_PROFILE
    name = profile.strip().lower()
    if name not in PROFILE_NAMES:
        raise BadRequest.for_field("profile", PROFILE_MESSAGE, "inclusion")
    return name


def media_facts(media_object: MediaObject) -> MediaFacts:
    """What the checks know of the media: its duration and speech intervals when analysed.
    The frame rate is not stored for media sources, so it is always unknown (None): the
    ``netflix`` profile then counts its two-frame gap at 24 fps."""
    duration = media_object.duration
    duration_ms = None
    if duration is not None and math.isfinite(duration) and duration >= 0:
        duration_ms = round(duration * 1000)
    return MediaFacts(
        duration_ms=duration_ms,
        frame_rate=None,
        speech_intervals=speech_intervals_from_json(media_object.speech_intervals),
    )


def track_document(track: MediaTrack) -> CaptionDocument:
    """The cues players get: the served WebVTT parsed; legacy rows that still hold SRT are
    read as SRT. 422 when it parses as neither (content imported leniently)."""
    served = tracks.served_webvtt(track)
    try:
        if served.removeprefix("\ufeff").startswith("WEBVTT"):
            # What we serve was written by our WebVTT writer: parsing it is enough (the
            # normalisation would also write it again, doubling the cost on large tracks).
            return parse_webvtt(served)
        return normalise_caption(served).document
    except CaptionError as exc:
        message = UNREADABLE_MESSAGE.format(why=str(exc))
        raise UnprocessableEntity(
            message, errors=[FieldError("content", message, "invalid")]
        ) from exc
