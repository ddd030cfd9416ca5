"""Listing tracks, reading one track's content and deleting a track (canvas-media-api.md
§2.5, §2.8, §2.9), cases 29–50 and 101 as amended by decisions.md."""

from __future__ import annotations

import pytest

from mediaobjects.errors import Forbidden, NotFound, Unauthenticated, UnprocessableEntity
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.models import MediaTrack
from tests.media_tracks.conftest import ANON, World, copy_file, root_folder, said
from tests.support.api import Person
from tests.support.media import fake_mp4


def content_of(
    world: World,
    where: str | int,
    track_id: int,
    who: Person | None = None,
    *,
    verified: bool = False,
) -> str:
    with world.write() as session:
        track = tracks.get_track_content(
            session,
            world.who(session, who or world.teacher),
            track_id,
            **world.route(session, where),
            verified=verified,
        )
        return tracks.served_webvtt(track)


def listed(
    world: World, where: str | int, who: Person | None = None
) -> list[tuple[str, str, bool]]:
    """(locale, text, inherited) of every track the route lists, in order."""
    with world.write() as session:
        views = tracks.list_tracks(
            session, world.who(session, who or world.teacher), **world.route(session, where)
        )
        return [(v.track.locale, said(v.track), v.inherited) for v in views]


def delete(world: World, where: str | int, track_id: int, who: Person | None = None) -> int:
    with world.write() as session:
        track = tracks.delete_track(
            session,
            world.who(session, who or world.teacher),
            track_id,
            **world.route(session, where),
        )
        return track.id


def make_default(world: World, attachment_id: int) -> None:
    with world.write() as session:
        world.mo(session).attachment_id = attachment_id


# ---- GET content ------------------------------------------------------------------------------


def test_case_29_media_object_route_serves_the_default_attachments_track(world: World) -> None:
    t1 = world.add("mo", "en", "subs")
    world.add(world.a2_id, "en", "subs 2")
    assert content_of(world, "mo", t1) == "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nsubs"


def test_case_30_media_object_route_does_not_serve_a2s_track(world: World) -> None:
    t2 = world.add(world.a2_id, "en", "subs 2")
    with pytest.raises(NotFound):
        content_of(world, "mo", t2)


def test_case_31_media_object_route_does_not_serve_another_media_objects_track(
    world: World,
) -> None:
    other = world.api.upload(f"courses/{world.course_id}", world.teacher, "b.mp4", fake_mp4())
    foreign = world.add(int(other["id"]), "en", "elsewhere")
    with pytest.raises(NotFound):
        content_of(world, "mo", foreign)
    with pytest.raises(NotFound):
        content_of(world, "mo", 987654)


def test_case_32_33_attachment_routes_serve_their_own_tracks(world: World) -> None:
    t1 = world.add("mo", "en", "subs")
    t2 = world.add(world.a2_id, "en", "subs 2")
    assert content_of(world, world.a1_id, t1).endswith("\nsubs")
    assert content_of(world, world.a2_id, t2).endswith("\nsubs 2")


def test_case_34_a2_serves_the_track_it_inherits(world: World) -> None:
    t1 = world.add("mo", "en", "subs")
    assert content_of(world, world.a2_id, t1).endswith("\nsubs")


def test_case_35_nothing_is_inherited_from_a_former_default(world: World) -> None:
    t1 = world.add("mo", "en", "subs")
    make_default(world, world.a2_id)
    world.add(world.a2_id, "en", "a2 subs")
    with pytest.raises(NotFound):
        content_of(world, world.a2_id, t1)


def test_case_36_signed_verifier_stands_in_for_read_access(world: World) -> None:
    # No public syllabus here (decision D18); decision D5's signed verifier is the way to read
    # captions without credentials. The caller checks the signature and says so.
    t1 = world.add("mo", "en", "public subs")
    with world.write() as session:
        anonymous = world.who(session, None)
        with pytest.raises(Unauthenticated):
            tracks.get_track_content(session, anonymous, t1, media_object=world.mo(session))
    with world.write() as session:
        track = tracks.get_track_content(
            session,
            world.who(session, None),
            t1,
            attachment=world.att(session, world.a1_id),
            verified=True,
        )
        assert said(track) == "public subs"


