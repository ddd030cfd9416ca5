"""HTTP Range and conditional requests for file downloads: one byte range (206), 416 for a
range outside the file, ETag/If-None-Match (304) and If-Range."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class RangeNotSatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single range a client asked for, or None to send the whole file.

    Several ranges (multipart/byteranges) are answered with the whole file, which RFC 9110
    allows; media players only ever ask for one."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, sep, last = spec.strip().partition("-")
    if not sep:
        return None
    first, last = first.strip(), last.strip()
    if not first.isdigit() and first != "":
        return None
    if not last.isdigit() and last != "":
        return None
    if first == "":
        if last == "":
            return None
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiable()
        if size == 0:
            raise RangeNotSatisfiable()
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    if start >= size:
        raise RangeNotSatisfiable()
    end = int(last) if last else size - 1
    if end < start:
        return None
    return ByteRange(start, min(end, size - 1))


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    candidates = [c.strip().removeprefix("W/") for c in if_none_match.split(",")]
    return etag in candidates
