"""Reading what an uploaded file holds (ffprobe), rejecting files that cannot become media, and
the upload limits. Rejections carry a sentence the uploader understands."""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from mediaobjects.transcoding._process import file_url, run_tool, stderr_tail
from mediaobjects.transcoding.errors import (
    TOOL_FAILED,
    MediaRejected,
    ToolTimedOut,
    TranscodeFailed,
)

NOT_MEDIA = "The file is not audio or video (ffprobe could not read it)."
NO_STREAMS = "The file has no audio or video stream."
STILL_IMAGE = "The file is a still image, not audio or video."
NO_DURATION = "The file's length could not be read; it may be empty or damaged."
TRUNCATED = "The file is truncated or damaged: {}"

# Demuxers that turn a single picture (or a text file) into a one-frame "video".
_IMAGE_FORMATS = re.compile(r"^(image2|.*_pipe|tty|apng|webp)$")

# The only demuxers an upload is opened with: audio and video containers and streams, and
# pictures (refused with their own message). Left out, above all: playlists and scripts that
# make ffmpeg open other files (hls, dash, concat, imf, sdp...). An uploaded HLS playlist
# naming file:/.../renditions/<another media>/720p.mp4 would otherwise be transcoded into
# the uploader's own video: another course's recording, or any media file on the server.
INPUT_FORMATS = (
    # video containers and raw video streams
    "mov", "matroska", "webm", "avi", "flv", "live_flv", "asf", "wtv", "mpeg", "mpegts",
    "mpegvideo", "m4v", "h261", "h263", "h264", "hevc", "vc1", "av1", "obu", "ivf", "dirac",
    "dv", "mxf", "gxf", "nut", "ogg", "rm", "swf", "mjpeg", "yuv4mpegpipe", "gif",
    # audio
    "mp3", "aac", "loas", "ac3", "eac3", "dts", "dtshd", "truehd", "mlp", "flac", "wav", "w64",
    "aiff", "caf", "au", "amr", "amrnb", "amrwb", "ape", "wv", "tta", "tak", "mpc", "mpc8",
    "shn", "dsf", "xwma", "voc", "oma", "gsm", "qcp", "ircam", "spdif", "mmf",
    # single pictures and text, so that they are refused as such
    "image2", "jpeg_pipe", "png_pipe", "webp_pipe", "bmp_pipe", "gif_pipe", "tiff_pipe",
    "apng", "tty",
)  # fmt: skip


def input_options() -> list[str]:
    """Options an ffmpeg or ffprobe command puts before the ``-i`` (or the path) of an upload:
    only the demuxers above, and only local files (the defaults would let a demuxer open
    other protocols it nests, and any demuxer)."""
    return ["-protocol_whitelist", "file", "-format_whitelist", ",".join(INPUT_FORMATS)]


@dataclass(frozen=True)
class StreamInfo:
    """One stream of a probed file. ``attached_pic`` marks cover art (MP3/M4A): not video."""

    index: int
    codec_type: str
    codec_name: str
    width: int | None = None
    height: int | None = None
    bit_rate: int | None = None
    sample_rate: int | None = None
    channels: int | None = None
    attached_pic: bool = False
    rotation: int = 0
    # What decides whether a browser can play the stream as it is (see ``playable``); None
    # when ffprobe did not say. ``pix_fmt`` of H.264 is known only when frames were decoded,
    # its ``profile`` always (High 10 and High 4:2:2 name what the pixel format would).
    profile: str | None = None
    pix_fmt: str | None = None
    field_order: str | None = None
    color_transfer: str | None = None

    @property
    def is_video(self) -> bool:
        return self.codec_type == "video" and not self.attached_pic

    @property
    def is_audio(self) -> bool:
        return self.codec_type == "audio"


@dataclass(frozen=True)
class ProbeResult:
    """What ffprobe found: duration in seconds, ffprobe's ``format_name``, bits/s, streams."""

    duration: float
    container: str
    bit_rate: int | None
    streams: tuple[StreamInfo, ...]
    # True when the container gave no length and ffmpeg guessed it from the file size and the
    # first frames' bitrate (a VBR MP3 without a Xing header): then only reading tells.
    duration_estimated: bool = False

    @property
    def video(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.is_video), None)

    @property
    def audio(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.is_audio), None)

    @property
    def width(self) -> int | None:
        """Displayed width: a phone video stored 1920x1080 and rotated 90° is 1080 wide."""
        v = self.video
        if v is None:
            return None
        return v.height if _quarter_turn(v) else v.width

    @property
    def height(self) -> int | None:
        v = self.video
        if v is None:
            return None
        return v.width if _quarter_turn(v) else v.height

    @property
    def media_type(self) -> Literal["video", "audio"]:
        return "video" if self.video is not None else "audio"


