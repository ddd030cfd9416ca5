"""pocketsphinx with the US English model it ships: small, fast, English only, and much less
accurate than Whisper. It is the engine of the test suite where the ``asr`` extra is not
installed, so that automatic captions are exercised everywhere, and a fallback for a server
that cannot run Whisper.

The audio is split at its pauses by pocketsphinx's own voice activity detector (the
``Endpointer``); each stretch of speech is decoded as one utterance and becomes one segment,
its words timed by the decoder's frames (100 a second) from the stretch's start."""

from __future__ import annotations

import importlib.util
import re
import threading
import wave
from pathlib import Path
from typing import Any

from mediaobjects.asr import (
    Cancelled,
    EngineFailed,
    EngineUnavailable,
    Progress,
    Segment,
    ShouldStop,
    Transcript,
    UnsupportedLanguage,
    Word,
)

NAME = "pocketsphinx"
MODEL = "en-us"
SAMPLE_RATE = 16000
_FRAMES_PER_SECOND = 100
# "<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]"...: not words.
_FILLER = re.compile(r"^(<.*>|\[.*\])$")
# Alternative pronunciations are numbered: "the(2)".
_VARIANT = re.compile(r"\(\d+\)$")


def installed() -> bool:
    return importlib.util.find_spec("pocketsphinx") is not None


class PocketSphinxEngine:
    name = NAME
    model = MODEL

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._decoder: Any = None

    def check(self) -> None:
        if not installed():
            raise EngineUnavailable("pocketsphinx is not installed: pip install pocketsphinx")

    def load(self) -> Any:
        """The decoder, made once (the first caller makes it, the others wait for it)."""
        with self._lock:
            if self._decoder is None:
                self.check()
                from pocketsphinx import Decoder, set_loglevel

                set_loglevel("FATAL")  # its INFO lines go to stderr by the hundred
                self._decoder = Decoder(samprate=SAMPLE_RATE)
            return self._decoder

    def transcribe(
        self,
        audio: Path,
        language: str | None,
        *,
        progress: Progress | None = None,
        should_stop: ShouldStop | None = None,
    ) -> Transcript:
        if language is not None and language.split("-", 1)[0].lower() != "en":
            raise UnsupportedLanguage(f"pocketsphinx recognises English only, not {language!r}.")
        if should_stop is not None and should_stop():
            raise Cancelled("stopped before the transcription began")
        from pocketsphinx import Endpointer

        # One decoder per engine, used by one transcription at a time.
        decoder = self.load()
        segments: list[Segment] = []
        with self._lock:
            try:
                reader = wave.open(str(audio), "rb")  # noqa: SIM115 - closed by the with below
            except (OSError, EOFError, wave.Error) as exc:
                raise EngineFailed(f"cannot read the audio: {exc}") from exc
            with reader:
                if (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) != (
                    SAMPLE_RATE,
                    1,
                    2,
                ):
                    raise EngineFailed("the audio is not 16 kHz mono 16-bit PCM")
                duration = reader.getnframes() / SAMPLE_RATE or 1.0
                endpointer = Endpointer(sample_rate=SAMPLE_RATE)
                frame_samples = endpointer.frame_bytes // 2
                speech: list[bytes] = []
                try:
                    while True:
                        frame = reader.readframes(frame_samples)
                        last = len(frame) < endpointer.frame_bytes
                        was_speaking = endpointer.in_speech
                        out = endpointer.end_stream(frame) if last else endpointer.process(frame)
                        if out is not None:
                            speech.append(out)
                        if (
                            speech
                            and (was_speaking or out is not None)
                            and (not endpointer.in_speech or last)
                        ):
                            segment = _decode(decoder, b"".join(speech), endpointer.speech_start)
                            speech.clear()
                            if segment is not None:
                                segments.append(segment)
                            if progress is not None:
                                progress(min(1.0, endpointer.speech_end / duration))
                            if should_stop is not None and should_stop():
                                raise Cancelled("stopped by request")
                        if last:
                            break
                except (Cancelled, EngineFailed):
                    raise
                except Exception as exc:  # noqa: BLE001 - the C decoder's errors
                    raise EngineFailed(f"pocketsphinx failed: {type(exc).__name__}: {exc}") from exc
        if progress is not None:
            progress(1.0)
        return Transcript(
            language="en",
            language_probability=None,
            segments=tuple(segments),
            engine=NAME,
            model=MODEL,
        )


def _decode(decoder: Any, pcm: bytes, start_seconds: float) -> Segment | None:
    decoder.start_utt()
    decoder.process_raw(pcm, False, True)
    decoder.end_utt()
    offset = round(start_seconds * 1000)
    words = []
    for seg in decoder.seg():
        text = _VARIANT.sub("", str(seg.word))
        if not text or _FILLER.match(text):
            continue
        words.append(
            Word(
                text=text,
                start_ms=offset + seg.start_frame * 1000 // _FRAMES_PER_SECOND,
                end_ms=offset + (seg.end_frame + 1) * 1000 // _FRAMES_PER_SECOND,
            )
        )
    if not words:
        return None
    return Segment(
        start_ms=words[0].start_ms,
        end_ms=words[-1].end_ms,
        text=" ".join(w.text for w in words),
        words=tuple(words),
    )
