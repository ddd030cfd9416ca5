"""Who may add and delete captions (canvas-media-api.md §1.4, cases 95–100)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaobjects.media_objects import repository as media_objects_repo
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_objects.rights import (
    CaptionRights,
    attachment_caption_rights,
    caption_rights,
)
from tests.media_tracks.conftest import World, copy_file, root_folder
from tests.support.media import fake_mp4

BOTH = CaptionRights(add=True, delete=True)
NONE = CaptionRights(add=False, delete=False)


def bare_media_object(
    session: Session, media_id: str, *, context: tuple[str, int] | None, owner: int | None
) -> MediaObject:
    """A media object without an attachment (a quiz submission's recording, say): the upload
    flow always makes one, so these are inserted directly."""
    return media_objects_repo.add(
        session,
        MediaObject(
            media_id=media_id,
            context_type=context[0] if context else None,
            context_id=context[1] if context else None,
            user_id=owner,
        ),
    )


def test_case_95_teacher_can_add_and_delete_on_course_media_without_owner(world: World) -> None:
    with world.write() as session:
        mo = world.mo(session)
        mo.user_id = None
        assert caption_rights(session, world.who(session, world.teacher), mo) == BOTH


def test_case_96_student_cannot_caption_course_media_even_owning_it_and_its_file(
    world: World,
) -> None:
    with world.write() as session:
        mo = world.mo(session)
        mo.user_id = world.student.id
        world.att(session, world.a1_id).user_id = world.student.id
        assert caption_rights(session, world.who(session, world.student), mo) == NONE


def test_case_97_file_edit_right_is_what_counts_when_the_media_has_a_file(world: World) -> None:
    # The role table has no TA stripped of single permissions, so a group member plays the
    # part: group members may edit the group's files but hold no course-content permission.
    api = world.api
    member, other = api.user("Mem Ber"), api.user("Oth Er")
    api.enroll(world.course_id, member, "student")
    api.enroll(world.course_id, other, "student")
    group_id = api.group(world.course_id, member)
    api.upload(f"groups/{group_id}", member, "group.mp4", fake_mp4())
    with world.write() as session:
        mo = session.scalars(select(MediaObject).where(MediaObject.context_type == "Group")).one()
        mo.user_id = None
        assert caption_rights(session, world.who(session, member), mo) == BOTH
        assert caption_rights(session, world.who(session, other), mo) == NONE
        # Without a file the same member needs the course-content permissions they lack.
        bare = bare_media_object(session, "m-bare", context=("Group", group_id), owner=None)
        assert caption_rights(session, world.who(session, member), bare) == NONE


def test_case_98_media_without_file_course_content_permission_or_ownership(world: World) -> None:
    with world.write() as session:
        mo = bare_media_object(
            session, "m-nofile", context=("Course", world.course_id), owner=world.student.id
        )
        assert mo.attachment_id is None
        assert caption_rights(session, world.who(session, world.teacher), mo) == BOTH
        assert caption_rights(session, world.who(session, world.student), mo) == BOTH
        mo.user_id = world.outsider.id
        assert caption_rights(session, world.who(session, world.student), mo) == NONE


def test_case_99_media_without_user_or_context_gives_anonymous_no_rights(world: World) -> None:
    with world.write() as session:
        mo = bare_media_object(session, "m-orphan", context=None, owner=None)
        assert caption_rights(session, world.who(session, None), mo) == NONE
        assert caption_rights(session, world.who(session, world.teacher), mo) == NONE
        admin = world.api.admin
        assert caption_rights(session, world.who(session, admin), mo) == BOTH


def test_case_100_attachment_route_follows_the_attachment_update_right(world: World) -> None:
    api = world.api
    other_course = api.course("Second")
    teacher2 = api.user("Tea Two")
    api.enroll(other_course, teacher2, "teacher")
    copy_id = copy_file(api, world.a1_id, root_folder(api, other_course))
    with world.write() as session:
        copy = world.att(session, copy_id)
        mo = world.mo(session)
        # The media object's default attachment is in a course teacher2 cannot touch.
        assert caption_rights(session, world.who(session, teacher2), mo) == NONE
        assert attachment_caption_rights(session, world.who(session, teacher2), copy) == BOTH
        assert attachment_caption_rights(session, world.who(session, world.student), copy) == NONE
        a1 = world.att(session, world.a1_id)
        assert attachment_caption_rights(session, world.who(session, world.student), a1) == NONE
        assert attachment_caption_rights(session, world.who(session, None), a1) == NONE
