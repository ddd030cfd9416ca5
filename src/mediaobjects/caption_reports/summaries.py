"""Keeping caption summaries true: each track's quality against every profile, recomputed in
the same transaction as the change that could alter it (a track written, restored, retimed or
deleted, or an automatic one requested; the media's duration or speech analysed; the media
deleted), and rebuilt for existing data by ``mediaobjects summarize-captions`` (migration 0004
summarised what existed then).

A track is parsed once per write and checked against the four profiles; the report then reads
the stored numbers. Services call ``refresh_track``, ``forget_track`` and ``refresh_media``;
none of them commits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediaobjects.caption_reports import repository as repo
from mediaobjects.caption_reports.repository import SummaryValues
from mediaobjects.captions import CaptionError, normalise_caption, parse_webvtt
from mediaobjects.captions.quality import (
    PROFILE_NAMES,
    MediaFacts,
    check_profiles,
    speech_intervals_from_json,
)
from mediaobjects.db.base import utcnow
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks.models import MediaTrack


def facts_of(media_object: MediaObject) -> MediaFacts:
    """What the quality rules need to know of the media. The frame rate is not stored, so
    the profiles use their stated fallbacks."""
    return facts_from(media_object.duration, media_object.speech_intervals)


def facts_from(duration: float | None, speech_intervals: str | None) -> MediaFacts:
    """``facts_of`` from the two columns (for the migration, which has no ORM objects)."""
    return MediaFacts(
        duration_ms=None if duration is None else round(duration * 1000),
        frame_rate=None,
        speech_intervals=speech_intervals_from_json(speech_intervals),
    )


# What media_tracks.service.served_webvtt serves for a track with no content yet.
EMPTY_WEBVTT = "WEBVTT\n"


def _served_text(track: MediaTrack) -> str:
    # As media_tracks.service.served_webvtt (which imports this module's callers, so it
    # cannot be imported here): the normalised WebVTT, or the raw text of legacy rows; an
    # automatic track still being made (or whose making failed) serves an empty WebVTT, which
    # is summarised as no cues, and the reports do not count as captions.
    if track.webvtt_content is not None:
        return track.webvtt_content
    if not track.content.strip():
        return EMPTY_WEBVTT
    return track.content


def is_automatic(track: MediaTrack) -> bool:
    """As media_tracks.schemas.is_asr (not imported: that package imports this one)."""
    return track.kind == "subtitles" and track.external_id is not None


def summarise(track: MediaTrack, facts: MediaFacts) -> list[SummaryValues]:
    """The track's numbers for every profile."""
    return summarise_text(_served_text(track), facts)


def summarise_text(served: str, facts: MediaFacts) -> list[SummaryValues]:
    """A track's numbers for every profile from its served text: parsed once, as a download
    parses it. A track whose stored text is not valid WebVTT or SRT (a legacy import) meets no
    profile and has no counts."""
    try:
        # Stored WebVTT is already normalised: parsed as such, not written again.
        if served.lstrip("\ufeff").startswith("WEBVTT"):
            cues = parse_webvtt(served).cues
        else:
            cues = normalise_caption(served).document.cues
    except CaptionError:
        return [SummaryValues(p, None, None, None, None, False) for p in PROFILE_NAMES]
    values = []
    for profile, report in check_profiles(cues, facts, PROFILE_NAMES).items():
        values.append(
            SummaryValues(
                profile=profile,
                cues=len(cues),
                errors=report.errors,
                warnings=report.warnings,
                coverage=report.coverage,
                meets_profile=report.meets_profile,
            )
        )
    return values


def refresh_track(session: Session, track: MediaTrack) -> None:
    """After a track was written (its row flushed): its summaries are recomputed."""
    media_object = repo.get_media_object(session, track.media_object_id)
    if media_object is None:
        return
    repo.replace_summaries(
        session,
        track.id,
        summarise(track, facts_of(media_object)),
        utcnow(),
        automatic=is_automatic(track),
    )


def forget_track(session: Session, track: MediaTrack) -> None:
    """Before a track is deleted: its summaries go with it (the foreign key would delete them
    too; saying so keeps the session's view of the transaction right)."""
    if track.id is not None:
        repo.forget_track(session, track.id)


def refresh_media(session: Session, media_object_id: int) -> int:
    """After something about the media changed (its duration or speech analysis; its
    deletion): every track's summaries are recomputed, or removed once the media object is
    deleted. Returns the number of tracks summarised."""
    media_object = repo.get_media_object(session, media_object_id)
    if media_object is None:
        return 0
    if media_object.workflow_state == "deleted":
        repo.forget_media(session, media_object_id)
        return 0
    facts = facts_of(media_object)
    now = utcnow()
    tracks = repo.tracks_of(session, media_object_id)
    for track in tracks:
        repo.replace_summaries(
            session, track.id, summarise(track, facts), now, automatic=is_automatic(track)
        )
    return len(tracks)


def media_to_summarize(session: Session, *, missing_only: bool) -> list[int]:
    """Ids of the active media objects with tracks (``missing_only``: with a track that has
    no summary yet), for ``mediaobjects summarize-captions``."""
    return repo.media_object_ids_with_tracks(session, missing_only=missing_only)
