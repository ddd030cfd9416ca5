"""The media jobs and how they are registered with the job queue: ``process_media`` after an
upload, ``release_media`` after a file was deleted. Both are idempotent, so a job that runs
again after its worker died does no harm. Also the chores run wherever jobs are consumed: the
one that removes temporary files left by crashed uploads and jobs, and those that queue
processing for media whose job was never queued (the queue was down) or was lost, and the
release of media whose last file was deleted meanwhile. The
composition root (``mediaobjects.context``) hands in the pipeline and the queue."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from mediaobjects.db.base import utcnow
from mediaobjects.files import service as files
from mediaobjects.jobs import JobContext, JobQueue, JobTimeout
from mediaobjects.media_objects import repository as repo
from mediaobjects.media_objects.live import LIVE_GRACE_SECONDS, delete_retired_streams
from mediaobjects.media_objects.pipeline import Pipeline, cleanup_stale_scratch
from mediaobjects.media_objects.processing import (
    GAVE_UP,
    give_up,
    process_media,
    release_media,
    reprocessable,
)
from mediaobjects.media_objects.speech import analyse_media_speech, speech_unmeasured
from mediaobjects.media_settings.auto_captions import caption_new_media
from mediaobjects.transcoding import ToolMissing
from mediaobjects.transcoding.probe import format_duration

log = logging.getLogger(__name__)

PROCESS_TRIES = 3


def remove_stale_temp(pipeline: Pipeline, older_than: float) -> int:
    """Removes what crashed processes left behind: unfinished uploads and writes in storage
    (``.tmp/``), and job scratch directories. Nothing a live process is still writing is
    touched (see ``LocalStorage.cleanup_stale_temp``, ``S3Storage.cleanup_stale_temp`` and
    ``cleanup_stale_scratch``). Returns how many were removed."""
    removed = 0
    if pipeline.workdir is not None:
        removed += cleanup_stale_scratch(pipeline.workdir, older_than)
    cleanup = getattr(pipeline.storage, "cleanup_stale_temp", None)
    if cleanup is not None:
        removed += int(cleanup(older_than))
    if removed:
        log.info("removed %d temporary file(s) left by crashed uploads or jobs", removed)
    return removed


def cleanup_interval(stale_temp_seconds: float) -> float:
    """How often ``remove_stale_temp`` runs while jobs are consumed: every half of the age
    at which leftovers go, at most hourly, so nothing outlives that age by more than half."""
    return min(3600.0, stale_temp_seconds / 2)


def _gave_up_reason(exc: BaseException | None, time_limit: float) -> str:
    if isinstance(exc, ToolMissing):
        return (
            "Processing could not start: the server has no working ffmpeg. "
            "An administrator can install it and run: mediaobjects reprocess"
        )
    if isinstance(exc, JobTimeout):
        return (
            f"Processing took longer than the server allows ({format_duration(time_limit)} "
            "per try, MEDIAOBJECTS_TRANSCODE_TIMEOUT_SECONDS). An administrator can raise it "
            "and run: mediaobjects reprocess"
        )
    return GAVE_UP


def reprocess(
    pipeline: Pipeline,
    enqueue: Callable[..., object],
    media_ids: list[str] | None = None,
    *,
    unfinished: bool = False,
) -> list[str]:
    """Queues ``process_media`` again: for ``media_ids``, or else for every media object that
    ended failed (and with ``unfinished``, those left pending or processing). Returns the
    media_ids queued. Media that is ready or deleted is skipped by the job itself."""
    if media_ids is None:
        with pipeline.reader() as session:
            media_ids = reprocessable(session, unfinished=unfinished)
    for media_id in media_ids:
        enqueue("process_media", media_entry_id=media_id)
    return media_ids


def reanalyse_speech(
    pipeline: Pipeline, enqueue: Callable[..., object], media_ids: list[str] | None = None
) -> list[str]:
    """Queues the speech analysis alone (no transcoding): for ``media_ids`` (measured again,
    e.g. after changing the speech settings), or else for every ready media object without
    one. Returns the media_ids queued."""
    if media_ids is None:
        media_ids = speech_unmeasured(pipeline)
    for media_id in media_ids:
        enqueue("analyse_speech", media_entry_id=media_id)
    return media_ids


def jobs_in_flight(queue: JobQueue, name: str, argument: str) -> set[str]:
    """The ``argument`` of every job ``name`` the queue holds a live record of (queued, waiting
    for a retry, or running), as strings."""
    return {
        str(record.kwargs.get(argument))
        for state in ("queued", "running")
        for record in queue.leases.records(state)
        if record.name == name
    }


def _queue_missing(queue: JobQueue, job: str, waiting: list[str], missing: str) -> int:
    """Queues ``job`` for each media id of ``waiting`` that no such job is queued or running
    for, logging that its ``missing`` job was lost; how many were queued."""
    if not waiting:
        return 0
    live = jobs_in_flight(queue, job, "media_entry_id")
    queued = 0
    for media_id in waiting:
        if media_id in live:
            continue
        log.warning(
            "media %s had no %s job (the queue lost it or was down); queued", media_id, missing
        )
        queue.enqueue(job, media_entry_id=media_id)
        queued += 1
    return queued


def queue_unqueued_media(pipeline: Pipeline, queue: JobQueue, *, older_than: float) -> int:
    """Queues ``process_media`` for media still pending or processing, unchanged for
    ``older_than`` seconds, that no job is queued or running for: its job could not be queued
    because the queue was unreachable after the upload, or the queue lost it (a Redis without
    persistence restarted). Returns how many were queued.

    Cheap when nothing is missing: the lease records are read only when such media exist. A
    job queued twice this way does no harm (``process_media`` is idempotent)."""
    with pipeline.reader() as session:
        waiting = repo.unfinished_before(session, utcnow() - timedelta(seconds=older_than))
    return _queue_missing(queue, "process_media", waiting, "processing")


def queue_unreleased_media(pipeline: Pipeline, queue: JobQueue, *, older_than: float) -> int:
    """Queues ``release_media`` for media a file delete asked to release over ``older_than``
    seconds ago that was not released yet and no release job is queued or running for: the job
    could not be queued after the delete because the queue was unreachable, or the queue lost
    it. Returns how many were queued. A release queued twice does no harm."""
    with pipeline.reader() as session:
        waiting = files.release_requested(session, utcnow() - timedelta(seconds=older_than))
    return _queue_missing(queue, "release_media", waiting, "release")


def register_media_jobs(
    queue: JobQueue,
    pipeline: Pipeline,
    *,
    time_limit: float,
    stale_temp_seconds: float,
    unqueued_after: float = 60.0,
    live_grace: float = LIVE_GRACE_SECONDS,
) -> None:
    """Registers the media jobs and the clean-up chore on ``queue``.

    ``process_media`` has ``time_limit`` (MEDIAOBJECTS_TRANSCODE_TIMEOUT_SECONDS) per try, for
    everything it does (fetching the upload, probing, transcoding, the poster, storing); its
    ffprobe and ffmpeg runs get the time left and are killed when it is up. A try that runs
    out fails like any other; after the third the media ends failed, naming the setting."""

    def process(job: JobContext, media_entry_id: str) -> str:
        state = process_media(pipeline, media_entry_id, job)
        if state == "ready":
            # The course rule "caption new media automatically"; it never fails the media.
            caption_new_media(pipeline.write, queue.enqueue, media_entry_id)
        return state

    def gave_up(kwargs: dict[str, Any], exc: BaseException | None) -> None:
        # Bad media already ended failed with its reason; this is trouble on the server's side.
        give_up(pipeline, str(kwargs["media_entry_id"]), _gave_up_reason(exc, time_limit))

    def speech(job: JobContext, media_entry_id: str) -> str:
        return analyse_media_speech(pipeline, media_entry_id, job)

    def release(_job: Any, media_entry_id: str) -> str:
        return release_media(pipeline, media_entry_id)

    queue.register(
        "process_media", process, tries=PROCESS_TRIES, timeout=time_limit, on_give_up=gave_up
    )
    # Decoding only the audio of a rendition: minutes for the longest media, well within the
    # transcoding limit. Media whose analysis never succeeds stays ready, unmeasured.
    queue.register("analyse_speech", speech, tries=PROCESS_TRIES, timeout=time_limit)
    # A handful of storage deletes, each bounded by the storage client's own timeouts. It
    # does not stop at its deadline: the keys are known only before the rows go, so a try
    # cut short would leave objects no later try could find.
    queue.register("release_media", release, tries=3, timeout=600)
    queue.add_chore(
        "delete the early streams of media processed a while ago",
        lambda: delete_retired_streams(pipeline, older_than=live_grace),
        every=60.0,
    )
    queue.add_chore(
        "remove temporary files of crashed uploads and jobs",
        lambda: remove_stale_temp(pipeline, stale_temp_seconds),
        every=cleanup_interval(stale_temp_seconds),
    )
    # Wherever jobs are consumed, so it runs as soon as a worker can reach the queue again.
    queue.add_chore(
        "queue media whose processing job was never queued or was lost",
        lambda: queue_unqueued_media(pipeline, queue, older_than=unqueued_after),
        every=max(1.0, unqueued_after / 2),
    )
    queue.add_chore(
        "queue the release of media whose last file was deleted but never released",
        lambda: queue_unreleased_media(pipeline, queue, older_than=unqueued_after),
        every=max(1.0, unqueued_after / 2),
    )