def _quarter_turn(stream: StreamInfo) -> bool:
    return abs(stream.rotation) % 180 == 90


# Only the fields _parse reads: tags (an ID3 comment can be as large as the upload) are never
# printed, so ffprobe's output stays a few KB whatever the file holds. Side data is printed
# whole: ffprobe 5.1 prints an empty entry when asked for its "rotation" key alone, so phone
# videos stored sideways read as landscape.
_ENTRIES = (
    "format=format_name,duration,bit_rate"
    ":stream=index,codec_type,codec_name,width,height,bit_rate,sample_rate,channels,duration"
    ",profile,pix_fmt,field_order,color_transfer"
    ":stream_disposition=attached_pic:stream_tags=rotate:stream_side_data_list"
)
_ESTIMATED = "Estimating duration from bitrate"
_TOO_MANY_PIXELS = re.compile(r"Picture size (\d+)x(\d+) exceeds specified max pixel count")


def probe(
    path: Path,
    *,
    ffprobe: str = "ffprobe",
    timeout: float = 60,
    ffmpeg: str = "ffmpeg",
    max_pixels: int | None = None,
    memory_limit: int | None = None,
) -> ProbeResult:
    """Probe ``path``; raise MediaRejected when it is not usable audio or video, or (given
    ``max_pixels``) when its picture is larger than that.

    The first pass reads the container and stream headers only (``-skip_frame all``: no frame
    is decoded), so an 8000×8000 upload is refused before a decoder allocates its pictures.
    Where the headers do not say the picture size (H.264 in MPEG-TS), a second pass decodes
    the first frames with the decoder itself capped at ``max_pixels`` (see
    :func:`decoder_max_pixels`), so a larger picture is refused rather than allocated.

    A file cut short is rejected here only when ffprobe notices (an MP4 whose index was at the
    end); :func:`verify_decodable` catches the rest. Browser recordings (MediaRecorder WebM)
    carry no duration in their header: it is then measured by reading the file with ``ffmpeg``."""
    deadline = time.monotonic() + timeout
    result = _probe_pass(path, ["-skip_frame", "all"], ffprobe, timeout, memory_limit)
    if max_pixels is not None:
        check_pixels(result, max_pixels)
    video = result.video
    if video is not None and not (video.width and video.height):
        decode = ["-max_pixels", str(decoder_max_pixels(max_pixels))]
        left = _left(deadline, ffprobe)
        result = _probe_pass(path, decode, ffprobe, left, memory_limit, max_pixels)
        if max_pixels is not None:
            check_pixels(result, max_pixels)
    if result.duration <= 0:
        measured = read_through(
            path, ffmpeg=ffmpeg, timeout=_left(deadline, ffmpeg), memory_limit=memory_limit
        )
        if not measured:
            raise MediaRejected(NO_DURATION)
        result = replace(result, duration=measured, duration_estimated=False)
    return result


