"""Decision D19: writes through a copy of a media file. Anyone who may read a course video may
copy it into their own files; through that copy they manage their own captions, but the
captions the copy inherits from the course file, and the title every copy shares, belong to
the original. Canvas lets a student delete the teacher's captions and rename the course video
this way; here the request is refused with a message saying why, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Api, Person
from tests.support.world import World, build_world

SRT = "1\n00:00:01,000 --> 00:00:02,000\n{}\n"


def _srt(text: str) -> str:
    return SRT.format(text)


@pytest.fixture
def world(api: Api) -> World:
    world = build_world(api)
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "content": _srt("Teacher's English")}],
    )
    return world


def _copy_into_own_files(world: World, who: Person) -> dict[str, Any]:
    folder = world.api.ok("GET", "/api/v1/users/self/folders/root", who)
    return dict(
        world.api.ok(
            "POST",
            f"/api/v1/folders/{folder['id']}/copy_file",
            who,
            data={"source_file_id": world.attachment_id},
        )
    )


def _course_tracks(world: World) -> dict[str, str]:
    tracks = world.api.ok(
        "GET",
        f"/api/v1/media_objects/{world.media_id}/media_tracks?include[]=content",
        world.teacher,
    )
    return {t["locale"]: t["content"] for t in tracks}


def _title(world: World) -> str:
    info = world.api.ok("GET", f"/media_objects/{world.media_id}/info", world.teacher)
    return str(info["title"])


def _inherited_id(world: World, copy: dict[str, Any], who: Person) -> int:
    tracks = world.api.ok("GET", f"/media_attachments/{copy['id']}/info", who)["media_tracks"]
    (track,) = [t for t in tracks if t["locale"] == "en"]
    assert track["inherited"] is True
    return int(track["id"])


def test_a_student_cannot_delete_the_teachers_captions_through_a_copy(world: World) -> None:
    copy = _copy_into_own_files(world, world.student)
    track_id = _inherited_id(world, copy, world.student)
    response = world.api.request(
        "DELETE", f"/media_attachments/{copy['id']}/media_tracks/{track_id}", world.student
    )
    assert response.status_code == 403
    message = response.json()["errors"][0]["message"]
    assert "original file" in message and "en" in message
    assert _course_tracks(world) == {"en": _srt("Teacher's English")}


def test_a_put_on_a_copy_that_omits_an_inherited_locale_changes_nothing(world: World) -> None:
    copy = _copy_into_own_files(world, world.student)
    response = world.api.request(
        "PUT",
        f"/api/v1/media_attachments/{copy['id']}/media_tracks",
        world.student,
        json=[{"locale": "fr", "content": _srt("Mes notes")}],
    )
    assert response.status_code == 403
    assert "original file" in response.json()["errors"][0]["message"]
    assert _course_tracks(world) == {"en": _srt("Teacher's English")}
    # The student's own French track was not added either: the request is one change (D1).
    tracks = world.api.ok("GET", f"/media_attachments/{copy['id']}/info", world.student)
    assert [t["locale"] for t in tracks["media_tracks"]] == ["en"]


def test_through_a_copy_its_owner_manages_their_own_captions(world: World) -> None:
    copy = _copy_into_own_files(world, world.student)
    path = f"/api/v1/media_attachments/{copy['id']}/media_tracks"
    # Keeping the inherited locale (no content) and adding one of their own is allowed...
    added = world.api.ok(
        "PUT",
        path,
        world.student,
        json=[{"locale": "en"}, {"locale": "fr", "content": _srt("Mes notes")}],
    )
    assert sorted(t["locale"] for t in added) == ["en", "fr"]
    # ...so is writing their own English over the inherited one (a track of the copy)...
    world.api.ok(
        "PUT",
        path,
        world.student,
        json=[{"locale": "en", "content": _srt("My English")}, {"locale": "fr"}],
    )
    # ...and deleting their own tracks, which brings the course's English back into view.
    assert world.api.ok("PUT", path, world.student, json=[{"locale": "fr"}]) is not None
    assert world.api.ok("PUT", path, world.student, json=[{"locale": "en"}])
    assert _course_tracks(world) == {"en": _srt("Teacher's English")}
    info = world.api.ok("GET", f"/media_attachments/{copy['id']}/info", world.student)
    assert [(t["locale"], t["inherited"]) for t in info["media_tracks"]] == [("en", True)]


def test_a_student_cannot_rename_the_course_video_through_a_copy(world: World) -> None:
    before = _title(world)
    copy = _copy_into_own_files(world, world.student)
    response = world.api.request(
        "PUT",
        f"/api/v1/media_attachments/{copy['id']}",
        world.student,
        data={"user_entered_title": "Renamed by a student"},
    )
    assert response.status_code == 403
    assert "original media" in response.json()["errors"][0]["message"]
    assert _title(world) == before


def test_the_teacher_may_do_all_of_it_through_their_own_copy(world: World) -> None:
    copy = _copy_into_own_files(world, world.teacher)
    track_id = _inherited_id(world, copy, world.teacher)
    world.api.ok(
        "PUT",
        f"/api/v1/media_attachments/{copy['id']}",
        world.teacher,
        data={"user_entered_title": "Week 1"},
    )
    assert _title(world) == "Week 1"
    world.api.ok(
        "DELETE", f"/media_attachments/{copy['id']}/media_tracks/{track_id}", world.teacher
    )
    assert _course_tracks(world) == {}
