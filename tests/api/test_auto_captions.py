"""Automatic captions over HTTP (POST /api/v1/media_{objects,attachments}/:id/asr) and the
``transcribe_track`` job with a fake engine that "hears" known words: the call the published
``@instructure/canvas-media`` caption creator makes (doAsrRequest), rights, hostile inputs,
reuse without a second job, a person's track surviving every path, failures ending failed
with a reason, and cancellation by deleting the track."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.orm import Session

from mediaobjects.asr import (
    Cancelled,
    EngineFailed,
    Progress,
    Segment,
    ShouldStop,
    Transcript,
    UnsupportedLanguage,
    Word,
)
from mediaobjects.context import build_limiter
from mediaobjects.db.base import utcnow
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks import history
from mediaobjects.media_tracks.models import MediaTrack, TrackVersion
from mediaobjects.media_tracks.transcribe import AsrLimits, give_up, transcribe_track
from mediaobjects.settings import Settings
from tests.support.api import Api
from tests.support.clips import make_video
from tests.support.clock import Clock
from tests.support.world import World, build_world

HUMAN_SRT = "1\n00:00:01,000 --> 00:00:02,000\nWritten by a person\n"
HEARD = ("Hello", "students,", "welcome", "to", "the", "lecture.")


def words(texts: tuple[str, ...] = HEARD, start_ms: int = 1000) -> tuple[Word, ...]:
    return tuple(
        Word(text, start_ms + 400 * i, start_ms + 400 * i + 350, 0.9)
        for i, text in enumerate(texts)
    )


@dataclass
class FakeEngine:
    """Hears ``heard`` (in ``language`` when asked to detect), or raises ``fail``; ``during``
    runs mid-transcription (with should_stop); ``spin`` asks should_stop until it says stop."""

    heard: tuple[Word, ...] = field(default_factory=words)
    language: str = "en"
    fail: Exception | None = None
    during: Callable[[], None] | None = None
    spin: bool = False
    name: str = "fake-engine"
    model: str = "fake-model"
    calls: list[tuple[Path, str | None]] = field(default_factory=list)

    def check(self) -> None:
        return None

    def transcribe(
        self,
        audio: Path,
        language: str | None,
        *,
        progress: Progress | None = None,
        should_stop: ShouldStop | None = None,
    ) -> Transcript:
        assert audio.read_bytes()[:4] == b"RIFF"  # the extracted WAV
        self.calls.append((audio, language))
        if progress is not None:
            progress(0.5)
        if self.during is not None:
            self.during()
        if self.spin:
            assert should_stop is not None
            for _ in range(10_000):
                if should_stop():
                    raise Cancelled("asked to stop")
            raise AssertionError("should_stop never said stop")
        if self.fail is not None:
            raise self.fail
        segment = Segment(self.heard[0].start_ms, self.heard[-1].end_ms, "", self.heard)
        return Transcript(language or self.language, None, (segment,), self.name, self.model)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("asr-clips")
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


def processed(world: World, clip: Path) -> tuple[str, int]:
    """A real upload of ``clip`` by the teacher, processed: (media_id, attachment_id)."""
    file = world.api.upload(
        f"courses/{world.course}", world.teacher, clip.name, clip.read_bytes(), "video/mp4"
    )
    world.api.ctx.jobs.run_pending_now()
    assert media_row(world.api, str(file["media_entry_id"])).processing_state == "ready"
    return str(file["media_entry_id"]), int(file["id"])


def mark_ready(world: World) -> None:
    """The world's (fake) upload as if processed: enough for requests that run no job."""
    run_jobs(world.api)  # its process_media job (which fails on the fake bytes)
    with world.api.ctx.write() as session:
        mo = session.scalars(select(MediaObject).where(MediaObject.media_id == world.media_id))
        row = mo.one()
        row.processing_state = "ready"
        row.processing_error = None
        row.duration = 3.0


def media_row(api: Api, media_id: str) -> MediaObject:
    with api.ctx.read() as session:
        row = session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()
        session.expunge(row)
        return row


