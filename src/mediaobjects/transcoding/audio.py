"""The audio a speech recogniser reads: the first audio stream decoded to a WAV file, 16 kHz
mono 16-bit PCM (what Whisper and pocketsphinx both take). Half a gigabyte for a six-hour
lecture: it is written to the job's scratch directory and removed with it."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from mediaobjects.transcoding._process import file_url, run_tool, stderr_tail
from mediaobjects.transcoding.errors import TOOL_FAILED, TranscodeFailed
from mediaobjects.transcoding.probe import input_options

SAMPLE_RATE = 16000
_NO_AUDIO = "does not contain any stream"


def build_command(source: Path, out: Path, *, ffmpeg: str = "ffmpeg") -> list[str]:
    # "0:a:0?" maps nothing (rather than failing) when there is no audio stream; ffmpeg then
    # refuses an output without streams, which is how "no audio" is recognised.
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y"]
    cmd += [*input_options(), "-i", file_url(source), "-map", "0:a:0?", "-vn", "-sn", "-dn"]
    cmd += ["-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le", "-f", "wav", file_url(out)]
    return cmd


def extract_speech_audio(
    source: Path,
    out: Path,
    *,
    ffmpeg: str = "ffmpeg",
    timeout: float,
    memory_limit: int | None = None,
) -> Path | None:
    """``out``: ``source``'s first audio stream as a 16 kHz mono s16le WAV; None when it has
    no audio stream. ``out`` appears only when complete. TranscodeFailed when ffmpeg fails,
    ToolTimedOut past ``timeout``, ToolOutOfMemory past ``memory_limit``."""
    partial = out.with_name(f".{out.name}.partial")
    try:
        done = run_tool(
            build_command(source, partial, ffmpeg=ffmpeg),
            timeout=timeout,
            memory_limit=memory_limit,
        )
        if done.returncode != 0:
            if _NO_AUDIO in done.stderr:
                return None
            raise TranscodeFailed(
                TOOL_FAILED.format(tool="ffmpeg"),
                detail=f"ffmpeg exited with status {done.returncode}: {stderr_tail(done.stderr)}",
            )
        os.replace(partial, out)
        return out
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
