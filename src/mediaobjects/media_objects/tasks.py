"""The media jobs and how they are registered with the job queue: ``process_media`` after an
upload, ``release_media`` after a file was deleted. Both are idempotent, so a job that runs
again after its worker died does no harm. Also the chore that removes temporary files left by
crashed uploads and jobs, run wherever jobs are consumed."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mediaobjects.context import AppContext
from mediaobjects.jobs import JobContext, JobTimeout
from mediaobjects.media_objects.processing import (
    GAVE_UP,
    Pipeline,
    cleanup_stale_scratch,
    give_up,
    process_media,
    release_media,
    reprocessable,
)
from mediaobjects.transcoding import ToolMissing
from mediaobjects.transcoding.probe import format_duration

log = logging.getLogger(__name__)

PROCESS_TRIES = 3


def scratch_dir(ctx: AppContext) -> Path:
    """Where jobs unpack and transcode: inside the data dir, so leftovers are easy to find."""
    return ctx.settings.data_dir / "work"


def pipeline_for(ctx: AppContext) -> Pipeline:
    if ctx.transcoder is None:
        raise RuntimeError("this process was built without a transcoder")
    return Pipeline(
        write=ctx.write, storage=ctx.storage, transcoder=ctx.transcoder, workdir=scratch_dir(ctx)
    )


def remove_stale_temp(ctx: AppContext) -> int:
    """Removes what crashed processes left behind: unfinished uploads and writes in storage
    (``.tmp/``), and job scratch directories. Nothing a live process is still writing is
    touched (see ``LocalStorage.cleanup_stale_temp``, ``S3Storage.cleanup_stale_temp`` and
    ``cleanup_stale_scratch``). Returns how many were removed."""
    older_than = ctx.settings.stale_temp_seconds
    removed = cleanup_stale_scratch(scratch_dir(ctx), older_than)
    cleanup = getattr(ctx.storage, "cleanup_stale_temp", None)
    if cleanup is not None:
        removed += int(cleanup(older_than))
    if removed:
        log.info("removed %d temporary file(s) left by crashed uploads or jobs", removed)
    return removed


def cleanup_interval(ctx: AppContext) -> float:
    """How often ``remove_stale_temp`` runs while jobs are consumed: every half of the age
    at which leftovers go, at most hourly, so nothing outlives that age by more than half."""
    return min(3600.0, ctx.settings.stale_temp_seconds / 2)


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
    ctx: AppContext, media_ids: list[str] | None = None, *, unfinished: bool = False
) -> list[str]:
    """Queues ``process_media`` again: for ``media_ids``, or else for every media object that
    ended failed (and with ``unfinished``, those left pending or processing). Returns the
    media_ids queued. Media that is ready or deleted is skipped by the job itself."""
    if media_ids is None:
        with ctx.read() as session:
            media_ids = reprocessable(session, unfinished=unfinished)
    for media_id in media_ids:
        ctx.enqueue("process_media", media_entry_id=media_id)
    return media_ids


def register_media_jobs(queue: Any, ctx: AppContext) -> None:
    """Registers the media jobs and the clean-up chore on ``queue`` (a mediaobjects.jobs
    JobQueue).

    ``process_media`` has MEDIAOBJECTS_TRANSCODE_TIMEOUT_SECONDS per try, for everything it
    does (fetching the upload, probing, transcoding, the poster, storing); its ffprobe and
    ffmpeg runs get the time left and are killed when it is up. A try that runs out fails
    like any other; after the third the media ends failed, naming the setting."""
    timeout = ctx.settings.transcode_timeout_seconds

    def process(job: JobContext, media_entry_id: str) -> str:
        return process_media(pipeline_for(ctx), media_entry_id, job)

    def gave_up(kwargs: dict[str, Any], exc: BaseException | None) -> None:
        # Bad media already ended failed with its reason; this is trouble on the server's side.
        give_up(pipeline_for(ctx), str(kwargs["media_entry_id"]), _gave_up_reason(exc, timeout))

    def release(_job: Any, media_entry_id: str) -> str:
        return release_media(pipeline_for(ctx), media_entry_id)

    queue.register(
        "process_media", process, tries=PROCESS_TRIES, timeout=timeout, on_give_up=gave_up
    )
    # A handful of storage deletes, each bounded by the storage client's own timeouts. It
    # does not stop at its deadline: the keys are known only before the rows go, so a try
    # cut short would leave objects no later try could find.
    queue.register("release_media", release, tries=3, timeout=600)
    queue.add_chore(
        "remove temporary files of crashed uploads and jobs",
        lambda: remove_stale_temp(ctx),
        every=cleanup_interval(ctx),
    )
