"""Automatic captions in the caption reports and in transcript search: a track still being
made (or whose making failed) is no captions (the media reads ``missing`` and nothing of it is
searchable); a ready one counts, says it is automatic, and its words are found."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_auto_captions import FakeEngine, add_human, asr, processed, run_jobs
from tests.support.api import Api
from tests.support.clips import make_video
from tests.support.world import World, build_world


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("asr-report-clips")
    return {
        "talk": make_video(root / "talk.mp4", seconds=3),
        "mute": make_video(root / "mute.mp4", seconds=1, audio=False),
    }


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


@pytest.fixture
def engine(api: Api) -> FakeEngine:
    fake = FakeEngine()
    api.ctx.asr = fake
    return fake


def report_rows(world: World) -> dict[str, dict[str, Any]]:
    rows = world.api.ok("GET", f"/api/v1/courses/{world.course}/caption_report", world.teacher)
    return {row["media_id"]: row for row in rows}


def csv_rows(world: World) -> dict[str, dict[str, str]]:
    r = world.api.request(
        "GET", f"/api/v1/courses/{world.course}/caption_report.csv", world.teacher
    )
    assert r.status_code == 200, r.text
    return {row["media_id"]: row for row in csv.DictReader(io.StringIO(r.text))}


def captioned_count(world: World, admin: Any) -> int:
    rows = world.api.ok("GET", "/api/v1/accounts/self/caption_report?per_page=100", admin)
    [mine] = [row for row in rows if row["course_id"] == world.course]
    return int(mine["captioned_count"])


def search(world: World, q: str) -> list[dict[str, Any]]:
    url = f"/api/v1/courses/{world.course}/caption_search?q={q}"
    return list(world.api.ok("GET", url, world.teacher))


def test_a_processing_track_is_missing_captions_and_a_ready_one_counts_as_automatic(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    admin = world.api.admin
    media_id, _ = processed(world, clips["talk"])
    assert asr(world, media_id, json={"locale": "en"}).status_code == 200

    row = report_rows(world)[media_id]
    assert row["status"] == "missing" and row["track_id"] is None
    assert (row["locales"], row["kinds"], row["sources"]) == ([], [], [])
    assert row["track_automatic"] is None
    assert csv_rows(world)[media_id]["status"] == "missing"
    assert captioned_count(world, admin) == 0
    assert search(world, "welcome") == []

    assert run_jobs(world.api) == 1
    row = report_rows(world)[media_id]
    assert row["status"] in ("passing", "failing") and row["track_id"] is not None
    assert (row["locales"], row["kinds"], row["sources"]) == (["en"], ["subtitles"], ["asr"])
    assert row["track_automatic"] is True
    line = csv_rows(world)[media_id]
    assert (line["track_automatic"], line["sources"]) == ("true", "asr")
    assert captioned_count(world, admin) == 1
    [hit] = search(world, "welcome")
    assert hit["media_id"] == media_id and hit["asr"] is True
    assert "welcome" in hit["cues"][0]["text"]


def test_a_failed_track_is_missing_captions(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["mute"])
    asr(world, media_id, json={"locale": "en"})
    run_jobs(world.api)
    row = report_rows(world)[media_id]
    assert row["status"] == "missing" and row["sources"] == []


def test_a_persons_track_says_human_and_an_edited_automatic_one_becomes_theirs(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    add_human(world, media_id, "fr")
    asr(world, media_id, json={"locale": "en"})
    run_jobs(world.api)
    row = report_rows(world)[media_id]
    assert row["sources"] == ["asr", "human"] and row["locales"] == ["en", "fr"]

    add_human(world, media_id, "en")  # a person rewrites the automatic track
    row = report_rows(world)[media_id]
    assert row["sources"] == ["human"] and row["track_automatic"] is False
    [hit] = search(world, "person")
    assert hit["asr"] is False
