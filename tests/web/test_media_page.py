"""The media page /media_objects/:media_id over HTTP (the in-process client): sign-in redirect,
404 and 403 pages, what a teacher and a student see (controls only where the API's rights
allow them, and the API refusing the student's cookie + CSRF requests anyway), the player
frame and its Content-Security-Policy, downloads in every format, the embed code the API
hands out, renditions and the quality summary of a processed clip, the upload route the page
posts to, automatic captions with and without an engine, the locale picker, and the library
cards' link. The browser's side is test_media_page_browser.py."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mediaobjects.caption_reports.service import TrackSummary
from mediaobjects.captions.formats import FORMATS, available_formats
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.web.locales import locale_options
from mediaobjects.web.media_page import quality_of, size_text
from mediaobjects.web.templating import environment
from tests.api.test_auto_captions import FakeEngine, mark_ready, processed
from tests.support.api import Api
from tests.support.clips import make_video
from tests.support.world import World, build_world
from tests.web.test_pages import page

SRT = "1\n00:00:00,000 --> 00:00:02,000\nHello\n\n2\n00:00:02,500 --> 00:00:04,000\nAgain\n"
# Every control the page offers those who may change captions or the title.
CONTROLS = (
    'id="title-form"',
    'id="upload-form"',
    'id="new-form"',
    'id="auto-captions"',
    'class="danger delete-track"',
    'class="button-link" href=',
)


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def media_url(world: World, media_id: str | None = None) -> str:
    return f"/media_objects/{media_id or world.media_id}"


def add_track(world: World, locale: str = "fr", content: str = SRT, kind: str = "captions") -> int:
    tracks = world.api.ok(
        "POST",
        f"/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        data={"locale": locale, "kind": kind, "content": content},
    )["media_tracks"]
    return int(next(t["id"] for t in tracks if t["locale"] == locale))


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found is not None
    return found.group(1)


def track_items(html: str) -> dict[str, str]:
    """locale -> the HTML of its track's list item."""
    return {
        m.group(1): m.group(0)
        for m in re.finditer(
            r'<li class="track" [^>]*data-locale="([^"]+)".*?\n    </li>\n', html, re.S
        )
    }


def test_visitors_sign_in_unknown_media_is_404_and_outsiders_get_403(
    world: World, client: TestClient
) -> None:
    url = media_url(world)
    response = page(client, url, None)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={url}"
    missing = page(client, "/media_objects/no-such-media", world.teacher)
    assert missing.status_code == 404
    assert "<h1>Not found</h1>" in missing.text
    refused = page(client, url, world.outsider)
    assert refused.status_code == 403
    assert "<h1>Not allowed</h1>" in refused.text
    assert world.file["display_name"] not in refused.text


def test_a_teacher_sees_the_player_details_tracks_and_every_control(
    world: World, client: TestClient
) -> None:
    add_track(world, "fr")
    response = page(client, media_url(world), world.teacher)
    assert response.status_code == 200
    html = response.text
    assert '<h1 id="media-title">Lecture 1.mp4</h1>' in html
    for control in CONTROLS:
        assert control in html, control
    # The player is the iframe page itself, opened with the session cookie, titled.
    assert (
        f'<iframe id="player" src="/media_objects_iframe/{world.media_id}" '
        'title="Player: Lecture 1.mp4"' in html
    )
    player = client.get(f"/media_objects_iframe/{world.media_id}")
    assert player.status_code == 200
    # This page alone may frame it; everything else of the policy stays strict.
    policy = response.headers["content-security-policy"]
    assert "frame-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    library = client.get(f"/courses/{world.course}/media")
    assert "frame-src" not in library.headers["content-security-policy"]
    assert "<style" not in html and " style=" not in html
    assert all('src="' in s for s in re.findall(r"<script[^>]*>", html))
    # The track: language name and tag, kind, its author's name, state and quality.
    item = track_items(html)["fr"]
    assert "French <span" in item and "(fr)" in item
    assert "<dd>Captions</dd>" in item and "<dd>Teacher Person</dd>" in item
    assert '<span class="track-state state-ready">Ready</span>' in item
    track_id = re.search(r'data-track-id="(\d+)"', item).group(1)
    assert f'href="/media_objects/{world.media_id}/captions/{track_id}/edit"' in item
    # The form for a new track in the editor goes where the editor lives.
    form = re.search(r'<form id="new-form" method="get" action="([^"]+)">(.*?)</form>', html, re.S)
    assert form is not None
    assert form.group(1) == f"/media_objects/{world.media_id}/captions/new"
    assert 'name="locale"' in form.group(2) and 'name="kind"' in form.group(2)
    kinds = re.findall(r'<option value="(\w+)"', form.group(2))
    assert kinds == ["subtitles", "captions", "descriptions", "chapters", "metadata"]
    # The upload form posts a file part to the route that adds one track.
    upload = re.search(r'<form id="upload-form" data-action="([^"]+)"', html)
    assert upload is not None and upload.group(1) == f"/media_objects/{world.media_id}/media_tracks"
    assert 'type="file" id="upload-file" name="content"' in html


