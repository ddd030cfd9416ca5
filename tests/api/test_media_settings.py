"""A course's media settings over HTTP: the defaults, a change by JSON and by form, partial
changes, the locale in canonical case or null (detect), who may read and change them (staff
read and change; students, observers and other courses' teachers get 403, nobody 401, an
unknown course 404), and a 400 naming the field for every bad value, answered to staff only."""

from __future__ import annotations

from typing import Any

import pytest

from mediaobjects.media_settings.models import CourseMediaSettings
from tests.support.api import Api
from tests.support.world import World, build_world


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def url(world: World) -> str:
    return f"/api/v1/courses/{world.course}/media_settings"


def put(world: World, who: Any = None, **kw: Any) -> Any:
    return world.api.request("PUT", url(world), who or world.teacher, **kw)


def test_a_course_starts_without_automatic_captions(world: World) -> None:
    body = world.api.ok("GET", url(world), world.teacher)
    assert body == {
        "course_id": world.course,
        "auto_captions": False,
        "locale": None,
        "updated_at": None,
    }


def test_a_teacher_turns_automatic_captions_on_and_changes_one_field_at_a_time(
    world: World,
) -> None:
    r = put(world, json={"auto_captions": True, "locale": "en-us"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["auto_captions"] is True and body["locale"] == "en-US"
    assert body["updated_at"] is not None
    assert world.api.ok("GET", url(world), world.ta) == body
    with world.api.ctx.read() as session:
        row = session.get(CourseMediaSettings, world.course)
        assert row is not None and row.updated_by == world.teacher.id
    # Only the locale: automatic captions stay on.
    body = put(world, json={"locale": "fr-ca"}).json()
    assert (body["auto_captions"], body["locale"]) == (True, "fr-CA")
    # null: detect the language.
    body = put(world, json={"locale": None}).json()
    assert (body["auto_captions"], body["locale"]) == (True, None)
    # A form, as Canvas clients send it; the locale is left as it was.
    body = put(world, data={"auto_captions": "false"}).json()
    assert (body["auto_captions"], body["locale"]) == (False, None)
    body = put(world, data={"auto_captions": "1", "locale": "de"}).json()
    assert (body["auto_captions"], body["locale"]) == (True, "de")
    assert world.api.ok("GET", url(world), world.designer) == body


def test_the_settings_belong_to_their_course(world: World) -> None:
    other = world.api.course("Other course")
    world.api.enroll(other, world.teacher, "teacher")
    assert put(world, json={"auto_captions": True}).status_code == 200
    body = world.api.ok("GET", f"/api/v1/courses/{other}/media_settings", world.teacher)
    assert body["auto_captions"] is False


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"auto_captions": "maybe"}, "auto_captions"),
        ({"auto_captions": 2}, "auto_captions"),
        ({"auto_captions": None}, "auto_captions"),
        ({"auto_captions": [True]}, "auto_captions"),
        ({"locale": "english please"}, "locale"),
        ({"locale": "x" * 500}, "locale"),
        ({"locale": 12}, "locale"),
        ({"locale": {"tag": "en"}}, "locale"),
        ({"auto_captions": True, "locale": "e"}, "locale"),
        ({}, "auto_captions"),
        ({"auto_caption": True}, "auto_captions"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_field_and_changes_nothing(
    world: World, payload: dict[str, Any], field: str
) -> None:
    r = put(world, json=payload)
    assert r.status_code == 400, r.text
    errors = r.json()["errors"]
    assert [e["field"] for e in errors] == [field], errors
    assert world.api.ok("GET", url(world), world.teacher)["auto_captions"] is False


def test_und_means_detect_the_language_as_on_the_asr_routes(world: World) -> None:
    # Not kept as a locale: the rule would then caption media that has English captions.
    for tag in ("und", "UND"):
        r = put(world, json={"auto_captions": True, "locale": "fr"})
        assert r.json()["locale"] == "fr"
        r = put(world, json={"locale": tag})
        assert r.status_code == 200 and r.json()["locale"] is None
    assert world.api.ok("GET", url(world), world.teacher)["locale"] is None


def test_a_body_that_is_not_an_object_is_a_400(world: World) -> None:
    r = put(world, content=b"[true]", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = put(world, content=b'{"auto_captions": tru', headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_who_may_read_and_change_the_settings(world: World) -> None:
    api = world.api
    outsider_teacher = api.user("Other teacher")
    api.enroll(api.course("Other course"), outsider_teacher, "teacher")
    assert api.request("GET", url(world)).status_code == 401
    assert api.request("PUT", url(world), json={"auto_captions": True}).status_code == 401
    for who in (world.student, world.observer, world.outsider, outsider_teacher):
        r = api.request("GET", url(world), who)
        assert r.status_code == 403, r.text
        assert r.json()["status"] == "unauthorized"
        r = api.request("PUT", url(world), who, json={"auto_captions": True})
        assert r.status_code == 403, r.text
    for who in (world.teacher, world.ta, world.designer, api.admin):
        assert api.request("GET", url(world), who).status_code == 200
        r = api.request("PUT", url(world), who, json={"auto_captions": True})
        assert r.status_code == 200, r.text
    for ref in ("999999", "nope", "0"):
        missing = f"/api/v1/courses/{ref}/media_settings"
        assert api.request("GET", missing).status_code == 401
        assert api.request("GET", missing, world.teacher).status_code == 404
        assert (
            api.request("PUT", missing, world.teacher, json={"auto_captions": True}).status_code
            == 404
        )


def test_a_student_learns_nothing_from_a_bad_body(world: World) -> None:
    # Authorised before the body is read: a student's bad value is a 403, not a 400.
    for payload in ({"auto_captions": "maybe"}, {"locale": "x" * 500}, {}):
        r = put(world, world.student, json=payload)
        assert r.status_code == 403, payload
    big = b'{"locale": "' + b"x" * 2_000_000 + b'"}'
    r = put(world, world.student, content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 403


def test_the_routes_are_in_the_openapi_document(world: World) -> None:
    paths = world.api.client.app.openapi()["paths"]  # type: ignore[attr-defined]
    operations = paths["/api/v1/courses/{course_id}/media_settings"]
    assert set(operations) == {"get", "put"}
