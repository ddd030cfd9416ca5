"""Whole numbers read from client text (query strings, headers, form fields). The length is
checked before ``int()``: CPython refuses to convert more than 4,300 digits (ValueError), and
no id, size, page or byte offset this service handles has more than 19."""

from __future__ import annotations

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