def test_a_student_sees_the_player_tracks_and_downloads_but_no_controls_and_the_api_refuses(
    world: World, client: TestClient
) -> None:
    track_id = add_track(world, "fr")
    html = page(client, media_url(world), world.student).text
    assert 'id="player"' in html and "French" in html
    assert f"/media_tracks/{track_id}/content?format=srt" in html
    for control in CONTROLS:
        assert control not in html, control
    assert 'id="locale-options"' not in html
    # What the page's script would send, with the student's cookie and token: all refused.
    token = csrf_of(html)
    headers = {"X-CSRF-Token": token}
    api = f"/api/v1/media_objects/{world.media_id}"
    attempts = [
        client.put(api, data={"user_entered_title": "Mine now"}, headers=headers),
        client.post(
            f"/media_objects/{world.media_id}/media_tracks",
            data={"locale": "de", "kind": "subtitles"},
            files={"content": ("de.srt", SRT.encode(), "application/x-subrip")},
            headers=headers,
        ),
        client.delete(f"/media_objects/{world.media_id}/media_tracks/{track_id}", headers=headers),
        client.post(f"{api}/asr", json={"locale": "en"}, headers=headers),
    ]
    assert [r.status_code for r in attempts] == [403, 403, 403, 403]
    info = client.get(f"/media_objects/{world.media_id}/info").json()
    assert info["title"] == "Lecture 1.mp4" and [t["locale"] for t in info["media_tracks"]] == [
        "fr"
    ]


def test_every_download_link_answers_in_its_format(world: World, client: TestClient) -> None:
    add_track(world, "fr")
    html = page(client, media_url(world), world.student).text
    links = [unescape(u) for u in re.findall(r'<a href="([^"]+/content\?format=\w+)"', html)]
    assert [link.rsplit("=", 1)[1] for link in links] == available_formats()
    for link in links:
        name = link.rsplit("=", 1)[1]
        response = client.get(link)
        assert response.status_code == 200, (name, response.text)
        assert response.headers["content-type"] == FORMATS[name].content_type, name
        assert "attachment" in response.headers["content-disposition"]
        if name != "scc":  # SCC spells text as CEA-608 byte pairs
            assert "Hello" in response.text, name


def test_the_embed_code_is_the_apis_iframe_url(world: World, client: TestClient) -> None:
    html = page(client, media_url(world), world.student).text
    code = re.search(r'<textarea id="embed-code" readonly rows="3">(.*?)</textarea>', html, re.S)
    assert code is not None
    iframe = unescape(code.group(1))
    info = client.get(f"/media_objects/{world.media_id}/info").json()
    src = re.search(r'<iframe src="([^"]+)"', iframe)
    assert src is not None and unescape(src.group(1)) == info["embedded_iframe_url"]
    assert 'title="Lecture 1.mp4"' in iframe
    # The URL opens the player for anyone, as it will inside a course page.
    client.cookies.clear()
    assert client.get(info["embedded_iframe_url"]).status_code == 200


