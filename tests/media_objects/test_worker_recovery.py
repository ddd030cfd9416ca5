"""kill -9 of a worker, or of a server consuming jobs itself, in the middle of a transcode: its
ffmpeg dies with it (nothing keeps transcoding for a process that is gone); once a new one
starts, the job runs again and finishes, and the media object ends ready with exactly one set
of complete renditions and no partial file in storage. Leftover scratch space of jobs is
removed, never while a job uses it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from mediaobjects.context import AppContext
from mediaobjects.media_objects.models import MediaObject, MediaSource
from mediaobjects.media_objects.pipeline import SCRATCH_LOCK, Pipeline, scratch
from mediaobjects.media_objects.tasks import remove_stale_temp
from tests.support.api import Api
from tests.support.clips import make_video
from tests.support.postgres import free_port
from tests.support.procs import Service, children, is_gone, service_env, wait_for


def state(ctx: AppContext, media_id: str) -> str:
    with ctx.read() as session:
        mo = session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()
        return mo.processing_state


def transcoding_ffmpeg(parent: int) -> list[int]:
    """The ffmpeg writing renditions for ``parent`` (not the short probing runs, which may
    exit between being listed and being looked at)."""
    found = []
    for pid in children(parent, "ffmpeg"):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if b"libx264" in command:
            found.append(pid)
    return found


def start(api: Api, kind: str, tmp_path: Path, n: int) -> Service:
    env = service_env(api.ctx.settings)
    log = tmp_path / f"{kind}-{n}.log"
    if kind == "worker":
        return Service(["worker", "--workers", "1"], env, log)
    env["MEDIAOBJECTS_WORKERS"] = "1"
    return Service(["serve", "--port", str(free_port())], env, log)


@pytest.mark.parametrize("kind", ["worker", "serve"])
def test_kill_9_during_transcode_kills_ffmpeg_and_the_job_runs_again(
    api: Api, tmp_path: Path, kind: str
) -> None:
    user = api.user()
    clip = make_video(tmp_path / "long.mp4", seconds=20, size="1280x720")
    file = api.upload("users/self", user, "long.mp4", clip.read_bytes(), "video/mp4")
    media_id = file["media_entry_id"]
    first = start(api, kind, tmp_path, 1)
    tools: list[int] = []
    try:
        wait_for(lambda: bool(transcoding_ffmpeg(first.pid)), f"{kind} starting ffmpeg", 120)
        tools = transcoding_ffmpeg(first.pid)
        first.kill_9()
        wait_for(lambda: is_gone(tools[0]), "ffmpeg dying with its parent", 30)
        assert state(api.ctx, media_id) == "processing"
    finally:
        first.stop()
        for pid in tools:
            if not is_gone(pid):
                os.kill(pid, signal.SIGKILL)
    second = start(api, kind, tmp_path, 2)
    try:
        wait_for(lambda: state(api.ctx, media_id) in ("ready", "failed"), "the job again", 180)
    finally:
        second.stop()
    assert state(api.ctx, media_id) == "ready", second.output()
    with api.ctx.read() as session:
        mo = session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()
        sources = list(
            session.scalars(select(MediaSource).where(MediaSource.media_object_id == mo.id))
        )
    names = [s.name for s in sources]
    assert sorted(names) == sorted(set(names)) == ["360p", "720p", "original"]
    for source in sources:
        stored = api.ctx.storage.stat(source.storage_key)
        assert stored.size == source.size and stored.etag == source.etag
        probed = api.ctx.transcoder.probe(Path(api.ctx.storage.local_path(source.storage_key)))
        assert probed.duration > 19
    temp = api.ctx.settings.data_dir / "files" / ".tmp"
    assert not temp.exists() or not any(temp.iterdir())
    # The killed process's scratch space is the only one left (removed once stale, below).
    work = api.ctx.settings.data_dir / "work"
    assert len([p for p in work.iterdir() if p.name.startswith("mediaobjects-job-")]) <= 1


def test_stale_scratch_of_dead_jobs_is_removed_but_never_one_in_use(api: Api) -> None:
    work = api.ctx.settings.data_dir / "work"
    dead = work / "mediaobjects-job-dead"  # its process died: the lock file is not held
    older = work / "mediaobjects-job-older"  # from before locks
    fresh = work / "mediaobjects-job-fresh"
    other = work / "keep-me"
    for path in (dead, older, fresh, other):
        path.mkdir(parents=True)
        (path / "part.mp4").write_bytes(b"partial")
    (dead / SCRATCH_LOCK).write_bytes(b"")
    pipeline: Pipeline = api.ctx.pipeline
    ancient = time.time() - api.ctx.settings.stale_temp_seconds - 60
    with scratch(pipeline) as running:  # a job transcoding for longer than the threshold
        for path in (dead, older, other, running):
            os.utime(path, (ancient, ancient))
        assert remove_stale_temp(api.ctx.pipeline, api.ctx.settings.stale_temp_seconds) == 2
        assert running.exists() and fresh.exists() and other.exists()
        assert not dead.exists() and not older.exists()
    assert not running.exists()
