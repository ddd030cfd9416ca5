"""kill -9 of a worker in the middle of a transcode: after a new worker starts, the job runs
again and finishes; the media object ends ready with exactly one set of complete renditions and
no partial file in storage."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from mediaobjects.context import AppContext
from mediaobjects.media_objects.models import MediaObject, MediaSource
from mediaobjects.media_objects.tasks import scratch_dir
from tests.support.api import Api
from tests.support.clips import make_video


def state(ctx: AppContext, media_id: str) -> str:
    with ctx.read() as session:
        mo = session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()
        return mo.processing_state


def start_worker(ctx: AppContext) -> subprocess.Popen[bytes]:
    settings = ctx.settings
    env = {
        **os.environ,
        "MEDIAOBJECTS_DATA_DIR": str(settings.data_dir),
        "MEDIAOBJECTS_DATABASE_URL": settings.resolved_database_url(),
        "MEDIAOBJECTS_SECRET_KEY": "test-secret-key",
        "MEDIAOBJECTS_JOB_LEASE_SECONDS": "3",
    }
    # Its own session and process group, for the test to kill with everything in it.
    return subprocess.Popen(
        [sys.executable, "-m", "mediaobjects.cli", "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def ffmpeg_children(parent: int) -> list[int]:
    """Pids of the ffmpeg processes ``parent`` started."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            comm = (proc / "comm").read_text().strip()
            # "pid (comm) state ppid ...": comm may hold spaces, so split after it.
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):  # the process ended while we looked
            continue
        if comm == "ffmpeg" and ppid == parent:
            found.append(int(proc.name))
    return found


def writing_a_rendition(pid: int, scratch: Path) -> bool:
    """Whether process ``pid`` has a partial rendition (a .part file under ``scratch``) open,
    already holding bytes."""
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = Path(os.readlink(fd))
                partial = target.name.endswith(".part") and target.is_relative_to(scratch)
                if partial and target.stat().st_size > 0:
                    return True
    return False


def test_kill_9_during_transcode_then_restart(api: Api, tmp_path: Path) -> None:
    user = api.user()
    clip = make_video(tmp_path / "long.mp4", seconds=20, size="1280x720")
    file = api.upload("users/self", user, "long.mp4", clip.read_bytes(), "video/mp4")
    media_id = file["media_entry_id"]
    scratch = scratch_dir(api.ctx).resolve()
    first = start_worker(api.ctx)
    try:
        # Killed in the middle of the transcode: the worker's ffmpeg has part of a rendition
        # written.
        assert wait_for(
            lambda: any(writing_a_rendition(p, scratch) for p in ffmpeg_children(first.pid)), 120
        )
        assert state(api.ctx, media_id) == "processing"
        ffmpegs = ffmpeg_children(first.pid)
        os.killpg(first.pid, signal.SIGKILL)
        # ffmpeg runs in a session of its own (mediaobjects.transcoding kills its whole group on
        # a timeout), so the worker's group does not include it: a lost machine takes it too.
        for pid in ffmpegs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert state(api.ctx, media_id) == "processing"
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    second = start_worker(api.ctx)
    try:
        assert wait_for(lambda: state(api.ctx, media_id) in ("ready", "failed"), 180)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=60)
    assert state(api.ctx, media_id) == "ready"
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
    # The killed worker's scratch space is the only one left (removed when stale, see below).
    work = api.ctx.settings.data_dir / "work"
    assert len([p for p in work.iterdir() if p.name.startswith("mediaobjects-job-")]) <= 1


def test_stale_scratch_of_dead_workers_is_removed(api: Api) -> None:
    from mediaobjects.media_objects.tasks import prepare_worker

    work = scratch_dir(api.ctx)
    old = work / "mediaobjects-job-dead"
    fresh = work / "mediaobjects-job-running"
    other = work / "keep-me"
    for path in (old, fresh, other):
        path.mkdir(parents=True)
        (path / "part.mp4").write_bytes(b"partial")
    ancient = time.time() - api.ctx.settings.transcode_timeout_seconds - 7200
    os.utime(old, (ancient, ancient))
    os.utime(other, (ancient, ancient))
    assert prepare_worker(api.ctx) == 1
    assert not old.exists() and fresh.exists() and other.exists()
