"""The service's speech engine follows MEDIAOBJECTS_ASR_*, and building it costs nothing:
no model is assembled or loaded until something is transcribed."""

from __future__ import annotations

from pathlib import Path

from mediaobjects.context import AppContext, build_context
from mediaobjects.settings import Settings


def test_the_context_has_the_configured_engine_and_loads_no_model(
    ctx: AppContext, settings: Settings
) -> None:
    assert ctx.asr is not None
    assert (ctx.asr.name, ctx.asr.model) == ("faster-whisper", "whisper-base")
    assert not (settings.data_dir / "models").exists()


def test_asr_can_be_turned_off_or_pointed_at_another_engine(
    settings: Settings, tmp_path: Path
) -> None:
    off = build_context(settings.model_copy(update={"asr_engine": "none"}), with_jobs=False)
    try:
        assert off.asr is None
    finally:
        off.close()
    sphinx = build_context(
        settings.model_copy(update={"asr_engine": "pocketsphinx"}), with_jobs=False
    )
    try:
        assert sphinx.asr is not None and sphinx.asr.name == "pocketsphinx"
    finally:
        sphinx.close()