def test_reading_content_needs_read_access_on_the_media_object_route(world: World) -> None:
    # Decision D5: Canvas serves it to anyone who knows the ids.
    t1 = world.add("mo", "en", "subs")
    assert content_of(world, "mo", t1, who=world.student).endswith("subs")
    with pytest.raises(Forbidden):
        content_of(world, "mo", t1, who=world.outsider)
    with pytest.raises(Forbidden):
        content_of(world, world.a2_id, t1, who=world.outsider)
    assert content_of(world, "mo", t1, who=world.outsider, verified=True).endswith("subs")


def test_hidden_default_attachment_keeps_its_captions_from_students(world: World) -> None:
    t1 = world.add("mo", "en", "subs")
    with world.write() as session:
        world.att(session, world.a1_id).hidden = True
    with pytest.raises(Forbidden):
        content_of(world, "mo", t1, who=world.student)
    assert content_of(world, world.a2_id, t1, who=world.student).endswith("subs")


def test_case_20_ttml_forced_into_the_database_is_not_served(world: World) -> None:
    t1 = world.add("mo", "en", "subs")
    with world.write() as session:
        track = session.get(MediaTrack, t1)
        assert track is not None
        track.content = '<tt xmlns="http://www.w3.org/ns/ttml"><body/></tt>'
        track.webvtt_content = None
    with pytest.raises(UnprocessableEntity):
        content_of(world, "mo", t1)


# ---- DELETE -----------------------------------------------------------------------------------


def test_case_38_teacher_deletes_through_the_media_object(world: World) -> None:
    t1 = world.add("mo", "en", "subs", who=world.api.admin)
    assert delete(world, "mo", t1) == t1
    assert world.all_rows() == []


def test_case_39_deleting_the_default_track_leaves_a2_alone(world: World) -> None:
    t1 = world.add("mo", "en", "subs")
    world.add(world.a2_id, "en", "a2 subs")
    delete(world, "mo", t1)
    assert world.tracks_on(world.a2_id) == {"en": "a2 subs"}
    assert world.mo_view() == {}


def test_case_40_media_object_route_cannot_delete_a2s_track(world: World) -> None:
    world.add("mo", "en", "subs")
    t2 = world.add(world.a2_id, "en", "a2 subs")
    before = world.all_rows()
    with pytest.raises(NotFound):
        delete(world, "mo", t2)
    assert world.all_rows() == before


def test_case_42_delete_through_a2_leaves_a1_alone(world: World) -> None:
    world.add("mo", "en", "subs")
    t2 = world.add(world.a2_id, "en", "a2 subs")
    delete(world, world.a2_id, t2)
    assert world.tracks_on(world.a2_id) == {}
    assert world.tracks_on(world.a1_id) == {"en": "subs"}


def test_case_43_a1_cannot_delete_a2s_track(world: World) -> None:
    world.add("mo", "en", "subs")
    t2 = world.add(world.a2_id, "en", "a2 subs")
    before = world.all_rows()
    with pytest.raises(NotFound):
        delete(world, world.a1_id, t2)
    assert world.all_rows() == before


def test_delete_through_a2_of_an_inherited_track_deletes_the_original(world: World) -> None:
    # Kept from Canvas (§5 item 16): the visible set of A2 includes what it inherits.
    t1 = world.add("mo", "en", "subs")
    delete(world, world.a2_id, t1)
    assert world.tracks_on(world.a1_id) == {}


def test_delete_rejections(world: World) -> None:
    t1 = world.add("mo", "en", "subs")
    before = world.all_rows()
    with pytest.raises(Unauthenticated):
        delete(world, "mo", t1, who=ANON)
    with pytest.raises(Forbidden):
        delete(world, "mo", t1, who=world.student)
    with pytest.raises(Forbidden):
        delete(world, world.a1_id, t1, who=world.outsider)
    with pytest.raises(NotFound):
        delete(world, "mo", 987654)
    assert world.all_rows() == before


# ---- list -------------------------------------------------------------------------------------


