"""The media page in a real browser (Debian's chromium, headless): the player frame plays the
clip under the page's policy, a teacher renames the media, uploads an SRT with the locale
picker (a typed language name becomes its tag) and sees the track without a reload, is asked
before replacing a track (the old one stays a version), reads a broken file's line problems,
gets a readable refusal and then a running request for automatic captions that turns ready
without a reload, deletes a track after confirming, copies the embed code and opens the
editor form; a student sees the player, tracks and downloads only, and the API refuses what
the page does not offer. axe-core finds nothing on either page; Chromium refuses nothing
under the Content-Security-Policy; screenshots media-page.png and media-page-student.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_auto_captions import FakeEngine, processed
from tests.support.api import Api
from tests.support.browser import artifacts_dir, axe_violations, chromium
from tests.support.clips import make_video
from tests.support.live import live_server
from tests.support.world import World, build_world
from tests.web.test_pages_browser import signed_in

pytestmark = pytest.mark.live
SRT = "1\n00:00:00,000 --> 00:00:01,500\nBonjour à tous\n\n2\n00:00:01,600 --> 00:00:02,900\nBienvenue\n"
BROKEN = "1\n00:00:05,000 --> 00:00:01,000\nBackwards\n"
HUMAN = "1\n00:00:00,000 --> 00:00:02,000\nWritten by a person\n"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path / "browser-home") as instance:
        yield instance


def ready_clip(world: World, tmp_path: Path) -> str:
    """A real 3-second clip with sound, uploaded by the teacher and processed; an English
    track written by a person."""
    clip = make_video(tmp_path / "Week 3 — Light.mp4", seconds=3, size="320x180")
    media_id, _ = processed(world, clip)
    world.api.ok(
        "POST",
        f"/media_objects/{media_id}/media_tracks",
        world.teacher,
        data={"locale": "en", "kind": "captions", "content": HUMAN},
    )
    return media_id


def watch_policy(page: Any) -> list[str]:
    """What Chromium refused under the Content-Security-Policy, and the page's script errors."""
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda error: refused.append(f"script error: {error}"))
    return refused


def open_media_page(page: Any, url: str) -> None:
    page.goto(url)
    page.locator("html[data-media-page=ready]").wait_for()
    # The player frame is the iframe page, opened with the session cookie: the clip is there.
    page.frame_locator("#player").locator("video#media").wait_for(timeout=15000)


