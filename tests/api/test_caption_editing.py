"""The caption editor's API, reading and saving: a track as cues (GET .../cues), the cues saved
back (PUT .../cues) as WebVTT that keeps the track's header, STYLE, REGION and NOTE blocks,
recorded as an ``editor`` version; unchanged cues change nothing; a save from a version that is
no longer the newest is refused (409) and two saves from one base cannot both win; invalid cues
are refused per cue (422) and malformed bodies per field (400); the rights of every route."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from mediaobjects.media_tracks import editing
from tests.support.api import Api, Person
from tests.support.world import World, build_world

VTT = (
    "WEBVTT - lecture\n"
    "Kind: captions\n\n"
    "NOTE made by hand\n\n"
    "REGION\nid:low width:40%\n\n"
    "STYLE\n::cue { color: yellow }\n\n"
    "intro\n00:00:02.000 --> 00:00:04.000 align:start line:0\nHello &amp; <i>welcome</i>\n\n"
    "NOTE checked by the captioner\n\n"
    "00:01:00.000 --> 00:01:02.000\n<v Ana>Bye</v>\nsee you\n"
)
SRT = "1\n00:00:01,000 --> 00:00:02,500\nTom & Jerry\n\n2\n00:00:03,000 --> 00:00:04,000\n<i>Two</i>\n"


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def tracks_url(world: World) -> str:
    return f"/api/v1/media_objects/{world.media_id}/media_tracks"


def add(world: World, content: str, locale: str = "en") -> int:
    world.api.ok(
        "PUT", tracks_url(world), world.teacher, json=[{"locale": locale, "content": content}]
    )
    listed = world.api.ok("GET", tracks_url(world), world.teacher)
    return int(next(t["id"] for t in listed if t["locale"] == locale))


def cues_url(world: World, tid: int) -> str:
    return f"{tracks_url(world)}/{tid}/cues"


def get_cues(world: World, tid: int, who: Person | None = None) -> Any:
    return world.api.ok("GET", cues_url(world, tid), who or world.teacher)


def put(world: World, tid: int, body: Any, who: Person | None = None) -> Any:
    return world.api.request("PUT", cues_url(world, tid), who or world.teacher, json=body)


def served(world: World, tid: int) -> str:
    r = world.api.request(
        "GET", f"/media_objects/{world.media_id}/media_tracks/{tid}", world.teacher
    )
    assert r.status_code == 200
    return r.text


def stored(world: World, locale: str = "en") -> str:
    listed = world.api.ok("GET", tracks_url(world) + "?include[]=content", world.teacher)
    return str(next(t["content"] for t in listed if t["locale"] == locale))


def version_reasons(world: World, tid: int) -> list[str]:
    listed = world.api.ok("GET", f"{tracks_url(world)}/{tid}/versions", world.teacher)
    return [v["reason"] for v in listed]


def cue(start: int, end: int, text: str, **kw: Any) -> dict[str, Any]:
    return {"start_ms": start, "end_ms": end, "text": text, **kw}


# ---- reading ---------------------------------------------------------------------------------


def test_a_webvtt_track_reads_as_its_cues_with_its_newest_version(world: World) -> None:
    tid = add(world, VTT)
    body = get_cues(world, tid)
    assert body["cues"] == [
        {
            "start_ms": 2000,
            "end_ms": 4000,
            "text": "Hello &amp; <i>welcome</i>",
            "identifier": "intro",
            "settings": "align:start line:0",
        },
        {
            "start_ms": 60000,
            "end_ms": 62000,
            "text": "<v Ana>Bye</v>\nsee you",
            "identifier": None,
            "settings": "",
        },
    ]
    track = body["track"]
    assert track["id"] == tid and track["locale"] == "en" and track["kind"] == "subtitles"
    newest = world.api.ok("GET", f"{tracks_url(world)}/{tid}/versions", world.teacher)[0]
    assert track["version_id"] == newest["id"]
    assert track["updated_at"].endswith("Z") and track["created_at"].endswith("Z")


def test_an_srt_track_reads_as_the_cues_players_get(world: World) -> None:
    tid = add(world, SRT)
    cues = get_cues(world, tid)["cues"]
    assert [(c["start_ms"], c["end_ms"], c["text"]) for c in cues] == [
        (1000, 2500, "Tom &amp; Jerry"),
        (3000, 4000, "<i>Two</i>"),
    ]


def test_students_read_the_cues_and_strangers_do_not(world: World) -> None:
    tid = add(world, VTT)
    assert len(get_cues(world, tid, world.student)["cues"]) == 2
    url = cues_url(world, tid)
    assert world.api.request("GET", url, world.outsider).status_code == 403
    assert world.api.request("GET", url).status_code == 401
    assert (
        world.api.request("GET", f"{tracks_url(world)}/{tid + 999}/cues", world.teacher).status_code
        == 404
    )
    assert (
        world.api.request(
            "GET", "/api/v1/media_objects/m-nothing/media_tracks/1/cues", world.teacher
        ).status_code
        == 404
    )


# ---- saving ----------------------------------------------------------------------------------


def test_saved_cues_keep_the_tracks_header_regions_styles_and_notes(world: World) -> None:
    tid = add(world, VTT)
    opened = get_cues(world, tid)
    cues = opened["cues"]
    cues[0]["text"] = "Hello & <b>welcome</b>"
    cues[1]["end_ms"] = 63500
    cues.append(cue(70000, 71000, "A new one", settings="align:end"))
    r = put(world, tid, {"cues": cues, "base_version_id": opened["track"]["version_id"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["track"]["version_id"] != opened["track"]["version_id"]
    # The answer shows the cues as stored: the writer escaped the lone "&".
    assert body["cues"][0]["text"] == "Hello &amp; <b>welcome</b>"
    assert body["cues"] == get_cues(world, tid)["cues"]
    text = stored(world)
    assert text.startswith("WEBVTT - lecture\nKind: captions\n\nNOTE made by hand\n\n")
    assert "REGION\nid:low width:40%" in text and "STYLE\n::cue { color: yellow }" in text
    assert (
        "intro\n00:00:02.000 --> 00:00:04.000 align:start line:0\nHello &amp; <b>welcome</b>"
        in text
    )
    assert (
        "NOTE checked by the captioner\n\n00:01:00.000 --> 00:01:03.500\n<v Ana>Bye</v>\nsee you"
        in text
    )
    assert text.endswith("00:01:10.000 --> 00:01:11.000 align:end\nA new one\n")
    assert served(world, tid) == text.removesuffix("\n")
    assert version_reasons(world, tid) == ["editor", "api"]
    newest = world.api.ok("GET", f"{tracks_url(world)}/{tid}/versions", world.teacher)[0]
    assert newest["user_id"] == world.teacher.id and newest["id"] == body["track"]["version_id"]


def test_the_same_cues_saved_again_change_nothing(world: World) -> None:
    tid = add(world, VTT)
    opened = get_cues(world, tid)
    before = served(world, tid)
    body = {"cues": opened["cues"], "base_version_id": opened["track"]["version_id"]}
    r = put(world, tid, body)
    assert r.status_code == 200, r.text
    assert r.json() == opened
    assert version_reasons(world, tid) == ["api"]
    assert served(world, tid) == before


def test_an_srt_track_stays_srt_until_its_cues_change_then_becomes_webvtt(world: World) -> None:
    tid = add(world, SRT)
    opened = get_cues(world, tid)
    r = put(world, tid, {"cues": opened["cues"], "base_version_id": opened["track"]["version_id"]})
    assert r.status_code == 200
    assert stored(world) == SRT and version_reasons(world, tid) == ["api"]
    cues = opened["cues"]
    cues[1]["text"] = "<i>Two</i> & three"
    r = put(world, tid, {"cues": cues, "base_version_id": opened["track"]["version_id"]})
    assert r.status_code == 200, r.text
    assert stored(world) == (
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\nTom &amp; Jerry\n\n"
        "2\n00:00:03.000 --> 00:00:04.000\n<i>Two</i> &amp; three\n"
    )
    assert version_reasons(world, tid) == ["editor", "api"]


def test_the_kind_may_change_with_the_cues(world: World) -> None:
    tid = add(world, VTT)
    opened = get_cues(world, tid)
    r = put(world, tid, {"cues": opened["cues"][:1], "kind": "captions"})
    assert r.status_code == 200, r.text
    assert r.json()["track"]["kind"] == "captions" and len(r.json()["cues"]) == 1
    # The kind alone may change too.
    r = put(world, tid, {"cues": r.json()["cues"], "kind": "descriptions"})
    assert r.status_code == 200 and get_cues(world, tid)["track"]["kind"] == "descriptions"


def test_an_empty_cue_list_is_refused_as_every_write_refuses_an_empty_track(world: World) -> None:
    tid = add(world, VTT)
    r = put(world, tid, {"cues": []})
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert error["field"] == "cues" and "delete the track" in error["message"]
    assert version_reasons(world, tid) == ["api"]


def test_a_save_from_an_older_version_is_refused_and_names_who_saved_since(world: World) -> None:
    tid = add(world, VTT)
    opened = get_cues(world, tid)
    base = opened["track"]["version_id"]
    ta_cues = [cue(0, 1000, "the TA's")]
    assert put(world, tid, {"cues": ta_cues, "base_version_id": base}, world.ta).status_code == 200
    newest = get_cues(world, tid)
    r = put(world, tid, {"cues": [cue(0, 1000, "mine")], "base_version_id": base})
    assert r.status_code == 409
    error = r.json()["errors"][0]
    assert error["error_code"] == "conflict"
    assert error["version_id"] == newest["track"]["version_id"]
    assert "Ta Person" in error["message"] and "since you opened" in error["message"]
    assert get_cues(world, tid)["cues"][0]["text"] == "the TA's"
    # Without a base the save goes through (a client that does not care about others).
    assert put(world, tid, {"cues": [cue(0, 1000, "mine")]}).status_code == 200


def test_two_saves_from_one_base_cannot_both_win(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    tid = add(world, VTT)
    base = get_cues(world, tid)["track"]["version_id"]
    second_checked = threading.Event()
    real = editing.cue_problems

    def cue_problems(drafts: Any) -> Any:
        # Runs after a save compared its base with the newest version. The first save waits
        # there for the second to get past that comparison too: with the row lock (or the
        # write lock) the second cannot until the first commits, so the wait ends at its
        # deadline; without it both would pass and both would write.
        if drafts and drafts[0].text == "first":
            second_checked.wait(timeout=3)
        elif drafts and drafts[0].text == "second":
            second_checked.set()
        return real(drafts)

    monkeypatch.setattr(editing, "cue_problems", cue_problems)
    results: dict[str, int] = {}

    def save(text: str) -> None:
        r = put(world, tid, {"cues": [cue(0, 1000, text)], "base_version_id": base})
        results[text] = r.status_code

    first = threading.Thread(target=save, args=("first",))
    first.start()
    # The second starts once the first holds its transaction (it is waiting in cue_problems
    # or still on its way there: either way it began first).
    second = threading.Thread(target=save, args=("second",))
    second.start()
    first.join(timeout=60)
    second.join(timeout=60)
    assert sorted(results.values()) == [200, 409], results
    winner = next(text for text, status in results.items() if status == 200)
    assert get_cues(world, tid)["cues"][0]["text"] == winner
    assert version_reasons(world, tid) == ["editor", "api"]


# ---- refused cues and bodies -----------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, field, words",
    [
        (cue(0, 1000, "one\n\ntwo"), "text", "empty line"),
        (cue(0, 1000, "one\n"), "text", "empty line"),
        (cue(0, 1000, "\none"), "text", "empty line"),
        (cue(0, 1000, "a --> b"), "text", '"-->"'),
        (cue(0, 1000, "nul\x00"), "text", "NUL"),
        (cue(1000, 1000, "x"), "end", "the same as the start"),
        (cue(2000, 1000, "x"), "end", "before the start"),
        (cue(-1, 1000, "x"), "start", "between 0 and"),
        (cue(0, 10**16, "x"), "end", "between 0 and"),
        (cue(0, 1000, "x", identifier="two\nlines"), "identifier", "single line"),
        (cue(0, 1000, "x", identifier="a-->b"), "identifier", '"-->"'),
        (cue(0, 1000, "x", settings="colour:red"), "settings", "unknown cue setting"),
        (cue(0, 1000, "x", settings="align"), "settings", "align:start"),
        (cue(0, 1000, "x", settings="align:start\nline:0"), "settings", "single line"),
    ],
)
def test_invalid_cues_are_refused_naming_the_cue_and_nothing_is_stored(
    world: World, bad: dict[str, Any], field: str, words: str
) -> None:
    tid = add(world, VTT)
    before = stored(world)
    r = put(world, tid, {"cues": [cue(0, 500, "fine"), bad]})
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert errors[0]["cue"] == 2 and errors[0]["field"] == field
    assert words in errors[0]["message"]
    assert stored(world) == before and version_reasons(world, tid) == ["api"]


def test_every_problem_of_every_cue_is_listed(world: World) -> None:
    tid = add(world, VTT)
    r = put(world, tid, {"cues": [cue(5, 1, "a\n\nb"), cue(0, 1, "fine"), cue(-5, 1, "-->")]})
    assert r.status_code == 422
    assert [(e["cue"], e["field"]) for e in r.json()["errors"]] == [
        (1, "end"),
        (1, "text"),
        (3, "start"),
        (3, "text"),
    ]


def test_an_unknown_kind_is_refused(world: World) -> None:
    tid = add(world, VTT)
    r = put(world, tid, {"cues": [cue(0, 1000, "x")], "kind": "karaoke"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"cues": [cue(0, 1000, "x") | {"start_ms": 1.5}]}, "cues[0].start_ms"),
        ({"cues": [cue(0, 1000, "x") | {"end_ms": True}]}, "cues[0].end_ms"),
        ({"cues": [cue(0, 1000, "x") | {"end_ms": "1000"}]}, "cues[0].end_ms"),
        ({"cues": [{"end_ms": 1, "text": "x"}]}, "cues[0].start_ms"),
        ({"cues": [cue(0, 1000, "x"), cue(0, 1000, 5)]}, "cues[1].text"),
        ({"cues": [cue(0, 1000, "x", identifier=7)]}, "cues[0].identifier"),
        ({"cues": [cue(0, 1000, "x", settings=None) | {"settings": []}]}, "cues[0].settings"),
        ({"cues": [cue(0, 1000, "x") | {"start": 0}]}, "cues[0].start"),
        ({"cues": ["00:00:01.000 --> 00:00:02.000"]}, "cues[0]"),
        ({"cues": "WEBVTT"}, "cues"),
        ({}, "cues"),
        ({"cues": [], "base_version_id": "3"}, "base_version_id"),
        ({"cues": [], "base_version_id": 2.0}, "base_version_id"),
        ({"cues": [], "kind": 1}, "kind"),
        ({"cues": [], "content": "WEBVTT"}, "content"),
        ([], "body"),
    ],
)
def test_malformed_bodies_are_refused_naming_the_field(world: World, body: Any, field: str) -> None:
    tid = add(world, VTT)
    r = put(world, tid, body)
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    "raw, field",
    [
        ('{"cues": [{"start_ms": 0, "end_ms": 1, "text": "\\ud800"}]}', "cues[0].text"),
        (
            '{"cues": [{"start_ms": 0, "end_ms": 1, "text": "x", "identifier": "\\udfff"}]}',
            "cues[0].identifier",
        ),
    ],
)
def test_lone_surrogates_are_refused_naming_the_field(world: World, raw: str, field: str) -> None:
    tid = add(world, VTT)
    r = world.api.request(
        "PUT",
        cues_url(world, tid),
        world.teacher,
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 5000 + "]" * 5000,
        '{"cues": [{"start_ms": ' + "9" * 5000 + ', "end_ms": 1, "text": "x"}]}',
        '{"cues": [{"start_ms": NaN, "end_ms": 1, "text": "x"}]}',
        "",
        "not json",
    ],
)
def test_hostile_json_is_a_400(world: World, raw: str) -> None:
    tid = add(world, VTT)
    r = world.api.request(
        "PUT",
        cues_url(world, tid),
        world.teacher,
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text


# ---- rights ----------------------------------------------------------------------------------


def test_who_may_save(world: World) -> None:
    tid = add(world, VTT)
    body = {"cues": [cue(0, 1000, "x")]}
    assert put(world, tid, body, world.student).status_code == 403
    assert put(world, tid, body, world.observer).status_code == 403
    assert put(world, tid, body, world.outsider).status_code == 403
    assert world.api.request("PUT", cues_url(world, tid), json=body).status_code == 401
    assert put(world, tid + 999, body).status_code == 404
    assert put(world, tid, body, world.ta).status_code == 200
    assert put(world, tid, body, world.designer).status_code == 200


def test_the_attachment_route_reads_and_saves_the_same_track(world: World) -> None:
    tid = add(world, VTT)
    url = f"/api/v1/media_attachments/{world.attachment_id}/media_tracks/{tid}/cues"
    opened = world.api.ok("GET", url, world.teacher)
    assert opened == get_cues(world, tid)
    r = world.api.request(
        "PUT",
        url,
        world.teacher,
        json={
            "cues": [cue(0, 900, "via the file")],
            "base_version_id": opened["track"]["version_id"],
        },
    )
    assert r.status_code == 200, r.text
    assert get_cues(world, tid)["cues"][0]["text"] == "via the file"


def test_a_track_inherited_through_a_copy_needs_the_rights_on_the_original(
    world: World, api: Api
) -> None:
    tid = add(world, VTT)
    course, copy = world.copy_to_new_course()
    other = api.user("Copy Teacher")
    api.enroll(course, other, "teacher")
    url = f"/api/v1/media_attachments/{copy['id']}/media_tracks/{tid}/cues"
    opened = world.api.ok("GET", url, other)
    assert len(opened["cues"]) == 2
    r = world.api.request("PUT", url, other, json={"cues": [cue(0, 1000, "x")]})
    assert r.status_code == 403
    assert "original" in r.json()["errors"][0]["message"]
    assert (
        world.api.request("PUT", url, world.teacher, json={"cues": [cue(0, 1000, "x")]}).status_code
        == 200
    )


def test_a_student_is_refused_before_the_body_is_looked_at(world: World) -> None:
    tid = add(world, VTT)
    r = world.api.request(
        "PUT",
        cues_url(world, tid),
        world.student,
        content="not json",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 403
