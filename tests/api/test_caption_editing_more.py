"""The caption editor's API, continued: a new track made from cues (POST .../media_tracks/cues),
the check of cues as they are edited (POST .../caption_check: what a save refuses plus the
caption quality rules, on the cue each concerns), the web session cookie with its CSRF token,
the rate limits, the body limits, and the round trip of any cue text through a save."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediaobjects.captions import escape_cue_text, plain_text
from mediaobjects.context import build_limiter
from mediaobjects.http.session_cookie import csrf_token_for
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.settings import Settings
from tests.support.api import Api, Person
from tests.support.clock import Clock
from tests.support.world import World, build_world

SRT = "1\n00:00:01,000 --> 00:00:02,000\nHello\n"


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def base(world: World) -> str:
    return f"/api/v1/media_objects/{world.media_id}"


def cue(start: int, end: int, text: str, **kw: Any) -> dict[str, Any]:
    return {"start_ms": start, "end_ms": end, "text": text, **kw}


def create(world: World, body: Any, who: Person | None = None) -> Any:
    return world.api.request(
        "POST", f"{base(world)}/media_tracks/cues", who or world.teacher, json=body
    )


def check(world: World, body: Any, who: Person | None = None) -> Any:
    return world.api.request(
        "POST", f"{base(world)}/caption_check", who or world.teacher, json=body
    )


def set_media(world: World, **values: Any) -> None:
    """What the media pipeline would have measured (the test media is not transcoded)."""
    with world.api.ctx.write() as session:
        media_object = session.query(MediaObject).filter_by(media_id=world.media_id).one()
        for name, value in values.items():
            setattr(media_object, name, value)


# ---- a new track from cues -------------------------------------------------------------------


def test_a_new_track_is_made_from_cues_as_an_editor_version(world: World) -> None:
    r = create(
        world,
        {"locale": "fr-ca", "kind": "captions", "cues": [cue(0, 1500, "Bonjour & <i>salut</i>")]},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    track = body["track"]
    assert track["locale"] == "fr-CA" and track["kind"] == "captions"
    assert body["cues"] == [
        cue(0, 1500, "Bonjour &amp; <i>salut</i>", identifier=None, settings="")
    ]
    versions = world.api.ok(
        "GET", f"{base(world)}/media_tracks/{track['id']}/versions", world.teacher
    )
    assert [(v["id"], v["reason"]) for v in versions] == [(track["version_id"], "editor")]
    served = world.api.request(
        "GET", f"/media_objects/{world.media_id}/media_tracks/{track['id']}", world.teacher
    ).text
    assert served == "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nBonjour &amp; <i>salut</i>"
    # The GET of the new track answers the same.
    assert (
        world.api.ok("GET", f"{base(world)}/media_tracks/{track['id']}/cues", world.teacher) == body
    )


def test_a_locale_the_media_already_has_is_taken(world: World) -> None:
    world.api.ok(
        "PUT", f"{base(world)}/media_tracks", world.teacher, json=[{"locale": "en", "content": SRT}]
    )
    r = create(world, {"locale": "EN", "cues": [cue(0, 1000, "again")]})
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert error["field"] == "locale" and error["error_code"] == "taken"
    listed = world.api.ok("GET", f"{base(world)}/media_tracks?include[]=content", world.teacher)
    assert [t["content"] for t in listed] == [SRT]


def test_a_locale_a_copy_inherits_is_taken_through_the_copy(world: World) -> None:
    world.api.ok(
        "PUT", f"{base(world)}/media_tracks", world.teacher, json=[{"locale": "en", "content": SRT}]
    )
    _, copy = world.copy_to_new_course()
    r = world.api.request(
        "POST",
        f"/api/v1/media_attachments/{copy['id']}/media_tracks/cues",
        world.teacher,
        json={"locale": "en", "cues": [cue(0, 1000, "mine")]},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["error_code"] == "taken"
    r = world.api.request(
        "POST",
        f"/api/v1/media_attachments/{copy['id']}/media_tracks/cues",
        world.teacher,
        json={"locale": "de", "cues": [cue(0, 1000, "Hallo")]},
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"cues": [cue(0, 1000, "x")]}, 422, "locale"),
        ({"locale": "not a locale!", "cues": [cue(0, 1000, "x")]}, 422, "locale"),
        ({"locale": "de", "kind": "karaoke", "cues": [cue(0, 1000, "x")]}, 422, "kind"),
        ({"locale": "de", "cues": [cue(0, 1000, "a\n\nb")]}, 422, "text"),
        ({"locale": "de", "cues": []}, 422, "cues"),
        ({"locale": 5, "cues": []}, 400, "locale"),
        (
            {"locale": "de", "cues": [cue(0, 1000, "x")], "base_version_id": 1},
            400,
            "base_version_id",
        ),
    ],
)
def test_bad_new_tracks_are_refused_and_nothing_is_made(
    world: World, body: dict[str, Any], status: int, field: str
) -> None:
    r = create(world, body)
    assert r.status_code == status, r.text
    assert r.json()["errors"][0]["field"] == field
    assert world.api.ok("GET", f"{base(world)}/media_tracks", world.teacher) == []


def test_who_may_make_a_track(world: World) -> None:
    body = {"locale": "de", "cues": [cue(0, 1000, "x")]}
    assert create(world, body, world.student).status_code == 403
    assert create(world, body, world.outsider).status_code == 403
    assert (
        world.api.request("POST", f"{base(world)}/media_tracks/cues", json=body).status_code == 401
    )
    r = world.api.request(
        "POST", "/api/v1/media_objects/m-nothing/media_tracks/cues", world.teacher, json=body
    )
    assert r.status_code == 404
    assert create(world, body, world.ta).status_code == 201


def test_the_track_limit_holds(world: World, api: Api) -> None:
    api.ctx.settings.max_tracks_per_media = 1
    assert create(world, {"locale": "de", "cues": [cue(0, 1000, "x")]}).status_code == 201
    r = create(world, {"locale": "fr", "cues": [cue(0, 1000, "x")]})
    assert r.status_code == 422 and r.json()["errors"][0]["error_code"] == "too_many"


# ---- the check ---------------------------------------------------------------------------------


def problems(world: World, body: Any) -> list[tuple[Any, ...]]:
    r = check(world, body)
    assert r.status_code == 200, r.text
    return [(p["cue"], p["field"], p["rule"], p["severity"]) for p in r.json()["problems"]]


def test_the_check_reports_what_a_save_would_refuse_on_each_cue(world: World) -> None:
    found = problems(
        world,
        {
            "cues": [
                cue(0, 1000, "Fine"),
                cue(2000, 1500, "a\n\nb"),
                cue(3000, 4000, "ok", settings="x:y"),
            ]
        },
    )
    assert found == [
        (1, "end", "invalid", "error"),
        (1, "text", "invalid", "error"),
        (2, "settings", "invalid", "error"),
    ]
    r = check(world, {"cues": [cue(0, 1000, "Fine"), cue(2000, 1500, "x")]})
    assert r.json()["meets_profile"] is False
    assert "before the start time" in r.json()["problems"][0]["message"]


def test_the_check_applies_the_quality_rules_of_the_profile_to_each_cue(world: World) -> None:
    set_media(world, duration=10.0, speech_intervals=None)
    long_line = "This line is far longer than forty-two characters allow"
    body = {
        "cues": [
            cue(0, 2000, "Hello there"),
            cue(1500, 4000, long_line),  # overlaps the first, and is too long
            cue(4000, 5000, ""),  # shows nothing
            cue(9000, 12000, "Past the end"),
        ]
    }
    r = check(world, body)
    assert r.status_code == 200, r.text
    answer = r.json()
    found = [(p["cue"], p["field"], p["rule"], p["severity"]) for p in answer["problems"]]
    assert (1, "start", "overlap", "error") in found
    assert (1, "text", "line_length", "warning") in found
    assert (2, "text", "empty_cue", "error") in found
    assert (3, "end", "out_of_media", "error") in found
    assert answer["meets_profile"] is False
    message = next(p["message"] for p in answer["problems"] if p["rule"] == "line_length")
    assert "55 characters" in message and "42" in message
    # The bbc profile counts 37 characters a line.
    bbc = check(world, {**body, "profile": "BBC"}).json()["problems"]
    assert any("37" in p["message"] for p in bbc if p["rule"] == "line_length")


def test_good_cues_meet_the_profile(world: World) -> None:
    set_media(world, duration=4.0, speech_intervals=None)
    r = check(world, {"cues": [cue(0, 2000, "Hello there"), cue(2100, 4000, "and goodbye")]})
    assert r.json() == {"problems": [], "meets_profile": True}


def test_coverage_is_a_problem_of_the_whole_track(world: World) -> None:
    set_media(world, duration=60.0, speech_intervals=None)
    answer = check(world, {"cues": [cue(0, 2000, "Hello there")]}).json()
    assert answer["problems"][0]["cue"] is None and answer["problems"][0]["rule"] == "coverage"
    assert "3%" in answer["problems"][0]["message"]
    assert answer["meets_profile"] is False


def test_the_check_names_a_bad_locale_kind_and_an_empty_list(world: World) -> None:
    found = problems(world, {"cues": [], "locale": "xx yy", "kind": "karaoke"})
    assert found == [
        (None, "locale", "invalid", "error"),
        (None, "kind", "inclusion", "error"),
        (None, "cues", "invalid", "error"),
    ]


def test_an_unknown_profile_is_a_400(world: World) -> None:
    r = check(world, {"cues": [cue(0, 1000, "x")], "profile": "strict"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "profile"


def test_the_check_writes_nothing_and_needs_the_add_captions_right(world: World) -> None:
    body = {"cues": [cue(0, 1000, "x")]}
    assert check(world, body, world.student).status_code == 403
    assert check(world, body, world.observer).status_code == 403
    assert world.api.request("POST", f"{base(world)}/caption_check", json=body).status_code == 401
    attachment = f"/api/v1/media_attachments/{world.attachment_id}/caption_check"
    assert world.api.request("POST", attachment, world.teacher, json=body).status_code == 200
    assert world.api.ok("GET", f"{base(world)}/media_tracks", world.teacher) == []


def test_the_check_tells_when_the_captions_would_be_too_large(world: World, api: Api) -> None:
    api.ctx.settings.max_caption_bytes = 1200
    # 42 bytes of WebVTT each: 1,260 bytes in all.
    cues = [cue(i * 1000, i * 1000 + 900, "Some words") for i in range(30)]
    found = problems(world, {"cues": cues})
    assert (None, None, "too_large", "error") in found
    tid = create(world, {"locale": "de", "cues": cues[:5]}).json()["track"]["id"]
    r = world.api.request(
        "PUT", f"{base(world)}/media_tracks/{tid}/cues", world.teacher, json={"cues": cues}
    )
    assert r.status_code == 413


# ---- limits --------------------------------------------------------------------------------------


def test_more_cues_than_a_track_can_hold_are_refused_before_they_are_read(
    world: World, api: Api
) -> None:
    api.ctx.settings.max_caption_bytes = 32 * 100  # 100 cues
    cues = [cue(i, i + 1, "") for i in range(101)]
    r = check(world, {"cues": cues})
    assert r.status_code == 413
    assert r.json()["errors"][0]["field"] == "cues"
    assert check(world, {"cues": cues[:100]}).status_code == 200


def test_text_that_cannot_fit_is_refused_before_any_work(
    world: World, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body may be four times the caption limit; text past the limit is refused before it
    is checked, escaped or written (seconds of CPU for megabytes of text)."""
    api.ctx.settings.max_caption_bytes = 4096
    tid = create(world, {"locale": "de", "cues": [cue(0, 1000, "Hallo")]}).json()["track"]["id"]
    before = world.api.ok("GET", f"{base(world)}/media_tracks/{tid}/cues", world.teacher)

    def no_work(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the cues were processed")

    monkeypatch.setattr("mediaobjects.media_tracks.editing.to_cues", no_work)
    monkeypatch.setattr("mediaobjects.media_tracks.editing.cue_problems", no_work)
    big = [cue(i * 1000, i * 1000 + 900, "x" * 1000) for i in range(5)]
    saved = world.api.request(
        "PUT", f"{base(world)}/media_tracks/{tid}/cues", world.teacher, json={"cues": big}
    )
    assert saved.status_code == 413, saved.text
    assert saved.json()["errors"][0]["field"] == "cues"
    assert "4096" in saved.json()["errors"][0]["message"]
    made = create(world, {"locale": "fr", "cues": big})
    assert made.status_code == 413, made.text
    assert problems(world, {"cues": big}) == [(None, None, "too_large", "error")]
    monkeypatch.undo()
    after = world.api.ok("GET", f"{base(world)}/media_tracks/{tid}/cues", world.teacher)
    assert after == before
    locales = [
        t["locale"] for t in world.api.ok("GET", f"{base(world)}/media_tracks", world.teacher)
    ]
    assert "fr" not in locales


def test_a_body_past_four_times_the_caption_limit_is_413(world: World, api: Api) -> None:
    api.ctx.settings.max_caption_bytes = 1024 * 1024
    api.ctx.settings.max_request_body_bytes = 1024
    text = "x" * (4 * 1024 * 1024)
    r = check(world, {"cues": [cue(0, 1000, text)]})
    assert r.status_code == 413
    assert r.json()["errors"][0]["error_code"] == "payload_too_large"


@pytest.fixture
def clock(api: Api) -> Clock:
    clock = Clock()
    api.ctx.limiter = build_limiter(
        Settings(
            rate_limit_tracks_per_minute=1,
            rate_limit_tracks_burst=2,
            rate_limit_caption_check_per_minute=1,
            rate_limit_caption_check_burst=1,
        ),
        clock,
    )
    return clock


def test_saves_count_with_puts_and_checks_on_their_own(world: World, clock: Clock) -> None:
    url = f"{base(world)}/media_tracks"
    made = create(world, {"locale": "de", "cues": [cue(0, 1000, "x")]})
    assert made.status_code == 201
    tid = made.json()["track"]["id"]
    assert (
        world.api.request(
            "PUT", url, world.teacher, json=[{"locale": "de", "content": SRT}]
        ).status_code
        == 200
    )
    refused = world.api.request(
        "PUT", f"{url}/{tid}/cues", world.teacher, json={"cues": [cue(0, 1000, "y")]}
    )
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    # The check has its own bucket.
    assert check(world, {"cues": [cue(0, 1000, "x")]}).status_code == 200
    assert check(world, {"cues": [cue(0, 1000, "x")]}).status_code == 429
    clock.advance(60)
    assert check(world, {"cues": [cue(0, 1000, "x")]}).status_code == 200
    ok = world.api.request(
        "PUT", f"{url}/{tid}/cues", world.teacher, json={"cues": [cue(0, 1000, "y")]}
    )
    assert ok.status_code == 200


# ---- the web session cookie ----------------------------------------------------------------------


PASSWORD = "correct horse battery staple"


def signed_in_browser(api: Api, world: World) -> TestClient:
    api.ok(
        "PUT",
        f"/api/v1/accounts/self/logins/{world.teacher.id}",
        data={"login[password]": PASSWORD},
    )
    login = api.ok("GET", f"/api/v1/users/{world.teacher.id}")["login_id"]
    browser = TestClient(api.client.app, base_url="http://testserver", follow_redirects=False)
    r = browser.post("/login", data={"unique_id": login, "password": PASSWORD})
    assert r.status_code == 303, r.text
    return browser


def test_the_session_cookie_works_for_writes_only_with_its_csrf_token(
    api: Api, world: World
) -> None:
    browser = signed_in_browser(api, world)
    token = {"X-CSRF-Token": csrf_token_for(api.ctx, browser.cookies["mediaobjects_session"])}
    new = {"locale": "de", "cues": [cue(0, 1000, "Hallo")]}
    url = f"{base(world)}/media_tracks/cues"
    refused = browser.post(url, json=new)
    assert refused.status_code == 403 and "CSRF" in refused.json()["errors"][0]["message"]
    made = browser.post(url, json=new, headers=token)
    assert made.status_code == 201, made.text
    tid = made.json()["track"]["id"]
    cues_url = f"{base(world)}/media_tracks/{tid}/cues"
    opened = browser.get(cues_url)  # reading needs no token
    assert opened.status_code == 200 and opened.json() == made.json()
    body = {
        "cues": [cue(0, 1000, "Tschüss")],
        "base_version_id": opened.json()["track"]["version_id"],
    }
    assert browser.put(cues_url, json=body).status_code == 403
    saved = browser.put(cues_url, json=body, headers=token)
    assert saved.status_code == 200 and saved.json()["cues"][0]["text"] == "Tschüss"
    check_url = f"{base(world)}/caption_check"
    assert browser.post(check_url, json={"cues": body["cues"]}).status_code == 403
    assert browser.post(check_url, json={"cues": body["cues"]}, headers=token).status_code == 200


# ---- the round trip ------------------------------------------------------------------------------

# Cue text an editor may send: any characters but NUL and the line breaks (added below as
# single LFs between non-empty lines), with "&", "<", ">" and tags made likely.
_FRAGMENT = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["&", "<", ">", "&amp;", "<i>", "</i>", "<b>", "&lt;", "é", "日本", "👩‍👩‍👧"]),
)
_LINE = (
    st.lists(_FRAGMENT, min_size=1, max_size=5).map("".join).filter(lambda line: "-->" not in line)
)
_TEXT = st.lists(_LINE, min_size=1, max_size=3).map("\n".join)


