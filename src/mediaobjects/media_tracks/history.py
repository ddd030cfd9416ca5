"""What every write of a track records so that no caption edit is lost: the content the write
produced becomes a new version (who, when, how), and a deleted track's versions are marked
deleted rather than removed. Every path that writes a track (PUT, the create route, retime,
restore, the editor) goes through ``record_write`` and every delete through ``record_delete``,
which also keep the track's caption summaries (``caption_reports.summaries``) and its
transcript search index (``transcripts.indexing``) true."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from mediaobjects.caption_reports import summaries
from mediaobjects.media_objects import service as media_objects
from mediaobjects.media_tracks import repository as repo
from mediaobjects.media_tracks.models import MediaTrack, TrackVersion
from mediaobjects.media_tracks.schemas import is_asr
from mediaobjects.transcripts import indexing as transcript_index


def keep_current(session: Session, track: MediaTrack) -> None:
    """Before a track that has no version yet changes (it was stored by something that kept
    none, such as an import), its current content becomes version ``initial``. Call it before
    changing the track."""
    if track.id is not None and not repo.has_versions(session, track.id):
        _add(session, track, "initial", track.user_id, track.updated_at)


def record_write(
    session: Session, track: MediaTrack, reason: str, user_id: int | None
) -> TrackVersion:
    """The track's content as just written becomes its newest version. The track's row must
    be written (flushed) first: on PostgreSQL that row lock orders concurrent writers of one
    track, so their versions are numbered in the order their contents took effect.

    Any write but an automatic one (``asr``) is a person's: an automatic track written by a
    person (edited, retimed, restored, replaced) becomes theirs, ``ready`` and no longer
    automatic, so that no automatic run ever overwrites it (a job still running for it
    finds it no longer automatic and leaves it alone)."""
    if reason != "asr" and track.external_id is not None:
        track.external_id = None
        track.workflow_state = "ready"
        track.asr_error = None
    session.flush()
    transcript_index.index_track(session, track)
    version = _add(session, track, reason, user_id, None)
    summaries.refresh_track(session, track)
    return version


def record_delete(session: Session, track: MediaTrack, user_id: int | None, when: datetime) -> None:
    """The track is about to be deleted: its versions stay, marked deleted, for the retention
    period (MEDIAOBJECTS_TRACK_VERSION_RETENTION_DAYS). Deleting an automatic track while it
    is being made cancels its job (which notices it is gone): the media object stops saying
    ``processing`` unless another automatic track of it still is."""
    # A job writing the track right now (its lock taken first) adds a version: wait for it,
    # so that the versions marked deleted below include that one.
    repo.lock_track(session, track.id)
    if is_asr(track) and track.workflow_state == "processing":
        _forget_auto_captions(session, track)
    keep_current(session, track)
    session.flush()
    repo.mark_versions_deleted(session, track.id, when, user_id)
    transcript_index.forget_track(session, track.id)
    summaries.forget_track(session, track)


def _forget_auto_captions(session: Session, track: MediaTrack) -> None:
    media_object = media_objects.get_media_object(session, track.media_object_id)
    if media_object is None or media_object.auto_caption_status != "processing":
        return
    if not repo.processing_asr_count(session, track.media_object_id, besides=track.id):
        media_object.auto_caption_status = None
        media_object.auto_caption_progress = None


def _add(
    session: Session, track: MediaTrack, reason: str, user_id: int | None, at: datetime | None
) -> TrackVersion:
    version = TrackVersion(
        track_id=track.id,
        media_object_id=track.media_object_id,
        attachment_id=track.attachment_id,
        locale=track.locale,
        kind=track.kind,
        content=track.content,
        webvtt_content=track.webvtt_content,
        reason=reason,
        user_id=user_id,
    )
    if at is not None:
        version.created_at = at
    repo.add_version(session, version)
    session.flush()
    return version
