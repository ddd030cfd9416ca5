"""Every media endpoint against every kind of caller, in one table: nobody reads or changes
what they should not (canvas-media-api.md §1.4, decisions D2, D3, D4, D5, D12).

The media file was uploaded into the course by its owner while a teacher; the owner is now
only a student there (Canvas case 96: owning a course media object gives no caption rights)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import update

from mediaobjects.accounts.models import Enrollment
from tests.support.api import Api, Person
from tests.support.media import fake_mp4

ROLES = (
    "anonymous",
    "unrelated",
    "student",
    "observer",
    "ta",
    "designer",
    "teacher",
    "owner",
    "admin",
)
SRT = "1\n00:00:01,000 --> 00:00:02,000\nHello\n"


@dataclass
class Setup:
    api: Api
    people: dict[str, Person | None]
    course: int
    media_id: str
    attachment_id: int
    track_id: int


def make_setup(api: Api) -> Setup:
    course = api.course()
    people: dict[str, Person | None] = {"anonymous": None, "admin": api.admin}
    for role in ("unrelated", "student", "observer", "ta", "designer", "teacher", "owner"):
        people[role] = api.user(role)
    for role in ("student", "observer", "ta", "designer", "teacher"):
        person = people[role]
        assert person is not None
        api.enroll(course, person, role)
    owner = people["owner"]
    assert owner is not None
    api.enroll(course, owner, "teacher")
    file = api.upload(f"courses/{course}", owner, "clip.mp4", fake_mp4(), "video/mp4")
    with api.ctx.write() as session:
        session.execute(
            update(Enrollment)
            .where(Enrollment.user_id == owner.id)
            .values(type="StudentEnrollment")
        )
    media_id = file["media_entry_id"]
    body = api.ok(
        "PUT",
        f"/api/v1/media_objects/{media_id}/media_tracks",
        api.admin,
        json=[{"locale": "en", "content": SRT}],
    )
    return Setup(api, people, course, media_id, file["id"], body[0]["id"])


def call(s: Setup, who: Person | None, endpoint: str) -> int:
    mo, att, tid, c = s.media_id, s.attachment_id, s.track_id, s.course
    tracks = [{"locale": "en"}, {"locale": "fr", "content": SRT}]
    requests: dict[str, tuple[str, str, dict[str, Any]]] = {
        "list course media": ("GET", f"/api/v1/courses/{c}/media_objects", {}),
        "list own media": ("GET", "/api/v1/media_objects", {}),
        "retitle media object": (
            "PUT",
            f"/api/v1/media_objects/{mo}",
            {"data": {"user_entered_title": "T"}},
        ),
        "retitle attachment": (
            "PUT",
            f"/api/v1/media_attachments/{att}",
            {"data": {"user_entered_title": "T"}},
        ),
        "register in course": (
            "POST",
            "/api/v1/media_objects",
            {"json": {"id": f"0_new{c}", "type": "video", "context_code": f"course_{c}"}},
        ),
        "media object info": ("GET", f"/media_objects/{mo}/info", {}),
        "attachment info": ("GET", f"/media_attachments/{att}/info", {}),
        "list tracks (media object)": ("GET", f"/api/v1/media_objects/{mo}/media_tracks", {}),
        "list tracks (attachment)": ("GET", f"/api/v1/media_attachments/{att}/media_tracks", {}),
        "replace tracks (media object)": (
            "PUT",
            f"/api/v1/media_objects/{mo}/media_tracks",
            {"json": tracks},
        ),
        "replace tracks (attachment)": (
            "PUT",
            f"/api/v1/media_attachments/{att}/media_tracks",
            {"json": tracks},
        ),
        "add track (media object)": (
            "POST",
            f"/media_objects/{mo}/media_tracks",
            {"data": {"locale": "de", "content": SRT}},
        ),
        "add track (attachment)": (
            "POST",
            f"/media_attachments/{att}/media_tracks",
            {"data": {"locale": "de", "content": SRT}},
        ),
        "show track (media object)": ("GET", f"/media_objects/{mo}/media_tracks/{tid}", {}),
        "show track (attachment)": ("GET", f"/media_attachments/{att}/media_tracks/{tid}", {}),
        "delete track (media object)": ("DELETE", f"/media_objects/{mo}/media_tracks/{tid}", {}),
        "delete track (attachment)": ("DELETE", f"/media_attachments/{att}/media_tracks/{tid}", {}),
    }
    method, url, kwargs = requests[endpoint]
    return s.api.request(method, url, who, **kwargs).status_code


READ = {
    "anonymous": 401,
    "unrelated": 403,
    "student": 200,
    "observer": 200,
    "ta": 200,
    "designer": 200,
    "teacher": 200,
    "owner": 200,
    "admin": 200,
}
CAPTION = {
    "anonymous": 401,
    "unrelated": 403,
    "student": 403,
    "observer": 403,
    "ta": 200,
    "designer": 200,
    "teacher": 200,
    "owner": 403,
    "admin": 200,
}
ANY_USER = {role: (401 if role == "anonymous" else 200) for role in ROLES}

EXPECTED: dict[str, dict[str, int]] = {
    "list course media": READ,
    "list own media": ANY_USER,
    # D12: the owner may rename through the media object, not through the course file.
    "retitle media object": {**CAPTION, "owner": 200},
    "retitle attachment": CAPTION,
    # Canvas lets anyone who can read a course register media in it (student recordings).
    "register in course": READ,
    "media object info": READ,
    "attachment info": READ,
    "list tracks (media object)": READ,
    "list tracks (attachment)": READ,
    "replace tracks (media object)": CAPTION,
    "replace tracks (attachment)": CAPTION,
    "add track (media object)": CAPTION,
    "add track (attachment)": CAPTION,
    "show track (media object)": READ,
    "show track (attachment)": READ,
    "delete track (media object)": CAPTION,
    "delete track (attachment)": CAPTION,
}


@pytest.mark.parametrize("endpoint", list(EXPECTED))
def test_authorization_matrix(api: Api, endpoint: str) -> None:
    setup = make_setup(api)
    got = {}
    for role in ROLES:
        got[role] = call(setup, setup.people[role], endpoint)
        if got[role] == 200 and endpoint.startswith(("delete", "register", "replace", "add")):
            # A write that succeeded changed the data: start the next caller afresh.
            setup = make_setup(api)
    assert got == EXPECTED[endpoint]
