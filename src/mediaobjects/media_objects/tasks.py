"""The media jobs and how they are registered with the job queue: ``process_media`` after an
upload, ``release_media`` after a file was deleted. Both are idempotent, so a job that runs
again after its worker died does no harm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mediaobjects.context import AppContext
from mediaobjects.media_objects.processing import (
    Pipeline,
    cleanup_stale_scratch,
    process_media,
    release_media,
)


def scratch_dir(ctx: AppContext) -> Path:
    """Where jobs unpack and transcode: inside the data dir, so leftovers are easy to find."""
    return ctx.settings.data_dir / "work"


def pipeline_for(ctx: AppContext) -> Pipeline:
    if ctx.transcoder is None:
        raise RuntimeError("this process was built without a transcoder")
    return Pipeline(
        write=ctx.write, storage=ctx.storage, transcoder=ctx.transcoder, workdir=scratch_dir(ctx)
    )


def prepare_worker(ctx: AppContext) -> int:
    """Before consuming: removes scratch space left by workers that died mid-job (older than
    the longest a job may run)."""
    return cleanup_stale_scratch(scratch_dir(ctx), ctx.settings.transcode_timeout_seconds + 3600)


def register_media_jobs(queue: Any, ctx: AppContext) -> None:
    """Registers the media jobs on ``queue`` (a mediaobjects.jobs JobQueue)."""
    timeout = ctx.settings.transcode_timeout_seconds

    def process(_job: Any, media_entry_id: str) -> str:
        return process_media(pipeline_for(ctx), media_entry_id)

    def release(_job: Any, media_entry_id: str) -> str:
        return release_media(pipeline_for(ctx), media_entry_id)

    queue.register("process_media", process, tries=3, timeout=timeout)
    queue.register("release_media", release, tries=3, timeout=600)
