"""The Transcoder Protocol: what the media pipeline needs from a transcoding backend. The
backend holds the tools, limits, ladder and default timeout; methods take what varies per file,
and a job passes the time it has left as ``timeout`` (ToolTimedOut when it runs out)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from mediaobjects.transcoding.ffmpeg import Output
from mediaobjects.transcoding.ladder import Rendition
from mediaobjects.transcoding.live import LiveSink
from mediaobjects.transcoding.probe import ProbeResult
from mediaobjects.transcoding.speech import SpeechAnalysis


class Transcoder(Protocol):
    def check_tools(self) -> None:
        """ToolMissing, saying what to install, unless the backend can run."""
        ...

    def probe(self, path: Path, *, timeout: float | None = None) -> ProbeResult:
        """Read ``path``; MediaRejected when it is not whole, readable audio or video, or over
        the limits (a picture over the pixel limit is refused before anything decodes)."""
        ...

    def check_limits(self, result: ProbeResult) -> None:
        """MediaRejected when the file is longer or larger than the configured limits."""
        ...

    def plan(self, result: ProbeResult) -> list[Rendition]:
        """The renditions the ladder gives this source (never upscaled)."""
        ...

    def transcode(
        self,
        source: Path,
        result: ProbeResult,
        workdir: Path,
        renditions: list[Rendition] | None = None,
        *,
        timeout: float | None = None,
        live: LiveSink | None = None,
    ) -> list[Output]:
        """Write the renditions (default: ``plan(result)``) into ``workdir`` in one pass;
        final names appear only when complete. With ``live``, the lowest video rendition is
        also written as a growing HLS stream, and ``live`` is called on the caller's thread
        with each segment as it is finished (``transcoding.live``)."""
        ...

    def remux(
        self,
        source: Path,
        result: ProbeResult,
        container: str,
        workdir: Path,
        *,
        timeout: float | None = None,
    ) -> Output:
        """``source`` rewritten without re-encoding into ``workdir`` as ``container`` (what
        ``browser_safety`` chose), its index first, so that browsers play it as it is."""
        ...

    def poster(
        self, source: Path, result: ProbeResult, out: Path, *, timeout: float | None = None
    ) -> Path | None:
        """A JPEG at 10% of the duration; None for audio-only sources."""
        ...

    def analyse_speech(
        self, source: Path, duration: float, *, timeout: float | None = None
    ) -> SpeechAnalysis | None:
        """Where ``source``'s first audio stream has speech (sound above the noise floor),
        within ``[0, duration]`` seconds; None when it has no audio stream."""
        ...

    def extract_speech_audio(
        self, source: Path, out: Path, *, timeout: float | None = None
    ) -> Path | None:
        """``out``: ``source``'s first audio stream as a 16 kHz mono 16-bit PCM WAV, what a
        speech recogniser reads (written whole or not at all); None when it has no audio
        stream."""
        ...

    def resize(self, image: Path, out: Path, *, width: int | None, height: int | None) -> Path:
        """``out``, a resized copy of ``image``; made once, then returned from the cache."""
        ...

    def placeholder(self, kind: str, out: Path, *, width: int, height: int) -> Path:
        """A JPEG standing in for a missing picture: ``kind`` is audio, processing or failed."""
        ...
