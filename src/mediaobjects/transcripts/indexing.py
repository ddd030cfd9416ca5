"""Keeping the transcript index in step with the tracks, in the writer's transaction: called
from ``media_tracks.history`` on every write and delete of a track."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.transcripts import repository as repo
from mediaobjects.transcripts.cues import cue_rows


def index_track(session: Session, track: MediaTrack) -> None:
    """The track's cues as now written replace what the index held for it."""
    # What media_tracks.service.served_webvtt serves (imported from there, it would be a
    # cycle: the service writes through history, which calls this).
    served = track.webvtt_content if track.webvtt_content is not None else track.content
    repo.replace_cues(session, track.id, track.media_object_id, cue_rows(served))


def forget_track(session: Session, track_id: int) -> None:
    repo.delete_cues(session, track_id)