def test_cue_text_survives_a_save_and_the_same_cues_saved_again_change_nothing(
    world: World,
) -> None:
    made = create(world, {"locale": "de", "cues": [cue(0, 1000, "start")]})
    tid = made.json()["track"]["id"]
    url = f"{base(world)}/media_tracks/{tid}/cues"
    served_url = f"/media_objects/{world.media_id}/media_tracks/{tid}"
    api = world.api
    api.ctx.limiter = build_limiter(Settings(rate_limit_tracks_burst=10_000))

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(texts=st.lists(_TEXT, min_size=1, max_size=4))
    def run(texts: list[str]) -> None:
        cues = [cue(i * 2000, i * 2000 + 1500, text) for i, text in enumerate(texts)]
        saved = api.request("PUT", url, world.teacher, json={"cues": cues})
        assert saved.status_code == 200, saved.text
        stored = saved.json()
        # Stored as the writer makes cue text valid: what a viewer reads is unchanged, and
        # text that was valid cue text already is kept exactly.
        for sent, got in zip(texts, stored["cues"], strict=True):
            assert got["text"] == escape_cue_text(sent)
            assert plain_text(got["text"]) == plain_text(sent)
            if escape_cue_text(sent) == sent:
                assert got["text"] == sent
        opened = api.ok("GET", url, world.teacher)
        assert opened == stored
        before = api.request("GET", served_url, world.teacher).text
        again = api.request(
            "PUT",
            url,
            world.teacher,
            json={"cues": opened["cues"], "base_version_id": opened["track"]["version_id"]},
        )
        assert again.status_code == 200
        assert again.json() == opened  # no new version
        assert api.request("GET", served_url, world.teacher).text == before

    run()


def test_text_with_ampersands_tags_and_unicode_reads_back_exactly(world: World) -> None:
    texts = [
        "Tom &amp; Jerry &lt;3",
        "<i>Übung</i> macht den <b>Meister</b> — 日本語 👩‍👩‍👧",
        "<v Ana>Hola</v>\n<c.loud>¡Sí!</c>",
        " leading space and a tab\t",
    ]
    r = create(
        world,
        {"locale": "de", "cues": [cue(i * 1000, i * 1000 + 900, t) for i, t in enumerate(texts)]},
    )
    assert r.status_code == 201, r.text
    assert [c["text"] for c in r.json()["cues"]] == texts
    assert json.dumps(r.json()["cues"], ensure_ascii=False).count("👩‍👩‍👧") == 1
