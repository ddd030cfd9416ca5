"""Reads the layout of a fragmented MP4 written by ``ffmpeg -movflags
+empty_moov+default_base_moof+frag_keyframe+global_sidx``: where its header (ftyp and moov, the
initialisation section a player loads first) ends, where each fragment (moof + mdat, one per
keyframe) lies and how long it plays, and the RFC 6381 codec names of its tracks. HLS playlists
address the one file by byte ranges from this; no playlist is written by ffmpeg.

Only the boxes that say where things are are read (the moov, the index, box headers); the
media data is skipped, so a rendition of an hour is read in milliseconds."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# A moov or sidx larger than this is not one ffmpeg wrote for a web rendition.
_MAX_INDEX_BOX = 16 * 1024 * 1024


class NotFragmented(ValueError):
    """The file is not a fragmented MP4 with a global index, as the ladder writes it."""


@dataclass(frozen=True)
class Fragment:
    """One moof + mdat: bytes ``[offset, offset + size)``, playing from ``start`` for
    ``duration`` seconds."""

    offset: int
    size: int
    start: float
    duration: float


@dataclass(frozen=True)
class FragmentIndex:
    header_size: int  # bytes [0, header_size): ftyp and moov
    fragments: tuple[Fragment, ...]
    codecs: tuple[str, ...]  # e.g. ("avc1.64001e", "mp4a.40.2"), video first
    duration: float


@dataclass
class _Track:
    track_id: int = 0
    handler: bytes = b""
    codec: str | None = None


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of the boxes in ``data[start:end]``."""
    end = len(data) if end is None else end
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            if at + 16 > end:
                return
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise NotFragmented(f"box {kind!r} at {at} overruns its parent")
        yield kind, at + header, at + size
        at += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for found, payload, box_end in _boxes(data, start, end):
        if found == kind:
            return payload, box_end
    return None


def _descriptor(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, payload start, payload length) of an MPEG-4 descriptor (ISO 14496-1)."""
    tag = data[at]
    at += 1
    length = 0
    for _ in range(4):
        byte = data[at]
        at += 1
        length = (length << 7) | (byte & 0x7F)
        if not byte & 0x80:
            break
    return tag, at, length


def _mp4a_codec(data: bytes, start: int, end: int) -> str:
    # AudioSampleEntry (version 0): 28 bytes before its child boxes.
    esds = _child(data, start + 28, end, b"esds")
    if esds is None:
        return "mp4a"
    tag, at, _ = _descriptor(data, esds[0] + 4)
    if tag != 0x03:
        return "mp4a"
    flags = data[at + 2]
    at += 3
    if flags & 0x80:
        at += 2
    if flags & 0x40:
        at += 1 + data[at]
    if flags & 0x20:
        at += 2
    tag, at, _ = _descriptor(data, at)
    if tag != 0x04:
        return "mp4a"
    object_type = data[at]
    if object_type != 0x40:
        return f"mp4a.{object_type:02X}"
    tag, info, _ = _descriptor(data, at + 13)
    if tag != 0x05:
        return "mp4a.40"
    audio_object_type = data[info] >> 3
    if audio_object_type == 31:
        audio_object_type = 32 + (((data[info] & 0x07) << 3) | (data[info + 1] >> 5))
    return f"mp4a.40.{audio_object_type}"


def _sample_codec(data: bytes, stsd_start: int, stsd_end: int) -> str | None:
    # stsd: version/flags, entry count, then the sample entries; the first one is the codec.
    for kind, payload, box_end in _boxes(data, stsd_start + 8, stsd_end):
        if kind in (b"avc1", b"avc3"):
            # VisualSampleEntry: 78 bytes before its child boxes.
            avcc = _child(data, payload + 78, box_end, b"avcC")
            if avcc is None:
                return kind.decode()
            profile, compat, level = data[avcc[0] + 1 : avcc[0] + 4]
            return f"{kind.decode()}.{profile:02x}{compat:02x}{level:02x}"
        if kind == b"mp4a":
            return _mp4a_codec(data, payload, box_end)
        return kind.decode("latin-1")
    return None


def _tracks(moov: bytes) -> list[_Track]:
    tracks = []
    for kind, payload, end in _boxes(moov):
        if kind != b"trak":
            continue
        track = _Track()
        tkhd = _child(moov, payload, end, b"tkhd")
        if tkhd is not None:
            version = moov[tkhd[0]]
            (track.track_id,) = struct.unpack_from(">I", moov, tkhd[0] + (20 if version else 12))
        mdia = _child(moov, payload, end, b"mdia")
        if mdia is not None:
            hdlr = _child(moov, *mdia, b"hdlr")
            if hdlr is not None:
                track.handler = moov[hdlr[0] + 8 : hdlr[0] + 12]
            minf = _child(moov, *mdia, b"minf")
            stbl = _child(moov, *minf, b"stbl") if minf is not None else None
            stsd = _child(moov, *stbl, b"stsd") if stbl is not None else None
            if stsd is not None:
                track.codec = _sample_codec(moov, *stsd)
        tracks.append(track)
    return tracks


def _sidx(payload: bytes) -> tuple[int, int, int, list[tuple[int, int]]]:
    """(reference_ID, timescale, earliest presentation time, [(size, duration)])."""
    version = payload[0]
    reference_id, timescale = struct.unpack_from(">II", payload, 4)
    if version == 0:
        earliest, _first_offset = struct.unpack_from(">II", payload, 12)
        at = 20
    else:
        earliest, _first_offset = struct.unpack_from(">QQ", payload, 12)
        at = 28
    (count,) = struct.unpack_from(">H", payload, at + 2)
    at += 4
    references = []
    for i in range(count):
        size, duration, _sap = struct.unpack_from(">III", payload, at + 12 * i)
        if size & 0x80000000:
            raise NotFragmented("the index points at another index, not at fragments")
        references.append((size, duration))
    return reference_id, timescale, earliest, references


def _top_level(f: BinaryIO, file_size: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, box start, box size) of the file's top-level boxes, reading headers only."""
    at = 0
    while at + 8 <= file_size:
        f.seek(at)
        head = f.read(16)
        size, kind = struct.unpack_from(">I4s", head)
        if size == 1:
            (size,) = struct.unpack_from(">Q", head, 8)
        elif size == 0:
            size = file_size - at
        if size < 8 or at + size > file_size:
            raise NotFragmented(f"box {kind!r} at {at} overruns the file")
        yield kind, at, size
        at += size


