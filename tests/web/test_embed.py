"""The embed verifier of ``embedded_iframe_url``: the URL teachers paste into course pages
keeps opening the player page after every other signed URL has expired, opens only the page it
names (never another media's page, a download, a thumbnail, a source or a track), and stops
when the media is deleted. Run with a three-second signed-URL lifetime so that expiry is real."""

from __future__ import annotations

import re
import time
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from mediaobjects.settings import Settings
from tests.support.api import Api
from tests.support.clips import make_video
from tests.support.world import World, build_world

TTL = 3
SRT = "1\n00:00:00,000 --> 00:00:00,900\nHello there\n"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"signed_url_ttl_seconds": TTL})


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=1, size="160x120")


def _ready_media(world: World, clip: Path, name: str = "Lecture.mp4") -> dict[str, Any]:
    """A transcoded media file with one caption track, as its teacher sees it."""
    api = world.api
    file = api.upload(
        f"courses/{world.course}", world.teacher, name, clip.read_bytes(), "video/mp4"
    )
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{file['media_entry_id']}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "content": SRT}],
    )
    api.ctx.jobs.run_pending_now()
    return dict(file)


@pytest.fixture
def world(api: Api, clip: Path) -> World:
    world = build_world(api)
    world.file = _ready_media(world, clip)
    return world


def _info(world: World, path: str) -> dict[str, Any]:
    return dict(world.api.ok("GET", path, world.teacher))


def _verifier(url: str) -> str:
    return parse_qs(urlsplit(url).query)["verifier"][0]


def _bare(url: str) -> str:
    return url.split("?")[0]


def _get(api: Api, url: str) -> int:
    """The status an anonymous browser gets (no token, no cookie)."""
    return api.client.get(url, follow_redirects=False).status_code


def _page_urls(html: str, attribute: str) -> list[str]:
    return [unescape(url) for url in re.findall(rf'{attribute}="([^"]+)"', html)]


def test_embedded_iframe_url_outlives_the_signed_url_ttl(world: World) -> None:
    api = world.api
    by_media = _info(world, f"/media_objects/{world.media_id}/info")
    by_file = _info(world, f"/media_attachments/{world.attachment_id}/info")
    download = _info(world, f"/api/v1/files/{world.attachment_id}")["url"]
    source = by_media["media_sources"][0]["url"]
    assert _get(api, source) == 200 and _get(api, download) == 200

    expires = int(_verifier(download).split(".")[0])
    # Expiry is what is tested, on the URLs the server handed out: wait until the time they
    # name has passed (a TTL of 3 s keeps that short; the app has no clock to move instead).
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    # Every expiring URL handed out with the JSON is dead now...
    assert _get(api, download) == 401 and _get(api, source) == 401

    # ...but the embeds still open their player pages, which hand out fresh URLs.
    for iframe in (by_media["embedded_iframe_url"], by_file["embedded_iframe_url"]):
        page = api.client.get(iframe)
        assert page.status_code == 200, (iframe, page.text)
        assert page.headers["content-type"].startswith("text/html")
        sources = [url for url in _page_urls(page.text, "src") if "/media_sources/" in url]
        tracks = [url for url in _page_urls(page.text, "src") if "/media_tracks/" in url]
        posters = _page_urls(page.text, "poster")
        assert sources and tracks and posters, page.text
        for url in (sources[0], tracks[0], posters[0]):
            assert _get(api, url) == 200, url


def test_embed_verifier_opens_only_the_page_it_names(world: World, clip: Path) -> None:
    api = world.api
    other = _ready_media(world, clip, "Other.mp4")
    _, copy = world.copy_to_new_course()
    media_embed = _verifier(
        _info(world, f"/media_objects/{world.media_id}/info")["embedded_iframe_url"]
    )
    file_embed = _verifier(
        _info(world, f"/media_attachments/{world.attachment_id}/info")["embedded_iframe_url"]
    )
    assert media_embed != file_embed

    assert _get(api, f"/media_objects_iframe/{world.media_id}?verifier={media_embed}") == 200
    assert _get(api, f"/media_attachments_iframe/{world.attachment_id}?verifier={file_embed}") == (
        200
    )
    refused = [
        f"/media_objects_iframe/{other['media_entry_id']}?verifier={media_embed}",
        f"/media_attachments_iframe/{other['id']}?verifier={media_embed}",
        f"/media_attachments_iframe/{other['id']}?verifier={file_embed}",
        # A copy of the same file is another file, with its own embed.
        f"/media_attachments_iframe/{copy['id']}?verifier={file_embed}",
        # The file's embed is not the media object's, nor the reverse.
        f"/media_objects_iframe/{world.media_id}?verifier={file_embed}",
        f"/media_attachments_iframe/{world.attachment_id}?verifier={media_embed}",
    ]
    for url in refused:
        assert _get(api, url) == 401, url
        # Signed in without read access, the verifier changes nothing either.
        assert api.request("GET", url, world.outsider).status_code == 403, url


def test_embed_verifier_is_not_a_download_thumbnail_source_or_track_verifier(
    world: World,
) -> None:
    api = world.api
    body = _info(world, f"/media_objects/{world.media_id}/info")
    by_file = _info(world, f"/media_attachments/{world.attachment_id}/info")
    source = _bare(body["media_sources"][0]["url"])
    track = _bare(body["media_tracks"][0]["url"])
    file_track = _bare(by_file["media_tracks"][0]["url"])
    media, attachment = world.media_id, world.attachment_id
    for embed in (
        _verifier(body["embedded_iframe_url"]),
        _verifier(by_file["embedded_iframe_url"]),
    ):
        for path in (
            f"/files/{attachment}/download?download_frd=1",
            f"/media_objects/{media}/thumbnail?width=80",
            f"/media_attachments/{attachment}/thumbnail?width=80",
            f"/media_objects/{media}/redirect?bitrate=1",
            f"/media_attachments/{attachment}/redirect?bitrate=1",
            f"{source}?x=1",
            f"{track}?x=1",
            f"{file_track}?x=1",
        ):
            assert _get(api, f"{path}&verifier={embed}") == 401, path


