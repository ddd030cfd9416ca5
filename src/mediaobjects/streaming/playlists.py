"""Writing HLS playlists: a master playlist (one variant per rendition, one subtitles rendition
per caption track), media playlists of segments (byte ranges of one file, or whole files), and
the one-segment playlist that wraps a WebVTT file. Every URI is given whole by the caller:
signed URLs carry their verifier in the query, which a relative URI resolved by the player
would keep only by accident.

``media_playlist`` takes segment records and whether the list is finished, so a playlist that
grows while a transcode runs (``ended=False``, type EVENT) is written by the same code."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

CONTENT_TYPE = "application/vnd.apple.mpegurl"
# EXT-X-MAP in a playlist without I-frames only needs version 6; Apple's authoring rules ask 7
# for fragmented MP4, and every player that reads fMP4 HLS reads 7.
VERSION = 7


@dataclass(frozen=True)
class ByteRange:
    offset: int
    length: int

    def __str__(self) -> str:
        return f"{self.length}@{self.offset}"


@dataclass(frozen=True)
class Segment:
    uri: str
    duration: float  # seconds
    byte_range: ByteRange | None = None


@dataclass(frozen=True)
class Variant:
    uri: str
    bandwidth: int  # bits/s, the peak segment rate
    average_bandwidth: int | None
    width: int | None
    height: int | None
    codecs: str | None


@dataclass(frozen=True)
class SubtitleRendition:
    uri: str
    name: str
    language: str
    default: bool
    # Captions describe sounds as well as speech (HLS: public.accessibility characteristics).
    captions: bool = False


SUBTITLES_GROUP = "subs"


def _quoted(value: str) -> str:
    """An HLS quoted-string: no double quote, CR or LF may appear inside."""
    cleaned = "".join(c for c in value if c not in '"\r\n' and c.isprintable())
    return f'"{cleaned}"'


def _uri(uri: str) -> str:
    if any(c in uri for c in '"\r\n'):
        raise ValueError("A playlist URI cannot hold a double quote or a line break.")
    return uri


def peak_and_average(segments: Sequence[Segment]) -> tuple[int, int]:
    """BANDWIDTH (the highest bit rate of any segment) and AVERAGE-BANDWIDTH (all bits over all
    seconds), from segments addressed by byte range."""
    peak, bits, seconds = 0, 0, 0.0
    for segment in segments:
        if segment.byte_range is None or segment.duration <= 0:
            continue
        segment_bits = segment.byte_range.length * 8
        peak = max(peak, math.ceil(segment_bits / segment.duration))
        bits += segment_bits
        seconds += segment.duration
    return peak, (math.ceil(bits / seconds) if seconds else 0)


def media_playlist(
    segments: Sequence[Segment],
    *,
    map_uri: str | None = None,
    map_range: ByteRange | None = None,
    ended: bool = True,
    target: int | None = None,
) -> str:
    """A media playlist: VOD when ``ended``, else EVENT (segments are only ever appended; the
    player reloads it, and is asked to start at its beginning, not at its live edge).
    ``map_uri``: the initialisation section (ftyp + moov) of fragmented MP4 segments.
    ``target``: the target duration a growing playlist keeps from its first reload to its
    last (it may not change, RFC 8216 6.2.1); by default, that of the longest segment."""
    # No segment may be longer than the target once rounded to the nearest second (RFC 8216
    # 4.3.3.1); the ceiling keeps it so.
    longest = max(1, math.ceil(max((s.duration for s in segments), default=1)))
    target = longest if target is None else max(target, longest)
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{VERSION}",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        f"#EXT-X-PLAYLIST-TYPE:{'VOD' if ended else 'EVENT'}",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    if not ended:
        lines.append("#EXT-X-START:TIME-OFFSET=0")
    if map_uri is not None:
        attributes = f"URI={_quoted(_uri(map_uri))}"
        if map_range is not None:
            attributes += f',BYTERANGE="{map_range}"'
        lines.append(f"#EXT-X-MAP:{attributes}")
    for segment in segments:
        lines.append(f"#EXTINF:{segment.duration:.3f},")
        if segment.byte_range is not None:
            lines.append(f"#EXT-X-BYTERANGE:{segment.byte_range}")
        lines.append(_uri(segment.uri))
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def subtitle_playlist(uri: str, duration: float) -> str:
    """The media playlist of one WebVTT file covering the whole ``duration``."""
    return media_playlist([Segment(uri, max(duration, 0.001))])


def master_playlist(variants: Sequence[Variant], subtitles: Sequence[SubtitleRendition]) -> str:
    """Variants in the order given (players start with the first); one subtitles group."""
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{VERSION}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for track in subtitles:
        attributes = [
            "TYPE=SUBTITLES",
            f"GROUP-ID={_quoted(SUBTITLES_GROUP)}",
            f"NAME={_quoted(track.name)}",
            f"LANGUAGE={_quoted(track.language)}",
            f"DEFAULT={'YES' if track.default else 'NO'}",
            # AUTOSELECT lets a player pick the track matching the viewer's own language.
            "AUTOSELECT=YES",
        ]
        if track.captions:
            attributes.append(
                "CHARACTERISTICS="
                + _quoted(
                    "public.accessibility.transcribes-spoken-dialog,"
                    "public.accessibility.describes-music-and-sound"
                )
            )
        attributes.append(f"URI={_quoted(_uri(track.uri))}")
        lines.append("#EXT-X-MEDIA:" + ",".join(attributes))
    for variant in variants:
        attributes = [f"BANDWIDTH={variant.bandwidth}"]
        if variant.average_bandwidth:
            attributes.append(f"AVERAGE-BANDWIDTH={variant.average_bandwidth}")
        if variant.width and variant.height:
            attributes.append(f"RESOLUTION={variant.width}x{variant.height}")
        if variant.codecs:
            attributes.append(f"CODECS={_quoted(variant.codecs)}")
        if subtitles:
            attributes.append(f"SUBTITLES={_quoted(SUBTITLES_GROUP)}")
        lines.append("#EXT-X-STREAM-INF:" + ",".join(attributes))
        lines.append(_uri(variant.uri))
    return "\n".join(lines) + "\n"
