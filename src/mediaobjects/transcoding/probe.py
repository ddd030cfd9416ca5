"""Reading what an uploaded file holds (ffprobe), rejecting files that cannot become media, and
the upload limits. Rejections carry a sentence the uploader understands."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from mediaobjects.transcoding._process import file_url, run_tool, stderr_tail
from mediaobjects.transcoding.errors import MediaRejected, TranscodeFailed

NOT_MEDIA = "The file is not audio or video (ffprobe could not read it)."
NO_STREAMS = "The file has no audio or video stream."
STILL_IMAGE = "The file is a still image, not audio or video."
NO_DURATION = "The file's length could not be read; it may be empty or damaged."
TRUNCATED = "The file is truncated or damaged: {}"

# Demuxers that turn a single picture (or a text file) into a one-frame "video".
_IMAGE_FORMATS = re.compile(r"^(image2|.*_pipe|tty|apng|webp)$")


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


def probe(
    path: Path, *, ffprobe: str = "ffprobe", timeout: float = 60, ffmpeg: str = "ffmpeg"
) -> ProbeResult:
    """Probe ``path``; raise MediaRejected when it is not usable audio or video.

    A file cut short is rejected here only when ffprobe notices (an MP4 whose index was at the
    end); :func:`verify_decodable` catches the rest. Browser recordings (MediaRecorder WebM)
    carry no duration in their header: it is then measured by reading the file with ``ffmpeg``."""
    cmd = [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
    done = run_tool([*cmd, file_url(path)], timeout=timeout)
    if done.returncode != 0:
        detail = stderr_tail(done.stderr)
        if "moov atom not found" in done.stderr and _starts_like_mp4(path):
            raise MediaRejected(
                TRUNCATED.format("its end is missing (was the upload interrupted?)."),
                detail=detail,
            )
        if "No such file" in done.stderr:
            raise TranscodeFailed(f"ffprobe could not open {path}: {detail}")
        raise MediaRejected(NOT_MEDIA, detail=detail)
    try:
        data = json.loads(done.stdout)
    except ValueError as exc:
        raise TranscodeFailed(f"ffprobe printed something that is not JSON: {exc}") from exc
    result = _parse(data if isinstance(data, dict) else {})
    if result.duration <= 0:
        measured = read_through(path, ffmpeg=ffmpeg, timeout=timeout)
        if not measured:
            raise MediaRejected(NO_DURATION)
        result = replace(result, duration=measured)
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
    )


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
    path: Path, *, ffmpeg: str = "ffmpeg", timeout: float = 300, duration: float | None = None
) -> None:
    """Read every packet of ``path`` (stream copy to nowhere: no decoding, so it costs about as
    much as reading the file) and raise MediaRejected when data is missing or corrupt, or when
    the readable part is clearly shorter than the ``duration`` the header claims."""
    read = read_through(path, ffmpeg=ffmpeg, timeout=timeout)
    if duration is not None and read is not None and duration - read > max(0.5, 0.02 * duration):
        raise MediaRejected(
            TRUNCATED.format(
                f"it stops after {format_duration(read)} of {format_duration(duration)}."
            )
        )


def read_through(path: Path, *, ffmpeg: str = "ffmpeg", timeout: float = 300) -> float | None:
    """Demux every packet of ``path`` and return how many seconds were read (None if ffmpeg
    did not say); MediaRejected when ffmpeg meets missing or corrupt data."""
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-xerror"]
    cmd += ["-i", file_url(path), "-map", "0", "-c", "copy", "-f", "null"]
    cmd += ["-progress", "pipe:1", "-"]
    done = run_tool(cmd, timeout=timeout)
    if done.returncode != 0 or "ended prematurely" in done.stderr:
        raise MediaRejected(
            TRUNCATED.format("part of its data is missing or corrupt."),
            detail=stderr_tail(done.stderr),
        )
    return _last_out_time(done.stdout.decode("ascii", "replace"))


def _last_out_time(progress: str) -> float | None:
    values = re.findall(r"^out_time_us=(\d+)\s*$", progress, flags=re.MULTILINE)
    return int(values[-1]) / 1_000_000 if values else None


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
    width, height = result.width, result.height
    if width is not None and height is not None and width * height > max_pixels:
        raise MediaRejected(
            f"The video is {width}×{height}; the limit is {format_pixels(max_pixels)} pixels."
        )
