"""Choosing the speech engine (MEDIAOBJECTS_ASR_ENGINE). Building one loads nothing: the
model is read on the first transcription, so a server starts as fast with ASR as without."""

from __future__ import annotations

from pathlib import Path

from mediaobjects.asr import SpeechEngine, sphinx, whisper

ENGINE_NAMES = ("auto", "faster-whisper", "pocketsphinx", "none")


def build_engine(
    name: str, *, data_dir: Path, model_dir: Path | None, threads: int
) -> SpeechEngine | None:
    """``auto``: faster-whisper when it is installed, else pocketsphinx when it is, else None
    (automatic captions off); ``faster-whisper`` or ``pocketsphinx``: that engine (its
    ``check()`` says what is missing); ``none``: None. ValueError for any other name."""
    chosen = name.strip().lower()
    if chosen == "auto":
        if whisper.installed():
            chosen = "faster-whisper"
        elif sphinx.installed():
            chosen = "pocketsphinx"
        else:
            return None
    if chosen == "faster-whisper":
        return whisper.FasterWhisperEngine(data_dir=data_dir, model_dir=model_dir, threads=threads)
    if chosen == "pocketsphinx":
        return sphinx.PocketSphinxEngine()
    if chosen == "none":
        return None
    raise ValueError(f"unknown speech engine {name!r}: expected one of {', '.join(ENGINE_NAMES)}")
