"""The caption editor pages over HTTP: who may open them (teachers; students and outsiders get
the 403 page, visitors /login), unknown media or tracks (404 pages), the new-track page's
locale and kind (400 pages, or the existing track of that language), what the page hands its
script, and its strict Content-Security-Policy. The editing itself is
test_editor_browser.py's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.api import Api
from tests.support.clips import make_video
from tests.support.world import build_world
from tests.web.test_pages import page

SRT = "1\n00:00:00,000 --> 00:00:02,000\nHello <i>there</i>\n"


def track_of(api: Api, media_id: str, who: object, locale: str = "en") -> int:
    made = api.ok(
        "PUT",
        f"/api/v1/media_objects/{media_id}/media_tracks",
        who,  # type: ignore[arg-type]
        json=[{"locale": locale, "kind": "captions", "content": SRT}],
    )
    track_id = made[0]["id"]
    assert isinstance(track_id, int)
    return track_id


def test_a_teacher_opens_the_editor_of_a_track(api: Api, client: TestClient) -> None:
    world = build_world(api, title="Week <1> intro.mp4")
    media_id = world.file["media_entry_id"]
    track_id = track_of(api, media_id, world.teacher)
    response = page(client, f"/media_objects/{media_id}/captions/{track_id}/edit", world.teacher)
    assert response.status_code == 200
    html = response.text
    assert "<h1>Captions: English</h1>" in html
    assert "Week &lt;1&gt; intro.mp4" in html and "Week <1>" not in html
    assert f'data-api="/api/v1/media_objects/{media_id}"' in html
    assert f'data-track-id="{track_id}"' in html
    assert 'id="save"' in html and 'id="save-status"' in html and 'data-state="clean"' in html
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', html)
    assert re.search(r'<script type="module" src="/static/editor\.js\?v=[0-9a-f]{16}">', html)
    # No script or style inside the page: the policy allows none.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert response.headers["cache-control"] == "private, no-store"
    # The help names every shortcut the issue asks for.
    for action in (
        "Play or pause",
        "Set the cue's start to the playhead",
        "Set the cue's end to the playhead",
        "Next or previous cue",
        "Split the cue at the playhead",
        "Merge the cue with the next",
        "Save",
        "Undo",
        "Redo",
    ):
        assert action in html, action


def test_the_media_is_playable_beside_the_cues_once_ready(
    api: Api, client: TestClient, tmp_path: Path
) -> None:
    world = build_world(api)
    clip = make_video(tmp_path / "clip.mp4", seconds=1, size="160x90")
    file = api.upload(
        f"courses/{world.course}", world.teacher, "Clip.mp4", clip.read_bytes(), "video/mp4"
    )
    media_id = file["media_entry_id"]
    track_id = track_of(api, media_id, world.teacher)
    url = f"/media_objects/{media_id}/captions/{track_id}/edit"
    assert "still being processed" in page(client, url, world.teacher).text
    api.ctx.jobs.run_pending_now()
    html = page(client, url, world.teacher).text
    sources = re.findall(r'<source src="([^"]+)" type="([^"]+)">', html)
    assert sources, html
    # The same source URLs the API hands out (and the player page plays).
    listed = api.ok("GET", f"/media_objects/{media_id}/info", world.teacher)["media_sources"]
    assert {s["url"] for s in listed} >= {src.replace("&amp;", "&") for src, _ in sources}


@pytest.mark.parametrize("who", ["student", "observer", "outsider"])
def test_only_who_may_add_captions_opens_the_editor(api: Api, client: TestClient, who: str) -> None:
    world = build_world(api)
    media_id = world.file["media_entry_id"]
    track_id = track_of(api, media_id, world.teacher)
    person = getattr(world, who)
    for url in (
        f"/media_objects/{media_id}/captions/{track_id}/edit",
        f"/media_objects/{media_id}/captions/new?locale=fr&kind=captions",
        # No hint of which tracks exist.
        f"/media_objects/{media_id}/captions/999999/edit",
    ):
        response = page(client, url, person)
        assert response.status_code == 403, url
        assert "<h1>Not allowed</h1>" in response.text
        assert "data-api" not in response.text


def test_a_ta_and_the_designer_may_edit(api: Api, client: TestClient) -> None:
    world = build_world(api)
    media_id = world.file["media_entry_id"]
    track_id = track_of(api, media_id, world.teacher)
    for person in (world.ta, world.designer):
        url = f"/media_objects/{media_id}/captions/{track_id}/edit"
        assert page(client, url, person).status_code == 200


def test_unknown_media_or_tracks_are_not_found(api: Api, client: TestClient) -> None:
    world = build_world(api)
    media_id = world.file["media_entry_id"]
    track_id = track_of(api, media_id, world.teacher)
    other = api.upload(
        f"courses/{world.course}", world.teacher, "Other.mp4", b"\0" * 64, "video/mp4"
    )
    other_track = track_of(api, other["media_entry_id"], world.teacher)
    for url in (
        f"/media_objects/m-nothing/captions/{track_id}/edit",
        "/media_objects/m-nothing/captions/new?locale=en",
        f"/media_objects/{media_id}/captions/999999/edit",
        f"/media_objects/{media_id}/captions/abc/edit",
        # A track of another media object is not this one's.
        f"/media_objects/{media_id}/captions/{other_track}/edit",
    ):
        response = page(client, url, world.teacher)
        assert response.status_code == 404, url
        assert "<h1>Not found</h1>" in response.text


@pytest.mark.parametrize(
    "url",
    [
        "/media_objects/m-1/captions/1/edit",
        "/media_objects/m-1/captions/new?locale=en&kind=captions",
    ],
)
def test_a_visitor_is_sent_to_login_and_back(client: TestClient, url: str) -> None:
    response = page(client, url, None)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/media_objects/m-1/captions/")


def test_a_new_track_page_names_its_language_and_kind(api: Api, client: TestClient) -> None:
    world = build_world(api)
    media_id = world.file["media_entry_id"]
    response = page(
        client, f"/media_objects/{media_id}/captions/new?locale=fr-ca&kind=subtitles", world.teacher
    )
    assert response.status_code == 200
    html = response.text
    assert "<h1>New Subtitles: French (Canada)</h1>" in html
    assert 'data-track-id=""' in html and 'data-locale="fr-CA"' in html
    assert 'data-kind="subtitles"' in html
    # No kind: captions, what a teacher fixes here.
    html = page(client, f"/media_objects/{media_id}/captions/new?locale=de", world.teacher).text
    assert 'data-kind="captions"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "The link names no language (locale) for the new captions."),
        ("?locale=en_US", "is invalid; did you mean &#34;en-US&#34;?"),
        ("?locale=%3Cb%3E", "is invalid: expected a language tag"),
        ("?locale=en&kind=karaoke", "The kind of the new track must be one of subtitles"),
    ],
)
def test_a_new_track_link_with_a_bad_locale_or_kind_says_so(
    api: Api, client: TestClient, query: str, message: str
) -> None:
    world = build_world(api)
    media_id = world.file["media_entry_id"]
    response = page(client, f"/media_objects/{media_id}/captions/new{query}", world.teacher)
    assert response.status_code == 400
    assert message in response.text
    assert "<b>" not in response.text


def test_a_new_track_of_an_existing_language_opens_that_track(api: Api, client: TestClient) -> None:
    world = build_world(api)
    media_id = world.file["media_entry_id"]
    track_id = track_of(api, media_id, world.teacher, locale="en-US")
    response = page(
        client, f"/media_objects/{media_id}/captions/new?locale=en-us&kind=captions", world.teacher
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/media_objects/{media_id}/captions/{track_id}/edit"