def test_a_processed_clip_shows_duration_renditions_and_the_quality_services_summary(
    world: World, client: TestClient, tmp_path: Path
) -> None:
    clip = make_video(tmp_path / "Seminar.mp4", seconds=2, size="320x180")
    media_id, _ = processed(world, clip)
    world.file["media_entry_id"] = media_id
    add_track(world, "en", "1\n00:00:00,000 --> 00:00:00,100\nWay too fast to read\n")
    add_track(world, "fr", SRT)
    html = page(client, media_url(world), world.teacher).text
    assert '<span id="processing-state" class="state state-ready">Ready</span>' in html
    assert "<dt>Duration</dt><dd>0:02</dd>" in html
    info = client.get(f"/media_objects/{media_id}/info").json()
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", html)
    assert len(rows) == len(info["media_sources"]) >= 1
    for (_, cells), source in zip(rows, info["media_sources"], strict=True):
        assert f"<td>{source['width']} × {source['height']}</td>" in cells
        assert f"<td>{source['bitrate']} kbps</td>" in cells
        assert f"<td>{source['content_type']}</td>" in cells
    # Each track's summary says what the quality service says of it.
    for locale, item in track_items(html).items():
        track_id = re.search(r'data-track-id="(\d+)"', item).group(1)
        report = client.get(
            f"/api/v1/media_objects/{media_id}/media_tracks/{track_id}/quality"
        ).json()
        shown = unescape(re.search(r'<span class="quality [^"]+">(.*?)</span>', item).group(1))
        if report["meets_profile"]:
            assert shown.startswith("Meets the default caption profile"), locale
        else:
            errors = report["totals"]["by_severity"].get("error", 0)
            warnings = report["totals"]["by_severity"].get("warning", 0)
            assert shown.startswith(f"Needs work: {errors} error"), (locale, shown)
            assert f"{warnings} warning" in shown, (locale, shown)
        if report["coverage"] is not None:
            assert f"covers {round(report['coverage'] * 100)}% of the speech" in shown
    assert "Needs work" in track_items(html)["en"]


def test_the_upload_the_page_makes_adds_a_track_and_reports_line_problems(
    world: World, client: TestClient
) -> None:
    html = page(client, media_url(world), world.teacher).text
    token = csrf_of(html)
    url = f"/media_objects/{world.media_id}/media_tracks"
    form = {"locale": "pt-BR", "kind": "subtitles"}
    broken = "1\n00:00:05,000 --> 00:00:01,000\nBackwards\n"
    # Without the token the cookie is not enough.
    assert (
        client.post(url, data=form, files={"content": ("a.srt", SRT.encode())}).status_code == 403
    )
    bad = client.post(
        url,
        data=form,
        files={"content": ("a.srt", broken.encode())},
        headers={"X-CSRF-Token": token},
    )
    assert bad.status_code == 422
    assert any(e.get("line") == 2 for e in bad.json()["errors"])
    good = client.post(
        url, data=form, files={"content": ("a.srt", SRT.encode())}, headers={"X-CSRF-Token": token}
    )
    assert good.status_code == 200
    item = track_items(client.get(media_url(world)).text)["pt-BR"]
    assert "Portuguese (Brazil)" in item and "<dd>Subtitles</dd>" in item


def test_automatic_captions_are_offered_only_with_an_engine(
    world: World, client: TestClient, api: Api
) -> None:
    mark_ready(world)
    api.ctx.asr = None
    html = page(client, media_url(world), world.teacher).text
    assert 'id="asr-unavailable"' in html and 'id="asr-form"' not in html
    api.ctx.asr = FakeEngine()
    html = page(client, media_url(world), world.teacher).text
    assert 'id="asr-form" data-api-path="/api/v1/media_objects/' in html
    assert 'id="asr-unavailable"' not in html


def test_requested_automatic_captions_show_their_progress_then_the_track(
    world: World, client: TestClient, api: Api, tmp_path: Path
) -> None:
    api.ctx.asr = FakeEngine()
    clip = make_video(tmp_path / "Talk.mp4", seconds=3)
    media_id, _ = processed(world, clip)
    world.file["media_entry_id"] = media_id
    html = page(client, media_url(world), world.teacher).text
    answer = client.post(
        f"/api/v1/media_objects/{media_id}/asr",
        json={"locale": "en"},
        headers={"X-CSRF-Token": csrf_of(html)},
    )
    assert answer.status_code == 200, answer.text
    html = client.get(media_url(world)).text
    item = track_items(html)["en"]
    assert 'data-state="processing"' in item and "Being made" in item
    assert "Automatic captions, requested by Teacher Person" in item
    assert 'class="button-link"' not in item  # no editing a track still being made
    assert re.search(r'<p id="asr-status"[^>]*>Automatic captions are being made', html)
    api.ctx.jobs.run_pending_now()
    html = client.get(media_url(world)).text
    item = track_items(html)["en"]
    assert 'data-state="ready"' in item and "Automatic captions" in item
    assert "being made" not in re.search(r'<p id="asr-status".*?</p>', html, re.S).group(0)


