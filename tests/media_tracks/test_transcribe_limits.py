"""The time a transcription may take with the server's default settings: a 1-hour lecture never
holds a worker for much longer than its own duration (issue 12), a short clip gets a floor."""

from __future__ import annotations

from pathlib import Path

from mediaobjects.media_tracks.transcribe import AsrLimits
from mediaobjects.settings import Settings


def test_default_limits_give_an_hour_lecture_about_an_hour(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    limits = AsrLimits(settings.asr_min_seconds, settings.asr_time_factor)
    hour = 3600.0
    assert hour * 0.9 <= limits.for_duration(hour) <= hour * 1.1
    # A one-minute clip (or one whose duration is unknown) still gets a few minutes: loading
    # the model and extracting the audio take time of their own.
    assert limits.for_duration(60.0) == limits.for_duration(None) == settings.asr_min_seconds
    assert settings.asr_min_seconds >= 60
    # The job's own try limit must not cut an hour's transcription short first.
    assert settings.transcode_timeout_seconds >= limits.for_duration(hour)
