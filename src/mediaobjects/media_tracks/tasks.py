"""The media tracks' job and periodic chore: ``transcribe_track`` (automatic captions, see
``media_tracks.transcribe``), and removing the versions of tracks deleted longer ago than
MEDIAOBJECTS_TRACK_VERSION_RETENTION_DAYS, run wherever jobs are consumed. The composition root
(``mediaobjects.context``) hands in the unit of work, the pipeline, the engine and the queue."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from mediaobjects.asr import SpeechEngine
from mediaobjects.db.base import utcnow
from mediaobjects.jobs import JobContext, JobQueue
from mediaobjects.media_objects.pipeline import Pipeline
from mediaobjects.media_tracks import repository as repo
from mediaobjects.media_tracks.transcribe import AsrLimits, give_up, transcribe_track
from mediaobjects.media_tracks.versions import remove_expired_versions

log = logging.getLogger(__name__)

# Hourly: a deleted track's versions outlive the retention period by an hour at most.
EXPIRY_INTERVAL_SECONDS = 3600.0


def expired_versions_chore(
    write: Callable[[], AbstractContextManager[Session]],
    retention_days: int,
    clock: Callable[[], datetime] = utcnow,
) -> Callable[[], int]:
    """The chore as a function of no arguments; ``clock`` is what time it is (tests move it)."""

    def run() -> int:
        with write() as session:
            removed = remove_expired_versions(session, retention_days=retention_days, now=clock())
        if removed:
            log.info("removed %d version(s) of caption tracks deleted long ago", removed)
        return removed

    return run


def register_track_chores(
    queue: JobQueue,
    write: Callable[[], AbstractContextManager[Session]],
    *,
    retention_days: int,
) -> None:
    queue.add_chore(
        "remove expired versions of deleted caption tracks",
        expired_versions_chore(write, retention_days),
        every=EXPIRY_INTERVAL_SECONDS,
    )


# Like process_media: an engine crash (EngineFailed) is tried again, 5 s then 25 s later.
TRANSCRIBE_TRIES = 3


def register_transcribe_job(
    queue: JobQueue,
    pipeline: Pipeline,
    engine: Callable[[], SpeechEngine | None],
    *,
    limits: AsrLimits,
    time_limit: float,
    unqueued_after: float = 60.0,
) -> None:
    """Registers ``transcribe_track(track_id)`` in the media pipeline's queue. ``engine`` is
    asked at each run (None: automatic captions are off, and the track ends failed saying
    so). The job stops itself at its own limit (``limits``, not retried); ``time_limit``
    (MEDIAOBJECTS_TRANSCODE_TIMEOUT_SECONDS) bounds a try as for the other media jobs."""

    def transcribe(job: JobContext, track_id: int) -> str:
        return transcribe_track(pipeline, engine(), int(track_id), limits=limits, job=job)

    def gave_up(kwargs: dict[str, Any], exc: BaseException | None) -> None:
        give_up(pipeline, int(kwargs["track_id"]), exc)

    queue.register(
        "transcribe_track",
        transcribe,
        tries=TRANSCRIBE_TRIES,
        timeout=time_limit,
        on_give_up=gave_up,
    )
    queue.add_chore(
        "queue transcriptions that were never queued or were lost",
        lambda: queue_unqueued_transcriptions(pipeline, queue, older_than=unqueued_after),
        every=max(1.0, unqueued_after / 2),
    )


def queue_unqueued_transcriptions(pipeline: Pipeline, queue: JobQueue, *, older_than: float) -> int:
    """Queues ``transcribe_track`` for automatic tracks still processing, unchanged for
    ``older_than`` seconds, that no job is queued or running for (the queue was unreachable
    when captions were requested, or lost the job). Returns how many were queued."""
    with pipeline.reader() as session:
        waiting = repo.asr_processing_before(session, utcnow() - timedelta(seconds=older_than))
    if not waiting:
        return 0
    live = {
        str(record.kwargs.get("track_id"))
        for state in ("queued", "running")
        for record in queue.leases.records(state)
        if record.name == "transcribe_track"
    }
    queued = 0
    for track_id in waiting:
        if str(track_id) in live:
            continue
        log.warning(
            "track %s had no transcription job (the queue lost it or was down); queued", track_id
        )
        queue.enqueue("transcribe_track", track_id=track_id)
        queued += 1
    return queued
