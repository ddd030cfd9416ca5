"""Transcript search over HTTP (``/caption_search`` of a course, a group and the caller's own
files), on whichever database the suite runs: folded accents and case, phrases, every word in
one cue, who finds what, the index following writes and deletes, safe highlighting, paging and
every rejection."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from mediaobjects.files.models import Attachment
from tests.support.api import Api, Person
from tests.support.media import fake_mp4
from tests.support.world import World, build_world


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def vtt(*texts: str) -> str:
    blocks = [
        f"00:00:{i:02d}.000 --> 00:00:{i:02d}.900\n{text}" for i, text in enumerate(texts, start=1)
    ]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


def put(api: Api, who: Person, media_id: str, tracks: list[dict[str, Any]]) -> None:
    api.ok("PUT", f"/api/v1/media_objects/{media_id}/media_tracks", who, json=tracks)


def search(api: Api, who: Person | None, path: str, q: str, **params: Any) -> Any:
    return api.request("GET", f"/api/v1/{path}/caption_search", who, params={"q": q, **params})


def found(api: Api, who: Person, path: str, q: str) -> list[str]:
    """The visible text of every cue found, in result order."""
    response = search(api, who, path, q)
    assert response.status_code == 200, response.text
    return [cue["text"] for row in response.json() for cue in row["cues"]]


LECTURE = vtt(
    "Bienvenue à l'École normale",
    "We meet at the CAFE after class",
    "Machine learning is fun",
    "Learning about the machine itself",
    "<b>Loud</b> noises &amp; <i>whispers</i>",
)


@pytest.fixture
def lecture(world: World) -> World:
    put(world.api, world.teacher, world.media_id, [{"locale": "en", "content": LECTURE}])
    return world


def test_a_student_finds_the_cue_and_when_it_was_said(lecture: World) -> None:
    response = search(lecture.api, lecture.student, f"courses/{lecture.course}", "machine fun")
    assert response.status_code == 200
    assert response.json() == [
        {
            "media_id": lecture.media_id,
            "title": "Lecture 1.mp4",
            "locale": "en",
            "kind": "subtitles",
            "asr": False,
            "match_count": 1,
            "cues": [
                {
                    "start_ms": 3000,
                    "end_ms": 3900,
                    "text": "Machine learning is fun",
                    "highlighted": "<mark>Machine</mark> learning is <mark>fun</mark>",
                }
            ],
        }
    ]
    assert 'rel="current"' in response.headers["Link"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ecole", ["Bienvenue à l'École normale"]),
        ("ÉCOLE", ["Bienvenue à l'École normale"]),
        ("Café", ["We meet at the CAFE after class"]),
        ("cafe", ["We meet at the CAFE after class"]),
        ("a l'ecole", ["Bienvenue à l'École normale"]),
    ],
)
def test_accents_and_case_are_folded(lecture: World, q: str, expected: list[str]) -> None:
    assert found(lecture.api, lecture.student, f"courses/{lecture.course}", q) == expected


def test_a_quoted_phrase_needs_the_words_adjacent_and_in_order(lecture: World) -> None:
    path = f"courses/{lecture.course}"
    assert found(lecture.api, lecture.student, path, "machine learning") == [
        "Machine learning is fun",
        "Learning about the machine itself",
    ]
    assert found(lecture.api, lecture.student, path, '"machine learning"') == [
        "Machine learning is fun"
    ]
    assert found(lecture.api, lecture.student, path, '"learning machine"') == []
    response = search(lecture.api, lecture.student, path, '"machine learning"')
    assert response.json()[0]["cues"][0]["highlighted"] == (
        "<mark>Machine</mark> <mark>learning</mark> is fun"
    )


def test_every_word_must_be_in_the_same_cue(lecture: World) -> None:
    # "cafe" and "fun" are both said, in different cues.
    assert found(lecture.api, lecture.student, f"courses/{lecture.course}", "cafe fun") == []


def test_markup_is_stripped_and_highlighting_escapes_the_text(world: World) -> None:
    content = vtt("Use &lt;b&gt; &amp; tags, <i>bold</i> words")
    put(world.api, world.teacher, world.media_id, [{"locale": "en", "content": content}])
    response = search(world.api, world.student, f"courses/{world.course}", "b bold")
    cue = response.json()[0]["cues"][0]
    assert cue["text"] == "Use <b> & tags, bold words"
    assert cue["highlighted"] == "Use &lt;<mark>b</mark>&gt; &amp; tags, <mark>bold</mark> words"


def test_a_student_of_another_course_finds_nothing_there(lecture: World) -> None:
    api = lecture.api
    other = api.course("Other course")
    other_teacher, other_student = api.user(), api.user()
    api.enroll(other, other_teacher, "teacher")
    api.enroll(other, other_student, "student")
    file = api.upload(f"courses/{other}", other_teacher, "Other.mp4", fake_mp4(), "video/mp4")
    put(api, other_teacher, file["media_entry_id"], [{"locale": "en", "content": vtt("fun")}])

    # In their own course they find their own media only, never course A's "fun".
    response = search(api, other_student, f"courses/{other}", "fun")
    assert [row["media_id"] for row in response.json()] == [file["media_entry_id"]]
    # Course A's search is closed to them, as its media list is.
    refused = search(api, other_student, f"courses/{lecture.course}", "fun")
    assert refused.status_code == 403
    assert refused.json()["errors"]
    listed = api.request("GET", f"/api/v1/courses/{lecture.course}/media_objects", other_student)
    assert listed.status_code == refused.status_code


def test_anonymous_callers_are_refused_everywhere(lecture: World) -> None:
    for path in (f"courses/{lecture.course}", "users/self", "groups/1"):
        response = search(lecture.api, None, path, "fun")
        assert response.status_code == 401, path


def test_an_unknown_course_or_group_is_404(lecture: World) -> None:
    assert search(lecture.api, lecture.student, "courses/999999", "fun").status_code == 404
    assert search(lecture.api, lecture.student, "groups/999999", "fun").status_code == 404


def test_a_group_member_finds_the_group_media_and_others_do_not(world: World) -> None:
    api = world.api
    group = api.group(world.course, world.student)
    file = api.upload(f"groups/{group}", world.student, "group.mp4", fake_mp4(), "video/mp4")
    put(api, world.student, file["media_entry_id"], [{"locale": "fr", "content": vtt("Réunion")}])

    assert found(api, world.student, f"groups/{group}", "reunion") == ["Réunion"]
    assert search(api, world.outsider, f"groups/{group}", "reunion").status_code == 403
    # Group media is not a course file: the course's search does not show it.
    assert found(api, world.teacher, f"courses/{world.course}", "reunion") == []


def test_users_self_finds_only_the_callers_own_media(lecture: World) -> None:
    api = lecture.api
    mine = api.upload("users/self", lecture.student, "mine.mp4", fake_mp4(), "video/mp4")
    put(api, lecture.student, mine["media_entry_id"], [{"locale": "en", "content": vtt("fun")}])

    response = search(api, lecture.student, "users/self", "fun")
    assert [row["media_id"] for row in response.json()] == [mine["media_entry_id"]]
    # The teacher's course file is not among the teacher's own files either.
    assert search(api, lecture.teacher, "users/self", "fun").json() == []


def test_hidden_files_are_searched_only_by_those_who_manage_files(lecture: World) -> None:
    api = lecture.api
    with api.ctx.write() as session:
        hide = update(Attachment).where(Attachment.id == lecture.attachment_id)
        session.execute(hide.values(hidden=True))
    path = f"courses/{lecture.course}"
    assert found(api, lecture.student, path, "fun") == []
    assert found(api, lecture.teacher, path, "fun") == ["Machine learning is fun"]


def test_a_replaced_track_is_found_by_its_new_words_only(lecture: World) -> None:
    api = lecture.api
    path = f"courses/{lecture.course}"
    put(api, lecture.teacher, lecture.media_id, [{"locale": "en", "content": vtt("Brand new")}])
    assert found(api, lecture.student, path, "fun") == []
    assert found(api, lecture.student, path, "brand") == ["Brand new"]


def test_a_deleted_track_or_media_object_is_never_found(lecture: World) -> None:
    api = lecture.api
    path = f"courses/{lecture.course}"
    put(api, lecture.teacher, lecture.media_id, [])
    assert found(api, lecture.teacher, path, "fun") == []

    put(api, lecture.teacher, lecture.media_id, [{"locale": "en", "content": LECTURE}])
    assert found(api, lecture.teacher, path, "fun") == ["Machine learning is fun"]
    api.ok("DELETE", f"/api/v1/files/{lecture.attachment_id}", lecture.teacher)
    assert found(api, lecture.teacher, path, "fun") == []


def test_a_track_deleted_through_the_non_api_route_is_forgotten(lecture: World) -> None:
    api = lecture.api
    tracks = api.ok(
        "GET", f"/api/v1/media_objects/{lecture.media_id}/media_tracks", lecture.teacher
    )
    response = api.request(
        "DELETE",
        f"/media_objects/{lecture.media_id}/media_tracks/{tracks[0]['id']}",
        lecture.teacher,
    )
    assert response.status_code == 200, response.text
    assert found(api, lecture.teacher, f"courses/{lecture.course}", "fun") == []


def test_results_are_paged_one_track_a_row_with_link_headers(world: World) -> None:
    api = world.api
    media_ids = [world.media_id]
    for n in range(2, 4):
        file = api.upload(
            f"courses/{world.course}", world.teacher, f"Lecture {n}.mp4", fake_mp4(), "video/mp4"
        )
        media_ids.append(file["media_entry_id"])
    for media_id in media_ids:
        put(
            api,
            world.teacher,
            media_id,
            [
                {"locale": "en", "content": vtt("Hello world")},
                {"locale": "fr", "content": vtt("Bonjour hello")},
            ],
        )
    path = f"courses/{world.course}"
    first = search(api, world.student, path, "hello", per_page=4)
    assert [(row["title"], row["locale"]) for row in first.json()] == [
        ("Lecture 1.mp4", "en"),
        ("Lecture 1.mp4", "fr"),
        ("Lecture 2.mp4", "en"),
        ("Lecture 2.mp4", "fr"),
    ]
    assert 'page=2&per_page=4>; rel="next"' in first.headers["Link"]
    assert 'page=2&per_page=4>; rel="last"' in first.headers["Link"]
    second = search(api, world.student, path, "hello", per_page=4, page=2)
    assert [(row["title"], row["locale"]) for row in second.json()] == [
        ("Lecture 3.mp4", "en"),
        ("Lecture 3.mp4", "fr"),
    ]
    past = search(api, world.student, path, "hello", per_page=4, page=3)
    assert past.json() == []
    assert 'page=2&per_page=4>; rel="last"' in past.headers["Link"]


def test_a_row_shows_at_most_twenty_cues_and_counts_them_all(world: World) -> None:
    content = vtt(*[f"again {n}" for n in range(30)])
    put(world.api, world.teacher, world.media_id, [{"locale": "en", "content": content}])
    row = search(world.api, world.student, f"courses/{world.course}", "again").json()[0]
    assert row["match_count"] == 30
    assert [cue["text"] for cue in row["cues"]] == [f"again {n}" for n in range(20)]


def test_a_long_cue_is_cut_to_a_thousand_characters(world: World) -> None:
    # One cue may hold a whole 2 MB track; a page of them was hundreds of MB of JSON.
    long_text = "needle é " + "hay " * 2000 + "needle"
    content = vtt(long_text, "needle short")
    put(world.api, world.teacher, world.media_id, [{"locale": "en", "content": content}])
    row = search(world.api, world.student, f"courses/{world.course}", "needle").json()[0]
    assert row["match_count"] == 2
    cut, short = row["cues"]
    assert cut["text"] == long_text[:1000] + "…"
    assert cut["highlighted"].startswith("<mark>needle</mark> é hay")
    assert cut["highlighted"].endswith("hay…") and cut["highlighted"].count("<mark>") == 1
    assert short == {
        "start_ms": short["start_ms"],
        "end_ms": short["end_ms"],
        "text": "needle short",
        "highlighted": "<mark>needle</mark> short",
    }


@pytest.mark.parametrize(
    "q",
    ["", "   ", "?!…", '""', "x" * 201, " ".join(["w"] * 21), "a\x00b", "9" * 5000],
)
def test_bad_queries_are_400_in_the_canvas_envelope(lecture: World, q: str) -> None:
    response = search(lecture.api, lecture.student, f"courses/{lecture.course}", q)
    assert response.status_code == 400, (q, response.text)
    assert response.json()["errors"][0]["field"] == "q"


def test_a_missing_q_is_400(lecture: World) -> None:
    response = lecture.api.request(
        "GET", f"/api/v1/courses/{lecture.course}/caption_search", lecture.student
    )
    assert response.status_code == 400


def test_a_lone_surrogate_is_4xx(lecture: World) -> None:
    url = f"/api/v1/courses/{lecture.course}/caption_search?q=%ED%A0%80fun"
    response = lecture.api.request("GET", url, lecture.student)
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    "q", ["fun AND", "NOT fun", "fun OR", "NEAR(fun)", "fun*", "^fun", 'fun"', "a:b", "(", "&|!<->"]
)
def test_search_syntax_in_q_is_just_words(lecture: World, q: str) -> None:
    response = search(lecture.api, lecture.student, f"courses/{lecture.course}", q)
    assert response.status_code in (200, 400), (q, response.text)


def test_a_copy_shows_the_original_captions_until_it_has_its_own(lecture: World) -> None:
    api = lecture.api
    other, copy = lecture.copy_to_new_course()
    student_b = api.user()
    api.enroll(other, student_b, "student")
    path_a, path_b = f"courses/{lecture.course}", f"courses/{other}"
    # The copy inherits the original's English track, as its track list shows.
    assert found(api, student_b, path_b, "fun") == ["Machine learning is fun"]

    own = [
        {"locale": "en", "content": vtt("Copied and changed")},
        {"locale": "de", "content": vtt("Spaß")},
    ]
    api.ok("PUT", f"/api/v1/media_attachments/{copy['id']}/media_tracks", lecture.teacher, json=own)
    # Its own English track hides the inherited one; the original's course is unchanged.
    assert found(api, student_b, path_b, "fun") == []
    assert found(api, student_b, path_b, "changed") == ["Copied and changed"]
    assert found(api, student_b, path_b, "spass") == ["Spaß"]
    assert found(api, lecture.student, path_a, "fun") == ["Machine learning is fun"]
    assert found(api, lecture.student, path_a, "changed") == []
    assert found(api, lecture.student, path_a, "spass") == []


def test_absurd_pages(lecture: World) -> None:
    path = f"courses/{lecture.course}"
    far = search(lecture.api, lecture.student, path, "fun", page="9" * 30)
    assert far.status_code == 200 and far.json() == []
    assert 'page=1&per_page=10>; rel="last"' in far.headers["Link"]
    for page in ("0", "-1", "x", "9" * 1001):
        assert search(lecture.api, lecture.student, path, "fun", page=page).status_code == 404
