"""The media pipeline job: probe an uploaded media file, refuse what is not playable with a
reason a teacher can read, transcode it through the rendition ladder in one ffmpeg pass, take
a poster, and publish the renditions as the media object's sources.

The job is idempotent (decision: it may run twice, after a worker died): storage keys are
derived from the media id and the rendition name, writes replace atomically, and the source
rows are replaced in one transaction."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaobjects.errors import NotFound, StorageFailure
from mediaobjects.files import service as files
from mediaobjects.files.models import Attachment
from mediaobjects.jobs import JobContext, JobTimeout
from mediaobjects.media_objects import repository as repo
from mediaobjects.media_objects.drawing import DrawingPool
from mediaobjects.media_objects.models import MediaObject, MediaSource, MediaThumbnail
from mediaobjects.media_objects.sizes import PLACEHOLDER_SIZES, THUMBNAIL_SIZES, Size
from mediaobjects.storage.interfaces import Storage, StoredObject
from mediaobjects.transcoding import (
    MediaRejected,
    ProbeResult,
    ToolMissing,
    ToolOutOfMemory,
    ToolTimedOut,
    TranscodeFailed,
    Transcoder,
)

log = logging.getLogger(__name__)

UNKNOWN_FAILURE = "The media could not be processed."


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
    return f"renditions/{media_id}/{name}.{ext}"


def poster_key(media_id: str) -> str:
    return f"thumbnails/{media_id}/poster.jpg"


def thumbnail_key(media_id: str, size: Size) -> str:
    # Unique per drawing: an evicted size drawn again never shares a key with the old copy,
    # whose deletion could otherwise remove the new one.
    return f"thumbnails/{media_id}/{size}-{secrets.token_hex(4)}.jpg"


# Thumbnails kept per media object. Only the standard sizes are drawn, so this many are never
# evicted by one another; the oldest rows beyond it (sizes drawn before there was a standard
# ladder) leave storage as new standard ones are drawn.
MAX_THUMBNAIL_SIZES = len(THUMBNAIL_SIZES)


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
def _scratch(pipeline: Pipeline) -> Iterator[Path]:
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


def _original(pipeline: Pipeline, storage_key: str, scratch: Path) -> Path:
    """A local path to the uploaded bytes: the file itself on local disk, else a copy."""
    local = pipeline.storage.local_path(storage_key)
    if local is not None:
        return local
    target = scratch / "original"
    with target.open("wb") as out:
        for chunk in pipeline.storage.read_range(storage_key):
            out.write(chunk)
    return target


def _claim(pipeline: Pipeline, media_id: str) -> tuple[int, str, str] | None:
    """Marks the media object as processing; None when there is nothing to do (deleted, gone,
    already ready, or no bytes to process)."""
    with pipeline.write() as session:
        media_object = repo.get_by_media_id(session, media_id)
        if media_object is None or media_object.workflow_state == "deleted":
            return None
        if media_object.processing_state == "ready":
            return None
        attachment = _default_file(session, media_object)
        if attachment is None:
            media_object.processing_state = "failed"
            media_object.processing_error = "No file was uploaded for this media."
            return None
        media_object.processing_state = "processing"
        media_object.processing_error = None
        return media_object.id, attachment.storage_key, attachment.content_type


def _default_file(session: Session, media_object: MediaObject) -> Attachment | None:
    if media_object.attachment_id is None:
        return None
    try:
        attachment = files.load_attachment(session, media_object.attachment_id)
    except NotFound:
        return None
    if attachment.workflow_state != "processed" or not attachment.storage_key:
        return None
    return attachment


def _fail(pipeline: Pipeline, media_object_id: int, reason: str) -> None:
    with pipeline.write() as session:
        media_object = session.get(MediaObject, media_object_id)
        if media_object is not None:
            media_object.processing_state = "failed"
            media_object.processing_error = reason


GAVE_UP = (
    "Processing could not finish because of a problem on the server, not with the file. "
    "An administrator can run it again with: mediaobjects reprocess"
)


def give_up(pipeline: Pipeline, media_id: str, reason: str = GAVE_UP) -> bool:
    """After the last try of a job failed on trouble that was not the file's (a missing tool,
    storage down, a time limit): the media object ends ``failed`` with ``reason`` instead of
    staying ``processing`` for ever. Returns whether it changed anything."""
    with pipeline.write() as session:
        media_object = repo.get_by_media_id(session, media_id)
        if media_object is None or media_object.workflow_state == "deleted":
            return False
        if media_object.processing_state not in ("pending", "processing"):
            return False
        media_object.processing_state = "failed"
        media_object.processing_error = reason
        return True


def reprocessable(session: Session, *, unfinished: bool = False) -> list[str]:
    """media_ids of active media objects with uploaded bytes that ended ``failed``, and with
    ``unfinished`` also those still ``pending`` or ``processing`` (for when no job is left to
    finish them, e.g. after installing ffmpeg). Oldest first."""
    states = ["failed", "pending", "processing"] if unfinished else ["failed"]
    candidates = session.scalars(
        select(MediaObject)
        .where(MediaObject.workflow_state != "deleted")
        .where(MediaObject.processing_state.in_(states))
        .order_by(MediaObject.id)
    )
    return [mo.media_id for mo in candidates if _default_file(session, mo) is not None]


MEMORY_HINT = (
    " An administrator can raise MEDIAOBJECTS_FFMPEG_MEMORY_LIMIT_BYTES and run: "
    "mediaobjects reprocess"
)


class _Clock:
    """The job's deadline, as the pipeline's steps use it: each tool gets the time the job
    has left, and the job stops between steps once it has none."""

    def __init__(self, job: JobContext | None) -> None:
        self._job = job

    def left(self) -> float | None:
        """Seconds left (None: no job, so the transcoder's own limit applies)."""
        return None if self._job is None else self._job.remaining()

    def check(self) -> None:
        if self._job is not None:
            self._job.check_deadline()

    def timed_out(self, exc: ToolTimedOut) -> JobTimeout:
        name = self._job.name if self._job is not None else "process_media"
        return JobTimeout(f"job {name} went past its time limit: {exc.reason}")


def process_media(pipeline: Pipeline, media_id: str, job: JobContext | None = None) -> str:
    """Runs the pipeline for one media object; returns the state it ends in.

    Bad media ends ``failed`` with its reason; storage or tool trouble raises, so that the
    job runner retries it (and the object stays ``processing`` until a retry settles it).
    With ``job``, every ffprobe and ffmpeg run gets the time the job has left as its limit,
    the deadline is checked between steps, and running out raises JobTimeout: a failed try,
    like any other."""
    clock = _Clock(job)
    claimed = _claim(pipeline, media_id)
    if claimed is None:
        return "skipped"
    media_object_id, storage_key, content_type = claimed
    transcoder = pipeline.transcoder
    with _scratch(pipeline) as scratch:
        source = _original(pipeline, storage_key, scratch)
        clock.check()
        try:
            result = transcoder.probe(source, timeout=clock.left())
            transcoder.check_limits(result)
            clock.check()
            outputs = transcoder.transcode(source, result, scratch, timeout=clock.left())
            clock.check()
            poster = transcoder.poster(source, result, scratch / "poster.jpg", timeout=clock.left())
        except ToolTimedOut as exc:
            raise clock.timed_out(exc) from exc
        except ToolOutOfMemory as exc:
            _fail(pipeline, media_object_id, exc.reason + MEMORY_HINT)
            return "failed"
        except MediaRejected as exc:
            _fail(pipeline, media_object_id, exc.reason)
            return "failed"
        except TranscodeFailed as exc:
            _fail(pipeline, media_object_id, exc.reason)
            return "failed"
        except ToolMissing:
            raise
        sources: list[MediaSource] = []
        for output in outputs:
            clock.check()
            key = rendition_key(media_id, output.rendition.name, output.rendition.file_ext)
            stored = _store_file(pipeline.storage, key, output.path)
            sources.append(
                MediaSource(
                    name=output.rendition.name,
                    is_original=False,
                    content_type=output.rendition.content_type,
                    container_format=output.rendition.container,
                    file_ext=output.rendition.file_ext,
                    width=output.width,
                    height=output.height,
                    bitrate=output.bitrate,
                    size=stored.size,
                    storage_key=key,
                    etag=stored.etag,
                )
            )
        poster_stored = None
        if poster is not None and poster.exists():
            poster_stored = _store_file(pipeline.storage, poster_key(media_id), poster)
    sources.append(_original_source(result, storage_key, content_type, pipeline.storage))
    with pipeline.write() as session:
        media_object = session.get(MediaObject, media_object_id)
        if media_object is None or media_object.workflow_state == "deleted":
            return "skipped"
        repo.replace_sources(session, media_object.id, sources)
        media_object.duration = result.duration
        media_object.media_type = result.media_type
        media_object.poster_key = poster_stored.key if poster_stored is not None else None
        media_object.processing_state = "ready"
        media_object.processing_error = None
    return "ready"


def _store_file(storage: Storage, key: str, path: Path) -> StoredObject:
    writer = storage.begin_write(key)
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                writer.write(chunk)
        return writer.commit()
    except OSError as exc:
        raise StorageFailure(f"could not read {path.name}: {exc}") from exc
    finally:
        writer.abort()


def _original_source(
    result: ProbeResult, storage_key: str, content_type: str, storage: Storage
) -> MediaSource:
    stored = storage.stat(storage_key)
    ext = _ext_for(content_type, result.container)
    return MediaSource(
        name="original",
        is_original=True,
        content_type=content_type,
        container_format=result.container.split(",")[0],
        file_ext=ext,
        width=result.width,
        height=result.height,
        bitrate=(result.bit_rate // 1000) if result.bit_rate else None,
        size=stored.size,
        storage_key=storage_key,
        etag=stored.etag,
    )


def _ext_for(content_type: str, container: str) -> str:
    by_type = {
        "video/mp4": "mp4",
        "audio/mp4": "m4a",
        "audio/mpeg": "mp3",
        "video/webm": "webm",
        "audio/ogg": "ogg",
        "video/quicktime": "mov",
        "audio/wav": "wav",
        "video/x-matroska": "mkv",
    }
    return by_type.get(content_type, container.split(",")[0][:16])


def release_media(pipeline: Pipeline, media_entry_id: str) -> str:
    """After a file was deleted: when no file uses the media any more, its renditions, poster
    and thumbnails leave storage and the media object is marked deleted. A media object that
    still has files keeps everything. Idempotent."""
    with pipeline.write() as session:
        media_object = repo.get_by_media_id(session, media_entry_id)
        if media_object is None:
            return "gone"
        if files.media_in_use(session, media_entry_id):
            return "kept"
        keys = repo.delete_sources(session, media_object.id)
        keys += repo.delete_thumbnails(session, media_object.id)
        if media_object.poster_key:
            keys.append(media_object.poster_key)
        media_object.poster_key = None
        media_object.workflow_state = "deleted"
    # Storage deletes are idempotent: a retry after a crash here simply deletes again.
    for key in keys:
        pipeline.storage.delete(key)
    return "released"


def placeholder_bytes(
    pipeline: Pipeline,
    pool: DrawingPool,
    cache: MutableMapping[tuple[str, Size], bytes],
    kind: str,
    size: Size,
    *,
    admit: Callable[[], None],
) -> bytes:
    """The placeholder picture of ``kind`` at a standard ``size``, drawn once per process in
    ``pool`` (after ``admit()``, a rate limit) and then kept in ``cache``: in memory rather than
    in storage, and bounded because only the standard sizes of the few kinds exist."""
    if size not in PLACEHOLDER_SIZES:
        raise ValueError(f"{size} is not a standard placeholder size")
    wanted = (kind, size)
    found = cache.get(wanted)
    if found is not None:
        return found

    def draw() -> bytes:
        with _scratch(pipeline) as scratch:
            out = pipeline.transcoder.placeholder(
                kind, scratch / "placeholder.jpg", width=size.width, height=size.height
            )
            data = out.read_bytes()
        cache[wanted] = data
        return data

    return pool.draw(
        ("placeholder", *wanted), find=lambda: cache.get(wanted), admit=admit, draw=draw
    )


def stored_thumbnail(pipeline: Pipeline, media_object_id: int, size: Size) -> MediaThumbnail | None:
    with pipeline.reader() as session:
        return repo.get_thumbnail(session, media_object_id, size.width, size.height)


def ensure_thumbnail(
    pipeline: Pipeline,
    pool: DrawingPool,
    media_object_id: int,
    poster: str,
    size: Size,
    *,
    admit: Callable[[], None],
) -> MediaThumbnail:
    """The poster resized to a standard ``size``, drawn once in ``pool`` (after ``admit()``, a
    rate limit that a stored thumbnail never meets) and then served from storage."""
    if size not in THUMBNAIL_SIZES:
        raise ValueError(f"{size} is not a standard thumbnail size")
    found = stored_thumbnail(pipeline, media_object_id, size)
    if found is not None:
        return found
    return pool.draw(
        ("thumbnail", media_object_id, size),
        find=lambda: stored_thumbnail(pipeline, media_object_id, size),
        admit=admit,
        draw=lambda: _draw_thumbnail(pipeline, media_object_id, poster, size),
    )


def _draw_thumbnail(
    pipeline: Pipeline, media_object_id: int, poster: str, size: Size
) -> MediaThumbnail:
    with pipeline.reader() as session:
        media_id = session.get(MediaObject, media_object_id).media_id  # type: ignore[union-attr]
    key = thumbnail_key(media_id, size)
    with _scratch(pipeline) as scratch:
        source = _original(pipeline, poster, scratch)
        out = scratch / "thumbnail.jpg"
        pipeline.transcoder.resize(
            source, out, width=size.width or None, height=size.height or None
        )
        stored = _store_file(pipeline.storage, key, out)
    with pipeline.write() as session:
        saved = repo.save_thumbnail(
            session,
            MediaThumbnail(
                media_object_id=media_object_id,
                width=size.width,
                height=size.height,
                storage_key=key,
                size=stored.size,
                etag=stored.etag,
            ),
        )
        if saved.storage_key != key:
            evicted = [key]  # another process stored this size first: ours is not needed
        else:
            evicted = repo.evict_thumbnails(session, media_object_id, keep=MAX_THUMBNAIL_SIZES)
    for old_key in evicted:
        with contextlib.suppress(StorageFailure):
            pipeline.storage.delete(old_key)
    return saved
