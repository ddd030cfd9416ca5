"""FFmpegTranscoder: the Transcoder backend that runs the ffmpeg and ffprobe executables of
this machine (Debian package ``ffmpeg``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from mediaobjects.transcoding import ffmpeg as ff
from mediaobjects.transcoding._process import run_tool
from mediaobjects.transcoding.errors import ToolMissing
from mediaobjects.transcoding.ladder import DEFAULT_LADDER, Rendition, plan
from mediaobjects.transcoding.probe import ProbeResult, check_limits, probe, verify_decodable

DEFAULT_MAX_DURATION = 6 * 3600.0
DEFAULT_MAX_PIXELS = 3840 * 2160
POSTER_AT = 0.10
POSTER_MAX_WIDTH = 1280
_ENCODERS = ("libx264", "aac", "libmp3lame", "mjpeg")


class FFmpegTranscoder:
    """Transcoding with local ffmpeg. ``timeout`` bounds probing, posters and resizing; a
    transcode may take ``timeout + transcode_speed_factor * duration`` seconds."""

    def __init__(
        self,
        ffmpeg: str = "ffmpeg",
        ffprobe: str = "ffprobe",
        timeout: float = 120.0,
        ladder: tuple[Rendition, ...] = DEFAULT_LADDER,
        *,
        max_duration: float = DEFAULT_MAX_DURATION,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        transcode_speed_factor: float = 10.0,
    ) -> None:
        self.ffmpeg = ffmpeg
        self.ffprobe = ffprobe
        self.timeout = timeout
        self.ladder = ladder
        self.max_duration = max_duration
        self.max_pixels = max_pixels
        self.transcode_speed_factor = transcode_speed_factor

    def check_tools(self) -> None:
        """Raise ToolMissing unless both executables exist and ffmpeg has every encoder used."""
        for exe in (self.ffmpeg, self.ffprobe):
            if shutil.which(exe) is None:
                raise ToolMissing(exe)
        listing = run_tool([self.ffmpeg, "-hide_banner", "-encoders"], timeout=self.timeout)
        names = {
            line.split()[1]
            for line in listing.stdout.decode().splitlines()[1:]
            if " " in line.strip()
        }
        for encoder in _ENCODERS:
            if encoder not in names:
                raise ToolMissing(self.ffmpeg, f"{self.ffmpeg} has no {encoder} encoder")

    def probe(self, path: Path) -> ProbeResult:
        result = probe(path, ffprobe=self.ffprobe, ffmpeg=self.ffmpeg, timeout=self.timeout)
        verify_decodable(path, ffmpeg=self.ffmpeg, timeout=self.timeout, duration=result.duration)
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
    ) -> list[ff.Output]:
        return ff.transcode(
            source,
            self.plan(result) if renditions is None else renditions,
            workdir,
            result,
            ffmpeg=self.ffmpeg,
            ffprobe=self.ffprobe,
            timeout=self.timeout + self.transcode_speed_factor * result.duration,
        )

    def poster(self, source: Path, result: ProbeResult, out: Path) -> Path | None:
        if result.width is None:
            return None
        return ff.poster(
            source,
            POSTER_AT * result.duration,
            out,
            ffmpeg=self.ffmpeg,
            timeout=self.timeout,
            width=min(result.width, POSTER_MAX_WIDTH) // 2 * 2,
        )

    def placeholder(self, kind: str, out: Path, *, width: int, height: int) -> Path:
        return ff.placeholder(kind, width, height, out, ffmpeg=self.ffmpeg, timeout=self.timeout)

    def resize(self, image: Path, out: Path, *, width: int | None, height: int | None) -> Path:
        if out.exists():
            return out
        return ff.resize(image, width, height, out, ffmpeg=self.ffmpeg, timeout=self.timeout)


def thumbnail_name(width: int | None, height: int | None) -> str:
    """The cache file name for a thumbnail of the given size (``thumb-320x0.jpg``)."""
    return f"thumb-{width or 0}x{height or 0}.jpg"
