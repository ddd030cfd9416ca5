"""Downloading a track in a caption format: GET .../media_tracks/:id/content?format= on both
routes, and format= on the signed track URL players use. Each format's Content-Type, file name
and body for one track with italics, an "&", a two-line cue and a pause longer than 2 s; file
names from hostile titles; the same read rights as the track list; and the errors."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote, unquote

import pytest
import srt as srt_package
import webvtt

from mediaobjects.captions.formats import FORMAT_NAMES, FORMATS
from mediaobjects.media_tracks.models import MediaTrack
from tests.support.api import Api
from tests.support.world import World, build_world

UPLOAD = (
    "1\n00:00:01,000 --> 00:00:03,000\n<i>Welcome</i> to Film & Media\n\n"
    "2\n00:00:03,500 --> 00:00:05,000\nThis cue has\ntwo lines\n\n"
    "3\n00:00:08,000 --> 00:00:09,500\nAfter a pause.\n"
)
SERVED = (
    "WEBVTT\n\n"
    "1\n00:00:01.000 --> 00:00:03.000\n<i>Welcome</i> to Film &amp; Media\n\n"
    "2\n00:00:03.500 --> 00:00:05.000\nThis cue has\ntwo lines\n\n"
    "3\n00:00:08.000 --> 00:00:09.500\nAfter a pause."
)
EXPECTED_SRT = (
    "1\n00:00:01,000 --> 00:00:03,000\n<i>Welcome</i> to Film & Media\n\n"
    "2\n00:00:03,500 --> 00:00:05,000\nThis cue has\ntwo lines\n\n"
    "3\n00:00:08,000 --> 00:00:09,500\nAfter a pause.\n"
)
# The 3 s silence between the second and third cue starts a new paragraph; 0.5 s does not.
EXPECTED_TXT = "Welcome to Film & Media This cue has two lines\n\nAfter a pause.\n"
EXPECTED_JSON = [
    {
        "start_ms": 1000,
        "end_ms": 3000,
        "text": "Welcome to Film & Media",
        "markup": "<i>Welcome</i> to Film &amp; Media",
    },
    {
        "start_ms": 3500,
        "end_ms": 5000,
        "text": "This cue has\ntwo lines",
        "markup": "This cue has\ntwo lines",
    },
    {"start_ms": 8000, "end_ms": 9500, "text": "After a pause.", "markup": "After a pause."},
]
CONTENT_TYPES = {
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "json": "application/json",
}


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


@pytest.fixture
def track_id(world: World) -> int:
    tracks = world.api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "kind": "captions", "content": UPLOAD}],
    )
    return int(tracks[0]["id"])


def content_url(world: World, track_id: int, fmt: str | None = None) -> str:
    url = f"/api/v1/media_objects/{world.media_id}/media_tracks/{track_id}/content"
    return url if fmt is None else f"{url}?format={quote(fmt)}"


def download(world: World, track_id: int, fmt: str | None = None, who: Any = None) -> Any:
    return world.api.request("GET", content_url(world, track_id, fmt), who or world.teacher)


def filename_star(disposition: str) -> str:
    """The UTF-8 file name of a Content-Disposition (``filename*``, else ``filename``)."""
    for part in disposition.split("; "):
        if part.startswith("filename*=UTF-8''"):
            return unquote(part.removeprefix("filename*=UTF-8''"))
    for part in disposition.split("; "):
        if part.startswith("filename="):
            return part.removeprefix("filename=").strip('"')
    raise AssertionError(disposition)


def ascii_filename(disposition: str) -> str:
    part = next(p for p in disposition.split("; ") if p.startswith("filename="))
    return part.removeprefix("filename=")


# ---- every format: headers and body ---------------------------------------------------------


def test_vtt_is_the_default_and_is_what_players_get(world: World, track_id: int) -> None:
    r = download(world, track_id)
    assert r.status_code == 200
    assert r.text == SERVED
    assert r.headers["content-type"] == "text/vtt; charset=utf-8"
    # The upload was "Lecture 1.mp4": without the video's extension, a player finds the
    # track saved beside the video.
    assert r.headers["content-disposition"] == 'attachment; filename="Lecture 1.en.vtt"'
    player = world.api.request(
        "GET", f"/media_objects/{world.media_id}/media_tracks/{track_id}", world.teacher
    )
    assert player.text == r.text
    assert download(world, track_id, "vtt").text == SERVED
    captions = webvtt.from_buffer(io.StringIO(r.text)).captions
    assert [(c.start, c.end, c.text) for c in captions] == [
        ("00:00:01.000", "00:00:03.000", "Welcome to Film &amp; Media"),
        ("00:00:03.500", "00:00:05.000", "This cue has\ntwo lines"),
        ("00:00:08.000", "00:00:09.500", "After a pause."),
    ]


def test_srt_keeps_italics_and_writes_a_plain_ampersand(world: World, track_id: int) -> None:
    r = download(world, track_id, "srt")
    assert r.status_code == 200
    assert r.text == EXPECTED_SRT
    assert r.headers["content-type"] == "application/x-subrip; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="Lecture 1.en.srt"'
    subtitles = list(srt_package.parse(r.text))
    assert [(s.start, s.end, s.content) for s in subtitles] == [
        (timedelta(seconds=1), timedelta(seconds=3), "<i>Welcome</i> to Film & Media"),
        (timedelta(seconds=3.5), timedelta(seconds=5), "This cue has\ntwo lines"),
        (timedelta(seconds=8), timedelta(seconds=9.5), "After a pause."),
    ]


def test_txt_is_a_transcript_in_paragraphs(world: World, track_id: int) -> None:
    r = download(world, track_id, "txt")
    assert r.status_code == 200
    assert r.text == EXPECTED_TXT
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="Lecture 1.en.txt"'


def test_json_lists_cues_with_plain_text_and_markup(world: World, track_id: int) -> None:
    r = download(world, track_id, "json")
    assert r.status_code == 200
    assert r.json() == EXPECTED_JSON
    assert r.headers["content-type"] == "application/json"
    assert r.headers["content-disposition"] == 'attachment; filename="Lecture 1.en.json"'


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_registered_format_is_served_with_its_headers(
    world: World, track_id: int, name: str
) -> None:
    fmt = FORMATS[name]
    r = download(world, track_id, name.upper())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == fmt.content_type
    assert r.headers["content-disposition"].endswith(f'.en.{fmt.extension}"')
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]
    if fmt.read is not None:
        # Whatever the format, the file holds the three cues at their times.
        cues = fmt.read(r.text).cues
        times = [(1000, 3000), (3500, 5000), (8000, 9500)]
        tolerance = fmt.frame_ms or 0  # formats timed in video frames (SCC)
        assert len(cues) == len(times)
        for cue, (start_ms, end_ms) in zip(cues, times, strict=True):
            assert abs(cue.start_ms - start_ms) <= tolerance
            assert abs(cue.end_ms - end_ms) <= tolerance
    again = world.api.request(
        "GET",
        content_url(world, track_id, name),
        world.teacher,
        headers={"If-None-Match": r.headers["etag"]},
    )
    assert again.status_code == 304


def test_ttml_dfxp_and_sami_declare_the_track_language_and_keep_the_text(world: World) -> None:
    tracks = world.api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "pt-BR", "content": UPLOAD}],
    )
    track_id = int(tracks[0]["id"])
    ttml = download(world, track_id, "ttml")
    assert 'xml:lang="pt-BR"' in ttml.text
    assert 'xmlns="http://www.w3.org/ns/ttml"' in ttml.text
    dfxp = download(world, track_id, "dfxp")
    assert 'xml:lang="pt-BR"' in dfxp.text and "http://www.w3.org/2006/10/ttaf1" in dfxp.text
    sami = download(world, track_id, "sami")
    assert "lang: pt-BR" in sami.text and "PTBRCC" in sami.text
    for fmt, body in (("ttml", ttml.text), ("dfxp", dfxp.text), ("sami", sami.text)):
        cues = FORMATS[fmt].read(body).cues  # type: ignore[misc]
        assert [cue.text for cue in cues][:1] == ["<i>Welcome</i> to Film &amp; Media"], fmt
    sbv = download(world, track_id, "sbv").text
    assert sbv.startswith("0:00:01.000,0:00:03.000\n<i>Welcome</i> to Film & Media\n")


def test_a_track_scc_cannot_hold_is_422_saying_why(world: World) -> None:
    late = "1\n100:00:00,000 --> 100:00:01,000\nAfter a hundred hours\n"
    tracks = world.api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "de", "content": late}],
    )
    r = download(world, int(tracks[0]["id"]), "scc")
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"].startswith("this track cannot be written as scc: ")
    assert download(world, int(tracks[0]["id"]), "srt").status_code == 200


def test_the_attachment_route_serves_own_and_inherited_tracks(world: World, track_id: int) -> None:
    api = world.api
    _, copy = world.copy_to_new_course()
    own = api.ok(
        "POST",
        f"/media_attachments/{copy['id']}/media_tracks",
        world.teacher,
        data={"locale": "fr", "content": "1\n00:00:01,000 --> 00:00:02,000\nBonjour\n"},
    )["id"]
    base = f"/api/v1/media_attachments/{copy['id']}/media_tracks"
    inherited = api.request("GET", f"{base}/{track_id}/content?format=srt", world.teacher)
    assert inherited.status_code == 200 and inherited.text == EXPECTED_SRT
    mine = api.request("GET", f"{base}/{own}/content?format=txt", world.teacher)
    assert mine.status_code == 200 and mine.text == "Bonjour\n"
    assert mine.headers["content-disposition"] == 'attachment; filename="Lecture 1.fr.txt"'
    # The copy's own track is not a track of the media object's route.
    assert download(world, own, "txt").status_code == 404


# ---- file names ----------------------------------------------------------------------------


def retitle(world: World, title: str) -> None:
    world.api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}",
        world.teacher,
        json={"user_entered_title": title},
    )


@pytest.mark.parametrize(
    ("title", "ascii_name", "utf8_name"),
    [
        ("../x", '"x.en.srt"', None),
        ("..\\..\\windows\\system32", '"windows system32.en.srt"', None),
        ("CON", '"_CON.en.srt"', None),
        ("lpt1.notes", '"_lpt1.notes.en.srt"', None),
        ('Say "cheese": <now>?', '"Say cheese now.en.srt"', None),
        ("Week 1\nIntro\r\n", '"Week 1 Intro.en.srt"', None),
        ("Trailing dots...  ", '"Trailing dots.en.srt"', None),
        ("Café 🎬 Première", '"Cafe Premiere.en.srt"', "Café 🎬 Première.en.srt"),
        ("🎬🎬", '"captions.en.srt"', "🎬🎬.en.srt"),
        ("100% real", '"100_ real.en.srt"', "100% real.en.srt"),
        ("evil\u202etrs.exe", '"evil trs.exe.en.srt"', "evil trs.exe.en.srt"),
    ],
)
def test_file_names_are_safe_for_every_os(
    world: World, track_id: int, title: str, ascii_name: str, utf8_name: str | None
) -> None:
    retitle(world, title)
    disposition = download(world, track_id, "srt").headers["content-disposition"]
    assert ascii_filename(disposition) == ascii_name
    assert filename_star(disposition) == (utf8_name or ascii_name.strip('"'))
    if utf8_name is None:
        assert "filename*=" not in disposition


def test_a_long_title_is_cut_to_a_name_every_file_system_takes(world: World, track_id: int) -> None:
    retitle(world, "é" * 300)
    disposition = download(world, track_id, "srt").headers["content-disposition"]
    name = filename_star(disposition)
    assert name.endswith("é.en.srt")
    # 180 bytes of title: 90 "é", whatever the (255-character) stored title.
    assert name == "é" * 90 + ".en.srt"
    assert ascii_filename(disposition) == '"' + "e" * 180 + '.en.srt"'


# ---- rights and errors ---------------------------------------------------------------------


def test_same_read_rights_as_the_track_list(world: World, track_id: int) -> None:
    api = world.api
    assert download(world, track_id, "srt", world.student).text == EXPECTED_SRT
    assert download(world, track_id, "json", world.observer).status_code == 200
    for who in (world.outsider,):
        listing = api.request(
            "GET", f"/api/v1/media_objects/{world.media_id}/media_tracks", who
        ).status_code
        assert download(world, track_id, "srt", who).status_code == listing == 403
    anonymous = api.client.get(content_url(world, track_id, "srt"))
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["message"] == "user authorization required"


def test_unknown_track_or_media_is_404_d3(world: World, track_id: int) -> None:
    api = world.api
    assert download(world, 999999, "srt").status_code == 404
    r = api.request("GET", "/api/v1/media_objects/0_nope/media_tracks/1/content", world.teacher)
    assert r.status_code == 404
    assert r.json() == {"errors": [{"message": "The specified resource does not exist."}]}
    r = api.request("GET", "/api/v1/media_attachments/424242/media_tracks/1/content", world.teacher)
    assert r.status_code == 404
    assert api.client.get("/api/v1/media_objects/0_nope/media_tracks/1/content").status_code == 401
    assert download(world, track_id, "srt", world.outsider).status_code == 403


@pytest.mark.parametrize("fmt", ["docx", "", "vtt2", "s r t", "x" * 500])
def test_an_unknown_format_is_400_naming_the_formats(world: World, track_id: int, fmt: str) -> None:
    r = download(world, track_id, fmt)
    assert r.status_code == 400
    error = r.json()["errors"][0]
    assert error["field"] == "format"
    assert error["error_code"] == "inclusion"
    available = [name for name in FORMAT_NAMES if name in FORMATS]
    assert f"format must be one of {', '.join(available)}" in error["message"]
    assert len(error["message"]) < 200


def test_formats_still_to_come_are_400_not_available(world: World, track_id: int) -> None:
    pending = [name for name in FORMAT_NAMES if name not in FORMATS]
    for name in pending:
        r = download(world, track_id, name)
        assert r.status_code == 400, name
        assert "is not available yet" in r.json()["errors"][0]["message"]
    # Authorisation comes first: a stranger learns nothing, not even that a format is wrong.
    assert download(world, track_id, "docx", world.outsider).status_code == 403
    assert world.api.client.get(content_url(world, track_id, "docx")).status_code == 401


# ---- legacy tracks (decision D8) -----------------------------------------------------------


def set_stored(world: World, track_id: int, content: str, webvtt_content: str | None) -> None:
    with world.api.ctx.write() as session:
        track = session.get(MediaTrack, track_id)
        assert track is not None
        track.content = content
        track.webvtt_content = webvtt_content


def test_a_legacy_track_that_does_not_parse_is_only_served_as_webvtt(
    world: World, track_id: int
) -> None:
    broken = "WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nimported as it was"
    set_stored(world, track_id, broken, broken)
    r = download(world, track_id)
    assert r.status_code == 200 and r.text == broken
    for name in ("srt", "txt", "json"):
        r = download(world, track_id, name)
        assert r.status_code == 422
        message = r.json()["errors"][0]["message"]
        assert "can only be downloaded as WebVTT (format=vtt)" in message
        # The parser's reason, with its line, so that the track can be fixed.
        assert "line 4: expected a cue timing line" in message


def test_a_legacy_srt_row_without_webvtt_is_converted(world: World, track_id: int) -> None:
    set_stored(world, track_id, UPLOAD, None)
    assert download(world, track_id, "srt").text == EXPECTED_SRT
    assert download(world, track_id, "json").json() == EXPECTED_JSON


# ---- the signed URL players use ------------------------------------------------------------


def test_signed_track_url_accepts_format(world: World, track_id: int) -> None:
    api = world.api
    info = api.ok("GET", f"/media_objects/{world.media_id}/info", world.student)
    url = info["media_tracks"][0]["url"]
    plain = api.client.get(url)
    assert plain.status_code == 200 and plain.text == SERVED
    # A player's <track> gets WebVTT as before, with no download name.
    assert "content-disposition" not in plain.headers
    assert plain.headers["content-type"] == "text/vtt; charset=utf-8"
    for name, expected in (("srt", EXPECTED_SRT), ("txt", EXPECTED_TXT)):
        r = api.client.get(f"{url}&format={name}")
        assert r.status_code == 200
        assert r.text == expected
        assert r.headers["content-type"] == CONTENT_TYPES[name]
        assert r.headers["content-disposition"] == f'attachment; filename="Lecture 1.en.{name}"'
    assert json.loads(api.client.get(f"{url}&format=json").text) == EXPECTED_JSON
    vtt = api.client.get(f"{url}&format=vtt")
    assert vtt.text == SERVED and vtt.headers["content-disposition"].startswith("attachment;")
    bad = api.client.get(f"{url}&format=docx")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "format"
    # Without the verifier, format= changes nothing about who may read.
    bare = url.split("?")[0]
    assert api.client.get(f"{bare}?format=srt").status_code == 401
    assert api.request("GET", f"{bare}?format=srt", world.outsider).status_code == 403
    assert api.client.get(f"{bare}?format=srt&verifier=1.forged").status_code == 401
    assert api.request("GET", f"{bare}?format=srt", world.student).text == EXPECTED_SRT
