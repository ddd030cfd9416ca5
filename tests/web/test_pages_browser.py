"""Home and the library pages in a real browser (Debian's chromium, headless): axe-core finds
no violation on any page, Chromium refuses nothing under the Content-Security-Policy, the
keyboard reaches the skip link first with a visible focus, sorting applies from the select, and
screenshots of every page are written (see tests/support/browser.py for where)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mediaobjects.web.session import COOKIE_NAME
from tests.support.api import Api, Person
from tests.support.browser import artifacts_dir, axe_violations, chromium
from tests.support.clips import make_video
from tests.support.live import live_server
from tests.support.world import build_world

pytestmark = pytest.mark.live
SRT = "1\n00:00:00,000 --> 00:00:02,000\nHello from the captions\n"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path / "browser-home") as instance:
        yield instance


def signed_in(browser: Any, base: str, who: Person) -> Any:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.add_cookies([{"name": COOKIE_NAME, "value": who.token, "url": base}])
    return context


def test_home_and_library_pages_in_a_browser(
    app: Any, api: Api, browser: Any, tmp_path: Path
) -> None:
    world = build_world(api)
    clip = make_video(tmp_path / "lecture.mp4", seconds=2, size="320x180")
    file = api.upload(
        f"courses/{world.course}",
        world.teacher,
        "Week 2 — Sound design.mp4",
        clip.read_bytes(),
        "video/mp4",
    )
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{file['media_entry_id']}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "kind": "captions", "content": SRT}],
    )
    api.upload("users/self", world.teacher, "Office hours.mp4", clip.read_bytes(), "video/mp4")
    api.group(world.course, world.teacher)
    api.ctx.jobs.run_pending_now()
    shots = artifacts_dir()
    with live_server(app) as base:
        pages = {
            "home": (world.teacher, "/"),
            "library-course-grid": (world.teacher, f"/courses/{world.course}/media"),
            "library-course-list": (world.teacher, f"/courses/{world.course}/media?view=list"),
            "library-course-student": (world.student, f"/courses/{world.course}/media"),
            "library-own": (world.teacher, "/users/self/media"),
            "library-search-error": (world.teacher, f"/courses/{world.course}/media?search_term=x"),
        }
        for name, (who, path) in pages.items():
            context = signed_in(browser, base, who)
            page = context.new_page()
            refused: list[str] = []
            page.on(
                "console",
                lambda m, r=refused: (
                    r.append(m.text) if "Content Security Policy" in m.text else None
                ),
            )
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            assert page.locator("h1").count() == 1, name
            assert axe_violations(page) == [], name
            assert refused == [], name
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
            context.close()

        # The teacher's library: the real clip has a thumbnail that loads, its caption locale
        # and the report's badge.
        context = signed_in(browser, base, world.teacher)
        page = context.new_page()
        page.goto(f"{base}/courses/{world.course}/media")
        card = page.locator(f'li[data-media-id="{file["media_entry_id"]}"]')
        # Lazy images need not be in by the load event: wait for this one to have decoded.
        card.locator("img").wait_for()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0",
            arg=card.locator("img").element_handle(),
            timeout=15000,
        )
        assert "English" in card.inner_text()
        assert card.locator(".badge").count() == 1
        # Keyboard: the skip link is the first stop, visibly focused, and leads to main.
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => [document.activeElement.className, getComputedStyle(document.activeElement).outlineStyle]"
        )
        assert focused == ["skip-link", "solid"]
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "main"
        # The sort select applies itself (progressive enhancement: library.js).
        page.select_option("#sort_by", "newest")
        page.wait_for_url("**sort_by=newest**")
        titles = page.locator(".card-title").all_inner_texts()
        assert titles[0] == "Week 2 — Sound design.mp4"
        context.close()
    print(f"screenshots: {shots}")


def test_uploading_several_files_from_the_library(
    app: Any, api: Api, browser: Any, tmp_path: Path
) -> None:
    world = build_world(api)
    first = make_video(tmp_path / "Seminar one.mp4", seconds=2, size="320x180")
    second = make_video(tmp_path / "Seminar two.mp4", seconds=2, size="320x180")
    with live_server(app) as base:
        context = signed_in(browser, base, world.teacher)
        # Until i13-auth lets the API accept the cookie session (with X-CSRF-Token), the
        # page's API calls carry the teacher's token as a header.
        context.set_extra_http_headers({"Authorization": f"Bearer {world.teacher.token}"})
        page = context.new_page()
        page.goto(f"{base}/courses/{world.course}/media")
        page.set_input_files("#upload-files", [str(first), str(second)])
        page.click("#upload-form button[type=submit]")
        page.wait_for_function(
            "() => document.querySelectorAll('#upload-progress .upload-status').length === 2"
            " && Array.from(document.querySelectorAll('#upload-progress .upload-status'))"
            ".every(s => s.textContent === 'Uploaded')",
            timeout=30000,
        )
        bars = page.eval_on_selector_all("#upload-progress progress", "bs => bs.map(b => b.value)")
        assert bars == [100, 100]
        cards = page.locator("ul.media li.card")
        assert cards.count() == 3
        assert page.inner_text("#result-count") == "3 items"
        new_titles = page.locator(".card-title").all_inner_texts()[:2]
        assert sorted(new_titles) == ["Seminar one.mp4", "Seminar two.mp4"]
        assert axe_violations(page) == []
        # The server processes them; the page follows the media info JSON to "Ready"
        # without a reload.
        api.ctx.jobs.run_pending_now()
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('ul.media li.card')).slice(0, 2)"
            ".every(c => c.dataset.state === 'ready' && c.querySelector('.state').textContent === 'Ready')",
            timeout=30000,
        )
        page.screenshot(path=str(artifacts_dir() / "library-after-upload.png"), full_page=True)
        context.close()
    # The API lists them: the page uploaded through the same flow.
    listed = api.ok("GET", f"/api/v1/courses/{world.course}/media_objects", world.student)
    assert {m["title"] for m in listed} >= {"Seminar one.mp4", "Seminar two.mp4"}
    assert all(m["processing_state"] == "ready" for m in listed if m["title"].startswith("Seminar"))


def test_a_refused_upload_says_why_and_adds_nothing(
    app: Any, api: Api, browser: Any, tmp_path: Path, settings: Any
) -> None:
    world = build_world(api)
    big = tmp_path / "Too big.mp4"
    big.write_bytes(b"\0" * (settings.max_upload_bytes + 1))
    with live_server(app) as base:
        context = signed_in(browser, base, world.teacher)
        context.set_extra_http_headers({"Authorization": f"Bearer {world.teacher.token}"})
        page = context.new_page()
        page.goto(f"{base}/courses/{world.course}/media")
        page.set_input_files("#upload-files", [str(big)])
        page.click("#upload-form button[type=submit]")
        status = page.locator("#upload-progress .upload-status")
        status.filter(has_text="Failed").wait_for(timeout=30000)
        assert status.inner_text() == (
            f"Failed: The file is larger than the upload limit of {settings.max_upload_bytes} bytes."
        )
        assert page.locator("ul.media li.card").count() == 1
        context.close()