def test_the_locale_picker_suggests_names_with_tags_and_the_pages_own_locales(
    world: World, client: TestClient, api: Api
) -> None:
    mark_ready(world)
    api.ctx.asr = FakeEngine()
    add_track(world, "haw-x-test")
    html = page(client, media_url(world), world.teacher).text
    listed = re.search(r'<datalist id="locale-options">(.*?)</datalist>', html, re.S).group(1)
    assert '<option value="fr-CA">French (Canada) (fr-CA)</option>' in listed
    assert '<option value="es-419">Spanish (Latin America) (es-419)</option>' in listed
    assert '<option value="haw-x-test">' in listed
    assert '<option value="iw">' not in listed  # deprecated: "he" is offered
    assert html.count('list="locale-options"') == 3  # upload, editor, automatic captions
    names = [o.name for o in locale_options()]
    assert names == sorted(names, key=str.casefold)
    # The macro is usable from any template.
    template = environment().from_string(
        '{% from "_locale_picker.html" import locale_datalist, locale_picker %}'
        '{{ locale_datalist("l", options) }}{{ locale_picker("f", "locale", "Language", "l") }}'
    )
    out = template.render(options=locale_options())
    assert '<label for="f">Language</label>' in out and 'list="l"' in out
    assert 'aria-describedby="f-hint"' in out and 'id="f-hint"' in out


def test_library_cards_link_to_the_media_page(world: World, client: TestClient) -> None:
    html = page(client, f"/courses/{world.course}/media", world.student).text
    assert f'<a href="/media_objects/{world.media_id}">Lecture 1.mp4</a>' in html


def test_library_cards_of_a_copied_file_open_a_page_its_course_may_see(
    world: World, api: Api, client: TestClient
) -> None:
    # The file copied into another course: its people read the copy, not the media object's
    # default file, so the media page refuses them (403). Their card opens the player the
    # library linked to before the media page existed, which the copy's course may see.
    course, _copy = world.copy_to_new_course()
    student = api.user("Copy Student")
    api.enroll(course, student, "student")
    html = page(client, f"/courses/{course}/media", student).text
    links = re.findall(r'<h[23] class="card-title"><a href="([^"]+)">Lecture 1.mp4</a>', html)
    assert len(links) == 1
    opened = client.get(unescape(links[0]), follow_redirects=False)
    assert opened.status_code == 200, links[0]
    # The original course's people still get the media page.
    html = page(client, f"/courses/{world.course}/media", world.student).text
    assert f'<a href="/media_objects/{world.media_id}">Lecture 1.mp4</a>' in html


def test_a_title_with_markup_is_escaped_everywhere(world: World, client: TestClient) -> None:
    title = '<img src=x onerror="alert(1)"> & "quotes"'
    world.api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}",
        world.teacher,
        data={"user_entered_title": title},
    )
    html = page(client, media_url(world), world.teacher).text
    assert "<img src=x" not in html
    code = re.search(r'<textarea id="embed-code" readonly rows="3">(.*?)</textarea>', html, re.S)
    iframe = unescape(code.group(1))
    # Inside the embed code the title is an attribute value, escaped for it.
    assert (
        'title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &quot;quotes&quot;"' in iframe
    )


@pytest.mark.parametrize(
    ("state", "summary", "shown"),
    [
        ("processing", None, "No captions yet"),
        ("failed", None, "No captions yet"),
        ("ready", None, "Not checked yet"),
        (
            "ready",
            (None, None, None, None, False),
            "Cannot be checked: the stored captions do not parse",
        ),
        ("ready", (0, 0, 0, None, False), "No cues"),
        ("ready", (4, 0, 0, None, True), "Meets the default caption profile"),
        (
            "ready",
            (4, 1, 2, 0.456, False),
            "Needs work: 1 error, 2 warnings; covers 46% of the speech",
        ),
        ("ready", (4, 3, 1, None, False), "Needs work: 3 errors, 1 warning"),
    ],
)
def test_quality_summaries_read_as_the_report_counts_them(
    state: str, summary: tuple[Any, ...] | None, shown: str
) -> None:
    track = MediaTrack(locale="en", kind="captions", content="", workflow_state=state)
    values = TrackSummary("default", *summary) if summary is not None else None
    assert quality_of(values, track).text == shown


def test_sizes_read_as_people_read_them() -> None:
    assert [size_text(n) for n in (512, 80_000, 1_500_000, 3 * 1024**3)] == [
        "512 bytes",
        "78 KB",
        "1.4 MB",
        "3.0 GB",
    ]
