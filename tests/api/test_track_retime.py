"""Retiming a track over HTTP: offsets and sync points, SRT stays SRT and WebVTT stays WebVTT,
clipped and dropped cues in the answer, the result kept as a version, strict body validation
(400 naming the field), legacy content that does not parse (422), and the rights."""

from __future__ import annotations

from typing import Any

import pytest

from mediaobjects.settings import Settings
from tests.support.api import Api, Person
from tests.support.world import World, build_world

SRT = (
    "1\n00:00:00,500 --> 00:00:01,000\nGone\n\n"
    "2\n00:00:01,000 --> 00:00:03,000\nCut\n\n"
    "3\n00:00:05,000 --> 00:00:06,000\n<i>Kept</i>\n"
)
VTT = (
    "WEBVTT - lecture\n\n"
    "STYLE\n::cue { color: yellow }\n\n"
    "intro\n00:00:02.000 --> 00:00:04.000 align:start\nHello &amp; welcome\n\n"
    "NOTE checked by the captioner\n\n"
    "00:01:00.000 --> 00:01:02.000\n<v Ana>Bye</v>\n"
)


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def tracks_url(world: World) -> str:
    return f"/api/v1/media_objects/{world.media_id}/media_tracks"


def add(world: World, content: str, locale: str = "en") -> int:
    world.api.ok(
        "PUT", tracks_url(world), world.teacher, json=[{"locale": locale, "content": content}]
    )
    listed = world.api.ok("GET", tracks_url(world) + "?include[]=content", world.teacher)
    return int(next(t["id"] for t in listed if t["locale"] == locale))


def retime(world: World, tid: int, body: Any, who: Person | None = None, **kw: Any) -> Any:
    url = f"{tracks_url(world)}/{tid}/retime"
    if "content" in kw:
        return world.api.request("POST", url, who or world.teacher, **kw)
    return world.api.request("POST", url, who or world.teacher, json=body)


def content(world: World, locale: str = "en") -> str:
    listed = world.api.ok("GET", tracks_url(world) + "?include[]=content", world.teacher)
    return str(next(t["content"] for t in listed if t["locale"] == locale))


def test_a_negative_offset_clips_and_drops_and_srt_stays_srt(world: World) -> None:
    tid = add(world, SRT)
    r = retime(world, tid, {"offset_ms": -1500})
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == tid and body["locale"] == "en"
    assert body["clipped"] == [2] and body["dropped"] == [1]
    assert content(world) == (
        "1\n00:00:00,000 --> 00:00:01,500\nCut\n\n2\n00:00:03,500 --> 00:00:04,500\n<i>Kept</i>\n"
    )
    served = world.api.request(
        "GET", f"/media_objects/{world.media_id}/media_tracks/{tid}", world.teacher
    ).text
    assert "00:00:03.500 --> 00:00:04.500\n<i>Kept</i>" in served
    versions = world.api.ok("GET", f"{tracks_url(world)}/{tid}/versions", world.teacher)
    assert [v["reason"] for v in versions] == ["retime", "api"]
    assert versions[0]["user_id"] == world.teacher.id


def test_webvtt_stays_webvtt_with_its_header_style_notes_and_settings(world: World) -> None:
    tid = add(world, VTT)
    body = retime(world, tid, {"offset_ms": 1000}).json()
    assert body["clipped"] == [] and body["dropped"] == []
    stored = content(world)
    assert stored.startswith("WEBVTT - lecture\n")
    assert "::cue { color: yellow }" in stored
    assert "intro\n00:00:03.000 --> 00:00:05.000 align:start\nHello &amp; welcome" in stored
    assert "NOTE checked by the captioner" in stored
    assert "00:01:01.000 --> 00:01:03.000\n<v Ana>Bye</v>" in stored


def test_srt_text_reads_the_same_after_a_retime(world: World) -> None:
    tid = add(world, "1\n00:00:01,000 --> 00:00:02,000\nTom & Jerry <3\n<b>Loud</b>\n")
    assert retime(world, tid, {"offset_ms": 1000}).status_code == 200
    assert content(world) == "1\n00:00:02,000 --> 00:00:03,000\nTom & Jerry <3\n<b>Loud</b>\n"


def test_sync_points_fix_frame_rate_drift(world: World) -> None:
    tid = add(world, "1\n01:00:00,000 --> 01:00:02,000\nAn hour in\n")
    body = {"sync_points": [[0, 0], [3_600_000, 3_452_544]]}
    assert retime(world, tid, body).status_code == 200
    assert "00:57:32,544 --> 00:57:34,462" in content(world)


def test_a_retime_is_undone_by_restoring_the_previous_version(world: World) -> None:
    tid = add(world, SRT)
    retime(world, tid, {"offset_ms": 250})
    previous = world.api.ok("GET", f"{tracks_url(world)}/{tid}/versions", world.teacher)[1]["id"]
    world.api.ok("POST", f"{tracks_url(world)}/{tid}/versions/{previous}/restore", world.teacher)
    assert content(world) == SRT


