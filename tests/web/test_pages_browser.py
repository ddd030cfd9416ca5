"""Sign-in, Home and the library pages in a real browser (Debian's chromium, headless): a
person signs in with a password set through the API, axe-core finds no violation on any page
(/login included), Chromium refuses nothing under the Content-Security-Policy, the keyboard
reaches the skip link first with a visible focus, sorting applies from the select, uploads go
through the API with the session cookie and its CSRF token only, and screenshots of every page
are written (see tests/support/browser.py for where)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mediaobjects.http.session_cookie import COOKIE_NAME
from tests.support.api import Api, Person
from tests.support.browser import artifacts_dir, axe_violations, chromium
from tests.support.clips import make_video
from tests.support.live import live_server
from tests.support.world import build_world

pytestmark = pytest.mark.live
SRT = "1\n00:00:00,000 --> 00:00:02,000\nHello from the captions\n"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path / "browser-home") as instance:
        yield instance


def with_password(api: Api, who: Person) -> str:
    """Give ``who`` a password through the Canvas logins API (as an admin would); their login."""
    api.ok("PUT", f"/api/v1/accounts/self/logins/{who.id}", data={"login[password]": PASSWORD})
    login = api.ok("GET", f"/api/v1/users/{who.id}")["login_id"]
    assert isinstance(login, str)
    return login


def sign_in_on_the_form(page: Any, base: str, login: str, next_path: str = "/") -> None:
    """What a person does: the library link sends them to /login, they type and press Enter."""
    page.goto(base + next_path)
    page.wait_for_url("**/login?next=**")
    page.fill("#unique_id", login)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(base + next_path)


def signed_in(browser: Any, base: str, api: Api, who: Person) -> Any:
    """A browser context whose session comes from the /login form (password set via the API)."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    sign_in_on_the_form(page, base, with_password(api, who))
    page.close()
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
        contexts = {
            world.teacher.id: signed_in(browser, base, api, world.teacher),
            world.student.id: signed_in(browser, base, api, world.student),
        }
        for name, (who, path) in pages.items():
            page = contexts[who.id].new_page()
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
            page.close()

        # The teacher's library: the real clip has a thumbnail that loads, its caption locale
        # and the report's badge.
        page = contexts[world.teacher.id].new_page()
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
        # Signing out from the header's button ends the session: the pages send to /login.
        page.click(".sign-out button")
        page.wait_for_url(base + "/login")
        page.goto(f"{base}/courses/{world.course}/media")
        page.wait_for_url("**/login?next=**")
        for context in contexts.values():
            context.close()
    print(f"screenshots: {shots}")


def test_signing_in_with_a_password_in_a_browser(app: Any, api: Api, browser: Any) -> None:
    world = build_world(api)
    login = with_password(api, world.teacher)
    shots = artifacts_dir()
    with live_server(app) as base:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        refused: list[str] = []
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        library = f"/courses/{world.course}/media"
        page.goto(base + library)
        page.wait_for_url("**/login?next=**")
        assert page.locator("h1").inner_text() == "Sign in"
        assert axe_violations(page) == []
        page.screenshot(path=str(shots / "login.png"), full_page=True)
        # A wrong password: the same form again, with one message for every failure.
        page.fill("#unique_id", login)
        page.fill("#password", "not the password")
        page.press("#password", "Enter")
        alert = page.locator("[role=alert]")
        alert.wait_for()
        assert alert.inner_text() == "The login or password is incorrect."
        assert page.input_value("#unique_id") == login
        assert axe_violations(page) == []
        page.screenshot(path=str(shots / "login-failed.png"), full_page=True)
        # The right one, by keyboard: back to the page that asked for it, signed in.
        page.fill("#password", PASSWORD)
        page.press("#password", "Enter")
        page.wait_for_url(base + library)
        assert "Film Studies" in page.locator("h1").inner_text()
        cookie = next(c for c in context.cookies() if c["name"] == COOKIE_NAME)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        # Already signed in, /login goes straight on.
        page.goto(f"{base}/login?next=/users/self/media")
        page.wait_for_url(base + "/users/self/media")
        assert refused == []
        context.close()


def test_uploading_several_files_from_the_library(
    app: Any, api: Api, browser: Any, tmp_path: Path
) -> None:
    world = build_world(api)
    first = make_video(tmp_path / "Seminar one.mp4", seconds=2, size="320x180")
    second = make_video(tmp_path / "Seminar two.mp4", seconds=2, size="320x180")
    with live_server(app) as base:
        context = signed_in(browser, base, api, world.teacher)
        page = context.new_page()
        # The page calls the API with the session cookie and its CSRF token, nothing else.
        calls: list[dict[str, str]] = []
        page.on(
            "request",
            lambda r: (
                calls.append(r.headers) if "/api/v1/" in r.url and r.method == "POST" else None
            ),
        )
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
        assert len(calls) == 2
        for headers in calls:
            assert "authorization" not in headers and headers.get("x-csrf-token")
        assert axe_violations(page) == []
        # The server processes them; the page follows the media info JSON to "Ready"
        # without a reload.
        api.ctx.jobs.run_pending_now()
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('ul.media li.card')).slice(0, 2)"
            ".every(c => c.dataset.state === 'ready' && c.querySelector('.state').textContent === 'Ready')",
            timeout=30000,
        )
        # Ready, each new card gains what a reload would show: its thumbnail (loaded: the
        # picture has a width) and its duration, and its title links to its media page.
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('ul.media li.card')).slice(0, 2)"
            ".every(c => c.querySelector('.thumb img') && c.querySelector('.thumb img').complete"
            " && c.querySelector('.thumb img').naturalWidth > 0)",
            timeout=30000,
        )
        new_cards = page.locator("ul.media li.card").all()[:2]
        facts = [
            dict(
                zip(
                    c.locator("dt").all_inner_texts(),
                    c.locator("dd").all_inner_texts(),
                    strict=True,
                )
            )
            for c in new_cards
        ]
        assert [f["Duration"] for f in facts] == ["0:02", "0:02"]
        links = [c.locator(".card-title a").get_attribute("href") for c in new_cards]
        ids = [c.get_attribute("data-media-id") for c in new_cards]
        assert links == [f"/media_objects/{i}" for i in ids]
        page.screenshot(path=str(artifacts_dir() / "library-after-upload.png"), full_page=True)
        # A reload shows the same facts: the page completed the cards as the server draws them.
        page.reload()
        reloaded = {
            c.get_attribute("data-media-id"): c.locator("dd").first.inner_text()
            for c in page.locator("ul.media li.card").all()
        }
        assert [reloaded[i] for i in ids] == ["0:02", "0:02"]
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
        context = signed_in(browser, base, api, world.teacher)
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