def age_track(api: Api, track_id: int, by: timedelta) -> None:
    """The track as if its last write were ``by`` ago."""
    with api.ctx.write() as session:
        track = session.get(MediaTrack, track_id)
        assert track is not None
        session.execute(
            update(MediaTrack)
            .where(MediaTrack.id == track_id)
            .values(updated_at=track.updated_at - by)
            .execution_options(synchronize_session=False)
        )


def track_row(api: Api, track_id: int) -> MediaTrack | None:
    with api.ctx.read() as session:
        track = session.get(MediaTrack, track_id)
        if track is not None:
            session.expunge(track)
        return track


def asr(world: World, media_id: str | None = None, who: Any = None, **kw: Any) -> Any:
    url = f"/api/v1/media_objects/{media_id or world.media_id}/asr"
    return world.api.request("POST", url, who or world.teacher, **kw)


def do_asr_request(
    world: World, locale: str, *, media_id: str | None = None, attachment_id: int | None = None
) -> Any:
    """What the published ``@instructure/canvas-media`` 5.1.0 sends
    (src/ClosedCaptionCreatorV2/hooks/doAsrRequest.ts): ``axios.post(url, {locale})`` to
    ``/api/v1/media_attachments/:attachmentId/asr`` when it has an attachment id, else to
    ``/api/v1/media_objects/:mediaObjectId/asr``; axios serialises the object as JSON with its
    default headers. The caller ignores the answer's body; any non-2xx shows "Generation
    failed" (ClosedCaptionPanelV2.tsx), and the panel then reads ``asr`` and
    ``workflow_state`` of the media's tracks."""
    url = (
        f"/api/v1/media_attachments/{attachment_id}/asr"
        if attachment_id is not None
        else f"/api/v1/media_objects/{media_id}/asr"
    )
    return world.api.request(
        "POST",
        url,
        world.teacher,
        content=json.dumps({"locale": locale}).encode(),
        headers={
            "Accept": "application/json, text/plain, */*",
            "Content-Type": "application/json",
        },
    )


def run_jobs(api: Api) -> int:
    return int(api.ctx.jobs.run_pending_now())


def versions(world: World, media_id: str, track_id: int) -> list[dict[str, Any]]:
    url = f"/api/v1/media_objects/{media_id}/media_tracks/{track_id}/versions?include[]=content"
    return list(world.api.ok("GET", url, world.teacher))


def add_human(world: World, media_id: str, locale: str = "en") -> int:
    world.api.ok(
        "PUT",
        f"/api/v1/media_objects/{media_id}/media_tracks",
        world.teacher,
        json=[{"locale": locale, "content": HUMAN_SRT}],
    )
    listed = world.api.ok("GET", f"/api/v1/media_objects/{media_id}/media_tracks", world.teacher)
    return next(int(t["id"]) for t in listed if t["locale"] == locale)


# ---- the request ----------------------------------------------------------------------------


