"""HTTP Range requests: one byte range (206), 416 for a range outside the file. Conditional
requests (ETag, If-Range) are in ``http.conditional``."""

from __future__ import annotations

from dataclasses import dataclass

from mediaobjects.numbers import decimal_digits


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
    first_text, last_text = first.strip(), last.strip()
    # Digit strings of any length: a huge number is simply past the end of the file.
    start = decimal_digits(first_text) if first_text else None
    end = decimal_digits(last_text) if last_text else None
    if (first_text and start is None) or (last_text and end is None):
        return None
    if start is None:
        if end is None:
            return None
        if end == 0 or size == 0:
            raise RangeNotSatisfiable()
        return ByteRange(max(0, size - end), size - 1)
    if start >= size:
        raise RangeNotSatisfiable()
    if end is None:
        end = size - 1
    if end < start:
        return None
    return ByteRange(start, min(end, size - 1))
