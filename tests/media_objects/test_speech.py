"""Speech analysis in the media pipeline: an upload with audio ends ready with where its
speech is; without audio, or when the analysis fails, it ends ready with nothing measured; and
media processed before gets it from the speech-only reprocessing, without transcoding again."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mediaobjects.media_objects.models import MediaObject, MediaSource
from mediaobjects.media_objects.speech import analyse_media_speech
from mediaobjects.media_objects.tasks import reanalyse_speech
from tests.support.api import Api
from tests.support.clips import make_spoken, make_video
from tests.support.world import World, build_world

TOLERANCE_MS = 100
TRUTH = [(0, 2000), (5000, 7000)]
TRUTH_SECONDS = [(start / 1000, end / 1000) for start, end in TRUTH]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("speech")
    return {
        # Tone 0-2 s, silence 2-5 s, tone 5-7 s, silence to 8 s.
        "spoken": make_spoken(root / "lecture.mp4", TRUTH_SECONDS, seconds=8),
        "talk": make_spoken(root / "talk.mp3", [(1, 3)], seconds=4, video=False),
        "mute": make_video(root / "mute.mp4", seconds=1, audio=False),
    }


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def upload(world: World, path: Path, content_type: str) -> str:
    file = world.api.upload(
        f"courses/{world.course}", world.teacher, path.name, path.read_bytes(), content_type
    )
    return str(file["media_entry_id"])


def run_jobs(api: Api) -> None:
    api.ctx.jobs.run_pending_now()


def stored(api: Api, media_id: str) -> dict[str, Any]:
    with api.ctx.read() as session:
        mo = session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()
        sources = session.scalars(select(MediaSource).where(MediaSource.media_object_id == mo.id))
        return {
            "state": mo.processing_state,
            "error": mo.processing_error,
            "intervals": None if mo.speech_intervals is None else json.loads(mo.speech_intervals),
            "speech_ms": mo.speech_ms,
            "sources": sorted((s.name, s.etag) for s in sources),
        }


def set_columns(api: Api, media_id: str, **values: Any) -> None:
    with api.ctx.write() as session:
        mo = session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()
        for name, value in values.items():
            setattr(mo, name, value)


def assert_near(intervals: list[list[int]] | None, truth: list[tuple[int, int]]) -> None:
    assert intervals is not None and len(intervals) == len(truth), intervals
    for (start, end), (want_start, want_end) in zip(intervals, truth, strict=True):
        assert abs(start - want_start) <= TOLERANCE_MS and abs(end - want_end) <= TOLERANCE_MS


def test_an_upload_with_audio_ends_ready_with_its_speech(
    world: World, clips: dict[str, Path]
) -> None:
    video = upload(world, clips["spoken"], "video/mp4")
    audio = upload(world, clips["talk"], "audio/mpeg")
    run_jobs(world.api)
    row = stored(world.api, video)
    assert row["state"] == "ready"
    assert_near(row["intervals"], TRUTH)
    assert row["speech_ms"] == sum(end - start for start, end in row["intervals"])
    assert abs(row["speech_ms"] - 4000) <= 2 * TOLERANCE_MS
    row = stored(world.api, audio)
    assert row["state"] == "ready"
    assert_near(row["intervals"], [(1000, 3000)])


def test_a_video_without_audio_is_ready_and_has_no_speech(
    world: World, clips: dict[str, Path]
) -> None:
    media_id = upload(world, clips["mute"], "video/mp4")
    run_jobs(world.api)
    row = stored(world.api, media_id)
    assert row["state"] == "ready" and row["error"] is None
    assert row["intervals"] == [] and row["speech_ms"] == 0


def test_a_failed_analysis_leaves_the_media_ready_and_unmeasured(
    world: World, clips: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    # A minimum silence ffmpeg refuses makes the analysis itself fail, nothing else.
    world.api.ctx.transcoder.speech_min_silence = -1
    media_id = upload(world, clips["spoken"], "video/mp4")
    with caplog.at_level(logging.WARNING, logger="mediaobjects.media_objects.speech"):
        run_jobs(world.api)
    row = stored(world.api, media_id)
    assert row["state"] == "ready" and row["error"] is None
    assert len(row["sources"]) >= 2  # the renditions and the original
    assert row["intervals"] is None and row["speech_ms"] is None
    assert f"speech analysis of media {media_id} failed" in caplog.text


def test_speech_only_reprocessing_measures_media_processed_before(
    world: World, clips: dict[str, Path]
) -> None:
    api = world.api
    spoken = upload(world, clips["spoken"], "video/mp4")
    mute = upload(world, clips["mute"], "video/mp4")
    run_jobs(api)
    before = stored(api, spoken)
    # As media processed before the analysis existed.
    set_columns(api, spoken, speech_intervals=None, speech_ms=None)

    # Ready media without a measurement; the video without audio has one (no speech).
    assert reanalyse_speech(api.ctx.pipeline, api.ctx.enqueue) == [spoken]
    run_jobs(api)
    after = stored(api, spoken)
    assert_near(after["intervals"], TRUTH)
    assert abs(after["speech_ms"] - before["speech_ms"]) <= 2 * TOLERANCE_MS
    # Nothing was transcoded again: the same sources, byte for byte.
    assert after["sources"] == before["sources"] and after["state"] == "ready"
    assert stored(api, mute)["speech_ms"] == 0
    assert reanalyse_speech(api.ctx.pipeline, api.ctx.enqueue) == []


def test_named_media_are_measured_again_with_the_current_settings(
    world: World, clips: dict[str, Path]
) -> None:
    api = world.api
    media_id = upload(world, clips["spoken"], "video/mp4")
    run_jobs(api)
    assert stored(api, media_id)["speech_ms"] is not None
    # A floor above the tone's level (-6 dBFS): all of it is silence now.
    api.ctx.transcoder.speech_noise_db = -3
    assert reanalyse_speech(api.ctx.pipeline, api.ctx.enqueue, [media_id]) == [media_id]
    run_jobs(api)
    row = stored(api, media_id)
    assert row["intervals"] == [] and row["speech_ms"] == 0


def test_the_speech_only_job_skips_media_it_must_not_touch(
    world: World, clips: dict[str, Path]
) -> None:
    api = world.api
    media_id = upload(world, clips["spoken"], "video/mp4")
    assert analyse_media_speech(api.ctx.pipeline, media_id) == "skipped"  # not processed yet
    run_jobs(api)
    set_columns(api, media_id, speech_intervals=None, speech_ms=None, workflow_state="deleted")
    assert analyse_media_speech(api.ctx.pipeline, media_id) == "skipped"
    assert analyse_media_speech(api.ctx.pipeline, "no_such_media") == "skipped"
    assert stored(api, media_id)["speech_ms"] is None
    set_columns(api, media_id, workflow_state="active")
    assert analyse_media_speech(api.ctx.pipeline, media_id) == "measured"
    assert_near(stored(api, media_id)["intervals"], TRUTH)
