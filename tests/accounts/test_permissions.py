"""The role -> permission table (canvas-media-api.md §1.4) as users meet it: who may read a
course's files, upload to it, and delete from it."""

from __future__ import annotations

import pytest

from mediaobjects.accounts.permissions import (
    MANAGE_COURSE_CONTENT_ADD,
    MANAGE_COURSE_CONTENT_DELETE,
    MANAGE_FILES_EDIT,
    READ_CONTENTS,
    ROLE_PERMISSIONS,
)
from tests.support.api import Api
from tests.support.media import fake_mp4


def test_the_table_covers_every_enrollment_role() -> None:
    for role in ("TeacherEnrollment", "TaEnrollment", "DesignerEnrollment"):
        assert {
            READ_CONTENTS,
            MANAGE_FILES_EDIT,
            MANAGE_COURSE_CONTENT_ADD,
            MANAGE_COURSE_CONTENT_DELETE,
        } <= ROLE_PERMISSIONS[role]
    for role in ("StudentEnrollment", "ObserverEnrollment"):
        assert ROLE_PERMISSIONS[role] == frozenset({READ_CONTENTS})


@pytest.mark.parametrize(
    ("role", "can_read", "can_upload", "can_delete"),
    [
        ("teacher", True, True, True),
        ("ta", True, True, True),
        ("designer", True, True, True),
        ("student", True, False, False),
        ("observer", True, False, False),
        (None, False, False, False),
    ],
)
def test_course_roles_on_files(
    api: Api, role: str | None, can_read: bool, can_upload: bool, can_delete: bool
) -> None:
    course = api.course()
    owner, person = api.user(), api.user()
    api.enroll(course, owner, "teacher")
    if role is not None:
        api.enroll(course, person, role)
    file = api.upload(f"courses/{course}", owner, "a.mp4", fake_mp4())
    read = api.request("GET", f"/api/v1/files/{file['id']}", person)
    assert read.status_code == (200 if can_read else 403)
    upload = api.start_upload(f"courses/{course}", person, "b.mp4", 10)
    assert upload.status_code == (200 if can_upload else 403)
    delete = api.request("DELETE", f"/api/v1/files/{file['id']}", person)
    assert delete.status_code == (200 if can_delete else 403)


def test_site_admin_has_every_right(api: Api) -> None:
    course, owner = api.course(), api.user()
    api.enroll(course, owner, "teacher")
    file = api.upload(f"courses/{course}", owner, "a.mp4", fake_mp4())
    assert api.request("GET", f"/api/v1/files/{file['id']}", api.admin).status_code == 200
    assert api.request("DELETE", f"/api/v1/files/{file['id']}", api.admin).status_code == 200


def test_group_members_and_course_staff_on_group_files(api: Api) -> None:
    course = api.course()
    teacher, member, classmate = api.user(), api.user(), api.user()
    api.enroll(course, teacher, "teacher")
    api.enroll(course, member, "student")
    api.enroll(course, classmate, "student")
    group = api.group(course, member)
    file = api.upload(f"groups/{group}", member, "g.mp4", fake_mp4())
    assert api.request("GET", f"/api/v1/files/{file['id']}", teacher).status_code == 200
    assert api.request("GET", f"/api/v1/files/{file['id']}", classmate).status_code == 403
    assert api.request("GET", f"/api/v1/groups/{group}", classmate).status_code == 403


def test_user_files_are_private(api: Api) -> None:
    alice, bob = api.user(), api.user()
    file = api.upload("users/self", alice, "mine.mp4", fake_mp4())
    assert api.request("GET", f"/api/v1/files/{file['id']}", alice).status_code == 200
    assert api.request("GET", f"/api/v1/files/{file['id']}", bob).status_code == 403
