"""PUT: replacing the whole set of tracks (canvas-media-api.md §2.6), cases 51–61 as amended by
decisions D1 (validate everything first, nothing changes on error), D2 (403/401 instead of a
silent 204), D4 (the media-object route acts on every user's tracks), D9 and D13."""

from __future__ import annotations

from typing import Any

import pytest

from mediaobjects.errors import (
    BadRequest,
    Forbidden,
    PayloadTooLarge,
    Unauthenticated,
    UnprocessableEntity,
)
from mediaobjects.media_tracks import repository as repo
from mediaobjects.media_tracks import service as tracks
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.media_tracks.service import TrackLimits
from tests.media_tracks.conftest import ANON, LIMIT, World, said, srt
from tests.support.api import Person

BODY_52 = [
    {"locale": "en", "content": srt("new en")},
    {"locale": "es", "content": srt("es subs")},
    {"locale": "br"},
]


def put(
    world: World, where: str | int, body: object, who: Person | None = None, **kw: Any
) -> list[tuple[str, str, bool]]:
    kw["limits"] = TrackLimits(kw.pop("max_caption_bytes", LIMIT), kw.pop("max_tracks", 100))
    with world.write() as session:
        views = tracks.replace_tracks(
            session,
            world.who(session, who or world.teacher),
            body,
            **world.route(session, where),
            **kw,
        )
        return [(v.track.locale, said(v.track), v.inherited) for v in views]


def put_rejected(
    world: World, body: object, error: type[Exception], where: str | int = "mo", **kw: Any
) -> Any:
    before = world.all_rows()
    with pytest.raises(error) as info:
        put(world, where, body, **kw)
    assert world.all_rows() == before
    return info.value


def setup_52(world: World) -> None:
    world.add("mo", "en", "en subs")
    world.add("mo", "af", "af subs 1")
    world.add(world.a2_id, "af", "af subs 2")
    world.add(world.a2_id, "br", "br subs")


def test_case_51_put_replaces_the_media_objects_tracks(world: World) -> None:
    for locale in ("en", "af", "br"):
        world.add("mo", locale, f"{locale} subs")
    assert put(world, "mo", BODY_52) == [
        ("br", "br subs", False),
        ("en", "new en", False),
        ("es", "es subs", False),
    ]
    assert world.tracks_on(world.a1_id) == {"br": "br subs", "en": "new en", "es": "es subs"}


def test_case_52_put_on_media_object_route_leaves_other_attachment_alone(world: World) -> None:
    setup_52(world)
    assert put(world, "mo", BODY_52) == [("en", "new en", False), ("es", "es subs", False)]
    assert world.tracks_on(world.a1_id) == {"en": "new en", "es": "es subs"}
    assert world.tracks_on(world.a2_id) == {"af": "af subs 2", "br": "br subs"}
    assert world.mo_view() == {"en": "new en", "es": "es subs"}


def test_case_53_put_on_media_object_route_creates_on_the_default_attachment(
    world: World,
) -> None:
    world.add("mo", "en", "en subs")
    assert len(put(world, "mo", BODY_52)) == 2
    assert world.tracks_on(world.a1_id) == {"en": "new en", "es": "es subs"}
    assert world.tracks_on(world.a2_id) == {}


def test_case_55_put_through_the_default_attachment(world: World) -> None:
    world.add(world.a1_id, "en", "en subs")
    world.add(world.a1_id, "af", "af subs")
    world.add("mo", "br", "br subs")
    body = [
        {"locale": "en", "content": srt("new en")},
        {"locale": "es", "content": srt("new es")},
        {"locale": "br"},
    ]
    assert put(world, world.a1_id, body) == [
        ("br", "br subs", False),
        ("en", "new en", False),
        ("es", "new es", False),
    ]
    assert world.tracks_on(world.a1_id) == {"br": "br subs", "en": "new en", "es": "new es"}
    assert world.mo_view() == world.tracks_on(world.a1_id)


def test_case_56_put_through_a1_leaves_a2_alone(world: World) -> None:
    setup_52(world)
    assert put(world, world.a1_id, BODY_52) == [("en", "new en", False), ("es", "es subs", False)]
    assert world.tracks_on(world.a1_id) == {"en": "new en", "es": "es subs"}
    assert world.tracks_on(world.a2_id) == {"af": "af subs 2", "br": "br subs"}
    assert world.mo_view() == {"en": "new en", "es": "es subs"}