@pytest.mark.parametrize(
    "body, field",
    [
        ({"offset_ms": True}, "offset_ms"),
        ({"offset_ms": 1.5}, "offset_ms"),
        ({"offset_ms": "100"}, "offset_ms"),
        ({"offset_ms": 10**11}, "offset_ms"),
        ({"offset_ms": -(10**11)}, "offset_ms"),
        ({}, "offset_ms"),
        ({"offset_ms": None}, "offset_ms"),
        ({"offset_ms": 1, "sync_points": [[0, 0], [1, 1]]}, "sync_points"),
        ({"sync_points": [[0, 0]]}, "sync_points"),
        ({"sync_points": [[0, 0], [1, 1], [2, 2]]}, "sync_points"),
        ({"sync_points": [[0, 0], [1]]}, "sync_points"),
        ({"sync_points": [[0, 0], [1, True]]}, "sync_points"),
        ({"sync_points": [[0, 0], [-1, 5]]}, "sync_points"),
        ({"sync_points": {"a": 1}}, "sync_points"),
        ({"sync_points": [[0, 0], [1000, 0]]}, "sync_points"),
        ({"sync_points": [[5, 0], [5, 0]]}, "sync_points"),
        ({"offset": 100}, "offset"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(world: World, body: Any, field: str) -> None:
    tid = add(world, SRT)
    r = retime(world, tid, body)
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["field"] == field
    assert content(world) == SRT


@pytest.mark.parametrize(
    "raw",
    [
        b'{"offset_ms": ' + b"9" * 5000 + b"}",
        b"[1500]",
        b"-1500",
        b"{not json",
        b"",
    ],
)
def test_bodies_that_are_no_json_object_are_400(world: World, raw: bytes) -> None:
    tid = add(world, SRT)
    r = retime(world, tid, None, content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["message"]
    assert content(world) == SRT


def test_a_retime_that_leaves_no_cue_is_422_and_changes_nothing(world: World) -> None:
    tid = add(world, SRT)
    r = retime(world, tid, {"offset_ms": -60_000})
    assert r.status_code == 422
    assert "every cue" in r.json()["errors"][0]["message"]
    assert content(world) == SRT


def test_legacy_content_that_does_not_parse_is_422(api: Api, settings: Settings) -> None:
    world = build_world(api)
    api.ctx.settings = settings.model_copy(update={"captions_lenient": True})
    tid = add(world, "1\n00:00:01,000 -> 00:00:02,000\nbroken arrow\n")
    r = retime(world, tid, {"offset_ms": 1000})
    assert r.status_code == 422
    message = r.json()["errors"][0]["message"]
    assert "not valid SRT or WebVTT" in message and "line 2" in message


def test_rights_matrix(world: World, api: Api) -> None:
    tid = add(world, SRT)
    url = f"{tracks_url(world)}/{tid}/retime"
    anonymous = api.client.post(url, json={"offset_ms": 1})
    assert anonymous.status_code == 401
    for who in (world.student, world.observer, world.outsider):
        r = api.request("POST", url, who, json={"offset_ms": 1})
        assert r.status_code == 403
    # Refused before the body is read: a body that is not even JSON still gets 403.
    r = api.request(
        "POST", url, world.student, content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 403
    assert api.request("POST", url, world.ta, json={"offset_ms": 1}).status_code == 200
    assert api.request("POST", url, world.designer, json={"offset_ms": 1}).status_code == 200
    assert api.request("POST", url, world.teacher, json={"offset_ms": 1}).status_code == 200
    unknown = f"{tracks_url(world)}/999999/retime"
    assert api.request("POST", unknown, world.teacher, json={"offset_ms": 1}).status_code == 404
    other_media = f"/api/v1/media_objects/m-nothing/media_tracks/{tid}/retime"
    assert api.request("POST", other_media, world.teacher, json={"offset_ms": 1}).status_code == 404
    assert content(world).startswith("1\n00:00:00,503 --> ")


def test_the_attachment_twin_retimes_the_same_track(world: World) -> None:
    tid = add(world, SRT)
    url = f"/api/v1/media_attachments/{world.attachment_id}/media_tracks/{tid}/retime"
    body = world.api.ok("POST", url, world.teacher, json={"offset_ms": 500})
    assert body["clipped"] == [] and body["dropped"] == []
    assert content(world).startswith("1\n00:00:01,000 --> 00:00:01,500\nGone")
    r = world.api.request("POST", url, world.student, json={"offset_ms": 500})
    assert r.status_code == 403


def test_retimes_count_with_track_writes_in_the_rate_limit(world: World, api: Api) -> None:
    from mediaobjects.context import build_limiter
    from tests.support.clock import Clock

    tid = add(world, SRT)
    clock = Clock()
    api.ctx.limiter = build_limiter(
        Settings(rate_limit_tracks_per_minute=1, rate_limit_tracks_burst=2), clock
    )
    assert retime(world, tid, {"offset_ms": 100}).status_code == 200
    assert retime(world, tid, {"offset_ms": 100}).status_code == 200
    refused = retime(world, tid, {"offset_ms": 100})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert content(world).startswith("1\n00:00:00,700 --> ")
    clock.advance(60)
    assert retime(world, tid, {"offset_ms": 100}).status_code == 200
