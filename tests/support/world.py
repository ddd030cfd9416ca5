"""A course with one person in every role, and a media file uploaded by its teacher: the
setting most media object and track tests start from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.api import Api, Person
from tests.support.media import fake_mp4


@dataclass
class World:
    api: Api
    course: int
    teacher: Person
    ta: Person
    designer: Person
    student: Person
    observer: Person
    outsider: Person
    file: dict[str, Any]

    @property
    def media_id(self) -> str:
        return str(self.file["media_entry_id"])

    @property
    def attachment_id(self) -> int:
        return int(self.file["id"])

    def copy_to_new_course(self, name: str = "Second course") -> tuple[int, dict[str, Any]]:
        """The media file copied into another course the teacher teaches: a non-default
        attachment of the same media object."""
        course = self.api.course(name)
        self.api.enroll(course, self.teacher, "teacher")
        folder = self.api.ok("GET", f"/api/v1/courses/{course}/folders/root", self.teacher)
        copy = self.api.ok(
            "POST",
            f"/api/v1/folders/{folder['id']}/copy_file",
            self.teacher,
            data={"source_file_id": self.attachment_id},
        )
        return course, copy


def build_world(api: Api, title: str = "Lecture 1.mp4") -> World:
    course = api.course("Film Studies")
    people = {
        role: api.user(f"{role.title()} Person")
        for role in ("teacher", "ta", "designer", "student", "observer", "outsider")
    }
    for role in ("teacher", "ta", "designer", "student", "observer"):
        api.enroll(course, people[role], role)
    file = api.upload(f"courses/{course}", people["teacher"], title, fake_mp4(), "video/mp4")
    return World(api=api, course=course, file=file, **people)