def test_case_57_put_through_a2_copies_on_write_and_keeps_inherited(world: World) -> None:
    # A2's own `af` is omitted, so it goes; A1's `af` then shows through as inherited.
    setup_52(world)
    assert put(world, world.a2_id, BODY_52) == [
        ("af", "af subs 1", True),
        ("br", "br subs", False),
        ("en", "new en", False),
        ("es", "es subs", False),
    ]
    assert world.tracks_on(world.a1_id) == {"en": "en subs", "af": "af subs 1"}
    assert world.tracks_on(world.a2_id) == {"br": "br subs", "en": "new en", "es": "es subs"}
    assert world.mo_view() == {"af": "af subs 1", "en": "en subs"}


def test_put_through_a2_omitting_an_inherited_locale_deletes_the_original(world: World) -> None:
    # Kept from Canvas (§2.6 last edge case, §5 item 16).
    world.add("mo", "en", "en subs")
    world.add("mo", "fr", "fr subs")
    assert put(world, world.a2_id, [{"locale": "fr"}]) == [("fr", "fr subs", True)]
    assert world.tracks_on(world.a1_id) == {"fr": "fr subs"}


def test_case_58_empty_list_deletes_every_visible_track(world: World) -> None:
    setup_52(world)
    assert put(world, "mo", []) == []
    assert world.tracks_on(world.a1_id) == {}
    assert world.tracks_on(world.a2_id) == {"af": "af subs 2", "br": "br subs"}


def test_d20_null_body_is_refused_and_changes_nothing(world: World) -> None:
    # Canvas takes an empty body or JSON null as [] and deletes every track.
    world.add("mo", "en", "en subs")
    error = put_rejected(world, None, BadRequest)
    assert error.message == "the body must be a JSON array of tracks"
    assert world.mo_view() == {"en": "en subs"}


def test_case_59_invalid_element_changes_nothing(world: World) -> None:
    # Decision D1: Canvas deletes `fr` first and then answers 422.
    world.add("mo", "fr", "fr subs")
    body = [{"locale": "en", "content": srt("x"), "kind": "bogus"}]
    error = put_rejected(world, body, UnprocessableEntity)
    assert [(e.field, e.index) for e in error.errors] == [("kind", 0)]
    assert world.mo_view() == {"fr": "fr subs"}


def test_d1_every_problem_is_listed_with_its_index(world: World) -> None:
    world.add("mo", "fr", "fr subs")
    world.add("mo", "de", "de subs")
    body = [
        {"locale": "en", "content": srt("fine")},
        {"locale": "pt_BR", "content": "not captions", "kind": "Subtitles"},
        "not an object",
        {"content": srt("no locale")},
        {"locale": "es", "content": '<tt xmlns="http://www.w3.org/ns/ttml"></tt>'},
        {"locale": 5},
    ]
    error = put_rejected(world, body, UnprocessableEntity)
    assert error.status_code == 422
    problems = [(e.index, e.field) for e in error.errors]
    assert sorted(problems, key=str) == sorted(
        [
            (1, "content"),
            (1, "locale"),
            (1, "kind"),
            (2, None),
            (3, "locale"),
            (4, "content"),
            (5, "locale"),
        ],
        key=str,
    )
    by_index = {(e.index, e.field): e.message for e in error.errors}
    assert by_index[(1, "content")].startswith("no timing found:")
    assert '"pt-BR"' in by_index[(1, "locale")]
    assert by_index[(4, "content")].startswith("no cues found:")  # TTML without paragraphs
    assert world.mo_view() == {"de": "de subs", "fr": "fr subs"}


def test_case_60_caller_without_both_rights_gets_an_error_not_a_silent_204(
    world: World,
) -> None:
    # Decision D2: 403 for a user without the rights, 401 for nobody.
    world.add("mo", "en", "en subs")
    put_rejected(world, [], Forbidden, who=world.student)
    put_rejected(world, [], Forbidden, where=world.a2_id, who=world.outsider)
    put_rejected(world, [], Unauthenticated, who=ANON)


