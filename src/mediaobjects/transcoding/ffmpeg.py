"""The ffmpeg commands: one process that decodes a source once and writes every rendition,
atomic publication of the outputs, the poster frame and image resizing."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mediaobjects.transcoding._process import file_url, run_tool, stderr_tail
from mediaobjects.transcoding.errors import (
    TOOL_FAILED,
    MediaRejected,
    ToolOutOfMemory,
    TranscodeFailed,
)
from mediaobjects.transcoding.fmp4 import FragmentIndex, NotFragmented, read_fragment_index
from mediaobjects.transcoding.ladder import ORIGINALS, Rendition
from mediaobjects.transcoding.live import (
    PROGRESS_OPTIONS,
    LiveSink,
    LiveWatcher,
    can_stream_into,
    tee_output,
)
from mediaobjects.transcoding.probe import ProbeResult, decoder_max_pixels, input_options, probe

log = logging.getLogger(__name__)

# Measured on 2 cores (bench/transcode.py): veryfast is about twice as fast as the default
# "medium" for a few percent more bits at the same bitrate; the ladder caps the bitrate anyway.
X264_PRESET = "veryfast"
MAX_IMAGE_SIDE = 2000
NO_PICTURE = "The file has no picture to take a poster from."
_BASE = ["-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y"]
# Uploads from phones carry GPS positions and device names; published renditions must not.
_STRIP_METADATA = ["-map_metadata", "-1", "-map_chapters", "-1"]


@dataclass(frozen=True)
class Output:
    """A finished rendition, measured by probing the file ffmpeg wrote."""

    rendition: Rendition
    path: Path
    width: int | None
    height: int | None
    bitrate: int | None  # kbit/s, whole file
    size: int  # bytes
    # Where each fragment of a fragmented rendition lies (what HLS byte ranges address);
    # None for an ordinary MP4, M4A or MP3.
    fragments: FragmentIndex | None = None


def build_command(
    source: Path,
    outputs: list[tuple[Rendition, Path]],
    result: ProbeResult,
    *,
    ffmpeg: str = "ffmpeg",
    preset: str = X264_PRESET,
    max_pixels: int | None = None,
    live: tuple[str, Path] | None = None,
) -> list[str]:
    """One ffmpeg invocation writing every ``(rendition, path)``. The video is decoded once,
    scaled once to the largest rung, then split; smaller rungs are scaled from that copy.
    With ``max_pixels`` the decoder refuses pictures larger than the limit (with slack) even
    when the stream's headers claimed a smaller size. With ``live`` (a video rendition's name
    and a directory), that rendition is also written as a growing HLS stream into the
    directory (``transcoding.live``), and ffmpeg reports its progress on stdout."""
    if not outputs:
        raise ValueError("No outputs to write.")
    video_outs = [(r, p) for r, p in outputs if r.kind == "video"]
    if any(r.kind == "audio" for r, _ in outputs) and result.audio is None:
        raise ValueError("An audio rendition was asked for but the source has no audio.")
    if live is not None and live[0] not in {r.name for r, _ in video_outs}:
        raise ValueError(f"No video rendition {live[0]!r} to stream.")
    progress = PROGRESS_OPTIONS if live is not None else []
    cmd = [ffmpeg, *_BASE, *progress, *_decoder_cap(max_pixels), *input_options()]
    cmd += ["-i", file_url(source)]
    labels: dict[str, str] = {}
    if video_outs:
        cmd += ["-filter_complex", _filter_graph(video_outs, result, labels)]
    audio = result.audio
    for rendition, path in outputs:
        if rendition.kind == "video":
            cmd += ["-map", labels[rendition.name]]
            if audio is not None:
                cmd += ["-map", f"0:{audio.index}"]
            cmd += _x264(rendition, preset)
            if audio is not None:
                cmd += ["-c:a", "aac", "-b:a", f"{rendition.audio_bitrate}k", *_stereo(result)]
            cmd += _STRIP_METADATA
            if live is not None and live[0] == rendition.name:
                cmd += tee_output(path, FRAGMENTED, live[1])
                continue
            cmd += ["-movflags", FRAGMENTED, "-f", "mp4"]
        else:
            assert audio is not None  # checked above
            cmd += ["-map", f"0:{audio.index}", *_audio_codec(rendition), *_stereo(result)]
            cmd += _STRIP_METADATA
            if rendition.container == "m4a":
                # "ipod" is ffmpeg's name for the .m4a flavour of MP4.
                cmd += ["-movflags", "+faststart", "-f", "ipod"]
            else:
                cmd += ["-f", "mp3"]
        cmd.append(file_url(path))
    return cmd


def _filter_graph(
    video_outs: list[tuple[Rendition, Path]], result: ProbeResult, labels: dict[str, str]
) -> str:
    video = result.video
    if video is None or result.width is None or result.height is None:
        raise ValueError("A video rendition was asked for but the source has no video.")
    names = [r.name for r, _ in video_outs]
    if len(set(names)) != len(names):
        raise ValueError(f"Rendition names repeat: {names}.")
    portrait = result.height > result.width
    rungs = sorted((r for r, _ in video_outs), key=lambda r: r.height or 0, reverse=True)

    def scale(r: Rendition) -> str:
        if r.height is None:
            raise ValueError(f"Video rendition {r.name!r} has no height.")
        return f"scale={r.height}:-2" if portrait else f"scale=-2:{r.height}"

    graph = f"[0:{video.index}]{scale(rungs[0])},format=yuv420p"
    if len(rungs) == 1:
        labels[rungs[0].name] = "[v0]"
        return graph + "[v0]"
    graph += f",split={len(rungs)}" + "".join(f"[s{i}]" for i in range(len(rungs)))
    labels[rungs[0].name] = "[s0]"
    for i, r in enumerate(rungs[1:], start=1):
        graph += f";[s{i}]{scale(r)}[v{i}]"
        labels[r.name] = f"[v{i}]"
    return graph


KEYFRAME_SECONDS = 2
# A keyframe at every multiple of KEYFRAME_SECONDS, by timestamp, so that every rendition has
# them at the same instants and a player can switch between renditions there (HLS segments
# start on them). Without it x264 places one every 250 frames (8.3 s at 30 frames/s), not
# aligned across renditions. Measured: +0.1 % bytes, no measurable time.
_KEYFRAMES = ["-force_key_frames", f"expr:gte(t,n_forced*{KEYFRAME_SECONDS})"]


# Video renditions are fragmented MP4s: an empty moov, then one fragment (moof + mdat) per
# keyframe, with one index (sidx) of every fragment written at the front when the file is
# finished (a rewrite, as +faststart did). The same file plays progressively in a <video src>
# (Chromium reads the front and the index: 2-3 requests to open, 2 per seek) and through HLS
# by byte ranges (read_fragment_index), so nothing is stored twice. hlsenc's single_file
# writes a sidx per fragment instead, which Chromium walks one range request at a time before
# it plays (24-32 requests, 1.3 s at 50 ms each, for a 10-minute rendition); docs/streaming.md.
FRAGMENTED = "+empty_moov+default_base_moof+frag_keyframe+global_sidx"


def _x264(r: Rendition, preset: str) -> list[str]:
    kbps = r.video_bitrate or 1000
    return [
        *("-c:v", "libx264", "-preset", preset, "-profile:v", "high", "-pix_fmt", "yuv420p"),
        *("-b:v", f"{kbps}k", "-maxrate", f"{kbps * 3 // 2}k", "-bufsize", f"{kbps * 2}k"),
        *_KEYFRAMES,
    ]


def _audio_codec(r: Rendition) -> list[str]:
    codec = "libmp3lame" if r.container == "mp3" else "aac"
    return ["-c:a", codec, "-b:a", f"{r.audio_bitrate}k"]


def _stereo(result: ProbeResult) -> list[str]:
    # Browsers play stereo everywhere; 5.1 is folded down, mono stays mono.
    channels = result.audio.channels if result.audio is not None else None
    return ["-ac", "2"] if channels is None or channels > 2 else []


def _decoder_cap(max_pixels: int | None) -> list[str]:
    return [] if max_pixels is None else ["-max_pixels", str(decoder_max_pixels(max_pixels))]


def run(
    cmd: list[str],
    *,
    timeout: float,
    memory_limit: int | None = None,
    on_line: Callable[[bytes], None] | None = None,
) -> None:
    """Run an ffmpeg command; TranscodeFailed (with a stderr tail) on failure, ToolTimedOut
    on timeout, ToolOutOfMemory past ``memory_limit``. ``on_line`` gets what it prints on
    stdout, line by line, as it comes."""
    done = run_tool(cmd, timeout=timeout, memory_limit=memory_limit, on_line=on_line)
    if done.returncode != 0:
        raise TranscodeFailed(
            TOOL_FAILED.format(tool="ffmpeg"),
            detail=f"ffmpeg exited with status {done.returncode}: {stderr_tail(done.stderr)}",
        )


def temp_name(workdir: Path, final_name: str) -> Path:
    """A hidden, unique name in ``workdir`` for a file that is not finished yet."""
    return workdir / f".{final_name}.{secrets.token_hex(6)}.part"


def transcode(
    source: Path,
    renditions: list[Rendition],
    workdir: Path,
    result: ProbeResult,
    *,
    ffmpeg: str = "ffmpeg",
    ffprobe: str = "ffprobe",
    timeout: float,
    memory_limit: int | None = None,
    max_pixels: int | None = None,
    live: LiveSink | None = None,
) -> list[Output]:
    """Write every rendition to ``workdir/<name>.<ext>``. ffmpeg writes to temporary names;
    only when it has exited 0 and each file probes correctly are they renamed into place, so
    a reader never sees a partial file and a failure leaves nothing behind. ``timeout`` is
    for the whole of it, measuring the outputs included.

    With ``live``, the lowest video rendition also grows as an HLS stream while ffmpeg runs,
    and ``live`` is called on this thread with each of its segments once written
    (``transcoding.live``); the last one comes after ffmpeg has exited."""
    deadline = time.monotonic() + timeout
    workdir.mkdir(parents=True, exist_ok=True)
    pending = [(r, temp_name(workdir, r.filename), workdir / r.filename) for r in renditions]
    try:
        outs = [(r, tmp) for r, tmp, _ in pending]
        watcher = _live_watcher(workdir, outs, live)
        cmd = build_command(
            source,
            outs,
            result,
            ffmpeg=ffmpeg,
            max_pixels=max_pixels,
            live=watcher[0] if watcher is not None else None,
        )
        if watcher is None:
            run(cmd, timeout=timeout, memory_limit=memory_limit)
        else:
            run(cmd, timeout=timeout, memory_limit=memory_limit, on_line=watcher[1].on_line)
            watcher[1].poll()
        measured = [
            (r, _measure(tmp, ffprobe, ffmpeg, deadline, memory_limit), tmp, final)
            for r, tmp, final in pending
        ]
        outputs = []
        for r, (width, height, kbps), tmp, final in measured:
            size = tmp.stat().st_size
            fragments = _fragments(tmp) if r.kind == "video" else None
            os.replace(tmp, final)
            outputs.append(Output(r, final, width, height, kbps, size, fragments))
        return outputs
    finally:
        for _, tmp, _ in pending:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def _live_watcher(
    workdir: Path, outs: list[tuple[Rendition, Path]], live: LiveSink | None
) -> tuple[tuple[str, Path], LiveWatcher] | None:
    """The rendition streamed while the pass runs (the lowest video rung: the one a slow
    connection can play) and the watcher of its segments; None without a sink or video."""
    video = [(r, path) for r, path in outs if r.kind == "video"]
    if live is None or not video:
        return None
    rendition, path = min(video, key=lambda item: item[0].height or 0)
    live_dir = workdir / "live"
    if not can_stream_into(path, live_dir):
        log.warning(
            "no early stream: ffmpeg's tee muxer cannot be given the path %s (use a work "
            "directory of letters, digits and / . _ + - only)",
            live_dir,
        )
        return None
    shutil.rmtree(live_dir, ignore_errors=True)  # a stream of an earlier pass here
    live_dir.mkdir()
    return (rendition.name, live_dir), LiveWatcher(live_dir, live)


def remux(
    source: Path,
    result: ProbeResult,
    container: str,
    workdir: Path,
    *,
    ffmpeg: str = "ffmpeg",
    ffprobe: str = "ffprobe",
    timeout: float,
    memory_limit: int | None = None,
) -> Output:
    """Write ``source``'s first video and first audio stream, unchanged (no decoding: about
    3 s per GB), into ``workdir/original.<ext>`` as ``container`` ("mp4", "m4a" or "mp3"), with
    the index at the front so that a browser can start playing and seek at once, and without
    the metadata (phones record GPS positions). Other streams (cover art, subtitles, timecode)
    are left out. Published only once whole, as ``transcode`` does."""
    deadline = time.monotonic() + timeout
    rendition = ORIGINALS[container]
    workdir.mkdir(parents=True, exist_ok=True)
    tmp, final = temp_name(workdir, rendition.filename), workdir / rendition.filename
    cmd = [ffmpeg, *_BASE, *input_options(), "-i", file_url(source)]
    video, audio = result.video, result.audio
    if video is not None and rendition.kind == "video":
        cmd += ["-map", f"0:{video.index}"]
    if audio is not None:
        cmd += ["-map", f"0:{audio.index}"]
    cmd += ["-c", "copy", *_STRIP_METADATA]
    if container == "mp3":
        cmd += ["-f", "mp3"]
    else:
        # "ipod" is ffmpeg's name for the .m4a flavour of MP4.
        cmd += ["-movflags", "+faststart", "-f", "mp4" if container == "mp4" else "ipod"]
    try:
        run([*cmd, file_url(tmp)], timeout=timeout, memory_limit=memory_limit)
        width, height, kbps = _measure(tmp, ffprobe, ffmpeg, deadline, memory_limit)
        size = tmp.stat().st_size
        os.replace(tmp, final)
        return Output(rendition, final, width, height, kbps, size)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _measure(
    path: Path, ffprobe: str, ffmpeg: str, deadline: float, memory_limit: int | None
) -> tuple[int | None, int | None, int | None]:
    left = deadline - time.monotonic()
    try:
        made = probe(path, ffprobe=ffprobe, ffmpeg=ffmpeg, timeout=left, memory_limit=memory_limit)
    except ToolOutOfMemory:
        raise
    except MediaRejected as exc:
        raise TranscodeFailed(
            TOOL_FAILED.format(tool="ffmpeg"),
            detail=f"ffmpeg wrote an unreadable file: {exc.detail or exc}",
        ) from exc
    kbps = round(made.bit_rate / 1000) if made.bit_rate else None
    return made.width, made.height, kbps


def _fragments(path: Path) -> FragmentIndex | None:
    """The fragment layout of a video rendition; None (it then plays progressively only)
    should ffmpeg ever write it otherwise."""
    try:
        return read_fragment_index(path)
    except NotFragmented:
        return None


def _check_side(name: str, value: int | None) -> None:
    if value is not None and not 1 <= value <= MAX_IMAGE_SIDE:
        raise ValueError(f"The {name} must be between 1 and {MAX_IMAGE_SIDE} pixels.")


def _write_jpeg(
    cmd_head: list[str],
    vf: str | None,
    out: Path,
    *,
    timeout: float,
    memory_limit: int | None = None,
) -> None:
    tmp = temp_name(out.parent, out.name)
    try:
        cmd = [*cmd_head, *(["-vf", vf] if vf else []), "-frames:v", "1", "-q:v", "3"]
        cmd += ["-c:v", "mjpeg", "-f", "image2", "-update", "1", file_url(tmp)]
        done = run_tool(cmd, timeout=timeout, memory_limit=memory_limit)
        no_picture = "does not contain any stream" in done.stderr
        if done.returncode != 0 and not no_picture:
            raise TranscodeFailed(
                TOOL_FAILED.format(tool="ffmpeg"),
                detail=f"ffmpeg exited with status {done.returncode}: {stderr_tail(done.stderr)}",
            )
        if no_picture or not tmp.exists() or tmp.stat().st_size == 0:
            raise MediaRejected(NO_PICTURE, detail=stderr_tail(done.stderr))
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def poster(
    source: Path,
    at: float,
    out: Path,
    *,
    ffmpeg: str = "ffmpeg",
    timeout: float = 60,
    width: int | None = None,
    memory_limit: int | None = None,
    max_pixels: int | None = None,
) -> Path:
    """Write one JPEG frame taken ``at`` seconds into ``source`` (cover art is never used).

    A source without a video stream raises MediaRejected; callers with a probe result skip
    audio-only files (``FFmpegTranscoder.poster`` returns None for them)."""
    _check_side("width", width)
    head = [ffmpeg, *_BASE, *_decoder_cap(max_pixels), "-ss", f"{max(0.0, at):.3f}"]
    head += [*input_options(), "-i", file_url(source), "-map", "0:V:0?", "-an", "-sn", "-dn"]
    vf = f"scale={width}:-2" if width else None
    _write_jpeg(head, vf, out, timeout=timeout, memory_limit=memory_limit)
    return out


PLACEHOLDER_KINDS = ("audio", "processing", "failed")
_PLACEHOLDER_BACKGROUND = "0x394B58"
_PLACEHOLDER_INK = "0xF5F5F5"


def _placeholder_boxes(kind: str, width: int, height: int) -> list[tuple[int, int, int, int]]:
    """The glyph as boxes (x, y, w, h), centred: equaliser bars for audio, three dots while
    processing, a hollow square for failed media. Boxes only, so no font is needed."""
    unit = max(1, min(width, height) // 12)
    cx, cy = width // 2, height // 2
    if kind == "audio":
        heights = [2, 4, 6, 4, 2]
        return [
            (cx + (i - 2) * 2 * unit - unit // 2, cy - h * unit // 2, unit, h * unit)
            for i, h in enumerate(heights)
        ]
    if kind == "processing":
        return [(cx + (i - 1) * 2 * unit - unit // 2, cy - unit // 2, unit, unit) for i in range(3)]
    side = 4 * unit
    edge = max(1, unit // 2)
    left, top = cx - side // 2, cy - side // 2
    return [
        (left, top, side, edge),
        (left, top + side - edge, side, edge),
        (left, top, edge, side),
        (left + side - edge, top, edge, side),
    ]


def placeholder(
    kind: str,
    width: int,
    height: int,
    out: Path,
    *,
    ffmpeg: str = "ffmpeg",
    timeout: float = 60,
    memory_limit: int | None = None,
) -> Path:
    """Write a ``width`` x ``height`` JPEG standing in for a picture the media does not have
    (audio, still processing, failed), as Kaltura serves a default image there."""
    if kind not in PLACEHOLDER_KINDS:
        raise ValueError(f"Unknown placeholder {kind!r}.")
    _check_side("width", width)
    _check_side("height", height)
    # lavfi's colour source needs two pixels a side; a 1-pixel placeholder is scaled down.
    drawn_w, drawn_h = max(2, width), max(2, height)
    steps = [
        f"drawbox=x={x}:y={y}:w={w}:h={h}:color={_PLACEHOLDER_INK}:t=fill"
        for x, y, w, h in _placeholder_boxes(kind, drawn_w, drawn_h)
    ]
    if (drawn_w, drawn_h) != (width, height):
        steps.append(f"scale={width}:{height}")
    head = [ffmpeg, *_BASE, "-f", "lavfi"]
    head += ["-i", f"color=c={_PLACEHOLDER_BACKGROUND}:s={drawn_w}x{drawn_h}"]
    _write_jpeg(head, ",".join(steps), out, timeout=timeout, memory_limit=memory_limit)
    return out


def resize(
    image: Path,
    width: int | None,
    height: int | None,
    out: Path,
    *,
    ffmpeg: str = "ffmpeg",
    timeout: float = 60,
    memory_limit: int | None = None,
) -> Path:
    """Write ``image`` as a JPEG fitting in ``width`` x ``height`` (either may be None),
    keeping its aspect ratio. Sides must be 1..2000 pixels."""
    if width is None and height is None:
        raise ValueError("Give a width, a height or both.")
    _check_side("width", width)
    _check_side("height", height)
    if width is not None and height is not None:
        vf = f"scale={width}:{height}:force_original_aspect_ratio=decrease"
    elif width is not None:
        vf = f"scale={width}:-1"
    else:
        vf = f"scale=-1:{height}"
    head = [ffmpeg, *_BASE, "-i", file_url(image)]
    _write_jpeg(head, vf, out, timeout=timeout, memory_limit=memory_limit)
    return out
