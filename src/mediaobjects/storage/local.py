"""Local-disk storage: objects are plain files under a root directory, written to ``.tmp/`` and
moved into place with ``os.replace`` after fsync, so readers see either the old file or the new
one. Each file's SHA-256 (its etag) is cached in a sidecar under ``.meta/``.

Why a sidecar: the etag must be the content hash (equal for equal bytes on every backend), and
hashing a multi-gigabyte video on every ``stat`` is too slow; size+mtime would be cheap but not
equal for equal bytes. The sidecar records the hash together with the inode, size and mtime of
the file it describes and is trusted only while all three still match, so a stale or missing
sidecar (a crash between the two renames, a file placed by hand) just means the hash is
recomputed and the sidecar rewritten. Files are never modified in place, only replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import logging
import os
import stat as stat_module
import time
import uuid
from collections.abc import Generator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from mediaobjects.errors import NotFound, StorageFailure
from mediaobjects.storage.interfaces import StoredObject
from mediaobjects.storage.keys import validate_key
from mediaobjects.storage.streams import ClosingChunks, check_range
from mediaobjects.storage.writes import is_sha256_hex, write_bytes

logger = logging.getLogger(__name__)

TEMP_DIR = ".tmp"
META_DIR = ".meta"
_COPY_CHUNK = 1024 * 1024


def _failure(action: str, exc: OSError) -> StorageFailure:
    reason = exc.strerror or type(exc).__name__
    return StorageFailure(f"Local storage failed to {action}: {reason}.")


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not every platform lets a directory be opened.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


PARALLEL_HASH_BYTES = 256 * 1024


class LocalPendingWrite:
    """A file in ``root/.tmp/`` that becomes the object at ``key`` on commit. It is held
    locked (flock) while open, which tells ``cleanup_stale_temp`` it is in use however long
    the upload pauses; the kernel drops the lock when the process dies."""

    def __init__(self, storage: LocalStorage, key: str) -> None:
        self.key = key
        self.bytes_written = 0
        self._storage = storage
        self._hash = hashlib.sha256()
        self._hasher: ThreadPoolExecutor | None = None
        self._state = "open"
        self._temp_path = storage.temp_dir / f"{uuid.uuid4().hex}.part"
        try:
            storage.temp_dir.mkdir(parents=True, exist_ok=True)
            self._file: BinaryIO | None = self._temp_path.open("xb")
        except OSError as exc:
            self._state = "failed"
            raise _failure("start a write", exc) from exc
        # No locks on this file system: cleanup_stale_temp goes by age alone.
        with contextlib.suppress(OSError):
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def write(self, chunk: bytes | bytearray) -> None:
        if self._state != "open" or self._file is None:
            raise RuntimeError(f"cannot write to a pending write that is {self._state}")
        hashing: Future[None] | None = None
        if len(chunk) >= PARALLEL_HASH_BYTES:
            # Hashing and writing both release the GIL: done side by side, a large upload
            # costs the slower of the two instead of their sum.
            if self._hasher is None:
                self._hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
            hashing = self._hasher.submit(self._hash.update, chunk)
        try:
            self._file.write(chunk)
        except OSError as exc:
            if hashing is not None:
                hashing.result()
            self._fail()
            raise _failure("write", exc) from exc
        if hashing is None:
            self._hash.update(chunk)
        else:
            hashing.result()
        self.bytes_written += len(chunk)

    def _stop_hasher(self) -> None:
        if self._hasher is not None:
            self._hasher.shutdown(wait=True)
            self._hasher = None

    def commit(self) -> StoredObject:
        if self._state != "open" or self._file is None:
            raise RuntimeError(f"cannot commit a pending write that is {self._state}")
        self._stop_hasher()
        digest = self._hash.hexdigest()
        final_path = self._storage.object_path(self.key)
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            info = os.fstat(self._file.fileno())
            final_path.parent.mkdir(parents=True, exist_ok=True)
            # Sidecar first: os.replace keeps the inode and mtime, so it already matches the
            # file about to appear. Until then it mismatches the old file and is ignored.
            self._storage.write_sidecar(self.key, digest, info)
            os.replace(self._temp_path, final_path)
            # Closed (unlocked) only now: until it has moved, the file stays marked in use.
            self._file.close()
            self._file = None
        except OSError as exc:
            self._fail()
            raise _failure("commit a write", exc) from exc
        _fsync_dir(final_path.parent)
        self._state = "committed"
        return StoredObject(self.key, self.bytes_written, digest)

    def abort(self) -> None:
        if self._state in ("committed", "aborted"):
            return
        self._state = "aborted"
        self._discard()

    def _fail(self) -> None:
        self._state = "failed"
        self._discard()

    def _discard(self) -> None:
        self._stop_hasher()
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        try:
            self._temp_path.unlink(missing_ok=True)
        except OSError:
            # cleanup_stale_temp removes it later; raising here would hide the real error.
            logger.warning("could not remove temporary file %s", self._temp_path, exc_info=True)


class LocalStorage:
    """Objects as files under ``root`` (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        self.temp_dir = self.root / TEMP_DIR
        self.meta_dir = self.root / META_DIR

    def object_path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    def _sidecar_path(self, key: str) -> Path:
        return self.meta_dir.joinpath(*key.split("/"))

    def begin_write(self, key: str) -> LocalPendingWrite:
        return LocalPendingWrite(self, validate_key(key))

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        return write_bytes(self.begin_write(key), data)

    def stat(self, key: str) -> StoredObject:
        path = self.object_path(key)
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise NotFound(f"No stored object at {key!r}.") from exc
        except OSError as exc:
            raise _failure("stat", exc) from exc
        if not stat_module.S_ISREG(info.st_mode):
            raise NotFound(f"No stored object at {key!r}.")
        digest = self._read_sidecar(key, info)
        if digest is not None:
            return StoredObject(key, info.st_size, digest)
        return self._rehash(key, path)

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except NotFound:
            return False
        return True

    def read_range(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 65536
    ) -> ClosingChunks:
        check_range(start, end, chunk_size)
        file = self._open(key)
        try:
            size = os.fstat(file.fileno()).st_size
        except OSError as exc:
            file.close()
            raise _failure("read", exc) from exc
        last = size - 1 if end is None else min(end, size - 1)
        length = max(0, last - start + 1)
        return ClosingChunks(_read_file(file, start, length, chunk_size), file.close)

    def delete(self, key: str) -> None:
        path = self.object_path(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            pass
        except OSError as exc:
            raise _failure("delete", exc) from exc
        with contextlib.suppress(OSError):
            self._sidecar_path(key).unlink()

    def copy(self, src_key: str, dst_key: str) -> StoredObject:
        validate_key(dst_key)
        if src_key == dst_key:
            return self.stat(src_key)
        # Streaming through a new pending write copies a consistent snapshot of the source
        # (the open file survives a concurrent replace) and hashes it on the way.
        chunks = self.read_range(src_key, chunk_size=_COPY_CHUNK)
        try:
            pending = self.begin_write(dst_key)
            try:
                for chunk in chunks:
                    pending.write(chunk)
                return pending.commit()
            finally:
                pending.abort()
        finally:
            chunks.close()

    def presigned_url(
        self,
        key: str,
        *,
        expires_in: int,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> str | None:
        validate_key(key)
        return None

    def local_path(self, key: str) -> Path | None:
        path = self.object_path(key)
        if not path.is_file():
            raise NotFound(f"No stored object at {key!r}.")
        return path

    def close(self) -> None:
        return None

    def cleanup_stale_temp(self, older_than_seconds: float) -> int:
        """Remove temporary files untouched for ``older_than_seconds`` that no live process
        holds (left by a crashed process) and return how many were removed. A pending write
        holds a lock on its file for as long as it is open, so an upload that pauses longer
        than the threshold is still never removed under it."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        try:
            entries = list(os.scandir(self.temp_dir))
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise _failure("list temporary files", exc) from exc
        for entry in entries:
            try:
                if not entry.is_file(follow_symlinks=False) or entry.stat().st_mtime >= cutoff:
                    continue
                if _remove_unless_locked(entry.path):
                    removed += 1
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise _failure("remove a temporary file", exc) from exc
        return removed

    def write_sidecar(self, key: str, digest: str, info: os.stat_result) -> None:
        """Record ``digest`` for the file whose ``os.stat`` is ``info`` (atomically)."""
        record = {
            "sha256": digest,
            "size": info.st_size,
            "mtime_ns": info.st_mtime_ns,
            "ino": info.st_ino,
        }
        sidecar = self._sidecar_path(key)
        sidecar.parent.mkdir(parents=True, exist_ok=True)
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        temp = self.temp_dir / f"{uuid.uuid4().hex}.meta"
        try:
            temp.write_text(json.dumps(record))
            os.replace(temp, sidecar)
        finally:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)

    def _read_sidecar(self, key: str, info: os.stat_result) -> str | None:
        try:
            record = json.loads(self._sidecar_path(key).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict):
            return None
        digest = record.get("sha256")
        matches = (
            record.get("size") == info.st_size
            and record.get("mtime_ns") == info.st_mtime_ns
            and record.get("ino") == info.st_ino
        )
        if matches and isinstance(digest, str) and is_sha256_hex(digest):
            return digest
        return None

    def _rehash(self, key: str, path: Path) -> StoredObject:
        file = self._open(key, path)
        with file:
            try:
                info = os.fstat(file.fileno())
                digest = hashlib.file_digest(file, "sha256").hexdigest()
            except OSError as exc:
                raise _failure("read", exc) from exc
        try:
            self.write_sidecar(key, digest, info)
        except OSError:
            logger.warning("could not cache the etag of %r", key, exc_info=True)
        return StoredObject(key, info.st_size, digest)

    def _open(self, key: str, path: Path | None = None) -> io.BufferedReader:
        path = path or self.object_path(key)
        try:
            return path.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise NotFound(f"No stored object at {key!r}.") from exc
        except OSError as exc:
            raise _failure("open", exc) from exc


def _remove_unless_locked(path: str) -> bool:
    """Unlink ``path`` unless a live process holds its lock (see LocalPendingWrite)."""
    fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError:
            pass  # no locks on this file system: the age alone decides
        os.unlink(path)
        return True
    finally:
        os.close(fd)


def _read_file(
    file: BinaryIO, start: int, length: int, chunk_size: int
) -> Generator[bytes, None, None]:
    try:
        file.seek(start)
        remaining = length
        while remaining > 0:
            chunk = file.read(min(chunk_size, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
    except OSError as exc:
        raise _failure("read", exc) from exc