def test_case_61_last_duplicate_wins(world: World) -> None:
    body = [{"locale": "en", "content": srt("a")}, {"locale": "en", "content": srt("b")}]
    assert put(world, "mo", body) == [("en", "b", False)]
    assert len(world.all_rows()) == 1


def test_duplicate_keeps_the_kind_an_earlier_element_set(world: World) -> None:
    body = [
        {"locale": "en", "content": srt("a"), "kind": "captions"},
        {"locale": "en", "content": srt("b")},
    ]
    put(world, "mo", body)
    assert [(r[2], r[3]) for r in world.all_rows()] == [("en", "captions")]


def test_element_without_content_keeps_its_track_even_with_another_kind(world: World) -> None:
    world.add("mo", "en", "en subs")
    put(world, "mo", [{"locale": "en", "kind": "captions"}, {"locale": "zz-unknown"}])
    assert [(r[2], r[3]) for r in world.all_rows()] == [("en", "subtitles")]


def test_put_acts_on_every_users_tracks(world: World) -> None:
    # Decision D4: the visible set is every user's; a teacher's PUT updates the TA's `en`
    # in place (Canvas: 422 "has already been taken") and deletes the TA's omitted `fr`.
    ta = world.api.user("Tee Ay")
    world.api.enroll(world.course_id, ta, "ta")
    en = world.add("mo", "en", "ta en", who=ta)
    world.add("mo", "fr", "ta fr", who=ta)
    assert put(world, "mo", [{"locale": "en", "content": srt("teacher en")}]) == [
        ("en", "teacher en", False)
    ]
    assert [(r[0], r[2]) for r in world.all_rows()] == [(en, "en")]


def test_d9_locale_case_is_ignored_when_matching(world: World) -> None:
    en = world.add("mo", "en", "en subs")
    # Canvas would delete `en` and create `EN`.
    assert put(world, "mo", [{"locale": "EN", "content": srt("upper")}]) == [("en", "upper", False)]
    assert [r[0] for r in world.all_rows()] == [en]
    assert put(world, "mo", [{"locale": "EN"}]) == [("en", "upper", False)]


def test_d9_bcp47_locales_accepted_and_underscore_refused(world: World) -> None:
    assert put(world, "mo", [{"locale": "es-419", "content": srt("latam")}]) == [
        ("es-419", "latam", False)
    ]
    assert put(world, "mo", [{"locale": "ZH-hant-tw", "content": srt("tw")}]) == [
        ("zh-Hant-TW", "tw", False)
    ]
    error = put_rejected(world, [{"locale": "pt_BR", "content": srt("br")}], UnprocessableEntity)
    [problem] = error.errors
    assert (problem.field, problem.index) == ("locale", 0) and '"pt-BR"' in problem.message


def test_legacy_locale_can_be_kept_by_sending_it_back(world: World) -> None:
    # A track imported from Canvas with a locale today's rules refuse (§5 item 17) stays when
    # the client sends the list it was given; it cannot be created anew.
    with world.write() as session:
        mo = world.mo(session)
        repo.add_track(
            session,
            MediaTrack(
                media_object_id=mo.id, attachment_id=mo.attachment_id, locale="zh_CN", content="x"
            ),
        )
    world.add("mo", "en", "en subs")
    assert [loc for loc, _, _ in put(world, "mo", [{"locale": "zh_CN"}])] == ["zh_CN"]
    put_rejected(world, [{"locale": "zh_CN", "content": srt("new")}], UnprocessableEntity)


def test_d13_oversized_content_is_413_and_changes_nothing(world: World) -> None:
    world.add("mo", "en", "en subs")
    big = srt("x" * 200)
    body = [{"locale": "fr", "content": srt("small")}, {"locale": "de", "content": big}]
    error = put_rejected(world, body, PayloadTooLarge, max_caption_bytes=100)
    assert error.status_code == 413
    assert [(e.field, e.index) for e in error.errors] == [("content", 1)]


@pytest.mark.parametrize("body", [{"locale": "en"}, "[]", 5, True])
def test_body_that_is_not_a_list_is_a_bad_request(world: World, body: object) -> None:
    put_rejected(world, body, BadRequest)
