"""The media track routes over HTTP: list/replace (API), create/show/delete (non-API), the
attachment inheritance rules, WebVTT serving with ETag/304 and signed verifiers — Canvas cases
of canvas-media-api.md §4 by number, adapted where decisions.md differs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Api
from tests.support.world import World, build_world

DOCS_SRT = "1\r\n00:00:00,000 --> 00:00:01,251\r\nThis is the content\r\n"


def srt(text: str, start: str = "00:00:01,000", end: str = "00:00:02,000") -> str:
    return f"1\n{start} --> {end}\n{text}\n"


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def put_tracks(world: World, body: Any, route: str | None = None, query: str = "") -> Any:
    url = route or f"/api/v1/media_objects/{world.media_id}/media_tracks"
    return world.api.request("PUT", url + query, world.teacher, json=body)


def track_ids(world: World, route: str | None = None) -> dict[str, int]:
    url = route or f"/api/v1/media_objects/{world.media_id}/media_tracks"
    return {t["locale"]: t["id"] for t in world.api.ok("GET", url, world.teacher)}


def content_of(world: World, track_id: int, route: str | None = None) -> Any:
    url = route or f"/media_objects/{world.media_id}/media_tracks"
    return world.api.request("GET", f"{url}/{track_id}", world.teacher)


# ---- conversion and serving -------------------------------------------------------------------


def test_case_15_docs_srt_is_served_exactly_as_canvas(world: World) -> None:
    put_tracks(world, [{"locale": "en", "content": DOCS_SRT}])
    r = content_of(world, track_ids(world)["en"])
    assert r.status_code == 200
    assert r.text == "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.251\nThis is the content"
    assert r.headers["content-type"] == "text/vtt; charset=utf-8"


def test_case_16_and_16b_single_digit_hours_are_repaired_d7(world: World) -> None:
    put_tracks(world, [{"locale": "en", "content": "1\n0:00:01,000 --> 0:00:04,000\nHi"}])
    r = content_of(world, track_ids(world)["en"])
    # D7 fixes Canvas's bug: the end time is repaired too.
    assert r.text == "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nHi"


def test_case_14_18_garbage_is_422_naming_the_line_d8(world: World) -> None:
    r = put_tracks(world, [{"locale": "en", "content": "subs"}])
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["index"] == 0 and err["field"] == "content"
    assert err["message"].startswith("no timing found: this looks like a plain transcript")
    r = put_tracks(world, [{"locale": "en", "content": "subs\n00:00:01,000 --> 00:00:02,000\n"}])
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"].startswith("line 1:")


def test_case_17_webvtt_upload_is_served_and_exposed(world: World) -> None:
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n"
    body = put_tracks(
        world,
        [{"locale": "en", "content": vtt}],
        query="?include[]=webvtt_content&include[]=content",
    )
    track = body.json()[0]
    assert track["content"] == vtt
    # D7: webvtt_content is the normalised WebVTT, not null as in Canvas.
    assert track["webvtt_content"].startswith("WEBVTT")
    assert content_of(world, track["id"]).text.startswith(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello"
    )


# One caption in each converted format, as vendors send them (CRLF, entities, styling, script).
CONVERTED = {
    "sbv": "\ufeff0:00:01.000,0:00:02.500\r\n>> ANN: Tom & <i>Jerry</i>\r\n",
    "ttml": (
        '<?xml version="1.0" encoding="UTF-8"?>\r\n<tt xmlns="http://www.w3.org/ns/ttml" '
        'xmlns:tts="http://www.w3.org/ns/ttml#styling" xml:lang="en"><body><div>\r\n'
        '<p begin="00:00:01.000" end="00:00:02.500" tts:color="red">&gt;&gt; ANN: Tom &amp; '
        '<span tts:fontStyle="italic">Jerry</span><script>alert(1)</script></p>\r\n'
        "</div></body></tt>\r\n"
    ),
    "dfxp": (
        '<tt xmlns="http://www.w3.org/2006/10/ttaf1" xmlns:tts="http://www.w3.org/2006/10/ttaf1#style" '
        'xmlns:ttp="http://www.w3.org/2006/10/ttaf1#parameter" ttp:frameRate="30"><body><div>'
        '<p begin="00:00:01:00" end="00:00:02:15">&gt;&gt; ANN: Tom &amp; '
        '<span tts:fontStyle="italic">Jerry</span></p></div></body></tt>'
    ),
    "sami": (
        '<SAMI><HEAD><STYLE TYPE="text/css"><!--\r\n.ENUSCC { Name: English; lang: en-US; }\r\n'
        "--></STYLE><SCRIPT>alert(1)</SCRIPT></HEAD><BODY>\r\n<SYNC Start=1000><P Class=ENUSCC "
        'onclick="x()">&gt;&gt; ANN: Tom &amp; <i>Jerry</i>\r\n<SYNC Start=2500><P Class=ENUSCC>'
        "&nbsp;\r\n</BODY></SAMI>"
    ),
}


@pytest.mark.parametrize("name", sorted(CONVERTED))
def test_converted_formats_are_stored_and_served_as_webvtt(world: World, name: str) -> None:
    body = put_tracks(
        world,
        [{"locale": "en", "content": CONVERTED[name]}],
        query="?include[]=webvtt_content&include[]=content",
    )
    assert body.status_code == 200, body.text
    [track] = body.json()
    webvtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n&gt;&gt; ANN: Tom &amp; <i>Jerry</i>"
    # The original markup (styles, scripts, handlers) is stored nowhere.
    assert (track["content"], track["webvtt_content"]) == (webvtt, webvtt)
    served = content_of(world, track["id"])
    assert (served.status_code, served.text) == (200, webvtt)
    assert served.headers["content-type"] == "text/vtt; charset=utf-8"


def test_converted_formats_list_their_problems_with_lines(world: World) -> None:
    sbv = "0:00:02.000,0:00:01.000\nBackwards\n\nno timing\n"
    r = put_tracks(
        world, [{"locale": "en", "content": srt("fine")}, {"locale": "fr", "content": sbv}]
    )
    assert r.status_code == 422
    first = r.json()["errors"][0]
    assert (first["index"], first["field"], first["message"]) == (
        1,
        "content",
        "line 1, cue 1: end time 0:00:01.000 is before the start time 0:00:02.000; a cue "
        "must end after it starts",
    )
    assert track_ids(world) == {}


def test_scc_is_stored_and_served_as_webvtt(world: World) -> None:
    # Broadcast pop-on: RCL, row 15, ">> Tom & Jerry" in italics, EOC; EDM two seconds later.
    scc = (
        "Scenarist_SCC V1.0\r\n\r\n00:00:01;00\t9420 9420 9470 9470 91ae 91ae 3e3e 2054 ef6d"
        " 2026 204a e5f2 f279 942f 942f\r\n\r\n00:00:03;00\t942c 942c\r\n"
    )
    body = put_tracks(
        world,
        [{"locale": "en", "content": scc}],
        query="?include[]=webvtt_content&include[]=content",
    )
    assert body.status_code == 200, body.text
    [track] = body.json()
    # The EOC is the 14th word of its line: 13 frames after 00:00:01;00.
    webvtt = "WEBVTT\n\n00:00:01.435 --> 00:00:03.003\n<i>&gt;&gt; Tom &amp; Jerry</i>"
    assert (track["content"], track["webvtt_content"]) == (webvtt, webvtt)
    assert content_of(world, track["id"]).text == webvtt

    broken = scc.replace("942c 942c", "942c 94zz")
    r = put_tracks(world, [{"locale": "en", "content": broken}])
    assert r.status_code == 422
    assert r.json()["errors"][0]["line"] == 5
    assert content_of(world, track["id"]).text == webvtt  # nothing changed


def test_case_19_no_trailing_whitespace(world: World) -> None:
    put_tracks(world, [{"locale": "en", "content": srt("Hi") + "\n\n   \n"}])
    assert not content_of(world, track_ids(world)["en"]).text.endswith(("\n", " "))


def test_case_37_revalidation_gives_304(world: World) -> None:
    put_tracks(world, [{"locale": "en", "content": srt("Hi")}])
    first = content_of(world, track_ids(world)["en"])
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    url = f"/media_objects/{world.media_id}/media_tracks/{track_ids(world)['en']}"
    again = world.api.request("GET", url, world.teacher, headers={"If-None-Match": etag})
    assert again.status_code == 304
    since = world.api.request("GET", url, world.teacher, headers={"If-Modified-Since": modified})
    assert since.status_code == 304


def test_d5_track_url_works_without_authorization_header(world: World) -> None:
    put_tracks(world, [{"locale": "en", "content": srt("Hi")}])
    info = world.api.ok("GET", f"/media_objects/{world.media_id}/info", world.student)
    url = info["media_tracks"][0]["url"]
    assert "verifier=" in url
    assert world.api.client.get(url).status_code == 200
    bare = url.split("?")[0]
    assert world.api.client.get(bare).status_code == 401
    assert world.api.request("GET", bare, world.outsider).status_code == 403
    assert world.api.client.get(bare + "?verifier=1.forged").status_code == 401


# ---- list and replace (API) ------------------------------------------------------------------------


def test_case_44_list_with_content(world: World) -> None:
    put_tracks(
        world,
        [{"locale": "en", "content": srt("en subs")}, {"locale": "af", "content": srt("af subs")}],
    )
    body = world.api.ok(
        "GET",
        f"/api/v1/media_objects/{world.media_id}/media_tracks?include[]=content",
        world.teacher,
    )
    assert [t["locale"] for t in body] == ["af", "en"]
    for t in body:
        assert {"id", "locale", "kind", "media_object_id", "user_id", "content"} <= set(t)
        assert t["user_id"] == world.teacher.id


def test_case_46_50_default_fields_and_unknown_include(world: World) -> None:
    put_tracks(world, [{"locale": "en", "content": srt("x")}])
    track = world.api.ok(
        "GET", f"/api/v1/media_objects/{world.media_id}/media_tracks?include[]=bogus", world.teacher
    )[0]
    assert track["workflow_state"] == "ready" and track["asr"] is False
    assert "content" not in track and "created_at" not in track


def test_d4_every_users_tracks_are_listed(world: World) -> None:
    world.api.request(
        "POST",
        f"/media_objects/{world.media_id}/media_tracks",
        world.ta,
        data={"locale": "fr", "content": srt("fr")},
    )
    put_tracks(world, [{"locale": "fr"}, {"locale": "en", "content": srt("en")}])
    # Canvas case 49 shows only the caller's own tracks; D4 shows everyone's.
    assert set(track_ids(world)) == {"en", "fr"}


def test_case_51_replace_semantics(world: World) -> None:
    put_tracks(
        world, [{"locale": loc, "content": srt(f"{loc} subs")} for loc in ("en", "af", "br")]
    )
    r = put_tracks(
        world,
        [
            {"locale": "en", "content": srt("new en")},
            {"locale": "es", "content": srt("es subs")},
            {"locale": "br"},
        ],
        query="?include[]=content",
    )
    assert r.status_code == 200
    got = {t["locale"]: t["content"] for t in r.json()}
    assert got == {"br": srt("br subs"), "en": srt("new en"), "es": srt("es subs")}


def test_case_58_empty_array_deletes_everything(world: World) -> None:
    put_tracks(world, [{"locale": "en", "content": srt("x")}])
    r = put_tracks(world, [])
    assert r.status_code == 200 and r.json() == []
    assert track_ids(world) == {}


def test_case_59_d1_invalid_element_changes_nothing(world: World) -> None:
    put_tracks(world, [{"locale": "fr", "content": srt("fr")}])
    r = put_tracks(
        world,
        [
            {"locale": "en", "content": srt("x"), "kind": "bogus"},
            {"locale": "pt_BR", "content": "garbage"},
        ],
    )
    assert r.status_code == 422
    problems = {(e["index"], e["field"]) for e in r.json()["errors"]}
    assert {(0, "kind"), (1, "locale"), (1, "content")} <= problems
    assert "pt-BR" in " ".join(e["message"] for e in r.json()["errors"])
    assert set(track_ids(world)) == {"fr"}


BROKEN_SRT = (
    "1\n00:00:02,000 --> 00:00:01,000\nbackwards\n\n"
    "2\n00:00:03,000 --> 00:00:04,000\nfine\n\n"
    "3\nno timing here\n"
)
BROKEN_SRT_ERRORS = [
    (2, 1, "line 2, cue 1: end time 00:00:01,000 is before start time 00:00:02,000"),
    (
        10,
        3,
        'line 10, cue 3: expected a timing line like "00:00:01,000 --> 00:00:02,000" '
        'but found "no timing here"',
    ),
]


def test_put_lists_every_caption_problem_with_its_line_and_cue(world: World) -> None:
    put_tracks(world, [{"locale": "fr", "content": srt("fr")}])
    r = put_tracks(
        world,
        [{"locale": "fr"}, {"locale": "en", "content": BROKEN_SRT}, {"locale": "x y z"}],
    )
    assert r.status_code == 422
    errors = r.json()["errors"]
    content = [e for e in errors if e["field"] == "content"]
    assert [(e["line"], e["cue"], e["message"]) for e in content] == BROKEN_SRT_ERRORS
    assert {(e["index"], e["error_code"]) for e in content} == {(1, "invalid")}
    # Problems that are not inside caption content keep Canvas's envelope unchanged.
    (locale,) = [e for e in errors if e["field"] == "locale"]
    assert set(locale) == {"index", "field", "message", "error_code"}
    # Nothing is stored: the PUT would have deleted nothing and added nothing.
    assert set(track_ids(world)) == {"fr"}


def test_a_problem_outside_any_cue_has_a_line_but_no_cue(world: World) -> None:
    r = put_tracks(world, [{"locale": "en", "content": "WEBVTT\n\nHello\n"}])
    (error,) = r.json()["errors"]
    assert (error["line"], "cue" in error) == (3, False)


def test_non_api_create_lists_every_caption_problem(world: World) -> None:
    for route in (
        f"/media_objects/{world.media_id}/media_tracks",
        f"/media_attachments/{world.attachment_id}/media_tracks",
    ):
        r = world.api.request(
            "POST", route, world.teacher, data={"locale": "en", "content": BROKEN_SRT}
        )
        assert r.status_code == 422
        errors = r.json()["errors"]
        assert [(e["line"], e["cue"], e["message"]) for e in errors] == BROKEN_SRT_ERRORS
        assert all(e["field"] == "content" and "index" not in e for e in errors)
    assert track_ids(world) == {}


def test_case_61_last_duplicate_wins(world: World) -> None:
    r = put_tracks(
        world,
        [{"locale": "en", "content": srt("a")}, {"locale": "en", "content": srt("b")}],
        query="?include[]=content",
    )
    assert [t["content"] for t in r.json()] == [srt("b")]


def test_d9_locales_canonical_and_case_insensitive(world: World) -> None:
    put_tracks(
        world, [{"locale": "en-us", "content": srt("x")}, {"locale": "es-419", "content": srt("y")}]
    )
    assert set(track_ids(world)) == {"en-US", "es-419"}
    put_tracks(world, [{"locale": "EN-US"}, {"locale": "es-419"}])
    assert set(track_ids(world)) == {"en-US", "es-419"}


def test_d2_put_without_rights_is_403_and_changes_nothing(world: World) -> None:
    put_tracks(world, [{"locale": "en", "content": srt("x")}])
    r = world.api.request(
        "PUT", f"/api/v1/media_objects/{world.media_id}/media_tracks", world.student, json=[]
    )
    assert r.status_code == 403
    assert set(track_ids(world)) == {"en"}


def test_d13_oversized_caption_is_413(world: World) -> None:
    limit = world.api.ctx.settings.max_caption_bytes
    big = "1\n00:00:01,000 --> 00:00:02,000\n" + "x" * limit + "\n"
    r = put_tracks(world, [{"locale": "en", "content": big}])
    assert r.status_code == 413
    assert track_ids(world) == {}


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b'{"media_tracks": []}', b"[1, 2]", b'"en"'],
)
def test_put_body_must_be_an_array_of_objects(world: World, raw: bytes) -> None:
    r = world.api.request(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422)
    assert "errors" in r.json()


def test_put_body_sent_as_form_content_type_is_read_raw(world: World) -> None:
    body = b'[{"locale": "en", "content": "1\\n00:00:01,000 --> 00:00:02,000\\nHi\\n"}]'
    r = world.api.request(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200
    assert r.json()[0]["locale"] == "en"


def test_ttml_without_times_is_refused(world: World) -> None:
    ttml = '<tt xmlns="http://www.w3.org/ns/ttml"><body><p onerror="alert(1)">x</p></body></tt>'
    r = put_tracks(world, [{"locale": "en", "content": ttml}])
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"] == (
        "line 1, cue 1: this paragraph has no end: give it end= or dur= (or its <div>)"
    )


# ---- the attachment views ----------------------------------------------------------------------------


def test_cases_52_57_attachment_inheritance(world: World) -> None:
    api = world.api
    _, copy = world.copy_to_new_course()
    a2 = f"/api/v1/media_attachments/{copy['id']}/media_tracks"
    put_tracks(
        world,
        [
            {"locale": "en", "content": srt("en subs")},
            {"locale": "af", "content": srt("af subs 1")},
        ],
    )
    # A2 sees A1's tracks as inherited.
    inherited = api.ok("GET", f"/media_attachments/{copy['id']}/info", world.teacher)[
        "media_tracks"
    ]
    assert {(t["locale"], t["inherited"]) for t in inherited} == {("en", True), ("af", True)}
    # Case 57: a PUT through A2 copies on write; A1 keeps its tracks except omitted inherited ones.
    r = put_tracks(
        world,
        [
            {"locale": "en", "content": srt("new en")},
            {"locale": "es", "content": srt("es subs")},
            {"locale": "af"},
        ],
        route=a2,
        query="?include[]=content",
    )
    assert r.status_code == 200
    assert {t["locale"]: t["content"] for t in r.json()} == {
        "af": srt("af subs 1"),
        "en": srt("new en"),
        "es": srt("es subs"),
    }
    a1 = api.ok(
        "GET",
        f"/api/v1/media_objects/{world.media_id}/media_tracks?include[]=content",
        world.teacher,
    )
    assert {t["locale"]: t["content"] for t in a1} == {"af": srt("af subs 1"), "en": srt("en subs")}
    # Case 45: the media object view never shows A2's own tracks.
    assert "es" not in track_ids(world)


def test_cases_26_28_post_through_attachments(world: World) -> None:
    api = world.api
    _, copy = world.copy_to_new_course()
    r = api.request(
        "POST",
        f"/media_attachments/{world.attachment_id}/media_tracks",
        world.teacher,
        data={"locale": "en", "content": srt("first en subs")},
    )
    assert r.status_code == 200
    assert r.json()["locale"] == "en" and "media_object_id" in r.json()
    r2 = api.request(
        "POST",
        f"/media_attachments/{copy['id']}/media_tracks",
        world.teacher,
        data={"locale": "en", "content": srt("second en subs")},
    )
    assert r2.status_code == 200 and r2.json()["id"] != r.json()["id"]
    assert content_of(world, r.json()["id"]).text.endswith("first en subs")
    again = api.request(
        "POST",
        f"/media_attachments/{copy['id']}/media_tracks",
        world.teacher,
        data={"locale": "en", "content": srt("third")},
    )
    assert again.json()["id"] == r2.json()["id"]


def test_cases_21_23_post_through_media_object(world: World) -> None:
    api = world.api
    url = f"/media_objects/{world.media_id}/media_tracks"
    r = api.request(
        "POST",
        url,
        world.teacher,
        data={"kind": "subtitles", "locale": "en", "content": srt("one track mind")},
    )
    assert r.status_code == 200
    assert r.json()["media_id"] == world.media_id
    assert [t["locale"] for t in r.json()["media_tracks"]] == ["en"]
    r2 = api.request(
        "POST",
        url + "?exclude[]=tracks",
        world.teacher,
        data={"locale": "en", "content": srt("again")},
    )
    assert "media_tracks" not in r2.json()
    assert len(track_ids(world)) == 1


def test_case_11_12_kind_default_and_locale_required(world: World) -> None:
    api = world.api
    url = f"/media_objects/{world.media_id}/media_tracks"
    assert api.request("POST", url, world.teacher, data={"content": srt("x")}).status_code == 422
    api.request("POST", url, world.teacher, data={"locale": "en", "content": srt("x")})
    assert (
        api.ok("GET", f"/api/v1/media_objects/{world.media_id}/media_tracks", world.teacher)[0][
            "kind"
        ]
        == "subtitles"
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"locale": "en", "kind": "unkind", "content": srt("x")}, "kind"),
        ({"locale": '<img src="lolcats.gif">', "content": srt("x")}, "locale"),
        ({"locale": "5", "content": srt("x")}, "locale"),
        ({"locale": "en", "content": "   "}, "content"),
        ({"locale": "en"}, "content"),
    ],
)
def test_cases_6_to_10_post_rejections(world: World, data: dict[str, str], field: str) -> None:
    r = world.api.request(
        "POST", f"/media_objects/{world.media_id}/media_tracks", world.teacher, data=data
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field
    assert track_ids(world) == {}


def test_cases_29_to_35_show_visibility(world: World) -> None:
    api = world.api
    _, copy = world.copy_to_new_course()
    put_tracks(world, [{"locale": "en", "content": srt("subs")}])
    t1 = track_ids(world)["en"]
    own = api.request(
        "POST",
        f"/media_attachments/{copy['id']}/media_tracks",
        world.teacher,
        data={"locale": "fr", "content": srt("subs 2")},
    ).json()["id"]
    assert content_of(world, own).status_code == 404  # case 30
    a2 = f"/media_attachments/{copy['id']}/media_tracks"
    assert content_of(world, own, a2).status_code == 200  # case 33
    assert content_of(world, t1, a2).status_code == 200  # case 34 (inherited)
    assert content_of(world, 999999).status_code == 404


def test_cases_38_to_43_delete(world: World) -> None:
    api = world.api
    _, copy = world.copy_to_new_course()
    put_tracks(world, [{"locale": "en", "content": srt("x")}])
    t1 = track_ids(world)["en"]
    own = api.request(
        "POST",
        f"/media_attachments/{copy['id']}/media_tracks",
        world.teacher,
        data={"locale": "en", "content": srt("y")},
    ).json()["id"]
    assert (
        api.request(
            "DELETE", f"/media_objects/{world.media_id}/media_tracks/{own}", world.teacher
        ).status_code
        == 404
    )
    assert (
        api.request(
            "DELETE", f"/media_attachments/{world.attachment_id}/media_tracks/{own}", world.teacher
        ).status_code
        == 404
    )
    r = api.request("DELETE", f"/media_objects/{world.media_id}/media_tracks/{t1}", world.teacher)
    assert r.status_code == 200 and r.json()["media_tracks"] == []
    gone = api.request(
        "DELETE", f"/media_attachments/{copy['id']}/media_tracks/{own}", world.teacher
    )
    assert gone.status_code == 200 and gone.json()["id"] == own
    assert (
        api.ok("GET", f"/api/v1/media_attachments/{copy['id']}/media_tracks", world.teacher) == []
    )


def test_unknown_media_on_track_routes_d3(world: World) -> None:
    api = world.api
    assert (
        api.request("GET", "/api/v1/media_objects/0_nope/media_tracks", world.teacher).status_code
        == 404
    )
    assert api.client.get("/api/v1/media_objects/0_nope/media_tracks").status_code == 401
    assert (
        api.request(
            "PUT", "/api/v1/media_attachments/424242/media_tracks", world.teacher, json=[]
        ).status_code
        == 404
    )
    # Canvas answered the anonymous list with a 500 (§5.8).
    assert api.client.get(f"/api/v1/media_objects/{world.media_id}/media_tracks").status_code == 401


def test_include_as_comma_list_d6(world: World) -> None:
    put_tracks(world, [{"locale": "en", "content": srt("x")}])
    t = world.api.ok(
        "GET",
        f"/api/v1/media_objects/{world.media_id}/media_tracks?include=content,created_at",
        world.teacher,
    )[0]
    assert "content" in t and "created_at" in t


# ---- hardening: empty bodies, limits, caption files ------------------------------------------


@pytest.mark.parametrize("body", [b"", b"  \n", b"null"], ids=["empty", "blank", "null"])
def test_d20_an_empty_or_null_body_is_400_and_deletes_nothing(world: World, body: bytes) -> None:
    put_tracks(world, [{"locale": "en", "content": srt("Hello")}])
    r = world.api.request(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json() == {
        "errors": [
            {"message": "the body must be a JSON array of tracks", "error_code": "bad_request"}
        ]
    }
    assert list(track_ids(world)) == ["en"]
    # An explicit [] still deletes every track, as in Canvas.
    assert put_tracks(world, []).json() == []
    assert track_ids(world) == {}


@pytest.fixture
def few_tracks(settings: Any) -> Any:
    return settings.model_copy(update={"max_tracks_per_media": 3})


def test_a_media_object_has_at_most_the_configured_number_of_tracks(
    few_tracks: Any, api: Api
) -> None:
    from mediaobjects.app import create_app
    from mediaobjects.context import build_context
    from mediaobjects.storage.local import LocalStorage

    ctx = build_context(few_tracks, storage=LocalStorage(few_tracks.data_dir / "files"))
    try:
        from fastapi.testclient import TestClient

        with TestClient(create_app(context=ctx)) as client:
            local = Api(client, ctx)
            world = build_world(local)
            path = f"/api/v1/media_objects/{world.media_id}/media_tracks"
            three = [{"locale": f"x-{n}", "content": srt(str(n))} for n in range(3)]
            assert len(local.ok("PUT", path, world.teacher, json=three)) == 3
            # Private-use locales make thousands of tracks possible: the fourth is refused,
            # whichever route asks, and nothing of the request stays.
            four = [*three, {"locale": "x-4", "content": srt("4")}]
            r = local.request("PUT", path, world.teacher, json=four)
            assert r.status_code == 422
            assert "at most 3 tracks" in r.json()["errors"][0]["message"]
            r = local.request(
                "POST",
                f"/media_objects/{world.media_id}/media_tracks",
                world.teacher,
                data={"locale": "x-5", "content": srt("5")},
            )
            assert r.status_code == 422
            assert sorted(t["locale"] for t in local.ok("GET", path, world.teacher)) == [
                "x-0",
                "x-1",
                "x-2",
            ]
            # Replacing the three with three others is fine: the limit counts what remains.
            other = [{"locale": f"x-y{n}", "content": srt(str(n))} for n in range(3)]
            assert len(local.ok("PUT", path, world.teacher, json=other)) == 3
    finally:
        ctx.close()


def test_content_may_be_sent_as_a_file_part(world: World) -> None:
    """``curl -F locale=en -F content=@captions.srt``: the file part is the caption text."""
    caption = "\ufeff1\r\n00:00:01,000 --> 00:00:02,000\r\nFrom a file\r\n".encode()
    r = world.api.request(
        "POST",
        f"/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        data={"locale": "en"},
        files={"content": ("captions.srt", caption, "application/x-subrip")},
    )
    assert r.status_code == 200, r.text
    served = content_of(world, track_ids(world)["en"])
    assert served.text == "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nFrom a file"
    # UTF-16 with a byte-order mark, as Windows caption tools save it, is read as well.
    for encoding in ("utf-16-le", "utf-16-be"):
        data = caption.decode().replace("From a file", encoding).encode(encoding)
        r = world.api.request(
            "POST",
            f"/media_objects/{world.media_id}/media_tracks",
            world.teacher,
            data={"locale": "de"},
            files={"content": ("captions.srt", data, "application/x-subrip")},
        )
        assert r.status_code == 200, r.text
        served = content_of(world, track_ids(world)["de"])
        assert served.text == f"WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n{encoding}"
    # A file that is neither UTF-8 nor UTF-16 with a BOM is refused, naming the field.
    for data in (b"\x80\x81 caption", b"\xff\xfe1\x00\n"):
        r = world.api.request(
            "POST",
            f"/media_objects/{world.media_id}/media_tracks",
            world.teacher,
            data={"locale": "fr"},
            files={"content": ("captions.srt", data, "application/x-subrip")},
        )
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "content"
    assert "fr" not in track_ids(world)


def test_a_caption_form_cannot_carry_more_than_one_caption_of_bytes(world: World) -> None:
    """Every part counts against one total: a thousand fields of the per-part size are not
    a thousand times the limit (the body is refused at the limit)."""
    limit = world.api.ctx.settings.max_caption_bytes
    fields = {f"f{n}": "x" * (64 * 1024) for n in range(limit // (64 * 1024) + 2)}
    r = world.api.request(
        "POST",
        f"/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        files={name: (None, value) for name, value in fields.items()},
    )
    assert r.status_code == 413
    assert r.json()["errors"][0]["error_code"] == "payload_too_large"