def _left(deadline: float, tool: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ToolTimedOut(f"{Path(tool).name} had no time left to run.")
    return left


def decoder_max_pixels(max_pixels: int | None) -> int:
    """The ``-max_pixels`` handed to decoders: the limit with a quarter of slack, because a
    decoder counts the width rounded up to its alignment (a 1000-pixel-wide picture needs 1024)
    and the limit itself is enforced from the headers. It is a backstop against streams whose
    pictures are larger than their headers say."""
    if max_pixels is None:
        return 2**31 - 1
    return min(2**31 - 1, max_pixels + max_pixels // 4)


def _probe_pass(
    path: Path,
    extra: list[str],
    ffprobe: str,
    timeout: float,
    memory_limit: int | None,
    max_pixels: int | None = None,
) -> ProbeResult:
    cmd = [ffprobe, "-v", "warning", *input_options(), *extra]
    cmd += ["-print_format", "json", "-show_entries", _ENTRIES]
    done = run_tool([*cmd, file_url(path)], timeout=timeout, memory_limit=memory_limit)
    if done.returncode != 0:
        detail = stderr_tail(done.stderr)
        too_big = _TOO_MANY_PIXELS.search(done.stderr)
        if too_big and max_pixels is not None:
            raise MediaRejected(
                _too_many_pixels(int(too_big[1]), int(too_big[2]), max_pixels), detail=detail
            )
        if "moov atom not found" in done.stderr and _starts_like_mp4(path):
            raise MediaRejected(
                TRUNCATED.format("its end is missing (was the upload interrupted?)."),
                detail=detail,
            )
        if "No such file" in done.stderr:
            raise TranscodeFailed(
                TOOL_FAILED.format(tool="ffprobe"),
                detail=f"ffprobe could not open {path}: {detail}",
            )
        raise MediaRejected(NOT_MEDIA, detail=detail)
    try:
        data = json.loads(done.stdout)
    except ValueError as exc:
        raise TranscodeFailed(
            TOOL_FAILED.format(tool="ffprobe"),
            detail=f"ffprobe printed something that is not JSON: {exc}",
        ) from exc
    result = _parse(data if isinstance(data, dict) else {})
    if _ESTIMATED in done.stderr:
        result = replace(result, duration_estimated=True)
    return result


def _starts_like_mp4(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    return head[4:8] == b"ftyp"


def _parse(data: dict[str, Any]) -> ProbeResult:
    fmt = data.get("format")
    fmt = fmt if isinstance(fmt, dict) else {}
    raw_streams = data.get("streams")
    streams = tuple(
        _stream(s) for s in (raw_streams if isinstance(raw_streams, list) else []) if _is_dict(s)
    )
    container = str(fmt.get("format_name") or "")
    media = [s for s in streams if s.is_video or s.is_audio]
    if not container and not streams:
        raise MediaRejected(NOT_MEDIA)
    if _IMAGE_FORMATS.match(container):
        raise MediaRejected(STILL_IMAGE if streams else NOT_MEDIA)
    if not media:
        raise MediaRejected(NO_STREAMS)
    duration = _float(fmt.get("duration"))
    if duration is None:
        stream_durations = [
            d
            for s in (raw_streams if isinstance(raw_streams, list) else [])
            if _is_dict(s)
            for d in [_float(s.get("duration"))]
            if d is not None
        ]
        duration = max(stream_durations, default=None)
    if duration is None or not math.isfinite(duration) or duration <= 0:
        duration = 0.0  # unknown: probe() measures it
    return ProbeResult(
        duration=duration, container=container, bit_rate=_int(fmt.get("bit_rate")), streams=streams
    )


def _is_dict(value: object) -> bool:
    return isinstance(value, dict)


def _stream(s: dict[str, Any]) -> StreamInfo:
    disposition = s.get("disposition")
    attached = isinstance(disposition, dict) and disposition.get("attached_pic") == 1
    return StreamInfo(
        index=_int(s.get("index")) or 0,
        codec_type=str(s.get("codec_type") or ""),
        codec_name=str(s.get("codec_name") or ""),
        width=_int(s.get("width")),
        height=_int(s.get("height")),
        bit_rate=_int(s.get("bit_rate")),
        sample_rate=_int(s.get("sample_rate")),
        channels=_int(s.get("channels")),
        attached_pic=attached,
        rotation=_rotation(s),
        profile=_known(s.get("profile")),
        pix_fmt=_known(s.get("pix_fmt")),
        field_order=_known(s.get("field_order")),
        color_transfer=_known(s.get("color_transfer")),
    )


def _known(value: object) -> str | None:
    """ffprobe's value as a string; None where it printed nothing or "unknown"."""
    text = str(value) if value is not None else ""
    return text if text and text != "unknown" else None


def _rotation(s: dict[str, Any]) -> int:
    side_data = s.get("side_data_list")
    for item in side_data if isinstance(side_data, list) else []:
        if isinstance(item, dict) and "rotation" in item:
            return _int(item.get("rotation")) or 0
    tags = s.get("tags")
    if isinstance(tags, dict):
        return _int(tags.get("rotate")) or 0
    return 0


def _float(value: object) -> float | None:
    try:
        return float(str(value)) if value is not None else None
    except ValueError:
        return None


def _int(value: object) -> int | None:
    number = _float(value)
    return int(number) if number is not None and math.isfinite(number) else None


def verify_decodable(
    path: Path,
    *,
    ffmpeg: str = "ffmpeg",
    timeout: float = 300,
    duration: float | None = None,
    duration_estimated: bool = False,
    memory_limit: int | None = None,
) -> float | None:
    """Read every packet of ``path`` (stream copy, no decoding, so it costs about as much as
    reading the file) and return how long the audio and video really are (None if ffmpeg
    said nothing). Raise MediaRejected when data is missing or corrupt, or when the readable
    part is clearly shorter than the ``duration`` the header claims; a ``duration_estimated``
    from the bitrate is no claim and is not held against the file."""
    read = read_through(path, ffmpeg=ffmpeg, timeout=timeout, memory_limit=memory_limit)
    if (
        duration is not None
        and read is not None
        and not duration_estimated
        and duration - read > length_slack(duration)
    ):
        raise MediaRejected(
            TRUNCATED.format(
                f"it stops after {format_duration(read)} of {format_duration(duration)}."
            )
        )
    return read


def length_slack(duration: float) -> float:
    """How far a file's measured length may fall short of its header's before it counts as
    cut off: half a second, or 2% of a long file (containers round, and edit lists trim)."""
    return max(0.5, 0.02 * duration)


def read_through(
    path: Path, *, ffmpeg: str = "ffmpeg", timeout: float = 300, memory_limit: int | None = None
) -> float | None:
    """Demux every packet of the audio and video streams of ``path`` and return where the
    longest of them ends, in seconds (None if there were no packets); MediaRejected when
    ffmpeg meets missing or corrupt data.

    A stream ends where its last picture or sound *ends*: the largest presentation timestamp
    plus that packet's duration. ffmpeg's own progress (``out_time``) is the last packet's
    decoding timestamp instead, which falls a whole frame interval short: 7 s of a 10 s clip
    at 1 frame/s with B-frames, 2 s of a slide video whose last frame lasts 4 s. Cover art
    (an attached picture, one packet) is not read; the longest stream counts, so a podcast
    whose video is one still picture is judged by its sound."""
    ends = _StreamEnds()
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-xerror"]
    cmd += [*input_options(), "-i", file_url(path), "-map", "0:V?", "-map", "0:a?", "-c", "copy"]
    # framecrc prints one line per packet (stream, dts, pts, duration, size, checksum), read
    # as it comes: a six-hour file has a million packets.
    cmd += ["-f", "framecrc", "-"]
    done = run_tool(cmd, timeout=timeout, memory_limit=memory_limit, on_line=ends.feed)
    if done.returncode != 0 or "ended prematurely" in done.stderr:
        raise MediaRejected(
            TRUNCATED.format("part of its data is missing or corrupt."),
            detail=stderr_tail(done.stderr),
        )
    return ends.seconds()


_TIME_BASE = re.compile(rb"^#tb (\d+): (\d+)/(\d+)")
_NO_TIMESTAMP = -(2**63)


class _StreamEnds:
    """Where each stream of a framecrc listing ends, fed one line at a time."""

    def __init__(self) -> None:
        self._time_base: dict[int, float] = {}
        # stream -> [largest pts, its packet's duration, the pts before it in order]
        self._last: dict[int, list[int]] = {}

    def feed(self, line: bytes) -> None:
        if line.startswith(b"#"):
            found = _TIME_BASE.match(line)
            if found and int(found[3]):
                self._time_base[int(found[1])] = int(found[2]) / int(found[3])
            return
        fields = line.split(b",", 4)
        if len(fields) < 4:
            return
        try:
            stream, dts, pts, duration = (int(f) for f in fields[:4])
        except ValueError:
            return
        if pts == _NO_TIMESTAMP:
            pts = dts
        if pts == _NO_TIMESTAMP:
            return
        last = self._last.get(stream)
        if last is None:
            self._last[stream] = [pts, duration, pts]
        elif pts > last[0]:
            self._last[stream] = [pts, duration, last[0]]
        elif pts < last[0] and (pts > last[2] or last[2] == last[0]):
            last[2] = pts

    def seconds(self) -> float | None:
        ends = []
        for stream, (pts, duration, before) in self._last.items():
            if duration <= 0:
                # No duration on the last packet (some muxers leave it out): assume it lasts
                # as long as the gap before it.
                duration = pts - before
            ends.append((pts + duration) * self._time_base.get(stream, 0.0))
        return max(ends, default=None)


def format_duration(seconds: float) -> str:
    """'7 h 12 min', '6 h', '3 min 5 s', '42 s' — as a teacher would write it."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s" if total else f"{seconds:.1f} s"


def format_pixels(max_pixels: int) -> str:
    """A pixel budget as a 16:9 size when it is one (8294400 -> '3840×2160'), else a count."""
    height = round(math.sqrt(max_pixels * 9 / 16))
    width = height * 16 // 9
    if width * height == max_pixels:
        return f"{width}×{height}"
    return f"{max_pixels:,}"


def check_limits(result: ProbeResult, *, max_duration: float, max_pixels: int) -> None:
    """Raise MediaRejected when the file is longer than ``max_duration`` seconds or its picture
    has more than ``max_pixels`` pixels."""
    if result.duration > max_duration:
        raise MediaRejected(
            f"The {result.media_type} is {format_duration(result.duration)} long; "
            f"the limit is {format_duration(max_duration)}."
        )
    check_pixels(result, max_pixels)


def check_pixels(result: ProbeResult, max_pixels: int) -> None:
    """Raise MediaRejected when the picture has more than ``max_pixels`` pixels."""
    width, height = result.width, result.height
    if width is not None and height is not None and width * height > max_pixels:
        raise MediaRejected(_too_many_pixels(width, height, max_pixels))


def _too_many_pixels(width: int, height: int, max_pixels: int) -> str:
    return f"The video is {width}×{height}; the limit is {format_pixels(max_pixels)} pixels."
