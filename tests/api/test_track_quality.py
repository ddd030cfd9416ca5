"""A track's caption quality: GET .../media_tracks/:id/quality?profile= on both routes. The
findings a coordinator would act on (an overlap, a line too long) with their cue numbers,
coverage against the duration and then against the speech found in the audio, the limits of
each profile, and who may ask."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks.models import MediaTrack
from tests.support.api import Api, Person
from tests.support.world import World, build_world

LONG_LINE = "Extraordinarily incomprehensible misunderstandings happen"  # 57 characters
CAPTIONS = (
    "1\n00:00:01,000 --> 00:00:04,000\nWelcome to the <i>lecture</i>.\n\n"
    # Starts half a second before the first cue ends: an overlap, and a line too long.
    f"2\n00:00:03,500 --> 00:00:07,000\n{LONG_LINE}\n\n"
    "3\n00:00:07,000 --> 00:00:09,000\nThank you.\n"
)
LINE_LIMITS = {"default": 42, "netflix": 42, "bbc": 37, "dcmp": 32}


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


@pytest.fixture
def track_id(world: World) -> int:
    tracks = world.api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "kind": "captions", "content": CAPTIONS}],
    )
    return int(tracks[0]["id"])


def quality_url(world: World, track_id: int, profile: str | None = None) -> str:
    url = f"/api/v1/media_objects/{world.media_id}/media_tracks/{track_id}/quality"
    return url if profile is None else f"{url}?profile={profile}"


def quality(world: World, track_id: int, profile: str | None = None, who: Any = None) -> Any:
    return world.api.request("GET", quality_url(world, track_id, profile), who or world.teacher)


def set_media(world: World, **values: Any) -> None:
    """What the media pipeline would have measured (the test media is not transcoded)."""
    with world.api.ctx.write() as session:
        media_object = session.query(MediaObject).filter_by(media_id=world.media_id).one()
        for name, value in values.items():
            setattr(media_object, name, value)


def expected_findings(line_limit: int) -> list[dict[str, Any]]:
    return [
        {
            "cue": 1,
            "start_ms": 3500,
            "end_ms": 7000,
            "rule": "overlap",
            "value": 500,
            "limit": 0,
            "severity": "error",
        },
        {
            "cue": 1,
            "start_ms": 3500,
            "end_ms": 7000,
            "rule": "line_length",
            "value": 57,
            "limit": line_limit,
            "severity": "warning",
        },
    ]


def test_the_overlap_and_the_long_line_are_found_on_their_cue(world: World, track_id: int) -> None:
    set_media(world, duration=None, speech_intervals=None)
    r = quality(world, track_id)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body == {
        "profile": "default",
        "findings": expected_findings(42),
        "totals": {
            "by_rule": {
                "line_length": 1,
                "line_count": 0,
                "reading_rate": 0,
                "min_duration": 0,
                "max_duration": 0,
                "gap": 0,
                "overlap": 1,
                "out_of_media": 0,
                "empty_cue": 0,
                "coverage": 0,
            },
            "by_severity": {"error": 1, "warning": 1},
        },
        # Neither the duration nor the speech is known.
        "coverage": None,
        "meets_profile": False,
    }


def test_coverage_follows_the_duration_and_then_the_speech(world: World, track_id: int) -> None:
    # The captions run from 1 s to 9 s of a 10 s video: 80 %, under the default's 90 %.
    set_media(world, duration=10.0, speech_intervals=None)
    body = quality(world, track_id).json()
    assert body["coverage"] == pytest.approx(0.8)
    [coverage] = [f for f in body["findings"] if f["rule"] == "coverage"]
    assert coverage == {
        "cue": -1,
        "start_ms": 0,
        "end_ms": 10_000,
        "rule": "coverage",
        "value": pytest.approx(0.8),
        "limit": 0.9,
        "severity": "warning",
    }
    assert body["totals"]["by_severity"] == {"error": 1, "warning": 2}
    # The audio analysis found speech only from 1.5 s to 8 s: all of it is captioned.
    set_media(world, speech_intervals=json.dumps([[1500, 5000], [5200, 8000]]), speech_ms=6300)
    body = quality(world, track_id).json()
    assert body["coverage"] == 1.0
    assert [f["rule"] for f in body["findings"]] == ["overlap", "line_length"]
    # Speech the captions miss (9-12 s) lowers it: 6.3 s of 9.3 s.
    set_media(world, speech_intervals=json.dumps([[1500, 5000], [5200, 8000], [9000, 12000]]))
    body = quality(world, track_id).json()
    assert body["coverage"] == pytest.approx(6300 / 9300)
    assert body["totals"]["by_rule"]["coverage"] == 1


def test_a_cue_past_the_end_of_the_media_is_an_error(world: World, track_id: int) -> None:
    set_media(world, duration=8.5, speech_intervals=None)
    findings = quality(world, track_id).json()["findings"]
    [past] = [f for f in findings if f["rule"] == "out_of_media"]
    assert (past["cue"], past["value"], past["limit"], past["severity"]) == (2, 9000, 8500, "error")


@pytest.mark.parametrize("profile", ["default", "netflix", "bbc", "dcmp", "BBC"])
def test_each_profile_applies_its_own_limits(world: World, track_id: int, profile: str) -> None:
    set_media(world, duration=None, speech_intervals=None)
    body = quality(world, track_id, profile).json()
    name = profile.lower()
    assert body["profile"] == name
    assert body["findings"] == expected_findings(LINE_LIMITS[name])
    # Rules a profile does not have are not counted as passed.
    assert ("gap" in body["totals"]["by_rule"]) == (name in ("default", "netflix"))
    assert ("max_duration" in body["totals"]["by_rule"]) == (name != "dcmp")


def test_a_profile_changes_what_passes(world: World) -> None:
    # A 35-character line of 6 words in a 1.9 s cue: fine by default and for Netflix (18.4
    # characters a second); for the DCMP too long, too fast (189 words a minute) and too short
    # (under 2 s); for the BBC only too fast.
    content = "1\n00:00:01,000 --> 00:00:02,900\nA line of exactly thirty-five chars\n"
    api = world.api
    [track] = api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "content": content}],
    )
    set_media(world, duration=None, speech_intervals=None)

    def rules(profile: str) -> list[tuple[str, Any, Any]]:
        body = quality(world, track["id"], profile).json()
        return [(f["rule"], f["value"], f["limit"]) for f in body["findings"]]

    assert rules("default") == []
    assert rules("netflix") == []
    assert rules("dcmp") == [
        ("line_length", 35, 32),
        ("reading_rate", pytest.approx(6 * 60 / 1.9), 160),
        ("min_duration", 1900, 2000),
    ]
    [(rule, wpm, limit)] = rules("bbc")
    assert (rule, limit) == ("reading_rate", 180)
    assert wpm == pytest.approx(6 * 60 / 1.9)


@pytest.mark.parametrize("profile", ["ofcom", "default2", "x" * 500, "%00", "n%C3%A9tflix"])
def test_an_unknown_profile_is_400_naming_the_profiles(
    world: World, track_id: int, profile: str
) -> None:
    r = quality(world, track_id, profile)
    assert r.status_code == 400
    assert r.json()["errors"] == [
        {
            "field": "profile",
            "message": "profile must be one of default, netflix, bbc, dcmp",
            "error_code": "inclusion",
        }
    ]


def test_a_blank_profile_is_the_default(world: World, track_id: int) -> None:
    assert quality(world, track_id, "").json()["profile"] == "default"


def test_same_read_rights_as_the_track(world: World, track_id: int) -> None:
    api = world.api
    for who in (world.student, world.observer, world.ta):
        assert quality(world, track_id, who=who).status_code == 200
    # A student of another course gets what the track itself gives them.
    other = api.course("Other course")
    stranger = api.user("Student Elsewhere")
    api.enroll(other, stranger, "student")
    content_url = f"/api/v1/media_objects/{world.media_id}/media_tracks/{track_id}/content"
    denied = api.request("GET", content_url, stranger).status_code
    assert denied == 403
    r = quality(world, track_id, who=stranger)
    assert r.status_code == denied
    assert "findings" not in r.json()
    # Authorisation first: a stranger does not even learn that a profile is unknown.
    assert quality(world, track_id, "ofcom", stranger).status_code == 403


def test_anonymous_callers_get_401(world: World, track_id: int) -> None:
    api = world.api
    for url in (
        quality_url(world, track_id),
        quality_url(world, track_id, "ofcom"),
        f"/api/v1/media_attachments/{world.attachment_id}/media_tracks/{track_id}/quality",
        "/api/v1/media_objects/0_nope/media_tracks/1/quality",
    ):
        r = api.client.get(url)
        assert r.status_code == 401, url
        assert r.json()["errors"][0]["message"] == "user authorization required"


def test_unknown_tracks_and_media_are_404(world: World, track_id: int) -> None:
    api = world.api
    assert quality(world, 999_999).status_code == 404
    assert quality(world, track_id + 1).status_code == 404
    r = api.request("GET", "/api/v1/media_objects/0_nope/media_tracks/1/quality", world.teacher)
    assert r.status_code == 404
    r = api.request(
        "GET", f"/api/v1/media_attachments/424242/media_tracks/{track_id}/quality", world.teacher
    )
    assert r.status_code == 404


def test_the_attachment_route_checks_the_tracks_it_shows(world: World, track_id: int) -> None:
    api = world.api
    set_media(world, duration=None, speech_intervals=None)
    base = f"/api/v1/media_attachments/{world.attachment_id}/media_tracks"
    r = api.request("GET", f"{base}/{track_id}/quality?profile=bbc", world.student)
    assert r.status_code == 200
    assert r.json()["findings"] == expected_findings(37)
    # A copy of the file in another course shows the original's track (inherited) and its
    # own; the copy's own track is not a track of the media object's route.
    course_of_copy, copy = world.copy_to_new_course()
    own = api.ok(
        "POST",
        f"/media_attachments/{copy['id']}/media_tracks",
        world.teacher,
        data={"locale": "fr", "content": "1\n00:00:01,000 --> 00:00:01,500\nBonjour\n"},
    )["id"]
    copy_base = f"/api/v1/media_attachments/{copy['id']}/media_tracks"
    inherited = api.ok("GET", f"{copy_base}/{track_id}/quality", world.teacher)
    assert inherited["findings"] == expected_findings(42)
    mine = api.ok("GET", f"{copy_base}/{own}/quality", world.teacher)
    assert [(f["cue"], f["rule"], f["value"]) for f in mine["findings"]] == [
        (0, "min_duration", 500)
    ]
    assert quality(world, own).status_code == 404
    # Students of the course the copy is in are not students of the first course.
    student = api.user("Student of the copy")
    api.enroll(course_of_copy, student, "student")
    assert api.request("GET", f"{copy_base}/{own}/quality", student).status_code == 200
    assert quality(world, track_id, who=student).status_code == 403


def test_a_legacy_track_that_does_not_parse_is_422(world: World, track_id: int) -> None:
    broken = "WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nimported as it was"
    with world.api.ctx.write() as session:
        track = session.get(MediaTrack, track_id)
        assert track is not None
        track.content = track.webvtt_content = broken
    r = quality(world, track_id)
    assert r.status_code == 422
    message = r.json()["errors"][0]["message"]
    assert "cannot be checked" in message
    assert "line 4: expected a cue timing line" in message


def test_a_legacy_srt_row_is_checked_as_players_get_it(world: World, track_id: int) -> None:
    with world.api.ctx.write() as session:
        track = session.get(MediaTrack, track_id)
        assert track is not None
        track.content, track.webvtt_content = CAPTIONS, None
    set_media(world, duration=None, speech_intervals=None)
    assert quality(world, track_id).json()["findings"] == expected_findings(42)


def test_a_string_ids_client_gets_the_same_numbers(world: World, track_id: int) -> None:
    who: Person = world.teacher
    r = world.api.request(
        "GET",
        quality_url(world, track_id),
        who,
        headers={"Accept": "application/json+canvas-string-ids"},
    )
    assert r.json()["findings"][0]["cue"] == 1