def test_case_44_list_on_the_media_object(world: World) -> None:
    en = world.add("mo", "en", "en subs")
    af = world.add("mo", "af", "af subs")
    with world.write() as session:
        views = tracks.list_tracks(
            session, world.who(session, world.teacher), media_object=world.mo(session)
        )
        mo_id = world.mo(session).id
        assert [(v.track.id, v.track.locale, v.track.kind) for v in views] == [
            (af, "af", "subtitles"),
            (en, "en", "subtitles"),
        ]
        assert {v.track.media_object_id for v in views} == {mo_id}
        assert {v.track.user_id for v in views} == {world.teacher.id}
        # Case 46: newest Canvas shows workflow_state "ready" and asr false (no external id).
        assert {(v.track.workflow_state, v.track.external_id) for v in views} == {("ready", None)}


def test_case_45_media_object_list_leaves_out_a2s_tracks(world: World) -> None:
    world.add("mo", "en", "en subs")
    world.add("mo", "af", "af subs")
    world.add(world.a2_id, "en", "new en subs")
    assert [text for _, text, _ in listed(world, "mo")] == ["af subs", "en subs"]


def test_case_47_list_on_the_default_attachment(world: World) -> None:
    world.add("mo", "en", "en subs")
    world.add("mo", "af", "af subs")
    assert listed(world, world.a1_id) == [("af", "af subs", False), ("en", "en subs", False)]


def test_case_48_inheritance_follows_the_current_default(world: World) -> None:
    a3 = copy_file(world.api, world.a1_id, root_folder(world.api, world.course_id))
    world.add(world.a1_id, "en", "a1 en")
    make_default(world, a3)
    world.add(a3, "af", "a3 af")
    assert listed(world, a3) == [("af", "a3 af", False)]
    assert listed(world, world.a1_id) == [("af", "a3 af", True), ("en", "a1 en", False)]


def test_case_49_media_object_list_shows_every_users_tracks(world: World) -> None:
    # Decision D4: Canvas would show the student only their own tracks (none here).
    ta = world.api.user("Tee Ay")
    world.api.enroll(world.course_id, ta, "ta")
    world.add("mo", "en", "teacher's")
    world.add("mo", "fr", "ta's", who=ta)
    assert listed(world, "mo", who=world.student) == [
        ("en", "teacher's", False),
        ("fr", "ta's", False),
    ]


def test_list_rejections(world: World) -> None:
    world.add("mo", "en", "subs")
    with world.write() as session:
        # Canvas answers 500 here (§5 item 8); decision D3 says 401.
        with pytest.raises(Unauthenticated):
            tracks.list_tracks(session, world.who(session, None), media_object=world.mo(session))
        outsider = world.who(session, world.outsider)
        with pytest.raises(Forbidden):
            tracks.list_tracks(session, outsider, media_object=world.mo(session))
        with pytest.raises(Forbidden):
            tracks.list_tracks(session, outsider, attachment=world.att(session, world.a2_id))


def test_case_101_attachment_view_marks_inherited_tracks(world: World) -> None:
    world.add("mo", "en", "default en")
    world.add(world.a2_id, "fr", "a2 fr")
    assert listed(world, world.a2_id) == [("en", "default en", True), ("fr", "a2 fr", False)]
    assert listed(world, world.a1_id) == [("en", "default en", False)]


def test_own_track_wins_over_the_inherited_one_case_insensitively(world: World) -> None:
    world.add("mo", "en", "default en")
    world.add(world.a2_id, "en", "a2 en")
    assert listed(world, world.a2_id) == [("en", "a2 en", False)]


def test_attachment_route_accepts_the_media_object_the_caller_loaded(world: World) -> None:
    world.add("mo", "en", "default en")
    world.add(world.a2_id, "fr", "a2 fr")
    other = world.api.upload(f"courses/{world.course_id}", world.teacher, "b.mp4", fake_mp4())
    with world.write() as session:
        teacher = world.who(session, world.teacher)
        mo, a2 = world.mo(session), world.att(session, world.a2_id)
        views = tracks.list_tracks(session, teacher, media_object=mo, attachment=a2)
        assert [(v.track.locale, v.inherited) for v in views] == [("en", True), ("fr", False)]
        # The serializers' variant, without an access check, agrees with both routes.
        assert tracks.visible_tracks(session, media_object=mo, attachment=a2) == views
        assert [v.track.locale for v in tracks.visible_tracks(session, media_object=mo)] == ["en"]
        with pytest.raises(ValueError):
            tracks.list_tracks(
                session, teacher, media_object=mo, attachment=world.att(session, int(other["id"]))
            )
        with pytest.raises(TypeError):
            tracks.visible_tracks(session)
