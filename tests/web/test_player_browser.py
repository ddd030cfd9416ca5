"""The player page in a real browser (Debian's chromium driven by Playwright; never
`playwright install`): the transcoded video plays, and an active caption cue can be read from
`textTracks`; the default track follows Accept-Language; the keyboard works."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import sync_playwright

from tests.support.api import Api
from tests.support.clips import make_video
from tests.support.live import live_server
from tests.support.world import build_world

pytestmark = pytest.mark.live
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
SRT_EN = "1\n00:00:00,000 --> 00:00:03,500\nHello from the captions\n"
SRT_FR = "1\n00:00:00,000 --> 00:00:03,500\nBonjour des sous-titres\n"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (make test does it)")
    # Chromium keeps crash-report settings and a dconf cache under the home directory, even
    # with Playwright's temporary profile: give it one inside tmp_path.
    home = tmp_path / "browser-home"
    env: dict[str, str | float | bool] = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=ARGS, headless=True, env=env
        )
        try:
            yield instance
        finally:
            instance.close()


def test_player_plays_and_shows_captions(app: Any, api: Api, browser: Any, tmp_path: Path) -> None:
    world = build_world(api)
    clip = make_video(tmp_path / "lecture.mp4", seconds=4, size="640x360")
    file = api.upload(
        f"courses/{world.course}", world.teacher, "lecture.mp4", clip.read_bytes(), "video/mp4"
    )
    media_id = file["media_entry_id"]
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{media_id}/media_tracks",
        world.teacher,
        json=[
            {"locale": "en", "kind": "captions", "content": SRT_EN},
            {"locale": "fr", "kind": "subtitles", "content": SRT_FR},
        ],
    )
    api.ctx.jobs.run_pending_now()
    with live_server(app) as base:
        info = requests.get(
            f"{base}/media_objects/{media_id}/info",
            headers={"Authorization": f"Bearer {world.student.token}"},
            timeout=10,
        ).json()
        assert info["processing_state"] == "ready"
        iframe = info["embedded_iframe_url"]
        assert iframe.startswith(base) and "verifier=" in iframe
        context = browser.new_context(
            locale="fr-FR", extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
        )
        page = context.new_page()
        # The page's script and style run under a nonce-only Content-Security-Policy; Chromium
        # reports anything it refused on the console.
        refused: list[str] = []
        fetched: list[str] = []
        page.on("request", lambda r: fetched.append(r.url))
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(iframe)
        # Every rendition is a <source> of the page as served (its script takes them out
        # when it streams), every track a <track>, labelled by language.
        served = requests.get(iframe, timeout=10).text
        assert served.count("<source ") == len(info["media_sources"])
        # It streams: the renditions' HLS master (the JSON's hls_url, for this route) through
        # the self-hosted hls.js, as Chromium has Media Source Extensions.
        assert info["hls_url"] and f'data-hls-url="{info["hls_url"]}"'.split("?")[0] in served
        labels = page.eval_on_selector_all(
            "video track", "ts => ts.map(t => [t.srclang, t.label, t.default])"
        )
        assert labels == [["en", "English", False], ["fr", "French", True]]
        page.evaluate(
            "() => { const v = document.getElementById('media'); v.muted = true; return v.play(); }"
        )
        # Paused as soon as it has played a little, so that a slow machine cannot run past
        # the cue before it is read.
        page.wait_for_function(
            """() => {
                const v = document.getElementById('media');
                if (v.currentTime > 0.3) { v.pause(); return true; }
                return false;
            }""",
            timeout=15000,
        )
        cue = page.wait_for_function(
            """() => {
                const tracks = document.getElementById('media').textTracks;
                for (const t of tracks) {
                    if (t.mode === 'showing' && t.activeCues && t.activeCues.length) {
                        return t.language + ': ' + t.activeCues[0].text;
                    }
                }
                return null;
            }""",
            timeout=15000,
        ).json_value()
        assert cue == "fr: Bonjour des sous-titres"
        assert any("/hls/master.m3u8?verifier=" in url for url in fetched), fetched
        assert any("/hls/variants/" in url for url in fetched), fetched
        assert any("/static/vendor/hls.light" in url for url in fetched), fetched
        # Keyboard: the player has focus; k plays and pauses, c moves to the next caption track.
        page.keyboard.press("k")
        page.wait_for_function("() => !document.getElementById('media').paused", timeout=5000)
        page.keyboard.press("k")
        page.wait_for_function("() => document.getElementById('media').paused", timeout=5000)
        page.keyboard.press("c")
        showing = page.evaluate(
            "() => Array.from(document.getElementById('media').textTracks).filter(t => t.mode === 'showing').map(t => t.language)"
        )
        assert showing == []  # fr was the last track: captions off
        assert refused == []
        context.close()
        # Without the verifier or a token the page is refused.
        assert requests.get(iframe.split("?")[0], timeout=10).status_code == 401


def test_a_page_opened_too_early_shows_the_media_once_it_plays(
    app: Any, api: Api, browser: Any, tmp_path: Path
) -> None:
    world = build_world(api)
    clip = make_video(tmp_path / "lecture.mp4", seconds=2, size="320x180")
    file = api.upload(
        f"courses/{world.course}", world.teacher, "lecture.mp4", clip.read_bytes(), "video/mp4"
    )
    media_id = file["media_entry_id"]
    with live_server(app) as base:
        info = requests.get(
            f"{base}/media_objects/{media_id}/info",
            headers={"Authorization": f"Bearer {world.student.token}"},
            timeout=10,
        ).json()
        assert info["processing_state"] != "ready" and info["media_sources"] == []
        page = browser.new_page()
        refused: list[str] = []
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(info["embedded_iframe_url"])
        status = page.locator("[data-waiting]")
        assert "still being processed" in status.inner_text()
        assert page.locator("#media").count() == 0
        # Nobody reloads it: once the media plays, the page shows the player by itself.
        api.ctx.jobs.run_pending_now()
        page.locator("video#media").wait_for(timeout=45000)
        assert page.locator("[data-waiting]").count() == 0
        page.evaluate(
            "() => { const v = document.getElementById('media'); v.muted = true; return v.play(); }"
        )
        page.wait_for_function(
            "() => document.getElementById('media').currentTime > 0.3", timeout=15000
        )
        assert refused == []
        page.close()
