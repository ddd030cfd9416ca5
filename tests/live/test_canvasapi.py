"""canvasapi 3.6.0, unchanged, against a live server on loopback: an admin provisions users,
a course, enrollments and groups, and a teacher uploads media with Course.upload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from canvasapi import Canvas
from canvasapi.exceptions import BadRequest, Forbidden, InvalidAccessToken, ResourceDoesNotExist

from tests.support.api import Api
from tests.support.live import live_server
from tests.support.media import fake_mp4

pytestmark = [
    pytest.mark.live,
    # canvasapi warns about plain-HTTP base URLs; loopback tests have no TLS.
    pytest.mark.filterwarnings("ignore:Canvas may respond unexpectedly:UserWarning"),
]


@pytest.fixture
def base_url(app: Any, api: Api) -> Iterator[str]:
    with live_server(app) as url:
        yield url


def test_provisioning_and_upload_with_canvasapi(base_url: str, api: Api, tmp_path: Path) -> None:
    canvas = Canvas(base_url, api.admin.token)
    account = canvas.get_account(1)
    teacher = account.create_user(
        pseudonym={"unique_id": "teach@example.edu"}, user={"name": "Tea Cher"}
    )
    student = account.create_user(
        pseudonym={"unique_id": "stu@example.edu"}, user={"name": "Stu Dent"}
    )
    assert teacher.name == "Tea Cher"
    assert teacher.login_id == "teach@example.edu"
    course = account.create_course(course={"name": "Media 101"})
    assert course.name == "Media 101"
    enrollment = course.enroll_user(teacher, enrollment={"type": "TeacherEnrollment"})
    assert enrollment.type == "TeacherEnrollment"
    assert enrollment.enrollment_state == "active"
    # The positional form is deprecated in canvasapi but still common in scripts.
    with pytest.warns(DeprecationWarning):
        course.enroll_user(student.id, "StudentEnrollment")
    category = course.create_group_category("Projects")
    group = category.create_group(name="Team A")
    membership = group.create_membership(student)
    assert membership.user_id == student.id
    assert membership.group_id == group.id

    token = requests.post(
        f"{base_url}/api/v1/users/{teacher.id}/tokens",
        headers={"Authorization": f"Bearer {api.admin.token}"},
        data={"token[purpose]": "canvasapi test"},
        timeout=10,
    ).json()["token"]
    as_teacher = Canvas(base_url, token)
    assert as_teacher.get_current_user().id == teacher.id
    their_course = as_teacher.get_course(course.id)
    video = tmp_path / "Lecture 1.mp4"
    video.write_bytes(fake_mp4(50_000))
    ok, body = their_course.upload(str(video))
    assert ok is True
    assert body["display_name"] == "Lecture 1.mp4"
    assert body["size"] == 50_000
    assert body["media_entry_id"].startswith("m-")
    downloaded = requests.get(body["url"], timeout=10)
    assert downloaded.content == video.read_bytes()

    as_student = Canvas(base_url, api.user().token)
    with pytest.raises(Forbidden):
        as_student.get_course(course.id)
    with pytest.raises(ResourceDoesNotExist):
        canvas.get_course(987654)
    with pytest.raises(InvalidAccessToken):
        Canvas(base_url, "1~not-a-token").get_current_user()
    with pytest.raises(BadRequest):
        account.create_user(pseudonym={"unique_id": "teach@example.edu"}, user={"name": "Dup"})