def _read_box(f: BinaryIO, at: int, size: int) -> bytes:
    if size > _MAX_INDEX_BOX:
        raise NotFragmented(f"a {size}-byte index box is not one the ladder writes")
    f.seek(at)
    data = f.read(size)
    header = 16 if struct.unpack_from(">I", data)[0] == 1 else 8
    return data[header:]


def read_fragment_index(path: Path) -> FragmentIndex:
    """The layout of the fragmented MP4 at ``path``; NotFragmented when it is an ordinary MP4
    (as renditions made before were), has no global index, or the index and the fragments
    disagree."""
    try:
        return _read(path)
    except (struct.error, IndexError) as exc:
        raise NotFragmented(f"a box is cut short: {exc}") from exc


def _read(path: Path) -> FragmentIndex:
    file_size = path.stat().st_size
    moov: bytes | None = None
    header_size = 0
    indexes: list[tuple[int, int, int, list[tuple[int, int]]]] = []
    spans: list[tuple[int, int]] = []
    moof_at: int | None = None
    with path.open("rb") as f:
        for kind, at, size in _top_level(f, file_size):
            if kind == b"moov":
                moov = _read_box(f, at, size)
                header_size = at + size
            elif kind == b"sidx":
                indexes.append(_sidx(_read_box(f, at, size)))
            elif kind == b"moof":
                moof_at = at
            elif kind == b"mdat" and moof_at is not None:
                spans.append((moof_at, at + size - moof_at))
                moof_at = None
    if moov is None or not spans:
        raise NotFragmented("the file has no fragments")
    if not indexes:
        raise NotFragmented("the file has no global index (sidx)")
    tracks = _tracks(moov)
    video_ids = [t.track_id for t in tracks if t.handler == b"vide"]
    # The index of the video track, whose keyframes start every fragment.
    index = next((i for i in indexes if i[0] in video_ids), indexes[0])
    _, timescale, earliest, references = index
    if timescale <= 0 or [size for size, _ in references] != [size for _, size in spans]:
        raise NotFragmented("the index does not describe the fragments")
    fragments = []
    clock = earliest
    for (offset, size), (_, duration) in zip(spans, references, strict=True):
        fragments.append(Fragment(offset, size, clock / timescale, duration / timescale))
        clock += duration
    ordered = sorted(tracks, key=lambda t: t.handler != b"vide")
    codecs = tuple(t.codec for t in ordered if t.codec is not None)
    return FragmentIndex(header_size, tuple(fragments), codecs, (clock - earliest) / timescale)
