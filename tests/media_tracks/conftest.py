"""Fixtures for the media tracks services: a course with a teacher, a TA-less student and an
outsider, one uploaded video (its media object ``MO`` and default attachment ``A1``) and a copy
``A2`` of it in the same course, sharing the media entry. Services are called directly inside
``api.ctx.write()`` blocks; :class:`World` holds the helpers the tests share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaobjects.accounts import authentication
from mediaobjects.accounts.models import User
from mediaobjects.accounts.principal import ANONYMOUS, Principal
from mediaobjects.files.models import Attachment
from mediaobjects.media_objects import repository as media_objects_repo
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.media_tracks.service import TrackLimits
from tests.support.api import Api, Person
from tests.support.media import fake_mp4

LIMIT = 64 * 1024
LIMITS = TrackLimits(max_caption_bytes=LIMIT, max_tracks=100)
# Stands for "nobody logged in" where a helper's ``who=None`` already means "the teacher".
ANON = Person(id=0, token="")


def srt(text: str, start: int = 1) -> str:
    """A one-cue SRT file saying ``text``."""
    return f"1\n00:00:{start:02d},000 --> 00:00:{start + 1:02d},000\n{text}\n"


def said(track: MediaTrack) -> str:
    """The cue text a viewer sees: the last line of the served WebVTT."""
    return tracks.served_webvtt(track).splitlines()[-1]


@dataclass
class World:
    api: Api
    course_id: int
    teacher: Person
    student: Person
    outsider: Person
    media_id: str
    a1_id: int
    a2_id: int

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self.api.ctx.write() as session:
            yield session

    def who(self, session: Session, person: Person | None) -> Principal:
        if person is None or person.id == ANON.id:
            return ANONYMOUS
        user = session.get(User, person.id)
        assert user is not None
        return authentication.principal_for_user(session, user)

    def mo(self, session: Session) -> MediaObject:
        media_object = media_objects_repo.get_by_media_id(session, self.media_id)
        assert media_object is not None
        return media_object

    def att(self, session: Session, attachment_id: int) -> Attachment:
        attachment = session.get(Attachment, attachment_id)
        assert attachment is not None
        return attachment

    def route(self, session: Session, where: str | int) -> dict[str, Any]:
        """Keyword arguments naming a route: ``"mo"``, or an attachment id."""
        if where == "mo":
            return {"media_object": self.mo(session)}
        assert isinstance(where, int)
        return {"attachment": self.att(session, where)}

    def add(
        self,
        where: str | int,
        locale: str,
        text: str,
        *,
        who: Person | None = None,
        kind: str | None = None,
    ) -> int:
        """Creates (or updates) a track through the service, committed; returns its id."""
        with self.write() as session:
            track = tracks.upsert_track(
                session,
                self.who(session, who or self.teacher),
                **self.route(session, where),
                locale=locale,
                kind=kind,
                content=srt(text),
                limits=LIMITS,
            )
            return track.id

    def tracks_on(self, attachment_id: int | None) -> dict[str, str]:
        """locale -> what the track says, for the rows stored on an attachment."""
        with self.api.ctx.read() as session:
            stmt = select(MediaTrack).where(
                MediaTrack.attachment_id.is_(None)
                if attachment_id is None
                else MediaTrack.attachment_id == attachment_id
            )
            return {t.locale: said(t) for t in session.scalars(stmt)}

    def mo_view(self) -> dict[str, str]:
        """locale -> text of what the media-object route shows."""
        with self.write() as session:
            views = tracks.list_tracks(
                session, self.who(session, self.teacher), media_object=self.mo(session)
            )
            return {v.track.locale: said(v.track) for v in views}

    def all_rows(self) -> list[tuple[int, int | None, str, str, str, str | None]]:
        with self.api.ctx.read() as session:
            stmt = select(MediaTrack).order_by(MediaTrack.id)
            return [
                (t.id, t.attachment_id, t.locale, t.kind, t.content, t.webvtt_content)
                for t in session.scalars(stmt)
            ]


def copy_file(api: Api, source_id: int, folder_id: int, who: Person | None = None) -> int:
    copy = api.ok(
        "POST",
        f"/api/v1/folders/{folder_id}/copy_file",
        who,
        data={"source_file_id": source_id, "on_duplicate": "rename"},
    )
    return int(copy["id"])


def root_folder(api: Api, course_id: int) -> int:
    return int(api.ok("GET", f"/api/v1/courses/{course_id}/folders/root")["id"])


@pytest.fixture
def world(api: Api) -> World:
    course_id = api.course("Film Studies")
    teacher, student, outsider = api.user("Tea Cher"), api.user("Stu Dent"), api.user("Out Sider")
    api.enroll(course_id, teacher, "teacher")
    api.enroll(course_id, student, "student")
    body = api.upload(f"courses/{course_id}", teacher, "lecture.mp4", fake_mp4())
    a2_id = copy_file(api, int(body["id"]), root_folder(api, course_id), teacher)
    return World(
        api=api,
        course_id=course_id,
        teacher=teacher,
        student=student,
        outsider=outsider,
        media_id=body["media_entry_id"],
        a1_id=int(body["id"]),
        a2_id=a2_id,
    )
