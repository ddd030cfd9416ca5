"""What signed media-source and track URLs deliver, remembered for a few seconds
(``MEDIAOBJECTS_DELIVERY_CACHE_SECONDS``). A player asks for the same sources and tracks many
times while a class watches, and a valid verifier already proves the right to read: with these
facts at hand such a request needs no database at all.

The facts change only when media, sources, tracks or files are written; every commit of this
process that writes them empties the cache (wired in ``context``), so a replaced track or a
deleted media is seen at once here and within the time-to-live in other processes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from mediaobjects.ttlcache import TtlCache


@dataclass(frozen=True)
class SourceFacts:
    """What ``/media_sources/:id/:name`` serves."""

    key: str
    size: int
    etag: str
    content_type: str
    filename: str


@dataclass(frozen=True)
class TrackFacts:
    """What a track URL serves: the WebVTT bytes and their validators."""

    body: bytes
    etag: str
    updated_at: datetime


# A track is reached through a media id or an attachment id: ("media", id) or ("attachment", id).
TrackKey = tuple[str, str, int]


class DeliveryCache:
    def __init__(self, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.sources: TtlCache[int, SourceFacts] = TtlCache(ttl_seconds, clock=clock)
        self.tracks: TtlCache[TrackKey, TrackFacts] = TtlCache(ttl_seconds, clock=clock)

    def clear(self) -> None:
        self.sources.clear()
        self.tracks.clear()
