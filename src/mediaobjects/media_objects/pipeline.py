"""What the media jobs and the pictures drawn for requests work with (``Pipeline``: units of
work, storage, transcoder, scratch space), where their outputs are stored (keys derived from
the media id, so a job that runs again writes the same objects), and scratch directories that
the clean-up can tell from a crashed job's leftovers."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from mediaobjects.media_objects.sizes import Size
from mediaobjects.storage.interfaces import Storage, StoredObject
from mediaobjects.storage.writes import write_file
from mediaobjects.transcoding import Transcoder


@dataclass(frozen=True)
class Pipeline:
    """What the job needs, handed in by whoever runs it (server or worker)."""

    write: Callable[[], AbstractContextManager[Session]]
    storage: Storage
    transcoder: Transcoder
    workdir: Path | None = None
    # Lookups that need no write lock (a stored thumbnail is served on every page view);
    # ``write`` when not given.
    read: Callable[[], AbstractContextManager[Session]] | None = None

    def reader(self) -> AbstractContextManager[Session]:
        """A unit of work for lookups only."""
        return (self.read or self.write)()


def rendition_key(media_id: str, name: str, ext: str) -> str:
    return f"{RENDITIONS}{media_id}/{name}.{ext}"


RENDITIONS = "renditions/"


def live_key(media_id: str, name: str) -> str:
    """Where a piece of the early stream (``media_objects.live``) is kept: ``init.mp4`` or
    ``<n>.m4s``."""
    return f"{RENDITIONS}{media_id}/live/{name}"


def made_by_pipeline(key: str) -> bool:
    """Whether ``key`` holds a file the pipeline wrote (a rendition, or the upload rewritten
    for playback), rather than an upload, which belongs to its file."""
    return key.startswith(RENDITIONS)


def poster_key(media_id: str) -> str:
    return f"thumbnails/{media_id}/poster.jpg"


def thumbnail_key(media_id: str, size: Size) -> str:
    # Unique per drawing: an evicted size drawn again never shares a key with the old copy,
    # whose deletion could otherwise remove the new one.
    return f"thumbnails/{media_id}/{size}-{secrets.token_hex(4)}.jpg"


SCRATCH_PREFIX = "mediaobjects-job-"
# Held (flock) by the process using a scratch directory for as long as it does. The kernel
# drops the lock when that process dies, however it dies, so the clean-up can tell a
# directory in use (a transcode may write into it for hours) from one left by a crash.
SCRATCH_LOCK = ".in-use"


def cleanup_stale_scratch(workdir: Path, older_than: float) -> int:
    """Removes the scratch directories of jobs whose process died: not in use by a live
    process, and untouched for ``older_than`` seconds. Returns how many."""
    if not workdir.is_dir():
        return 0
    cutoff = time.time() - older_than
    removed = 0
    for entry in workdir.iterdir():
        if not entry.name.startswith(SCRATCH_PREFIX) or entry.is_symlink():
            continue
        try:
            if not entry.is_dir() or entry.stat().st_mtime >= cutoff:
                continue
        except OSError:
            continue
        with _unless_locked(entry / SCRATCH_LOCK) as free:
            if free:
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
    return removed


@contextmanager
def _unless_locked(lock_path: Path) -> Iterator[bool]:
    """Yields True while holding ``lock_path``'s lock (or when there is no lock file: a
    directory from before locks, or from a process killed before it took one), False when a
    live process holds it."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_NOFOLLOW)
    except FileNotFoundError:
        yield True
        return
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        except OSError:
            pass  # a file system without locks: the age alone decides, as it did before
        yield True
    finally:
        os.close(fd)


@contextmanager
def scratch(pipeline: Pipeline) -> Iterator[Path]:
    if pipeline.workdir is not None:
        pipeline.workdir.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=pipeline.workdir))
    lock = os.open(path / SCRATCH_LOCK, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with contextlib.suppress(OSError):  # no locks on this file system: age decides
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(lock)


def local_copy(pipeline: Pipeline, storage_key: str, scratch: Path) -> Path:
    """A local path to the uploaded bytes: the file itself on local disk, else a copy."""
    local = pipeline.storage.local_path(storage_key)
    if local is not None:
        return local
    target = scratch / "original"
    with target.open("wb") as out:
        for chunk in pipeline.storage.read_range(storage_key):
            out.write(chunk)
    return target


def store_file(storage: Storage, key: str, path: Path) -> StoredObject:
    """The file at ``path`` stored under ``key`` (replacing what was there, atomically)."""
    return write_file(storage.begin_write(key), path)
