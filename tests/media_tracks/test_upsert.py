"""POST one track (canvas-media-api.md §2.7), the track validations of §1.2 and the WebVTT
that is served (§3), cases 1–28 as amended by decisions.md."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mediaobjects.errors import (
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    UnprocessableEntity,
)
from mediaobjects.media_objects import repository as media_objects_repo
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks import repository as repo
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.media_tracks.service import TrackLimits
from tests.media_tracks.conftest import LIMIT, LIMITS, World, copy_file, root_folder, said, srt
from tests.support.media import fake_mp4

DOCS_SRT = "1\r\n00:00:00,000 --> 00:00:01,251\r\nThis is the content\r\n"


def upsert(world: World, where: str | int, **fields: Any) -> MediaTrack:
    fields.setdefault("kind", None)
    fields["limits"] = TrackLimits(fields.pop("max_caption_bytes", LIMIT), max_tracks=100)
    who = fields.pop("who", world.teacher)
    with world.write() as session:
        return tracks.upsert_track(
            session, world.who(session, who), **world.route(session, where), **fields
        )


def rejected(world: World, where: str | int = "mo", **fields: Any) -> list[tuple[str | None, str]]:
    """The (field, message) pairs of the 422 the upsert raises; asserts nothing was stored."""
    before = world.all_rows()
    fields.setdefault("locale", "en")
    fields.setdefault("content", srt("hello"))
    with pytest.raises(UnprocessableEntity) as info:
        upsert(world, where, **fields)
    assert world.all_rows() == before
    return [(e.field, e.message) for e in info.value.errors]


def raw_track(mo: MediaObject, attachment_id: int | None, locale: str) -> MediaTrack:
    return MediaTrack(
        media_object_id=mo.id,
        attachment_id=attachment_id,
        locale=locale,
        content=srt(locale),
        webvtt_content=None,
    )


# ---- validations (§1.2) -----------------------------------------------------------------------


def test_case_01_locale_unique_per_attachment(world: World) -> None:
    world.add("mo", "en", "first")
    # The database refuses a second `en` on A1 even when a writer skips the service's lookup.
    with world.write() as session:
        mo = world.mo(session)
        with pytest.raises(IntegrityError), session.begin_nested():
            repo.add_track(session, raw_track(mo, world.a1_id, "en"))
            session.flush()
        repo.add_track(session, raw_track(mo, world.a1_id, "es"))
        session.flush()
    # Through the service a second `en` updates the first instead of failing.
    world.add("mo", "en", "second")
    assert world.tracks_on(world.a1_id) == {"en": "second", "es": "es"}


def test_case_02_same_locale_on_two_attachments_of_one_media_object(world: World) -> None:
    world.add("mo", "en", "on a1")
    world.add(world.a2_id, "en", "on a2")
    assert world.tracks_on(world.a1_id) == {"en": "on a1"}
    assert world.tracks_on(world.a2_id) == {"en": "on a2"}


def test_case_03_media_without_attachment_allows_duplicate_locales(world: World) -> None:
    with world.write() as session:
        mo = media_objects_repo.add(
            session,
            MediaObject(
                media_id="m-quiz", context_type="Course", context_id=world.course_id, user_id=None
            ),
        )
        repo.add_track(session, raw_track(mo, None, "en"))
        repo.add_track(session, raw_track(mo, None, "en"))
        session.flush()
        mo_id = mo.id
    with world.api.ctx.read() as session:
        rows = session.scalars(select(MediaTrack).where(MediaTrack.media_object_id == mo_id))
        assert [(t.attachment_id, t.locale) for t in rows] == [(None, "en"), (None, "en")]
    # Decision D4: through the service a write of `en` updates the visible `en` (the oldest
    # when legacy data has several) rather than adding a third.
    with world.write() as session:
        quiz_media = session.get(MediaObject, mo_id)
        assert quiz_media is not None
        track = tracks.upsert_track(
            session,
            world.who(session, world.teacher),
            media_object=quiz_media,
            locale="en",
            kind=None,
            content=srt("updated"),
            limits=LIMITS,
        )
        assert said(track) == "updated" and track.attachment_id is None


def test_case_04_same_locale_on_two_media_objects(world: World) -> None:
    other = world.api.upload(f"courses/{world.course_id}", world.teacher, "second.mp4", fake_mp4())
    world.add("mo", "en", "first video")
    world.add(int(other["id"]), "en", "second video")
    assert world.tracks_on(int(other["id"])) == {"en": "second video"}
    assert world.tracks_on(world.a1_id) == {"en": "first video"}


def test_case_05_legacy_track_without_attachment_and_new_track_on_a1(world: World) -> None:
    with world.write() as session:
        repo.add_track(session, raw_track(world.mo(session), None, "en"))
    world.add("mo", "es", "spanish")
    assert world.mo_view() == {"en": "en", "es": "spanish"}
    assert world.tracks_on(world.a1_id) == {"es": "spanish"}


def test_case_06_numeric_locale_is_invalid(world: World) -> None:
    [(field, message)] = rejected(world, locale="5")
    assert field == "locale" and message.startswith("is invalid")


def test_case_07_unknown_kind(world: World) -> None:
    assert rejected(world, kind="unkind") == [("kind", "is not included in the list")]


def test_case_08_markup_locale_is_invalid_and_not_echoed(world: World) -> None:
    [(field, message)] = rejected(world, locale='<img src="lolcats.gif">')
    assert field == "locale" and "<img" not in message


def test_case_09_ttml_is_converted_and_its_markup_never_stored(world: World) -> None:
    # Canvas refuses TTML because it can carry script; we convert it to WebVTT and store that.
    ttml = (
        '<tt xml:lang="en" xmlns="http://www.w3.org/ns/ttml"><body><p begin="1s" end="2s">'
        '<img xmlns="http://www.w3.org/1999/xhtml" src="x" onerror="alert(1)"/>Hi</p>'
        "</body></tt>"
    )
    for lenient in (False, True):
        track = upsert(world, "mo", locale="en", content=ttml, lenient=lenient)
        expected = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi"
        assert (track.content, tracks.served_webvtt(track)) == (expected, expected)
    # TTML that is not well-formed XML is refused, lenient or not.
    broken = '<tt xml:lang="en"><body><p><img src=x onerror="alert(1)"/></p></body></tt>'
    message = "line 1: this is not well-formed XML: not well-formed (invalid token)"
    assert rejected(world, content=broken) == [("content", message)]
    assert rejected(world, content=broken, lenient=True) == [("content", message)]


@pytest.mark.parametrize("content", [None, "", "  \n "])
def test_case_10_content_is_required(world: World, content: str | None) -> None:
    assert rejected(world, content=content) == [("content", "can't be blank")]


def test_case_11_kind_defaults_to_subtitles_and_is_kept_when_omitted(world: World) -> None:
    assert upsert(world, "mo", locale="en", content=srt("a")).kind == "subtitles"
    upsert(world, "mo", locale="fr", kind="captions", content=srt("b"))
    assert upsert(world, "mo", locale="fr", content=srt("c")).kind == "captions"


def test_case_12_content_without_locale(world: World) -> None:
    assert rejected(world, locale=None) == [("locale", "can't be blank")]


def test_case_13_locales(world: World) -> None:
    assert upsert(world, "mo", locale="fr-CA", content=srt("a")).locale == "fr-CA"
    # Decision D9: es-419 is a well-formed BCP 47 tag and is accepted (Canvas: 422).
    assert upsert(world, "mo", locale="es-419", content=srt("b")).locale == "es-419"
    [(field, message)] = rejected(world, locale="pt_BR")
    assert field == "locale" and '"pt-BR"' in message


def test_case_14_plain_text_content(world: World) -> None:
    # Decision D8: "subs" has no timing at all, so strict mode refuses it saying so; the
    # lenient (import) mode serves it as Canvas does.
    [(field, message)] = rejected(world, content="subs")
    assert field == "content" and message.startswith("no timing found:")
    track = upsert(world, "mo", locale="en", content="subs", lenient=True)
    assert tracks.served_webvtt(track) == "WEBVTT\n\nsubs"


def test_case_15_docs_srt_sample(world: World) -> None:
    track = upsert(world, "mo", locale="en", content=DOCS_SRT)
    assert track.content == DOCS_SRT
    expected = "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.251\nThis is the content"
    assert tracks.served_webvtt(track) == expected


def test_case_16_srt_with_lf(world: World) -> None:
    track = upsert(world, "mo", locale="en", content="1\n00:00:01,000 --> 00:00:04,000\nHi")
    assert tracks.served_webvtt(track) == "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nHi"


def test_case_16b_single_digit_hours_are_repaired_in_both_times(world: World) -> None:
    # Decision D7: a real parser repairs the end time too (Canvas leaves `0:00:04,000`).
    track = upsert(world, "mo", locale="en", content="1\n0:00:01,000 --> 0:00:04,000\nHi")
    assert tracks.served_webvtt(track) == "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nHi"


def test_case_17_webvtt_upload_is_kept_raw_and_normalised(world: World) -> None:
    # Decision D7: webvtt_content holds the normalised WebVTT (Canvas: NULL).
    content = "WEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\nhello\r\n\r\n\r\n"
    track = upsert(world, "mo", locale="en", content=content)
    assert track.content == content
    assert track.webvtt_content == "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello"
    assert tracks.served_webvtt(track) == track.webvtt_content


def test_case_17_replacing_srt_by_webvtt_never_serves_the_stale_conversion(world: World) -> None:
    # §5 item 1, fixed by decision D7.
    upsert(world, "mo", locale="en", content=srt("old"))
    track = upsert(world, "mo", locale="en", content="WEBVTT\n\n00:01.000 --> 00:02.000\nnew")
    assert said(track) == "new"


def test_case_18_garbage_content(world: World) -> None:
    # Decision D8: refused by default, converted as Canvas does in lenient mode.
    assert rejected(world, content="123$%blah#badmanbad")[0][0] == "content"
    track = upsert(world, "mo", locale="en", content="123$%blah#badmanbad", lenient=True)
    assert tracks.served_webvtt(track) == "WEBVTT\n\n123$%blah#badmanbad"


def test_case_19_trailing_blank_lines_are_not_served(world: World) -> None:
    track = upsert(world, "mo", locale="en", content=srt("Hi") + "\n\n   \n\n")
    assert tracks.served_webvtt(track) == "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nHi"


def test_content_with_nul_or_lone_surrogate_is_refused_not_a_server_error(world: World) -> None:
    assert rejected(world, content=srt("a\x00b")) == [
        ("content", "line 3: must not contain NUL characters")
    ]
    assert rejected(world, content="1\r\n\r\r\x00")[0][1].startswith("line 4:")
    assert rejected(world, content=srt("a\ud800b"))[0][0] == "content"


def test_d13_content_over_the_limit(world: World) -> None:
    content = srt("é" * 40)
    size = len(content.encode("utf-8"))
    with pytest.raises(PayloadTooLarge) as info:
        upsert(world, "mo", locale="en", content=content, max_caption_bytes=size - 1)
    assert info.value.status_code == 413 and info.value.errors[0].field == "content"
    assert world.all_rows() == []
    assert upsert(world, "mo", locale="en", content=content, max_caption_bytes=size).id


# ---- POST through the media object -------------------------------------------------------------


def test_case_21_teacher_posts_a_track_on_the_media_object(world: World) -> None:
    track = upsert(world, "mo", locale="en", kind="subtitles", content=srt("one track mind"))
    assert said(track) == "one track mind"
    assert track.attachment_id == world.a1_id and track.user_id == world.teacher.id
    assert world.mo_view() == {"en": "one track mind"}


def test_case_23_posting_the_same_locale_twice_updates(world: World) -> None:
    first = world.add("mo", "en", "one")
    second = world.add("mo", "en", "two")
    assert first == second
    assert world.mo_view() == {"en": "two"}


def test_posting_a_locale_in_other_case_updates_the_track(world: World) -> None:
    # Decision D9: `EN` is `en`, stored in canonical case.
    first = world.add("mo", "en", "one")
    assert world.add("mo", "EN", "two") == first
    assert world.mo_view() == {"en": "two"}


def test_posting_a_locale_another_user_captioned_updates_their_track(world: World) -> None:
    # Canvas answers 422 "has already been taken" here (§5 item 5). Decision D4 makes every
    # visible track the route's, so the write updates it and its creator stays.
    ta = world.api.user("Tee Ay")
    world.api.enroll(world.course_id, ta, "ta")
    first = world.add("mo", "en", "teacher's")
    track = upsert(world, "mo", who=ta, locale="en", content=srt("ta's"))
    assert track.id == first and track.user_id == world.teacher.id
    assert world.mo_view() == {"en": "ta's"}


def test_post_rejections_for_rights(world: World) -> None:
    with pytest.raises(Unauthenticated):
        upsert(world, "mo", who=None, locale="en", content=srt("x"))
    with pytest.raises(Forbidden):
        upsert(world, "mo", who=world.student, locale="en", content=srt("x"))
    with pytest.raises(Forbidden):
        upsert(world, world.a2_id, who=world.outsider, locale="en", content=srt("x"))
    assert world.all_rows() == []


def test_post_on_deleted_media_object_is_not_found(world: World) -> None:
    # Decision D16.
    with world.write() as session:
        world.mo(session).workflow_state = "deleted"
    with pytest.raises(NotFound):
        upsert(world, "mo", locale="en", content=srt("x"))


# ---- POST through an attachment ---------------------------------------------------------------


def test_case_25_teacher_captions_a_copy_of_another_courses_media(world: World) -> None:
    api = world.api
    other_course = api.course("Second")
    teacher2 = api.user("Tea Two")
    api.enroll(other_course, teacher2, "teacher")
    copy_id = copy_file(api, world.a1_id, root_folder(api, other_course))
    with world.write() as session:
        world.mo(session).user_id = None
    track = upsert(world, copy_id, who=teacher2, locale="en", content=srt("mine"))
    assert track.attachment_id == copy_id
    with pytest.raises(Forbidden):
        upsert(world, "mo", who=teacher2, locale="en", content=srt("mine"))


def test_case_26_post_through_the_default_attachment(world: World) -> None:
    track = upsert(world, world.a1_id, locale="en", content=srt("via a1"))
    with world.write() as session:
        assert track.media_object_id == world.mo(session).id
    assert track.attachment_id == world.a1_id
    assert world.tracks_on(world.a1_id) == {"en": "via a1"}


def test_case_27_post_through_a2_updates_its_own_track(world: World) -> None:
    world.add("mo", "en", "en subs")
    t2 = world.add(world.a2_id, "en", "a2 subs", who=world.api.admin)
    track = upsert(world, world.a2_id, locale="en", content=srt("a2 updated"))
    assert track.id == t2 and track.attachment_id == world.a2_id
    # Updating keeps the original creator.
    assert track.user_id == world.api.admin.id
    assert world.mo_view() == {"en": "en subs"}


def test_case_28_post_through_a2_copies_instead_of_editing_the_default(world: World) -> None:
    world.add("mo", "en", "first en subs")
    world.add(world.a2_id, "en", "second en subs")
    assert world.tracks_on(world.a1_id) == {"en": "first en subs"}
    assert world.tracks_on(world.a2_id) == {"en": "second en subs"}


def test_post_through_attachment_without_media_or_deleted_is_not_found(world: World) -> None:
    plain = world.api.upload(
        f"courses/{world.course_id}", world.teacher, "notes.txt", b"hello", "text/plain"
    )
    with pytest.raises(NotFound):
        upsert(world, int(plain["id"]), locale="en", content=srt("x"))
    with world.write() as session:
        world.att(session, world.a2_id).workflow_state = "deleted"
    with pytest.raises(NotFound):
        upsert(world, world.a2_id, locale="en", content=srt("x"))
