"""Conditional requests, in one place for every response that can be cached (stored bytes,
caption tracks, placeholder pictures): ETags, ``If-None-Match`` and ``If-Modified-Since``
(304), and ``If-Range`` (RFC 9110 §13)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import parsedate_to_datetime

from fastapi import Request


def quoted(value: str) -> str:
    """A stored digest as a strong entity tag."""
    return f'"{value}"'


def etag_of(data: bytes) -> str:
    """A strong entity tag for bytes made on the fly."""
    return quoted(hashlib.sha256(data).hexdigest()[:32])


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    candidates = [c.strip().removeprefix("W/") for c in if_none_match.split(",")]
    return etag in candidates


def not_modified(request: Request, etag: str, last_modified: datetime | None = None) -> bool:
    """Whether a GET may be answered 304: ``If-None-Match`` names the tag, or — only when no
    ``If-None-Match`` was sent — ``If-Modified-Since`` is no earlier than ``last_modified``."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag_matches(if_none_match, etag)
    since = request.headers.get("if-modified-since")
    if not since or last_modified is None:
        return False
    try:
        return last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
    except (TypeError, ValueError, OverflowError, IndexError):
        # Unreadable dates (and naive ones, which cannot be compared) are ignored, as the RFC
        # says: the full response is sent.
        return False


def range_applies(request: Request, etag: str) -> bool:
    """``If-Range``: a Range request counts only while the representation is the one the
    client has (same strong tag); otherwise the whole body is sent."""
    if_range = request.headers.get("if-range")
    return if_range is None or if_range.strip() == etag
