"""Speech recognition (automatic captions) behind one small interface, so that the engine can
change without touching the jobs that use it: ``SpeechEngine.transcribe(audio, language)``
gives segments of recognised words with their timings. Infrastructure like ``transcoding``: it
knows no database, HTTP or domain. Engines (``mediaobjects.asr.engines``) are chosen by
MEDIAOBJECTS_ASR_ENGINE; none of them ever reaches the network."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Word:
    """One recognised word, as the engine spells it (with its punctuation, e.g. ``"Hello,"``),
    and when it is spoken, in milliseconds from the start of the audio."""

    text: str
    start_ms: int
    end_ms: int
    probability: float | None = None


@dataclass(frozen=True)
class Segment:
    """A stretch of speech as the engine delimits it (roughly a sentence or a clause)."""

    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Transcript:
    """What an engine heard: the language (BCP 47 as the engine names it, e.g. ``en``), how
    sure it is of it (None when the language was given), and the segments in time order."""

    language: str
    language_probability: float | None
    segments: tuple[Segment, ...]
    # Who made it, for the NOTE at the top of the track: e.g. "faster-whisper", "whisper-base".
    engine: str
    model: str


class EngineUnavailable(Exception):
    """The engine cannot run here (package not installed, model missing or corrupt). The
    message says what an administrator should do."""


class EngineFailed(Exception):
    """The engine ran and failed on this audio (crash, unreadable input). Retrying may help."""


class UnsupportedLanguage(Exception):
    """The engine cannot recognise the requested language (e.g. pocketsphinx: English only)."""


class Cancelled(Exception):
    """``should_stop`` said to stop: the transcription was abandoned (its track was deleted,
    or its time ran out)."""


# Called with the fraction of the audio done so far (0.0 .. 1.0).
Progress = Callable[[float], None]
# Asked between pieces of work; True makes transcribe raise Cancelled promptly.
ShouldStop = Callable[[], bool]


class SpeechEngine(Protocol):
    name: str  # "faster-whisper", "pocketsphinx"
    model: str  # "whisper-base", a model directory's name, "en-us"

    def check(self) -> None:
        """EngineUnavailable, saying what to install or fix, unless the engine can run."""
        ...

    def transcribe(
        self,
        audio: Path,
        language: str | None,
        *,
        progress: Progress | None = None,
        should_stop: ShouldStop | None = None,
    ) -> Transcript:
        """Recognises the speech in ``audio``: a WAV file, 16 kHz, mono, 16-bit PCM (what
        ``Transcoder.extract_speech_audio`` writes). ``language`` is a BCP 47 tag (its
        primary language subtag is what engines use), or None to detect it. Raises
        UnsupportedLanguage, EngineUnavailable, EngineFailed or Cancelled."""
        ...
