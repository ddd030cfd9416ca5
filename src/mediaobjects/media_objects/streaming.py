"""What HLS needs to know of a rendition, kept in its ``stream_index`` column: the codecs, where
the header (ftyp + moov) ends, and the segments, each a byte range of the one fragmented MP4
file with its duration. Made once by the pipeline from the file's own index; read by the
playlist routes (``media_objects.hls``) on every request, so a playlist costs no storage read.

Segments are about ``SEGMENT_SECONDS`` long: fragments (one per keyframe, every 2 s) are joined
from each multiple of that length, and keyframes fall on the same instants in every rendition,
so segment boundaries line up across renditions."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from mediaobjects.errors import NotFound
from mediaobjects.media_objects import repository as repo
from mediaobjects.media_objects.models import LIVE_INIT_SEQUENCE, MediaLiveSegment, MediaObject
from mediaobjects.transcoding.fmp4 import FragmentIndex

SEGMENT_SECONDS = 6.0
# A fragment starting this close before a boundary starts the new segment (timestamps in
# different tracks and time bases round differently).
_SLACK = 0.05
_FORMAT = 1


@dataclass(frozen=True)
class StoredSegment:
    offset: int
    length: int
    duration: float


@dataclass(frozen=True)
class StreamIndex:
    codecs: str
    header_length: int
    segments: tuple[StoredSegment, ...]


def index_of(fragments: FragmentIndex) -> StreamIndex:
    """The segments of a fragmented rendition: consecutive fragments joined until the next
    multiple of SEGMENT_SECONDS."""
    segments: list[StoredSegment] = []
    offset = length = 0
    duration = 0.0
    boundary = SEGMENT_SECONDS
    for fragment in fragments.fragments:
        if length and fragment.start >= boundary - _SLACK:
            segments.append(StoredSegment(offset, length, duration))
            length, duration = 0, 0.0
            while fragment.start >= boundary - _SLACK:
                boundary += SEGMENT_SECONDS
        if not length:
            offset = fragment.offset
        length = fragment.offset + fragment.size - offset
        duration += fragment.duration
    if length:
        segments.append(StoredSegment(offset, length, duration))
    return StreamIndex(",".join(fragments.codecs), fragments.header_size, tuple(segments))


def dump(index: StreamIndex) -> str:
    return json.dumps(
        {
            "format": _FORMAT,
            "codecs": index.codecs,
            "header": index.header_length,
            # [offset, length, seconds]: about 40 bytes per 6 s, 24 KB per rendition-hour.
            "segments": [[s.offset, s.length, round(s.duration, 6)] for s in index.segments],
        },
        separators=(",", ":"),
    )


def load(text: str | None) -> StreamIndex | None:
    """The stored index, or None when there is none (or it is of a format this version does not
    read: the rendition then plays progressively only)."""
    if not text:
        return None
    try:
        data = json.loads(text)
        if data.get("format") != _FORMAT:
            return None
        segments = tuple(
            StoredSegment(int(offset), int(length), float(seconds))
            for offset, length, seconds in data["segments"]
        )
        return StreamIndex(str(data["codecs"]), int(data["header"]), segments)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


@dataclass(frozen=True)
class StreamRendition:
    """A rendition as the HLS playlists list it."""

    source_id: int
    name: str
    file_ext: str
    width: int | None
    height: int | None
    index: StreamIndex


NOTHING_TO_STREAM = (
    "This media has nothing to stream yet: its renditions are not ready (or were made before "
    "streaming existed and play through media_sources only)."
)


def stream_renditions(session: Session, media_object: MediaObject) -> list[StreamRendition]:
    """The renditions HLS plays, smallest first (players start with the first variant, which
    suits a phone on a weak connection; they move up as the bandwidth allows). NotFound when
    there are none."""
    found = []
    for source in repo.streamable_sources(session, media_object.id):
        index = load(source.stream_index)
        if index is not None and index.segments:
            found.append(
                StreamRendition(
                    source.id, source.name, source.file_ext, source.width, source.height, index
                )
            )
    if not found:
        raise NotFound(NOTHING_TO_STREAM)
    return sorted(found, key=lambda r: (r.height or 0, r.width or 0, r.name))


def stream_rendition(session: Session, media_object: MediaObject, name: str) -> StreamRendition:
    for rendition in stream_renditions(session, media_object):
        if rendition.name == name:
            return rendition
    raise NotFound()


def early_stream(session: Session, media_object: MediaObject) -> list[MediaLiveSegment]:
    """The segments of the media object's early stream (``media_objects.live``), in order;
    NotFound when it has none, or its initialisation section is missing."""
    pieces = repo.live_pieces(session, media_object.id)
    if len(pieces) < 2 or pieces[0].sequence != LIVE_INIT_SEQUENCE:
        raise NotFound(NOTHING_TO_STREAM)
    return pieces[1:]


def early_piece(session: Session, media_object: MediaObject, sequence: int) -> MediaLiveSegment:
    """One piece of the early stream (``LIVE_INIT_SEQUENCE``: its initialisation section)."""
    piece = repo.live_piece(session, media_object.id, sequence)
    if piece is None:
        raise NotFound()
    return piece
