"""Where a recording has speech: ffmpeg's ``silencedetect`` on the decoded audio finds the
silences, and speech is what lies between them within the media's duration. Caption coverage
is measured against these intervals.

This is a sound/silence split, not voice detection: music or applause counts as speech. That
is the useful error for captions (a silent stretch needs no caption; a loud one may).

The silences are read from ``ametadata``'s print-out on stdout, line by line as ffmpeg writes
them, rather than from silencedetect's log lines on stderr: the subprocess helper keeps only
the first and last 64 KB of stderr, and a six-hour lecture has thousands of pauses."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mediaobjects.transcoding._process import file_url, run_tool, stderr_tail
from mediaobjects.transcoding.errors import TOOL_FAILED, TranscodeFailed
from mediaobjects.transcoding.probe import input_options

# -35 dBFS sits above the hiss of a lecture-hall microphone and below quiet speech; pauses
# between sentences are longer than half a second, pauses between words shorter.
DEFAULT_NOISE_DB = -35.0
DEFAULT_MIN_SILENCE = 0.5
# Speech closer than this to the next speech is one interval; sound shorter than this is a
# click or a cough, not something to caption.
MERGE_GAP_MS = 100
MIN_SPEECH_MS = 100
# Loudness needs no fidelity: mono at 8 kHz makes the decode cheap (speech sits below 4 kHz).
_SAMPLE_RATE = 8000
_NO_AUDIO = "does not contain any stream"
_START = b"lavfi.silence_start="
_END = b"lavfi.silence_end="

Interval = tuple[int, int]


@dataclass(frozen=True)
class SpeechAnalysis:
    """Speech intervals in milliseconds, in time order, not overlapping, and their total."""

    intervals: tuple[Interval, ...]
    speech_ms: int

    def intervals_json(self) -> str:
        """The ``MediaObject.speech_intervals`` column: ``[[start_ms, end_ms], ...]``."""
        return json.dumps([list(pair) for pair in self.intervals], separators=(",", ":"))


class SilenceReader:
    """Collects (start, end) silences from ``ametadata`` lines fed one at a time. An end
    without a start is silence from the beginning; a start left open at the end of the audio
    is silence to the end (``end`` None). Lines it does not recognise are ignored."""

    def __init__(self) -> None:
        self.silences: list[tuple[float, float | None]] = []
        self._open: float | None = None

    def feed(self, line: bytes) -> None:
        line = line.strip()
        if line.startswith(_START):
            start = _seconds(line[len(_START) :])
            if start is not None and self._open is None:
                self._open = start
        elif line.startswith(_END):
            end = _seconds(line[len(_END) :])
            if end is not None:
                self.silences.append((0.0 if self._open is None else self._open, end))
                self._open = None

    def finish(self) -> list[tuple[float, float | None]]:
        if self._open is not None:
            self.silences.append((self._open, None))
            self._open = None
        return self.silences


def _seconds(text: bytes) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def speech_from_silences(
    silences: Iterable[tuple[float, float | None]],
    duration: float,
    *,
    merge_gap_ms: int = MERGE_GAP_MS,
    min_speech_ms: int = MIN_SPEECH_MS,
) -> SpeechAnalysis:
    """Speech as the complement of ``silences`` (seconds; ``None`` end: to the end) within
    ``[0, duration]``. Intervals closer than ``merge_gap_ms`` are joined, and what is then
    shorter than ``min_speech_ms`` is dropped."""
    total = max(0, round(duration * 1000))
    quiet = sorted(
        (_clamp(start, total), total if end is None else _clamp(end, total))
        for start, end in silences
    )
    speech: list[list[int]] = []
    cursor = 0
    for start, end in quiet:
        if start > cursor:
            _append(speech, cursor, start, merge_gap_ms)
        cursor = max(cursor, end)
    if cursor < total:
        _append(speech, cursor, total, merge_gap_ms)
    kept = tuple((s, e) for s, e in speech if e - s >= min_speech_ms)
    return SpeechAnalysis(kept, sum(e - s for s, e in kept))


def _clamp(seconds: float, total: int) -> int:
    return min(total, max(0, round(seconds * 1000)))


def _append(speech: list[list[int]], start: int, end: int, merge_gap_ms: int) -> None:
    if speech and start - speech[-1][1] < merge_gap_ms:
        speech[-1][1] = max(speech[-1][1], end)
    else:
        speech.append([start, end])


def build_command(
    source: Path,
    duration: float,
    *,
    ffmpeg: str = "ffmpeg",
    noise_db: float = DEFAULT_NOISE_DB,
    min_silence: float = DEFAULT_MIN_SILENCE,
) -> list[str]:
    """Decode only the first audio stream, mono at 8 kHz, through silencedetect; the
    silences are printed on stdout, nothing is written. Audio that stops before the media
    does (a recording whose microphone cut out) is padded with silence to ``duration``, so
    that its missing end is not taken for speech."""
    pad = f"apad=whole_dur={duration:.3f}," if duration > 0 else ""
    detect = f"{pad}silencedetect=noise={noise_db:g}dB:duration={min_silence:g}"
    # pipe:1 is stdout; the colon is escaped for the filter's option parser.
    printed = "ametadata=mode=print:file=pipe\\\\:1"
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-v", "error"]
    cmd += [*input_options(), "-i", file_url(source), "-map", "0:a:0?", "-vn", "-sn", "-dn"]
    cmd += ["-ac", "1", "-ar", str(_SAMPLE_RATE), "-af", f"{detect},{printed}", "-f", "null", "-"]
    return cmd


def analyse_speech(
    source: Path,
    duration: float,
    *,
    ffmpeg: str = "ffmpeg",
    noise_db: float = DEFAULT_NOISE_DB,
    min_silence: float = DEFAULT_MIN_SILENCE,
    timeout: float,
    memory_limit: int | None = None,
) -> SpeechAnalysis | None:
    """Where ``source``'s first audio stream has speech, within ``[0, duration]`` seconds;
    None when it has no audio stream. TranscodeFailed when ffmpeg fails, ToolTimedOut past
    ``timeout``, ToolOutOfMemory past ``memory_limit``."""
    reader = SilenceReader()
    cmd = build_command(source, duration, ffmpeg=ffmpeg, noise_db=noise_db, min_silence=min_silence)
    done = run_tool(cmd, timeout=timeout, memory_limit=memory_limit, on_line=reader.feed)
    if done.returncode != 0:
        if _NO_AUDIO in done.stderr:
            return None
        raise TranscodeFailed(
            TOOL_FAILED.format(tool="ffmpeg"),
            detail=f"ffmpeg exited with status {done.returncode}: {stderr_tail(done.stderr)}",
        )
    return speech_from_silences(reader.finish(), duration)
