"""Whole numbers read from client text (query strings, headers, form fields). The length is
checked before ``int()``: CPython refuses to convert more than 4,300 digits (ValueError), and
no id, size, page or byte offset this service handles has more than 19."""

from __future__ import annotations

from mediaobjects.errors import BadRequest, NotFound

MAX_DIGITS = 19
INT64_MAX = 2**63 - 1
# What a longer digit string reads as: a number past every limit (and past INT64_MAX), so that
# callers' range checks refuse it as they refuse any other out-of-range value.
OVERSIZED: int = 10**MAX_DIGITS


def decimal_digits(text: str) -> int | None:
    """The value of ``text`` when it is nothing but ASCII digits, else None. Strings of more
    than MAX_DIGITS significant digits read as OVERSIZED instead of being converted."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    significant = text.lstrip("0")
    if len(significant) > MAX_DIGITS:
        return OVERSIZED
    return int(significant or "0")


def is_int64(value: int) -> bool:
    return -INT64_MAX - 1 <= value <= INT64_MAX


def parse_id(value: str) -> int:
    """A numeric path id. Anything else is an id no row can have: 404, as Canvas answers."""
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    raise NotFound()


def parse_id_param(value: str | int | None, field: str) -> int:
    """A numeric id given as a parameter: 400 naming the field when it is not one."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= INT64_MAX:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    raise BadRequest.for_field(field, f"{field} must be a numeric id", "invalid")
