"""The course rule "caption new media automatically": media that becomes ready in a course
that asks for it gets an automatic track (``processing``) and a ``transcribe_track`` job queued
after the commit; nothing happens when the course does not ask, when the media has no audio,
or when a track of the language exists (a person's track stays untouched); a failure of the
rule leaves the media ready. Driven through the real ``process_media`` job (ffmpeg) with the
jobs it queues recorded, and through the rule's function on media set up row by row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_objects.tasks import register_media_jobs
from mediaobjects.media_settings import auto_captions
from mediaobjects.media_tracks.models import MediaTrack
from tests.support.api import Api
from tests.support.cases import insert_track, set_media_object
from tests.support.clips import make_video
from tests.support.world import World, build_world


class RecordingQueue:
    """Stands in for the job queue: keeps the registered jobs, to be called directly, and
    records what is queued instead of running it."""

    def __init__(self) -> None:
        self.jobs: dict[str, Callable[..., Any]] = {}
        self.queued: list[tuple[str, dict[str, Any]]] = []

    def register(self, name: str, fn: Callable[..., Any], **_options: Any) -> None:
        self.jobs[name] = fn

    def add_chore(self, *_args: Any, **_kwargs: Any) -> None:
        pass

    def enqueue(self, name: str, **kwargs: Any) -> str:
        self.queued.append((name, kwargs))
        return str(len(self.queued))


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("clips")
    return {
        "talk": make_video(root / "talk.mp4", seconds=2),
        "silent": make_video(root / "silent.mp4", seconds=1, audio=False),
    }


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


@pytest.fixture
def queue(api: Api) -> RecordingQueue:
    recording = RecordingQueue()
    register_media_jobs(
        recording,  # type: ignore[arg-type]
        api.ctx.pipeline,
        time_limit=120,
        stale_temp_seconds=3600,
    )
    return recording


def turn_on(world: World, **values: Any) -> None:
    body = {"auto_captions": True, **values}
    world.api.ok("PUT", f"/api/v1/courses/{world.course}/media_settings", world.teacher, json=body)


def upload_and_process(world: World, queue: RecordingQueue, clip: Path) -> str:
    file = world.api.upload(
        f"courses/{world.course}", world.teacher, clip.name, clip.read_bytes(), "video/mp4"
    )
    media_id = str(file["media_entry_id"])
    assert queue.jobs["process_media"](None, media_id) == "ready"
    return media_id


def tracks_of(api: Api, media_id: str) -> list[MediaTrack]:
    with api.ctx.read() as session:
        found = list(
            session.scalars(
                select(MediaTrack)
                .join(MediaObject, MediaObject.id == MediaTrack.media_object_id)
                .where(MediaObject.media_id == media_id)
                .order_by(MediaTrack.id)
            )
        )
        session.expunge_all()
        return found


def state_of(api: Api, media_id: str) -> str:
    with api.ctx.read() as session:
        return session.scalars(
            select(MediaObject.processing_state).where(MediaObject.media_id == media_id)
        ).one()


def transcribe_jobs(queue: RecordingQueue) -> list[dict[str, Any]]:
    return [kwargs for name, kwargs in queue.queued if name == "transcribe_track"]


def test_new_media_in_a_course_that_asks_gets_an_automatic_track_and_its_job(
    world: World, queue: RecordingQueue, clips: dict[str, Path]
) -> None:
    turn_on(world, locale="en")
    media_id = upload_and_process(world, queue, clips["talk"])
    [track] = tracks_of(world.api, media_id)
    assert (track.kind, track.locale, track.workflow_state) == ("subtitles", "en", "processing")
    assert track.external_id is not None  # automatic: asr true
    assert track.user_id is None  # asked by the system, not by a person
    assert transcribe_jobs(queue) == [{"track_id": track.id}]
    with world.api.ctx.read() as session:
        media_object = session.scalars(
            select(MediaObject).where(MediaObject.media_id == media_id)
        ).one()
        assert media_object.processing_state == "ready"
        assert media_object.auto_caption_status == "processing"


def test_without_a_locale_the_language_is_left_to_detection(
    world: World, queue: RecordingQueue, clips: dict[str, Path]
) -> None:
    turn_on(world)
    media_id = upload_and_process(world, queue, clips["talk"])
    [track] = tracks_of(world.api, media_id)
    assert track.workflow_state == "processing" and track.external_id is not None
    assert transcribe_jobs(queue) == [{"track_id": track.id}]


def test_nothing_happens_in_a_course_that_does_not_ask(
    world: World, queue: RecordingQueue, clips: dict[str, Path]
) -> None:
    media_id = upload_and_process(world, queue, clips["talk"])
    assert tracks_of(world.api, media_id) == [] and transcribe_jobs(queue) == []
    # Turned on, then off again.
    turn_on(world)
    world.api.ok(
        "PUT",
        f"/api/v1/courses/{world.course}/media_settings",
        world.teacher,
        json={"auto_captions": False},
    )
    media_id = upload_and_process(world, queue, clips["talk"])
    assert tracks_of(world.api, media_id) == [] and transcribe_jobs(queue) == []


def test_media_without_audio_gets_nothing(
    world: World, queue: RecordingQueue, clips: dict[str, Path]
) -> None:
    turn_on(world, locale="en")
    media_id = upload_and_process(world, queue, clips["silent"])
    assert tracks_of(world.api, media_id) == [] and transcribe_jobs(queue) == []


def test_a_failing_rule_leaves_the_media_ready(
    world: World,
    queue: RecordingQueue,
    clips: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    turn_on(world, locale="en")

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the engine room is on fire")

    monkeypatch.setattr(auto_captions, "request_auto_captions", broken)
    media_id = upload_and_process(world, queue, clips["talk"])
    assert state_of(world.api, media_id) == "ready"
    assert tracks_of(world.api, media_id) == [] and transcribe_jobs(queue) == []
    assert "the media stays ready" in caplog.text


# ---- the rule on media set up row by row --------------------------------------------------------


def ready(world: World, media_id: str, *, speech_ms: int | None = 4000) -> None:
    set_media_object(
        world.api, media_id, processing_state="ready", duration=60.0, speech_ms=speech_ms
    )


def run_rule(world: World, media_id: str) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    queued: list[tuple[str, dict[str, Any]]] = []
    outcome = auto_captions.caption_new_media(
        world.api.ctx.write, lambda name, **kw: queued.append((name, kw)), media_id
    )
    return outcome, queued


@pytest.mark.parametrize("human_locale", ["en", "en-US"])
def test_a_person_s_track_in_the_language_is_left_untouched(
    world: World, human_locale: str
) -> None:
    turn_on(world, locale="en")
    ready(world, world.media_id)
    content = "1\n00:00:01,000 --> 00:00:02,000\nWritten by hand\n"
    track_id = insert_track(
        world.api,
        world.media_id,
        locale=human_locale,
        content=content,
        attachment_id=world.attachment_id,
        user_id=world.teacher.id,
    )
    assert run_rule(world, world.media_id) == (auto_captions.ALREADY_CAPTIONED, [])
    [track] = tracks_of(world.api, world.media_id)
    assert (track.id, track.content, track.external_id) == (track_id, content, None)
    assert track.workflow_state == "ready"


def test_a_track_in_another_language_does_not_count(world: World) -> None:
    turn_on(world, locale="en")
    ready(world, world.media_id)
    insert_track(
        world.api,
        world.media_id,
        locale="fr",
        content="1\n00:00:01,000 --> 00:00:02,000\nBonjour\n",
        attachment_id=world.attachment_id,
    )
    outcome, queued = run_rule(world, world.media_id)
    assert outcome == "queued"
    locales = {t.locale: t.workflow_state for t in tracks_of(world.api, world.media_id)}
    assert locales == {"fr": "ready", "en": "processing"}
    assert [name for name, _ in queued] == ["transcribe_track"]


def test_media_measured_silent_gets_nothing_and_unmeasured_media_is_tried(world: World) -> None:
    turn_on(world, locale="en")
    ready(world, world.media_id, speech_ms=0)
    assert run_rule(world, world.media_id) == (auto_captions.NO_AUDIO, [])
    ready(world, world.media_id, speech_ms=None)
    outcome, queued = run_rule(world, world.media_id)
    assert outcome == "queued" and len(queued) == 1


def test_media_of_a_user_or_group_is_no_course_s_business(world: World) -> None:
    turn_on(world, locale="en")
    ready(world, world.media_id)
    set_media_object(world.api, world.media_id, context_type="User", context_id=world.teacher.id)
    assert run_rule(world, world.media_id) == ("off", [])
    assert tracks_of(world.api, world.media_id) == []


def test_asking_twice_queues_one_job(world: World) -> None:
    turn_on(world, locale="en")
    ready(world, world.media_id)
    assert run_rule(world, world.media_id)[0] == "queued"
    assert run_rule(world, world.media_id) == (auto_captions.ALREADY_CAPTIONED, [])
    assert len(tracks_of(world.api, world.media_id)) == 1


def test_a_failed_automatic_track_is_asked_again_in_place(world: World) -> None:
    turn_on(world, locale="en")
    ready(world, world.media_id)
    assert run_rule(world, world.media_id)[0] == "queued"
    [track] = tracks_of(world.api, world.media_id)
    with world.api.ctx.write() as session:
        failed = session.get(MediaTrack, track.id)
        assert failed is not None
        failed.workflow_state = "failed"
    outcome, queued = run_rule(world, world.media_id)
    assert outcome == "queued" and queued == [("transcribe_track", {"track_id": track.id})]
    [again] = tracks_of(world.api, world.media_id)
    assert (again.id, again.workflow_state) == (track.id, "processing")
