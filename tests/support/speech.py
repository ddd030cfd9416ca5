"""Speech whose words and timings are known exactly, for the speech recognition tests:
espeak-ng (Debian's ``espeak-ng``) speaks each sentence to its own WAV, the WAVs are joined
with silences between them, so each sentence's span is known to the sample, and ffmpeg muxes
the result into a small video (or an audio-only file). Plus ``asr_engine()``: a ready engine,
faster-whisper when the ``asr`` extra is installed, else pocketsphinx."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tests.support.clips import ffmpeg

if TYPE_CHECKING:
    from mediaobjects.asr import SpeechEngine

# espeak-ng writes 22.05 kHz mono 16-bit PCM; the silences are written in the same format.
_SILENCE_BEFORE_SECONDS = 0.5


@dataclass(frozen=True)
class SpokenSentence:
    text: str
    # The span of this sentence's espeak-ng WAV in the lecture (espeak-ng's own short lead-in
    # and tail silences included), in milliseconds.
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Lecture:
    path: Path
    script: str  # the sentences joined by spaces: the reference for a word error rate
    sentences: tuple[SpokenSentence, ...]
    duration_ms: int


def espeak() -> str:
    found = shutil.which("espeak-ng")
    if found is None:
        raise RuntimeError(
            "espeak-ng is missing: apt-get install -y espeak-ng (make test does it as root)"
        )
    return found


def _speak(text: str, out: Path, *, voice: str, words_per_minute: int) -> None:
    subprocess.run(
        [espeak(), "-v", voice, "-s", str(words_per_minute), "-w", str(out), "--", text],
        check=True,
        timeout=120,
        capture_output=True,
    )


def speak_lecture(
    sentences: Sequence[str],
    out: Path,
    *,
    video: bool = True,
    gap_seconds: float = 1.0,
    voice: str = "en-us",
    words_per_minute: int = 150,
) -> Lecture:
    """Speaks ``sentences`` in order, ``gap_seconds`` of silence between two of them (and half
    a second before the first), into ``out``: with ``video``, an H.264 + AAC MP4 with a small
    plain picture; else the audio in whatever format ``out``'s extension names (.m4a, .mp3,
    .wav...)."""
    if not sentences:
        raise ValueError("a lecture needs at least one sentence")
    with tempfile.TemporaryDirectory(prefix="speech-") as tmp:
        work = Path(tmp)
        joined = work / "lecture.wav"
        spoken: list[SpokenSentence] = []
        params = None
        with wave.open(str(joined), "wb") as sink:
            frames_written = 0
            for index, text in enumerate(sentences):
                piece = work / f"s{index}.wav"
                _speak(text, piece, voice=voice, words_per_minute=words_per_minute)
                with wave.open(str(piece), "rb") as source:
                    if params is None:
                        params = source.getparams()
                        sink.setnchannels(params.nchannels)
                        sink.setsampwidth(params.sampwidth)
                        sink.setframerate(params.framerate)
                    elif source.getparams()[:3] != params[:3]:
                        raise RuntimeError("espeak-ng changed its output format mid-lecture")
                    rate = params.framerate
                    silence = _SILENCE_BEFORE_SECONDS if index == 0 else gap_seconds
                    gap_frames = round(silence * rate)
                    sink.writeframes(b"\0" * gap_frames * params.sampwidth * params.nchannels)
                    frames_written += gap_frames
                    frames = source.readframes(source.getnframes())
                    count = len(frames) // (params.sampwidth * params.nchannels)
                    start = frames_written
                    sink.writeframes(frames)
                    frames_written += count
                    spoken.append(
                        SpokenSentence(
                            text=text,
                            start_ms=round(start * 1000 / rate),
                            end_ms=round(frames_written * 1000 / rate),
                        )
                    )
            # A short tail of silence, so that the last words are not at the very end.
            assert params is not None
            tail = round(0.5 * params.framerate)
            sink.writeframes(b"\0" * tail * params.sampwidth * params.nchannels)
            frames_written += tail
            duration_ms = round(frames_written * 1000 / params.framerate)
        _mux(joined, out, video=video, seconds=frames_written / params.framerate)
    return Lecture(
        path=out,
        script=" ".join(sentences),
        sentences=tuple(spoken),
        duration_ms=duration_ms,
    )


def _mux(audio: Path, out: Path, *, video: bool, seconds: float) -> None:
    cmd = [ffmpeg(), "-v", "error", "-y"]
    if video:
        cmd += ["-f", "lavfi", "-i", f"color=c=navy:size=160x120:rate=10:duration={seconds:.3f}"]
    cmd += ["-i", str(audio)]
    if video:
        cmd += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-c:a", "aac"]
        cmd += ["-shortest"]
    elif out.suffix.lower() in {".m4a", ".mp4", ".aac"}:
        cmd += ["-c:a", "aac"]
    cmd.append(str(out))
    subprocess.run(cmd, check=True, timeout=300, capture_output=True)


# Where test engines assemble their model: shared by every test of a run (and kept between
# runs, the assembly being verified before use), so that the 145 MB model.bin is joined once.
ASR_TEST_DATA_DIR = Path(tempfile.gettempdir()) / "mediaobjects-test-asr"


@functools.cache
def asr_engine(threads: int = 2) -> SpeechEngine:
    """The best engine installed here, built once per test process: faster-whisper (the
    ``asr`` extra, which ``make test`` installs), else pocketsphinx (the ``test`` extra)."""
    from mediaobjects.asr.engines import build_engine

    engine = build_engine("auto", data_dir=ASR_TEST_DATA_DIR, model_dir=None, threads=threads)
    if engine is None:
        raise RuntimeError(
            "no speech engine installed: pip install -e '.[test,asr]' (make test does it)"
        )
    return engine