def test_d21_page_verifiers_open_only_what_they_were_made_for(world: World) -> None:
    """The public page of a course video hands out short-lived verifiers for its poster and
    tracks. None of them opens a player page, another route's thumbnail or tracks, or a
    student's private copy of the video with its private captions (decision D21)."""
    api = world.api
    student_files = api.ok("GET", "/api/v1/users/self/folders/root", world.student)
    copy = api.ok(
        "POST",
        f"/api/v1/folders/{student_files['id']}/copy_file",
        world.student,
        data={"source_file_id": world.attachment_id},
    )
    private = api.ok(
        "PUT",
        f"/api/v1/media_attachments/{copy['id']}/media_tracks",
        world.student,
        json=[{"locale": "en"}, {"locale": "fr", "content": SRT}],
    )
    private_id = next(t["id"] for t in private if t["locale"] == "fr")
    course_track_id = next(t["id"] for t in private if t["locale"] == "en")

    iframe = _info(world, f"/media_objects/{world.media_id}/info")["embedded_iframe_url"]
    page = api.client.get(iframe).text
    poster = _page_urls(page, "poster")[0]
    track = next(url for url in _page_urls(page, "src") if "/media_tracks/" in url)
    assert _get(api, poster) == 200 and _get(api, track) == 200
    media, own, theirs = world.media_id, world.attachment_id, copy["id"]
    for verifier in (_verifier(poster), _verifier(track)):
        assert not verifier.startswith("never.")
        for path in (
            f"/media_objects_iframe/{media}",
            f"/media_attachments_iframe/{own}",
            f"/media_attachments_iframe/{theirs}",
            f"/media_attachments/{theirs}/thumbnail",
            f"/media_attachments/{own}/thumbnail",
            f"/media_attachments/{theirs}/media_tracks/{private_id}",
            f"/media_attachments/{theirs}/media_tracks/{course_track_id}",
            f"/media_objects/{media}/redirect",
            f"/media_attachments/{theirs}/redirect",
        ):
            assert _get(api, f"{path}?verifier={verifier}") == 401, path
    # Each opens what it was made for, and only that.
    assert _get(api, f"/media_objects/{media}/thumbnail?verifier={_verifier(poster)}") == 200
    assert _get(api, f"{_bare(track)}?verifier={_verifier(poster)}") == 401
    assert _get(api, f"/media_objects/{media}/thumbnail?verifier={_verifier(track)}") == 401


def test_tampered_verifier_is_refused_as_before(world: World) -> None:
    api = world.api
    iframe = _info(world, f"/media_objects/{world.media_id}/info")["embedded_iframe_url"]
    embed = _verifier(iframe)
    assert embed.startswith("never.")
    page = _bare(iframe)
    mac = embed.split(".", 1)[1]
    poster = _page_urls(api.client.get(iframe).text, "poster")[0]
    expiring = _verifier(poster)
    assert not expiring.startswith("never.")
    for forged in (
        embed[:-1] + ("A" if embed[-1] != "A" else "B"),
        f"9999999999.{mac}",  # an embed's MAC under an expiry date
        "never." + expiring.split(".", 1)[1],  # an expiring MAC made permanent
        "never.",
        "never.é",
    ):
        assert _get(api, f"{page}?verifier={forged}") == _get(api, page) == 401, forged
        assert api.request("GET", f"{page}?verifier={forged}", world.outsider).status_code == 403


def test_embed_of_a_deleted_file_or_media_is_404(world: World) -> None:
    api = world.api
    by_media = _info(world, f"/media_objects/{world.media_id}/info")["embedded_iframe_url"]
    by_file = _info(world, f"/media_attachments/{world.attachment_id}/info")["embedded_iframe_url"]
    api.ok("DELETE", f"/api/v1/files/{world.attachment_id}", world.teacher)
    assert _get(api, by_file) == 404
    # The media object goes when its last file has gone (a job), and its embed with it.
    api.ctx.jobs.run_pending_now()
    assert _get(api, by_media) == 404
    # Without the verifier the ids stay undisclosed to anonymous callers (decision D3).
    assert _get(api, _bare(by_file)) == 401 and _get(api, _bare(by_media)) == 401


def test_player_page_runs_only_its_own_nonced_script(world: World) -> None:
    api = world.api
    iframe = _info(world, f"/media_objects/{world.media_id}/info")["embedded_iframe_url"]
    first, second = api.client.get(iframe), api.client.get(iframe)
    policy = first.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    nonce = re.search(r"script-src 'nonce-([A-Za-z0-9_-]+)'", policy)
    assert nonce is not None
    # One script: the page's own module, from /static/ under a content-hashed URL.
    scripts = re.findall(r"<script([^>]*)>", first.text)
    assert len(scripts) == 1
    assert re.fullmatch(
        rf' type="module" nonce="{nonce.group(1)}" src="/static/player\.js\?v=[0-9a-f]{{16}}"',
        scripts[0],
    )
    assert f'<style nonce="{nonce.group(1)}">' in first.text
    # A fresh nonce for every response.
    assert second.headers["content-security-policy"] != policy