def test_do_asr_request_gets_the_processing_track_and_the_job_makes_it_ready(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    r = do_asr_request(world, "en", media_id=media_id)
    assert r.status_code == 200, r.text
    track = r.json()
    assert track["locale"] == "en" and track["kind"] == "subtitles"
    assert track["asr"] is True and track["workflow_state"] == "processing"
    assert track["asr_error"] is None
    info = world.api.ok("GET", f"/media_objects/{media_id}/info", world.teacher)
    assert info["auto_caption_status"] == "processing"
    assert info["auto_caption_progress"] == 0
    served = world.api.request(
        "GET", f"/media_objects/{media_id}/media_tracks/{track['id']}", world.teacher
    )
    assert served.status_code == 200 and served.text == "WEBVTT\n"

    seen: list[int | None] = []
    engine.during = lambda: seen.append(media_row(world.api, media_id).auto_caption_progress)
    assert run_jobs(world.api) == 1
    assert engine.calls[0][1] == "en"
    assert seen == [50]  # the engine said half done
    done = track_row(world.api, track["id"])
    assert done is not None and done.workflow_state == "ready"
    assert done.content == done.webvtt_content
    assert done.content.startswith("WEBVTT\n\nNOTE")
    assert "fake-engine" in done.content and "Hello students, welcome to the lecture." in (
        " ".join(line for line in done.content.splitlines() if line and "-->" not in line)
    )
    info = world.api.ok("GET", f"/media_objects/{media_id}/info", world.teacher)
    assert info["auto_caption_status"] == "complete"
    assert info["auto_caption_progress"] == 100
    listed = world.api.ok("GET", f"/api/v1/courses/{world.course}/media_objects", world.teacher)
    assert {mo["media_id"]: mo["auto_caption_status"] for mo in listed}[media_id] == "complete"
    [summary] = [t for t in info["media_tracks"] if t["id"] == track["id"]]
    assert summary["asr"] is True and summary["workflow_state"] == "ready"
    assert [v["reason"] for v in versions(world, media_id, track["id"])] == ["asr"]


def test_do_asr_request_with_an_attachment_id_posts_to_the_attachment_route(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    _, attachment_id = processed(world, clips["talk"])
    r = do_asr_request(world, "es", attachment_id=attachment_id)
    assert r.status_code == 200, r.text
    track = r.json()
    assert track["asr"] is True and track["workflow_state"] == "processing"
    assert track["locale"] == "es"
    assert run_jobs(world.api) == 1
    listed = world.api.ok(
        "GET", f"/api/v1/media_attachments/{attachment_id}/media_tracks", world.teacher
    )
    [mine] = [t for t in listed if t["id"] == track["id"]]
    assert mine["asr"] is True and mine["workflow_state"] == "ready"


def test_the_attachment_route_answers_the_track_with_string_ids_when_asked(
    world: World, engine: FakeEngine
) -> None:
    mark_ready(world)
    r = world.api.request(
        "POST",
        f"/api/v1/media_attachments/{world.attachment_id}/asr",
        world.teacher,
        data={"locale": "fr-ca"},
        headers={"Accept": "application/json+canvas-string-ids"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["locale"] == "fr-CA" and body["asr"] is True
    assert isinstance(body["id"], str)


def test_a_second_request_reuses_the_processing_track_without_a_second_job(
    world: World, engine: FakeEngine
) -> None:
    mark_ready(world)
    first = asr(world, json={"locale": "en"}).json()
    again = asr(world, json={"locale": "EN"})
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    # One job: it runs once (it fails here, the fake upload having no rendition).
    assert run_jobs(world.api) == 1


def test_a_ready_automatic_track_is_run_again_in_place(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    first = asr(world, media_id, json={"locale": "en"}).json()
    run_jobs(world.api)
    age_track(world.api, first["id"], timedelta(minutes=11))
    engine.heard = words(("Second", "take."))
    again = asr(world, media_id, json={"locale": "en"}).json()
    assert again["id"] == first["id"] and again["workflow_state"] == "processing"
    run_jobs(world.api)
    done = track_row(world.api, first["id"])
    assert done is not None and "Second take." in done.content
    assert [v["reason"] for v in versions(world, media_id, first["id"])] == ["asr", "asr"]


def test_a_track_just_made_is_answered_without_running_again(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    first = asr(world, media_id, json={"locale": "en"}).json()
    run_jobs(world.api)
    # A caller posting in a loop gets the finished track back; the workers stay idle.
    for _ in range(5):
        again = asr(world, media_id, json={"locale": "en"})
        assert again.status_code == 200
        assert again.json()["id"] == first["id"] and again.json()["workflow_state"] == "ready"
    assert run_jobs(world.api) == 0
    assert len(engine.calls) == 1
    assert media_row(world.api, media_id).auto_caption_status == "complete"


def test_asking_to_detect_again_just_after_a_detection_runs_nothing(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    asr(world, media_id, json={})
    run_jobs(world.api)  # heard English: the und placeholder became the en track
    again = asr(world, media_id, json={})
    assert again.status_code == 200
    assert again.json()["locale"] == "en" and again.json()["workflow_state"] == "ready"
    assert run_jobs(world.api) == 0 and len(engine.calls) == 1


def test_requests_that_queue_runs_are_rate_limited_per_caller(
    world: World, engine: FakeEngine
) -> None:
    mark_ready(world)
    world.api.ctx.limiter = build_limiter(
        Settings(rate_limit_asr_per_minute=1, rate_limit_asr_burst=2), Clock()
    )
    assert asr(world, json={"locale": "en"}).status_code == 200
    assert asr(world, json={"locale": "fr"}).status_code == 200
    # Reusing the processing track queues nothing and is not counted.
    assert asr(world, json={"locale": "en"}).status_code == 200
    refused = asr(world, json={"locale": "de"})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert refused.json()["errors"][0]["error_code"] == "too_many_requests"
    # Nothing of the refused request stays: no German track, no third job.
    listed = world.api.ok(
        "GET", f"/api/v1/media_objects/{world.media_id}/media_tracks", world.teacher
    )
    assert sorted(t["locale"] for t in listed) == ["en", "fr"]
    assert run_jobs(world.api) == 2
    # Another caller has a bucket of its own.
    assert asr(world, who=world.ta, json={"locale": "de"}).status_code == 200


# ---- rights and refusals ----------------------------------------------------------------------


def test_rights_are_those_of_adding_captions(world: World, engine: FakeEngine) -> None:
    mark_ready(world)
    url = f"/api/v1/media_objects/{world.media_id}/asr"
    assert world.api.request("POST", url, json={"locale": "en"}).status_code == 401
    for person in (world.student, world.observer, world.outsider):
        r = world.api.request("POST", url, person, json={"locale": "en"})
        # As for adding a track: Canvas's "unauthorized" envelope.
        assert r.status_code == 403, r.text
        assert r.json()["status"] == "unauthorized"
    r = world.api.request(
        "POST", f"/api/v1/media_attachments/{world.attachment_id}/asr", world.student, json={}
    )
    assert r.status_code == 403
    missing = world.api.request("POST", "/api/v1/media_objects/m-nope/asr", world.teacher)
    assert missing.status_code == 404
    assert run_jobs(world.api) == 0
    assert world.api.request("POST", url, world.ta, json={"locale": "en"}).status_code == 200


def test_media_not_processed_is_canvas_422(world: World, engine: FakeEngine) -> None:
    r = asr(world, json={"locale": "en"})
    assert r.status_code == 422
    assert r.json() == {"error": "Media object not found or not yet processed"}


def test_a_file_whose_media_is_still_uploading_is_canvas_422(
    world: World, engine: FakeEngine
) -> None:
    with world.api.ctx.write() as session:
        attachment = session.get(Attachment, world.attachment_id)
        assert attachment is not None
        attachment.media_entry_id = "maybe"
    url = f"/api/v1/media_attachments/{world.attachment_id}/asr"
    r = world.api.request("POST", url, world.teacher, json={"locale": "en"})
    assert r.status_code == 422
    assert r.json() == {"error": "Media object not found or not yet processed"}
    # Nobody else learns anything about the file.
    r = world.api.request("POST", url, world.outsider, json={"locale": "en"})
    assert r.status_code == 404


def test_a_server_without_an_engine_says_so(world: World) -> None:
    mark_ready(world)
    world.api.ctx.asr = None
    r = asr(world, json={"locale": "en"})
    assert r.status_code == 422
    assert "MEDIAOBJECTS_ASR_ENGINE" in r.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"locale": "<img src=x>"},
        {"locale": "en_US_POSIX_x_y_z_toolong" * 10},
        {"locale": 5},
        {"locale": ["en"]},
        {"locale": "en", "replace_human": "maybe"},
        {"locale": "en", "replace_human": 2},
        {"locale": "en", "replace_human": {"a": 1}},
    ],
)
def test_hostile_bodies_are_400(world: World, engine: FakeEngine, body: Any) -> None:
    mark_ready(world)
    r = asr(world, json=body)
    assert r.status_code == 400, r.text
    assert isinstance(r.json().get("error") or r.json().get("errors"), (str, list))
    assert run_jobs(world.api) == 0


def test_a_huge_body_is_413_and_not_json_is_400(world: World, engine: FakeEngine) -> None:
    mark_ready(world)
    r = asr(world, content=b'{"locale": "' + b"e" * 100_000 + b'"}',
            headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 413
    r = asr(world, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


# ---- a person's track ---------------------------------------------------------------------------


def test_a_persons_track_is_409_and_untouched(world: World, engine: FakeEngine) -> None:
    mark_ready(world)
    human = add_human(world, world.media_id)
    r = asr(world, json={"locale": "en"})
    assert r.status_code == 409
    assert "written by a person" in r.json()["error"]
    kept = track_row(world.api, human)
    assert kept is not None and kept.external_id is None and "Written by a person" in kept.content
    assert run_jobs(world.api) == 0


def test_replace_human_keeps_the_persons_version(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    human = add_human(world, media_id)
    r = asr(world, media_id, data={"locale": "en", "replace_human": "true"})
    assert r.status_code == 200 and r.json()["id"] == human
    assert r.json()["asr"] is True and r.json()["workflow_state"] == "processing"
    # Until the automatic captions are written, the person's are served.
    served = world.api.request(
        "GET", f"/media_objects/{media_id}/media_tracks/{human}", world.teacher
    )
    assert "Written by a person" in served.text
    run_jobs(world.api)
    listed = versions(world, media_id, human)
    assert [v["reason"] for v in listed] == ["asr", "api"]
    assert "Written by a person" in listed[1]["content"]
    assert "Hello students" in listed[0]["content"]


def test_a_failed_replace_human_run_gives_the_track_back_to_the_person(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    human = add_human(world, media_id)
    engine.fail = EngineFailed("the engine crashed")
    assert asr(world, media_id, json={"locale": "en", "replace_human": True}).status_code == 200
    while run_jobs(world.api):  # every retry
        pass
    listed = world.api.ok("GET", f"/api/v1/media_objects/{media_id}/media_tracks", world.teacher)
    [track] = [t for t in listed if t["id"] == human]
    # Still the person's: not automatic, served as they wrote it, with the reason shown.
    assert track["asr"] is False and track["workflow_state"] == "ready"
    assert "crashed" in track["asr_error"]
    served = world.api.request(
        "GET", f"/media_objects/{media_id}/media_tracks/{human}", world.teacher
    )
    assert "Written by a person" in served.text
    assert media_row(world.api, media_id).auto_caption_status == "failed_captions"
    # So a later request without replace_human is refused rather than run over it.
    engine.fail = None
    assert asr(world, media_id, json={"locale": "en"}).status_code == 409
    assert run_jobs(world.api) == 0


def test_a_failed_detection_over_a_persons_und_track_keeps_it_theirs(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    world.api.ok(
        "PUT",
        f"/api/v1/media_objects/{media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "und", "content": HUMAN_SRT}, {"locale": "en", "content": HUMAN_SRT}],
    )
    listed = world.api.ok("GET", f"/api/v1/media_objects/{media_id}/media_tracks", world.teacher)
    und, english = (next(int(t["id"]) for t in listed if t["locale"] == x) for x in ("und", "en"))
    # Detecting needs the und track: a person's, so 409 unless they replace it.
    refused = asr(world, media_id, json={})
    assert refused.status_code == 409 and "Send the locale" in refused.json()["error"]
    assert asr(world, media_id, json={"replace_human": True}).json()["id"] == und
    run_jobs(world.api)  # heard English, which has a person's track
    for track_id in (und, english):
        row = track_row(world.api, track_id)
        assert row is not None and row.external_id is None and row.workflow_state == "ready"
        assert "Written by a person" in row.content
    row = track_row(world.api, und)
    assert row is not None and row.asr_error is not None and "written by a person" in row.asr_error


def test_replace_human_needs_the_right_to_delete_captions(world: World, engine: FakeEngine) -> None:
    mark_ready(world)
    human = add_human(world, world.media_id)
    r = asr(world, who=world.student, json={"locale": "en", "replace_human": True})
    assert r.status_code == 403
    kept = track_row(world.api, human)
    assert kept is not None and kept.external_id is None


def test_a_person_editing_a_processing_track_makes_it_theirs_and_the_job_leaves_it(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    track = asr(world, media_id, json={"locale": "en"}).json()
    add_human(world, media_id)  # the same locale: the person's write wins
    run_jobs(world.api)
    row = track_row(world.api, track["id"])
    assert row is not None and row.external_id is None and row.workflow_state == "ready"
    assert "Written by a person" in row.content
    assert engine.calls == [] or "Hello" not in row.content


def test_a_persons_write_committing_during_the_jobs_final_write_wins(
    world: World, engine: FakeEngine, clips: dict[str, Path], db_kind: str
) -> None:
    if db_kind == "sqlite":
        # SQLite writers hold the database's write lock from their first statement: the job
        # cannot write between a person's check and commit; the sequential test above covers it.
        pytest.skip("writer transactions cannot interleave on SQLite")
    media_id, _ = processed(world, clips["talk"])
    track_id = asr(world, media_id, json={"locale": "en"}).json()["id"]
    heard, flushed, release = threading.Event(), threading.Event(), threading.Event()
    result: list[str] = []

    def person() -> None:
        # A PUT of the track, flushed (row locked) but not committed while the job finishes.
        heard.wait(30)
        with world.api.ctx.write() as session:
            track = session.get(MediaTrack, track_id)
            assert track is not None
            track.content = HUMAN_SRT
            track.webvtt_content = None
            history.record_write(session, track, "api", None)
            flushed.set()
            release.wait(30)

    def during() -> None:
        heard.set()
        flushed.wait(30)

    engine.during = during
    limits = AsrLimits(300, 1.0)
    threads = [
        threading.Thread(target=person),
        threading.Thread(
            target=lambda: result.append(
                transcribe_track(world.api.ctx.pipeline, engine, track_id, limits=limits)
            )
        ),
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not waiting_on_a_lock(world.api):
        time.sleep(0.05)
    release.set()
    for thread in threads:
        thread.join(60)
    row = track_row(world.api, track_id)
    assert row is not None and row.content == HUMAN_SRT and row.external_id is None
    assert result == ["cancelled"]


def test_deleting_a_track_while_the_job_writes_it_marks_every_version_deleted(
    world: World, engine: FakeEngine, clips: dict[str, Path], db_kind: str
) -> None:
    if db_kind == "sqlite":
        pytest.skip("writer transactions cannot interleave on SQLite")
    media_id, _ = processed(world, clips["talk"])
    track_id = asr(world, media_id, json={"locale": "en"}).json()["id"]
    writing, release = threading.Event(), threading.Event()
    result: list[str] = []

    def job() -> None:
        result.append(
            transcribe_track(world.api.ctx.pipeline, engine, track_id, limits=AsrLimits(300, 1))
        )

    job_thread = threading.Thread(target=job)

    def pause_after_the_version(session: Session, _context: object) -> None:
        # The job has written the track and flushed its new version, and holds the row.
        if threading.current_thread() is job_thread and any(
            isinstance(row, TrackVersion) for row in session.new
        ):
            writing.set()
            release.wait(30)

    def delete() -> None:
        # DELETE .../media_tracks/:id, as the service does it once the rights are checked.
        writing.wait(30)
        with world.api.ctx.write() as session:
            track = session.get(MediaTrack, track_id)
            assert track is not None
            history.record_delete(session, track, None, utcnow())
            session.delete(track)

    event.listen(Session, "after_flush", pause_after_the_version)
    try:
        delete_thread = threading.Thread(target=delete)
        job_thread.start()
        delete_thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not waiting_on_a_lock(world.api):
            time.sleep(0.05)
        release.set()
        job_thread.join(60)
        delete_thread.join(60)
    finally:
        event.remove(Session, "after_flush", pause_after_the_version)
    assert result == ["ready"] and track_row(world.api, track_id) is None
    with world.api.ctx.read() as session:
        kept = session.scalars(select(TrackVersion).where(TrackVersion.track_id == track_id))
        reasons = {version.reason: version.deleted_at for version in kept}
    # The automatic captions the job wrote are among the deleted track's versions (restorable
    # for the retention period, then purged), not a live version of a track that is gone.
    assert "asr" in reasons and all(deleted is not None for deleted in reasons.values())


def waiting_on_a_lock(api: Api) -> bool:
    with api.ctx.read() as session:
        waiting = session.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        ).scalar_one()
    return int(waiting) > 0


# ---- language detection ---------------------------------------------------------------------------


def test_without_a_locale_the_detected_language_names_the_track(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    engine.language = "de"
    track = asr(world, media_id, json={}).json()
    assert track["locale"] == "und" and track["workflow_state"] == "processing"
    run_jobs(world.api)
    assert engine.calls[0][1] is None
    row = track_row(world.api, track["id"])
    assert row is not None and row.locale == "de" and row.workflow_state == "ready"


def test_a_detected_language_with_a_persons_track_fails_and_keeps_theirs(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    human = add_human(world, media_id, "en")
    track = asr(world, media_id, data={"locale": ""}).json()
    run_jobs(world.api)
    row = track_row(world.api, track["id"])
    assert row is not None and row.workflow_state == "failed" and row.locale == "und"
    assert row.asr_error is not None and "written by a person" in row.asr_error
    kept = track_row(world.api, human)
    assert kept is not None and "Written by a person" in kept.content


# ---- failures and cancellation ----------------------------------------------------------------------


def test_no_audio_stream_ends_failed_with_a_reason(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["mute"])
    track = asr(world, media_id, json={"locale": "en"}).json()
    run_jobs(world.api)
    listed = world.api.ok("GET", f"/api/v1/media_objects/{media_id}/media_tracks", world.teacher)
    [failed] = [t for t in listed if t["id"] == track["id"]]
    assert failed["workflow_state"] == "failed" and "no audio stream" in failed["asr_error"]
    assert media_row(world.api, media_id).auto_caption_status == "failed_initial_validation"
    assert engine.calls == []


@pytest.mark.parametrize(
    ("fail", "status", "words_in_reason"),
    [
        (UnsupportedLanguage("this engine recognises English only"), "failed_request", "English"),
    ],
)
def test_engine_refusals_end_failed_at_once(
    world: World,
    engine: FakeEngine,
    clips: dict[str, Path],
    fail: Exception,
    status: str,
    words_in_reason: str,
) -> None:
    media_id, _ = processed(world, clips["talk"])
    engine.fail = fail
    track = asr(world, media_id, json={"locale": "ja"}).json()
    assert run_jobs(world.api) == 1  # not retried
    row = track_row(world.api, track["id"])
    assert row is not None and row.workflow_state == "failed"
    assert row.asr_error is not None and words_in_reason in row.asr_error
    assert media_row(world.api, media_id).auto_caption_status == status


def test_an_engine_crash_is_retried_then_ends_failed(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    engine.fail = EngineFailed("the decoder crashed")
    track = asr(world, media_id, json={"locale": "en"}).json()
    spec = world.api.ctx.jobs.spec("transcribe_track")
    assert spec.tries == 3 and spec.on_give_up is not None
    pipeline = world.api.ctx.pipeline
    limits = AsrLimits(300, 1.0)
    for _ in range(spec.tries):
        with pytest.raises(EngineFailed):
            transcribe_track(pipeline, engine, track["id"], limits=limits)
        row = track_row(world.api, track["id"])
        assert row is not None and row.workflow_state == "processing"
    give_up(pipeline, track["id"], EngineFailed("the decoder crashed"))
    row = track_row(world.api, track["id"])
    assert row is not None and row.workflow_state == "failed"
    assert row.asr_error is not None and "the decoder crashed" in row.asr_error
    assert media_row(world.api, media_id).auto_caption_status == "failed_captions"


def test_a_server_error_that_exhausts_the_tries_does_not_show_its_text(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    track = asr(world, media_id, json={"locale": "en"}).json()
    secret = RuntimeError("(psycopg.OperationalError) password=hunter2 host=db.internal")
    give_up(world.api.ctx.pipeline, track["id"], secret)
    listed = world.api.ok("GET", f"/api/v1/media_objects/{media_id}/media_tracks", world.student)
    [failed] = [t for t in listed if t["id"] == track["id"]]
    assert failed["workflow_state"] == "failed"
    assert "hunter2" not in failed["asr_error"] and "db.internal" not in failed["asr_error"]
    assert "the server" in failed["asr_error"]


def test_the_time_limit_ends_failed_and_names_the_settings(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    engine.spin = True
    track = asr(world, media_id, json={"locale": "en"}).json()
    now = [0.0]

    def clock() -> float:
        now[0] += 1.0  # each look at the clock is a second later
        return now[0]

    result = transcribe_track(
        world.api.ctx.pipeline, engine, track["id"], limits=AsrLimits(30, 1.0), clock=clock
    )
    assert result == "failed"
    row = track_row(world.api, track["id"])
    assert row is not None and row.workflow_state == "failed"
    assert row.asr_error is not None and "MEDIAOBJECTS_ASR_TIME_FACTOR" in row.asr_error
    assert "30 s" in row.asr_error


def test_deleting_the_track_cancels_the_job(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    track = asr(world, media_id, json={"locale": "en"}).json()

    def delete() -> None:
        r = world.api.request(
            "DELETE", f"/media_objects/{media_id}/media_tracks/{track['id']}", world.teacher
        )
        assert r.status_code == 200
        assert r.json()["auto_caption_status"] is None

    engine.during = delete
    engine.spin = True
    now = [0.0]

    def clock() -> float:
        now[0] += 1.0
        return now[0]

    result = transcribe_track(
        world.api.ctx.pipeline, engine, track["id"], limits=AsrLimits(3600, 1.0), clock=clock
    )
    assert result == "cancelled"
    assert track_row(world.api, track["id"]) is None
    assert media_row(world.api, media_id).auto_caption_status is None


def test_a_server_whose_engine_went_away_fails_the_job_saying_so(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    track = asr(world, media_id, json={"locale": "en"}).json()
    world.api.ctx.asr = None
    run_jobs(world.api)
    row = track_row(world.api, track["id"])
    assert row is not None and row.workflow_state == "failed"
    assert row.asr_error is not None and "MEDIAOBJECTS_ASR_ENGINE" in row.asr_error
    assert media_row(world.api, media_id).auto_caption_status == "failed_handoff"


def test_what_the_engine_hears_is_text_in_every_download_format(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    engine.heard = words(("<script>alert(1)</script>", "&amp;", "-->", "<i>it</i>", "]]>"))
    engine.model = "model -->\n<b>"
    track = asr(world, media_id, json={"locale": "en"}).json()
    run_jobs(world.api)
    url = f"/api/v1/media_objects/{media_id}/media_tracks/{track['id']}/content"
    vtt = world.api.request("GET", url, world.teacher).text
    # The cue shows the words as heard, never as markup; the NOTE keeps to its block.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in vtt and "&amp;amp; --&gt;" in vtt
    assert "<" not in vtt.split("\n\n", 2)[2] and "model -> <b>" in vtt
    cues = world.api.ok("GET", f"{url}?format=json", world.teacher)
    assert " ".join(cues[0]["text"].split()).startswith("<script>alert(1)</script> &amp; -->")
    for name in ("ttml", "dfxp", "sami"):
        body = world.api.request("GET", f"{url}?format={name}", world.teacher).text
        assert "<script>" not in body and "&lt;script&gt;" in body, name
    srt = world.api.request("GET", f"{url}?format=srt", world.teacher).text
    assert "<script>" not in srt and "<i>" not in srt


def test_a_processing_track_downloads_empty_rather_than_failing(
    world: World, engine: FakeEngine
) -> None:
    mark_ready(world)
    track = asr(world, json={"locale": "en"}).json()
    base = f"/api/v1/media_objects/{world.media_id}/media_tracks/{track['id']}/content"
    for fmt in ("vtt", "srt"):
        r = world.api.request("GET", f"{base}?format={fmt}", world.teacher)
        assert r.status_code == 200, r.text
        assert "-->" not in r.text


def test_a_job_for_deleted_media_spends_nothing_and_ends_failed(
    world: World, engine: FakeEngine, clips: dict[str, Path]
) -> None:
    media_id, _ = processed(world, clips["talk"])
    track = asr(world, media_id, json={"locale": "en"}).json()
    with world.api.ctx.write() as session:
        row = session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()
        row.workflow_state = "deleted"
    run_jobs(world.api)
    assert engine.calls == []
    done = track_row(world.api, track["id"])
    assert done is not None and done.workflow_state == "failed"
    assert done.asr_error == "The media object was deleted."
