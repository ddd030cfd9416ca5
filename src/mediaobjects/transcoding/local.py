"""FFmpegTranscoder: the Transcoder backend that runs the ffmpeg and ffprobe executables of
this machine (Debian package ``ffmpeg``)."""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path

from mediaobjects.transcoding import audio, speech
from mediaobjects.transcoding import ffmpeg as ff
from mediaobjects.transcoding._process import run_tool
from mediaobjects.transcoding.errors import ToolMissing, ToolTimedOut
from mediaobjects.transcoding.ladder import DEFAULT_LADDER, Rendition, plan
from mediaobjects.transcoding.live import LiveSink
from mediaobjects.transcoding.probe import (
    ProbeResult,
    check_limits,
    length_slack,
    probe,
    verify_decodable,
)

DEFAULT_MAX_DURATION = 6 * 3600.0
DEFAULT_MAX_PIXELS = 3840 * 2160
POSTER_AT = 0.10
POSTER_MAX_WIDTH = 1280
_ENCODERS = ("libx264", "aac", "libmp3lame", "mjpeg")


class FFmpegTranscoder:
    """Transcoding with local ffmpeg. Each method stops its tools after ``timeout`` seconds
    unless the caller (a job, with its own deadline) passes a shorter one. Every ffmpeg and
    ffprobe it starts may use at most ``memory_limit`` bytes (None: no limit) and decodes no
    picture larger than ``max_pixels`` (with slack, see ``probe.decoder_max_pixels``)."""

    def __init__(
        self,
        ffmpeg: str = "ffmpeg",
        ffprobe: str = "ffprobe",
        timeout: float = 120.0,
        ladder: tuple[Rendition, ...] = DEFAULT_LADDER,
        *,
        max_duration: float = DEFAULT_MAX_DURATION,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        memory_limit: int | None = None,
        speech_noise_db: float = speech.DEFAULT_NOISE_DB,
        speech_min_silence: float = speech.DEFAULT_MIN_SILENCE,
    ) -> None:
        self.ffmpeg = ffmpeg
        self.ffprobe = ffprobe
        self.timeout = timeout
        self.ladder = ladder
        self.max_duration = max_duration
        self.max_pixels = max_pixels
        self.memory_limit = memory_limit
        self.speech_noise_db = speech_noise_db
        self.speech_min_silence = speech_min_silence

    def check_tools(self) -> None:
        """Raise ToolMissing unless both executables exist and ffmpeg has every encoder used."""
        for exe in (self.ffmpeg, self.ffprobe):
            if shutil.which(exe) is None:
                raise ToolMissing(exe)
        listing = run_tool(
            [self.ffmpeg, "-hide_banner", "-encoders"],
            timeout=self.timeout,
            memory_limit=self.memory_limit,
        )
        names = {
            line.split()[1]
            for line in listing.stdout.decode().splitlines()[1:]
            if " " in line.strip()
        }
        for encoder in _ENCODERS:
            if encoder not in names:
                raise ToolMissing(self.ffmpeg, f"{self.ffmpeg} has no {encoder} encoder")

    def probe(self, path: Path, *, timeout: float | None = None) -> ProbeResult:
        """Probe from the headers, refuse a picture over the limit before anything decodes,
        then read every packet: a file cut short is refused, and where the packets run clearly
        longer than the header says (or the header only guessed), their length is the
        duration, so the duration limit holds for what will really be transcoded."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        result = probe(
            path,
            ffprobe=self.ffprobe,
            ffmpeg=self.ffmpeg,
            timeout=_left(deadline, self.ffprobe),
            max_pixels=self.max_pixels,
            memory_limit=self.memory_limit,
        )
        if not result.duration_estimated:
            self.check_limits(result)  # before reading hours of a file that is too long
        measured = verify_decodable(
            path,
            ffmpeg=self.ffmpeg,
            timeout=_left(deadline, self.ffmpeg),
            duration=result.duration,
            duration_estimated=result.duration_estimated,
            memory_limit=self.memory_limit,
        )
        if measured is not None and (
            result.duration_estimated or measured - result.duration > length_slack(measured)
        ):
            result = replace(result, duration=measured, duration_estimated=False)
        self.check_limits(result)
        return result

    def check_limits(self, result: ProbeResult) -> None:
        check_limits(result, max_duration=self.max_duration, max_pixels=self.max_pixels)

    def plan(self, result: ProbeResult) -> list[Rendition]:
        return plan(result, self.ladder)

    def transcode(
        self,
        source: Path,
        result: ProbeResult,
        workdir: Path,
        renditions: list[Rendition] | None = None,
        *,
        timeout: float | None = None,
        live: LiveSink | None = None,
    ) -> list[ff.Output]:
        return ff.transcode(
            source,
            self.plan(result) if renditions is None else renditions,
            workdir,
            result,
            ffmpeg=self.ffmpeg,
            ffprobe=self.ffprobe,
            timeout=self.timeout if timeout is None else timeout,
            memory_limit=self.memory_limit,
            max_pixels=self.max_pixels,
            live=live,
        )

    def remux(
        self,
        source: Path,
        result: ProbeResult,
        container: str,
        workdir: Path,
        *,
        timeout: float | None = None,
    ) -> ff.Output:
        return ff.remux(
            source,
            result,
            container,
            workdir,
            ffmpeg=self.ffmpeg,
            ffprobe=self.ffprobe,
            timeout=self.timeout if timeout is None else timeout,
            memory_limit=self.memory_limit,
        )

    def poster(
        self, source: Path, result: ProbeResult, out: Path, *, timeout: float | None = None
    ) -> Path | None:
        if result.width is None:
            return None
        return ff.poster(
            source,
            POSTER_AT * result.duration,
            out,
            ffmpeg=self.ffmpeg,
            timeout=self.timeout if timeout is None else timeout,
            width=min(result.width, POSTER_MAX_WIDTH) // 2 * 2,
            memory_limit=self.memory_limit,
            max_pixels=self.max_pixels,
        )

    def analyse_speech(
        self, source: Path, duration: float, *, timeout: float | None = None
    ) -> speech.SpeechAnalysis | None:
        return speech.analyse_speech(
            source,
            duration,
            ffmpeg=self.ffmpeg,
            noise_db=self.speech_noise_db,
            min_silence=self.speech_min_silence,
            timeout=self.timeout if timeout is None else timeout,
            memory_limit=self.memory_limit,
        )

    def extract_speech_audio(
        self, source: Path, out: Path, *, timeout: float | None = None
    ) -> Path | None:
        return audio.extract_speech_audio(
            source,
            out,
            ffmpeg=self.ffmpeg,
            timeout=self.timeout if timeout is None else timeout,
            memory_limit=self.memory_limit,
        )

    def placeholder(self, kind: str, out: Path, *, width: int, height: int) -> Path:
        return ff.placeholder(
            kind,
            width,
            height,
            out,
            ffmpeg=self.ffmpeg,
            timeout=self.timeout,
            memory_limit=self.memory_limit,
        )

    def resize(self, image: Path, out: Path, *, width: int | None, height: int | None) -> Path:
        if out.exists():
            return out
        return ff.resize(
            image,
            width,
            height,
            out,
            ffmpeg=self.ffmpeg,
            timeout=self.timeout,
            memory_limit=self.memory_limit,
        )


def _left(deadline: float, tool: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ToolTimedOut(f"{Path(tool).name} had no time left to run.")
    return left