def test_a_teacher_works_on_the_media_page(
    app: Any, api: Api, browser: Any, tmp_path: Path
) -> None:
    world = build_world(api)
    api.ctx.asr = FakeEngine()
    media_id = ready_clip(world, tmp_path)
    srt = tmp_path / "bonjour.srt"
    srt.write_text(SRT, encoding="utf-8")
    corrected = tmp_path / "bonjour-corrected.srt"
    corrected.write_text(SRT.replace("Bienvenue", "Bienvenue au cours"), encoding="utf-8")
    broken = tmp_path / "broken.srt"
    broken.write_text(BROKEN, encoding="utf-8")
    with live_server(app) as base:
        context = signed_in(browser, base, api, world.teacher)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page = context.new_page()
        refused = watch_policy(page)
        url = f"{base}/media_objects/{media_id}"
        open_media_page(page, url)
        assert page.locator("h1").inner_text() == "Week 3 — Light.mp4"
        assert page.locator("#player").get_attribute("title") == "Player: Week 3 — Light.mp4"
        assert axe_violations(page) == []
        page.screenshot(path=str(artifacts_dir() / "media-page.png"), full_page=True)
        # The framed player leaves the keyboard to the page: the skip link comes first.
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.className") == "skip-link"
        page.evaluate("() => { window.notReloaded = true; }")

        # Upload: a typed language name becomes its tag; the track appears without a reload.
        page.set_input_files("#upload-file", str(srt))
        page.fill("#upload-locale", "French")
        page.press("#upload-locale", "Tab")
        assert page.input_value("#upload-locale") == "fr"
        page.select_option("#upload-kind", "captions")
        page.click("#upload-form button[type=submit]")
        french = page.locator('#tracks li.track[data-locale="fr"]')
        french.wait_for()
        assert "French" in french.inner_text() and "Teacher Person" in french.inner_text()
        assert page.inner_text("#page-status") == "bonjour.srt added as fr captions."

        # The same locale again: the page asks first, and the old captions stay a version.
        asked: list[str] = []

        def accept(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.accept()

        page.once("dialog", accept)
        page.set_input_files("#upload-file", str(corrected))
        page.fill("#upload-locale", "fr")
        page.click("#upload-form button[type=submit]")
        page.wait_for_function(
            "() => document.getElementById('page-status').textContent.includes('replaced')"
        )
        assert asked and "already French (fr) captions" in asked[0] and "versions" in asked[0]
        track_id = french.get_attribute("data-track-id")
        versions = api.ok(
            "GET",
            f"/api/v1/media_objects/{media_id}/media_tracks/{track_id}/versions",
            world.teacher,
        )
        assert len(versions) == 2

        # A broken file: the API's line problem, readable beside the form; nothing added.
        page.set_input_files("#upload-file", str(broken))
        page.fill("#upload-locale", "de")
        page.click("#upload-form button[type=submit]")
        errors = page.locator("#upload-errors")
        errors.wait_for()
        assert "The captions were not saved:" in errors.inner_text()
        said = api.request(
            "POST",
            f"/media_objects/{media_id}/media_tracks",
            world.teacher,
            data={"locale": "de", "content": BROKEN},
        ).json()["errors"]
        assert said[0]["message"].startswith("line 2")
        assert errors.locator("li").all_inner_texts() == [e["message"] for e in said]
        assert page.locator('#tracks li.track[data-locale="de"]').count() == 0
        # A malformed tag: the API's suggestion, named as the field the person sees.
        page.set_input_files("#upload-file", str(srt))
        page.fill("#upload-locale", "pt_BR")
        page.click("#upload-form button[type=submit]")
        page.wait_for_function(
            "() => document.getElementById('upload-errors').textContent.includes('pt-BR')"
        )
        assert errors.locator("li").all_inner_texts() == [
            'Language is invalid; did you mean "pt-BR"?'
        ]
        assert axe_violations(page) == []

        # Automatic captions: a person's English track is never overwritten (the API's 409,
        # said readably); German is made, followed until ready without a reload.
        page.fill("#asr-locale", "en")
        page.click("#asr-form button[type=submit]")
        asr_errors = page.locator("#asr-errors")
        asr_errors.wait_for()
        assert "written by a person and are kept" in asr_errors.inner_text()
        page.fill("#asr-locale", "de")
        page.click("#asr-form button[type=submit]")
        german = page.locator('#tracks li.track[data-locale="de"]')
        german.wait_for()
        assert german.get_attribute("data-state") == "processing"
        assert "Being made" in german.inner_text()
        # While the page follows it, a person opens the English downloads from the keyboard:
        # the updates keep that list open and the focus where it was.
        english = page.locator('#tracks li.track[data-locale="en"]')
        english.locator("summary").focus()
        page.keyboard.press("Enter")
        api.ctx.jobs.run_pending_now()
        page.locator('#tracks li.track[data-locale="de"][data-state="ready"]').wait_for(
            timeout=30000
        )
        assert "Automatic captions" in german.inner_text()
        assert english.locator("details").get_attribute("open") is not None
        assert page.evaluate(
            "() => [document.activeElement.tagName,"
            " document.activeElement.closest('li.track').dataset.locale]"
        ) == ["SUMMARY", "en"]

        # Delete, after confirming.
        page.once("dialog", accept)
        french.locator("button.delete-track").click()
        french.wait_for(state="detached")
        assert "Delete the French (fr) captions?" in asked[-1]
        listed = api.ok("GET", f"/api/v1/media_objects/{media_id}/media_tracks", world.teacher)
        assert sorted(t["locale"] for t in listed) == ["de", "en"]

        # Rename through the API the form calls; the embed code follows.
        page.fill("#title-input", "Week 3 — Light and shadow")
        page.press("#title-input", "Enter")
        page.wait_for_function(
            "() => document.getElementById('media-title').textContent === 'Week 3 — Light and shadow'"
        )
        info = api.ok("GET", f"/media_objects/{media_id}/info", world.teacher)
        assert info["title"] == "Week 3 — Light and shadow"
        page.wait_for_function(
            "() => document.getElementById('embed-code').value.includes('Light and shadow')"
        )
        page.click("#copy-embed")
        page.wait_for_function("() => document.getElementById('copy-status').textContent")
        assert page.inner_text("#copy-status") == "Copied."
        copied = page.evaluate("() => navigator.clipboard.readText()")
        # The API's URL as this browser gets it (the host is the live server's).
        embed_url = page.evaluate(
            "async (path) => (await (await fetch(path)).json()).embedded_iframe_url",
            f"/media_objects/{media_id}/info",
        )
        assert copied.startswith(f'<iframe src="{embed_url}" title="Week 3 — Light and shadow"')
        assert page.evaluate("() => window.notReloaded") is True
        assert axe_violations(page) == []
        page.screenshot(path=str(artifacts_dir() / "media-page-after-edits.png"), full_page=True)

        # The editor form goes to the editor's URL with the picked locale and kind.
        # A language name typed in full and Enter: the URL carries its tag.
        page.select_option("#new-kind", "captions")
        page.fill("#new-locale", "Spanish (Latin America)")
        page.press("#new-locale", "Enter")
        page.wait_for_url(f"{url}/captions/new?locale=es-419&kind=captions")
        assert refused == []
        context.close()


def test_a_student_sees_the_media_page_read_only(
    app: Any, api: Api, browser: Any, tmp_path: Path
) -> None:
    world = build_world(api)
    media_id = ready_clip(world, tmp_path)
    with live_server(app) as base:
        context = signed_in(browser, base, api, world.student)
        page = context.new_page()
        refused = watch_policy(page)
        open_media_page(page, f"{base}/media_objects/{media_id}")
        english = page.locator('#tracks li.track[data-locale="en"]')
        assert "English" in english.inner_text()
        for control in (
            "#title-form",
            "#upload-form",
            "#new-form",
            "#asr-form",
            "button.delete-track",
            "a.button-link",
        ):
            assert page.locator(control).count() == 0, control
        # The downloads open from the keyboard and give the file.
        english.locator("summary").focus()
        page.keyboard.press("Enter")
        link = english.get_by_role("link", name="SRT (English)")
        link.wait_for()
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.endswith(".srt")
        assert "Written by a person" in Path(download.value.path()).read_text(encoding="utf-8")
        # What the page does not offer, the API refuses to the student's cookie and token.
        status = page.evaluate(
            """async (path) => (await fetch(path, {
                method: "PUT", credentials: "same-origin",
                headers: {"X-CSRF-Token": document.querySelector('meta[name=csrf-token]').content},
                body: new URLSearchParams({user_entered_title: "Mine"}),
            })).status""",
            f"/api/v1/media_objects/{media_id}",
        )
        assert status == 403
        assert axe_violations(page) == []
        assert refused == []
        page.screenshot(path=str(artifacts_dir() / "media-page-student.png"), full_page=True)

        # Media still being processed: the page follows it to ready, then shows the player.
        fresh = make_video(tmp_path / "Week 4.mp4", seconds=2, size="320x180")
        file = api.upload(
            f"courses/{world.course}", world.teacher, "Week 4.mp4", fresh.read_bytes(), "video/mp4"
        )
        page.goto(f"{base}/media_objects/{file['media_entry_id']}")
        page.locator("html[data-media-page=ready]").wait_for()
        assert page.inner_text("#processing-state") == "Waiting"
        assert page.locator("#renditions table").count() == 0
        page.evaluate("() => { window.notReloaded = true; }")
        api.ctx.jobs.run_pending_now()
        page.wait_for_function(
            "() => document.getElementById('processing-state').textContent === 'Ready'",
            timeout=30000,
        )
        page.frame_locator("#player").locator("video#media").wait_for(timeout=15000)
        assert page.locator("#renditions table tbody tr").count() >= 1
        assert page.inner_text("#page-status") == "The media is ready."
        assert page.evaluate("() => window.notReloaded") is True
        assert refused == []
        context.close()
