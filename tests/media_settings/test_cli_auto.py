"""``mediaobjects captions auto`` as an operator runs it on a course's existing media: a dry
run lists what would be queued (title, media_id, duration, the total) and changes nothing; the
real run makes the automatic tracks and queues their jobs in the shared queue, skipping media
that is captioned in the language (by a person), silent or not ready; a second run queues
nothing new; the locale comes from --locale, else the course setting; bad arguments exit 2;
the progress bar shows on a terminal only."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from sqlalchemy import select

from mediaobjects.cli import main
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.settings import Settings
from tests.support.api import Api
from tests.support.cases import insert_track, set_media_object
from tests.support.media import fake_mp4
from tests.support.world import World, build_world

HUMAN = "1\n00:00:01,000 --> 00:00:02,000\nWritten by hand\n"


@pytest.fixture
def world(api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> World:
    # The command reads the settings from the environment, as an operator's shell gives them.
    monkeypatch.setenv("MEDIAOBJECTS_DATA_DIR", str(settings.data_dir))
    assert settings.database_url is not None
    monkeypatch.setenv("MEDIAOBJECTS_DATABASE_URL", settings.database_url.get_secret_value())
    return build_world(api, title="Optics 1.mp4")


def add_media(world: World, title: str) -> dict[str, Any]:
    return world.api.upload(
        f"courses/{world.course}", world.teacher, title, fake_mp4(), "video/mp4"
    )


@pytest.fixture
def course(world: World) -> dict[str, str]:
    """Four lectures: one to caption (95 s), one a person captioned in en-US, one silent,
    one still processing; and a lecture of another course, to caption, that stays as it is."""
    media = {"Optics 1.mp4": world.media_id}
    files = {}
    for title in ("Optics 2.mp4", "Optics 3.mp4", "Optics 4.mp4"):
        files[title] = add_media(world, title)
        media[title] = str(files[title]["media_entry_id"])
    api = world.api
    set_media_object(
        api, media["Optics 1.mp4"], processing_state="ready", duration=95.0, speech_ms=80_000
    )
    set_media_object(
        api, media["Optics 2.mp4"], processing_state="ready", duration=60.0, speech_ms=50_000
    )
    insert_track(
        api,
        media["Optics 2.mp4"],
        locale="en-US",
        content=HUMAN,
        attachment_id=int(files["Optics 2.mp4"]["id"]),
        user_id=world.teacher.id,
    )
    set_media_object(
        api, media["Optics 3.mp4"], processing_state="ready", duration=30.0, speech_ms=0
    )
    set_media_object(api, media["Optics 4.mp4"], processing_state="processing")
    other = api.course("Other course")
    api.enroll(other, world.teacher, "teacher")
    elsewhere = api.upload(f"courses/{other}", world.teacher, "Else.mp4", fake_mp4(), "video/mp4")
    set_media_object(
        api, str(elsewhere["media_entry_id"]), processing_state="ready", duration=9.0, speech_ms=9
    )
    media["elsewhere"] = str(elsewhere["media_entry_id"])
    return media


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def tracks(api: Api) -> list[tuple[str, str, str, bool]]:
    """(media_id, locale, workflow_state, automatic) of every track."""
    with api.ctx.read() as session:
        rows = session.execute(
            select(
                MediaObject.media_id,
                MediaTrack.locale,
                MediaTrack.workflow_state,
                MediaTrack.external_id.is_not(None),
            )
            .join(MediaObject, MediaObject.id == MediaTrack.media_object_id)
            .order_by(MediaTrack.id)
        ).all()
    return [(r[0], r[1], r[2], bool(r[3])) for r in rows]


def queued_jobs(api: Api) -> list[dict[str, Any]]:
    assert api.ctx.jobs is not None
    return [r.kwargs for r in api.ctx.jobs.leases.records() if r.name == "transcribe_track"]


def test_a_dry_run_lists_and_changes_nothing(
    world: World, course: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = tracks(world.api)
    status, lines, err = run(
        capsys, "captions", "auto", "--course", str(world.course), "--locale", "en", "--dry-run"
    )
    assert status == 0, err
    assert len(lines) == 1
    assert lines[0].split() == [
        "would",
        "queue",
        course["Optics 1.mp4"],
        "1",
        "min",
        "35",
        "s",
        "Optics",
        "1.mp4",
    ]
    assert (
        "would queue 1 (en; 1 min 35 s of audio), skipped 3 "
        "(already captioned 1, no audio 1, not ready 1)" in err
    )
    assert tracks(world.api) == before and queued_jobs(world.api) == []


def test_a_run_queues_then_a_second_run_queues_nothing_new(
    world: World, course: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    status, lines, err = run(
        capsys, "captions", "auto", "--course", str(world.course), "--locale", "EN"
    )
    assert status == 0, err
    assert [line.split()[:2] for line in lines] == [["queued", course["Optics 1.mp4"]]]
    assert "queued 1 (en), skipped 3 (already captioned 1, no audio 1, not ready 1)" in err
    made = [t for t in tracks(world.api) if t[3]]
    assert made == [(course["Optics 1.mp4"], "en", "processing", True)]
    with world.api.ctx.read() as session:
        track_id = session.scalars(
            select(MediaTrack.id).where(MediaTrack.external_id.is_not(None))
        ).one()
    assert queued_jobs(world.api) == [{"track_id": track_id}]
    # The person's en-US captions are as they were.
    assert (course["Optics 2.mp4"], "en-US", "ready", False) in tracks(world.api)

    status, lines, err = run(
        capsys, "captions", "auto", "--course", str(world.course), "--locale", "en"
    )
    assert status == 0 and lines == []
    assert "queued 0 (en), skipped 4 (already captioned 2, no audio 1, not ready 1)" in err
    assert queued_jobs(world.api) == [{"track_id": track_id}]


def test_the_locale_comes_from_the_course_setting_else_it_is_detected(
    world: World, course: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"/api/v1/courses/{world.course}/media_settings"
    world.api.ok("PUT", url, world.teacher, json={"locale": "fr"})
    status, _, err = run(capsys, "captions", "auto", "--course", str(world.course), "--dry-run")
    # In French, the person's English captions do not count.
    assert status == 0 and "would queue 2 (fr; 2 min 35 s of audio)" in err
    world.api.ok("PUT", url, world.teacher, json={"locale": None})
    status, _, err = run(capsys, "captions", "auto", "--course", str(world.course), "--dry-run")
    assert status == 0 and "would queue 1 (the detected language; 1 min 35 s of audio)" in err


def test_bad_arguments_exit_2_with_a_clear_message(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "captions", "auto", "--course", "999999")
    assert status == 2 and "no course has the id '999999'" in err
    status, _, err = run(capsys, "captions", "auto", "--course", "abc", "--dry-run")
    assert status == 2 and "no course has the id 'abc'" in err
    status, _, err = run(
        capsys, "captions", "auto", "--course", str(world.course), "--locale", "not a tag"
    )
    assert status == 2 and "--locale" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["captions", "auto"])
    assert exit_info.value.code == 2


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_on_a_terminal_only(
    world: World,
    course: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["captions", "auto", "--course", str(world.course), "--locale", "en"]) == 0
    shown = terminal.getvalue()
    assert "queueing" in shown and "\x1b[" in shown
    assert course["Optics 1.mp4"] in shown
