"""Storage key validation shared by every backend, so a key that works on local disk also works
on S3 and the other way round. A bad key is a programming error and raises ``ValueError``."""

from __future__ import annotations

MAX_KEY_LENGTH = 512
# Most filesystems limit one path component to 255 bytes; enforcing it everywhere keeps keys
# portable between backends.
MAX_SEGMENT_BYTES = 255


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a valid storage key, else raise ``ValueError``.

    A key is a relative POSIX path of non-empty segments: no leading or trailing ``/``, no
    ``.``/``..`` segments, no backslashes or control characters (NUL included), at most
    ``MAX_KEY_LENGTH`` characters. A first segment starting with ``.`` is reserved for the
    backends' own bookkeeping (temporary files, metadata).
    """
    if not isinstance(key, str):
        raise ValueError(f"storage key must be a str, not {type(key).__name__}")
    if not key:
        raise ValueError("storage key must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"storage key is longer than {MAX_KEY_LENGTH} characters")
    if "\\" in key:
        raise ValueError(f"storage key must not contain backslashes: {key!r}")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in key):
        raise ValueError(f"storage key must not contain control characters: {key!r}")
    if key.startswith("/"):
        raise ValueError(f"storage key must be relative: {key!r}")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"storage key is not valid UTF-8: {key!r}") from exc
    segments = key.split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise ValueError(f"storage key has an empty, '.' or '..' segment: {key!r}")
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise ValueError(f"storage key segment is longer than {MAX_SEGMENT_BYTES} bytes")
    if segments[0].startswith("."):
        raise ValueError(f"storage keys starting with '.' are reserved: {key!r}")
    return key
