"""The media jobs and how they are registered with the job queue: ``process_media`` after an
upload, ``release_media`` after a file was deleted. Both are idempotent, so a job that runs
again after its worker died does no harm."""

from __future__ import annotations

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


def scratch_dir(ctx: AppContext) -> Path:
    """Where jobs unpack and transcode: inside the data dir, so leftovers are easy to find."""
    return ctx.settings.data_dir / "work"


def pipeline_for(ctx: AppContext) -> Pipeline:
    if ctx.transcoder is None:
        raise RuntimeError("this process was built without a transcoder")
    return Pipeline(
        write=ctx.write,
        storage=ctx.storage,
        transcoder=ctx.transcoder,
        workdir=scratch_dir(ctx),
        read=ctx.read,
    )


def prepare_worker(ctx: AppContext) -> int:
    """Before consuming: removes scratch space left by workers that died mid-job (older than
    the longest a job may run)."""
    return cleanup_stale_scratch(scratch_dir(ctx), ctx.settings.transcode_timeout_seconds + 3600)


def _gave_up_reason(exc: BaseException | None) -> str:
    if isinstance(exc, ToolMissing):
        return (
            "Processing could not start: the server has no working ffmpeg. "
            "An administrator can install it and run: mediaobjects reprocess"
        )
    if isinstance(exc, JobTimeout):
        return (
            "Processing took longer than the server allows "
            "(MEDIAOBJECTS_TRANSCODE_TIMEOUT_SECONDS). An administrator can raise it and run: "
            "mediaobjects reprocess"
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
    """Registers the media jobs on ``queue`` (a mediaobjects.jobs JobQueue)."""
    timeout = ctx.settings.transcode_timeout_seconds

    def process(_job: JobContext, media_entry_id: str) -> str:
        return process_media(pipeline_for(ctx), media_entry_id)

    def gave_up(kwargs: dict[str, Any], exc: BaseException | None) -> None:
        # Bad media already ended failed with its reason; this is trouble on the server's side.
        give_up(pipeline_for(ctx), str(kwargs["media_entry_id"]), _gave_up_reason(exc))

    def release(_job: Any, media_entry_id: str) -> str:
        return release_media(pipeline_for(ctx), media_entry_id)

    queue.register("process_media", process, tries=3, timeout=timeout, on_give_up=gave_up)
    queue.register("release_media", release, tries=3, timeout=600)
