"""What both storage backends share around a write: a whole object from bytes or from a local
file through the one streaming write (``begin_write`` ... ``commit``), always aborted when
anything fails, and the check that a stored digest is a SHA-256 we wrote."""

from __future__ import annotations

from pathlib import Path

from mediaobjects.errors import StorageFailure
from mediaobjects.storage.interfaces import PendingWrite, StoredObject

CHUNK = 1024 * 1024


def write_bytes(pending: PendingWrite, data: bytes) -> StoredObject:
    try:
        pending.write(data)
        return pending.commit()
    finally:
        pending.abort()


def write_file(pending: PendingWrite, path: Path) -> StoredObject:
    """Streams the file at ``path`` into ``pending`` and commits it."""
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                pending.write(chunk)
        return pending.commit()
    except OSError as exc:
        raise StorageFailure(f"could not read {path.name}: {exc}") from exc
    finally:
        pending.abort()


def is_sha256_hex(value: str) -> bool:
    return len(value) == 64 and all(ch in "0123456789abcdef" for ch in value)
