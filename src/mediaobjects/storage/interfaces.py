"""The storage contract every backend implements: ``Storage`` holds immutable objects under
relative POSIX keys, and ``PendingWrite`` streams one object in and publishes it atomically.

Errors: a missing object raises ``mediaobjects.errors.NotFound``; any backend I/O failure raises
``mediaobjects.errors.StorageFailure`` (chained to the original); a malformed key or argument is a
programming error and raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple, Protocol


class StoredObject(NamedTuple):
    """What a backend knows about one stored object.

    ``etag`` is the lowercase hex SHA-256 of the contents on every backend: strong (it changes
    whenever the bytes change), unquoted, and equal for equal bytes across keys, copies, backends
    and restarts. (An S3 object written by another tool has no recorded hash; its etag is then
    the server's own ETag without quotes, still strong but not equal across backends.)
    """

    key: str
    size: int
    etag: str


class PendingWrite(Protocol):
    """One object being written; invisible under ``key`` until ``commit`` succeeds.

    Call ``abort`` on every path that does not commit (it is idempotent, a no-op after a
    successful commit, and never raises), e.g. ``try: ... commit() finally: abort()``.
    """

    key: str
    bytes_written: int

    def write(self, chunk: bytes | bytearray) -> None:
        """Append ``chunk``; memory use stays bounded (at most about one S3 part)."""
        ...

    def commit(self) -> StoredObject:
        """Atomically publish everything written under ``key``, replacing any older object."""
        ...

    def abort(self) -> None:
        """Discard everything written; idempotent and safe after a failed write or commit."""
        ...


class Storage(Protocol):
    """A flat store of immutable byte objects addressed by keys like ``attachments/ab/cd/<id>``."""

    def begin_write(self, key: str) -> PendingWrite:
        """Start streaming a new object to ``key``."""
        ...

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        """Store ``data`` under ``key`` in one call (same rules as ``begin_write``)."""
        ...

    def stat(self, key: str) -> StoredObject:
        """Describe the object at ``key``; ``NotFound`` when there is none."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored at ``key``."""
        ...

    def read_range(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 65536
    ) -> Iterator[bytes]:
        """Stream bytes ``start`` to ``end`` inclusive (like HTTP Range); ``end=None`` reads to
        the end. ``end`` past the last byte is clamped and a ``start`` at or past the end yields
        nothing. ``NotFound`` is raised by this call itself, before any iteration. Iterating to
        the end, or calling ``close()`` on the iterator, releases the underlying file/response.
        """
        ...

    def delete(self, key: str) -> None:
        """Remove the object at ``key``; deleting a missing object is not an error."""
        ...

    def copy(self, src_key: str, dst_key: str) -> StoredObject:
        """Copy the object at ``src_key`` to ``dst_key``; ``NotFound`` if the source is missing."""
        ...

    def presigned_url(
        self,
        key: str,
        *,
        expires_in: int,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> str | None:
        """A time-limited URL a client can GET directly, or ``None`` when the backend cannot make
        one (local disk). ``content_type`` sets the response Content-Type; ``filename`` makes the
        response an attachment download with that name (without it browsers show it inline).
        """
        ...

    def local_path(self, key: str) -> Path | None:
        """The object's real file path for tools that need one (ffmpeg, sendfile), or ``None``
        when the backend keeps no local files (S3). ``NotFound`` when a local object is missing.
        """
        ...

    def close(self) -> None:
        """Release connections; the storage must not be used afterwards."""
        ...
