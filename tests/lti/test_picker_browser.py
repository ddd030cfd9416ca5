"""The deep-link picker in a real browser (Debian's chromium, headless) as an LMS shows it: in
an iframe of a course page on another site (the LMS on 127.0.0.2, mediaobjects on 127.0.0.1),
with every cookie of mediaobjects blocked and third-party cookies phased out, as in
tests/lti/test_platform_storage_browser.py. The deep-linking launch itself is made by the
strict test platform beforehand (the login and launch in a frame are that test's subject); the
LMS page then frames the picker URL the launch led to.

What a teacher would notice: their media are listed with thumbnails, a search narrows them,
an upload from the frame becomes a choice, and choosing sends the platform a signed
LtiDeepLinkingResponse, which the fake LMS verifies with the tool's published keys when the
browser posts it; nothing is refused by the Content-Security-Policy on the way, and the
picker passes axe-core."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx2 as httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.lti.helpers import login_of
from tests.lti.test_platform_storage_browser import BROWSER_ARGS, WAIT_MS, tool_frame
from tests.support.api import Api
from tests.support.browser import artifacts_dir, axe_violations, chromium_blocking_cookies
from tests.support.clips import make_video
from tests.support.live import live_server
from tests.support.lti_platform import INSTRUCTOR, Browser, Person, Platform
from tests.support.media import fake_mp4

pytestmark = pytest.mark.live
FILM = {"id": "ctx-film", "title": "Film Studies 101"}


@dataclass
class Lms:
    """The LMS's site: its course page framing the tool, and what its deep-linking return URL
    received (the verified content items of each post, or why a post was refused)."""

    url: str = ""
    tool: str = ""
    platform: Platform | None = None
    received: list[list[dict[str, Any]]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def lms_app(lms: Lms) -> Starlette:
    def course(request: Request) -> HTMLResponse:
        src = lms.tool + request.query_params["picker"]
        return HTMLResponse(
            "<!doctype html><title>Film Studies 101</title><h1>Week 1</h1>"
            f'<iframe name="tool" title="mediaobjects" src="{html.escape(src)}" '
            'width="800" height="600"></iframe>'
        )

    async def deep_linking_response(request: Request) -> HTMLResponse:
        """The platform's deep_link_return_url: the JWT the browser posted, verified with the
        key set the tool publishes, as the LMS would fetch it."""
        token = str((await request.form()).get("JWT", ""))
        assert lms.platform is not None
        try:
            async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
                key_set = (await http.get(lms.tool + "/lti/jwks")).json()
            items = lms.platform.verify_deep_link(token, key_set)
        except Exception as exc:  # noqa: BLE001 - the page says why, the test asserts on it
            lms.refused.append(repr(exc))
            return HTMLResponse(f"<h1>Refused</h1><p>{html.escape(repr(exc))}</p>", 400)
        lms.received.append(items)
        added = "".join(
            f'<li data-media-id="{html.escape(i["custom"]["media_id"])}">'
            f"{html.escape(i['title'])}</li>"
            for i in items
        )
        return HTMLResponse(f'<h1>Media added</h1><ul id="added">{added}</ul>')

    return Starlette(
        routes=[
            Route("/course", course),
            Route("/courses/1/deep_linking_response", deep_linking_response, methods=["POST"]),
        ]
    )


@pytest.fixture
def lms() -> Iterator[Lms]:
    found = Lms()
    with live_server(lms_app(found), host="127.0.0.2") as url:
        found.url = url
        yield found


@pytest.fixture
def platform(lms: Lms) -> Platform:
    """The strict platform, at the LMS's address: its deep_link_return_url is the LMS's."""
    found = Platform(issuer=lms.url)
    lms.platform = found
    return found


@pytest.fixture
def tool(app: Any, lms: Lms) -> Iterator[str]:
    with live_server(app) as url:
        lms.tool = url
        yield url


@pytest.fixture
def teacher(api: Api, tmp_path: Path) -> tuple[Person, dict[str, str]]:
    """A teacher with two videos: a real one (thumbnail and duration once processed) and
    one still waiting."""
    who = api.user("Tess Teacher")
    clip = make_video(tmp_path / "clip.mp4", seconds=2, size="320x180")
    first = api.upload("users/self", who, "Lecture 1.mp4", clip.read_bytes(), "video/mp4")
    api.ctx.jobs.run_pending_now()
    second = api.upload("users/self", who, "Lecture 2.mp4", fake_mp4(), "video/mp4")
    media = {"Lecture 1.mp4": first["media_entry_id"], "Lecture 2.mp4": second["media_entry_id"]}
    return Person("sub-t", "Tess Teacher", login_of(api, who), [INSTRUCTOR]), media


def _picker_path(browser: Browser, person: Person) -> str:
    response = browser.launch(person, message_type="LtiDeepLinkingRequest", context=FILM)
    assert response.status_code == 303, response.text
    return urlsplit(response.headers["location"]).path


def _course_page(context: Any, lms: Lms, picker_path: str) -> tuple[Any, list[str]]:
    page = context.new_page()
    refused: list[str] = []
    context.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{lms.url}/course?{urlencode({'picker': picker_path})}")
    return page, refused


def _cards(frame: Any) -> list[str]:
    ids: list[str] = frame.locator("ul.picker-media li.card").evaluate_all(
        "cards => cards.map(c => c.dataset.mediaId)"
    )
    return ids


def test_a_teacher_searches_and_picks_media_in_the_lms_frame(
    browser: Browser, lms: Lms, tool: str, teacher: Any, tmp_path: Path
) -> None:
    person, media = teacher
    path = _picker_path(browser, person)
    with chromium_blocking_cookies(
        tmp_path / "home", blocked_origins=(tool,), args=BROWSER_ARGS
    ) as context:
        # The page on its own first, for axe-core (it checks the top-level document).
        alone = context.new_page()
        alone.goto(tool + path)
        assert axe_violations(alone) == []
        alone.close()

        page, refused = _course_page(context, lms, path)
        frame = tool_frame(page)
        frame.get_by_role("heading", name="Choose media").wait_for(timeout=WAIT_MS)
        assert _cards(frame) == [media["Lecture 2.mp4"], media["Lecture 1.mp4"]]
        # The processed video's thumbnail loads inside the frame (a signed URL, no cookie).
        thumb = frame.locator(f'li[data-media-id="{media["Lecture 1.mp4"]}"] img')
        thumb.wait_for(timeout=WAIT_MS)
        thumb.evaluate("img => img.decode()")
        assert thumb.evaluate("img => img.naturalWidth") > 0
        lecture_1 = frame.locator(f'li[data-media-id="{media["Lecture 1.mp4"]}"]')
        assert "0:02" in lecture_1.inner_text() and "Ready" in lecture_1.inner_text()
        assert frame.get_by_role("button", name="Add").is_disabled()
        page.screenshot(path=str(artifacts_dir() / "lti-picker-in-frame.png"))

        frame.get_by_label("Search titles").fill("Lecture 1")
        frame.get_by_role("button", name="Search").click()
        frame.get_by_text("1 item matching").wait_for(timeout=WAIT_MS)
        assert _cards(frame) == [media["Lecture 1.mp4"]]

        frame.get_by_text("Lecture 1.mp4").click()
        assert frame.locator("#picker-chosen").inner_text() == "1 chosen"
        frame.get_by_role("button", name="Add").click()
        # The tool's answer posts itself to the LMS, which verified it and shows it.
        frame.get_by_role("heading", name="Media added").wait_for(timeout=WAIT_MS)
        assert frame.locator("#added li").inner_text() == "Lecture 1.mp4"
        assert lms.refused == []
        [items] = lms.received
        assert [(i["type"], i["custom"]) for i in items] == [
            ("ltiResourceLink", {"media_id": media["Lecture 1.mp4"]})
        ]
        assert items[0]["iframe"] == {"width": 640, "height": 360}
        assert items[0]["thumbnail"]["url"].startswith(tool + "/media_objects/")
        # No cookie of the tool was kept or needed, and nothing was refused on the way.
        assert [c for c in context.cookies() if c["domain"] == "127.0.0.1"] == []
        assert refused == []


def test_an_upload_in_the_lms_frame_becomes_the_choice(
    api: Api, browser: Browser, lms: Lms, tool: str, teacher: Any, tmp_path: Path
) -> None:
    person, media = teacher
    path = _picker_path(browser, person)
    upload = make_video(tmp_path / "Field trip.mp4", seconds=3, size="320x180")
    with chromium_blocking_cookies(
        tmp_path / "home", blocked_origins=(tool,), args=BROWSER_ARGS
    ) as context:
        page, refused = _course_page(context, lms, path)
        frame = tool_frame(page)
        frame.get_by_text("Upload new media").click()
        frame.get_by_label("Audio or video files").set_input_files(str(upload))
        frame.get_by_role("button", name="Upload").click()
        frame.locator(".upload-status", has_text="Uploaded").wait_for(timeout=WAIT_MS)
        new = [m for m in _cards(frame) if m not in media.values()]
        assert len(new) == 1
        card = frame.locator(f'li[data-media-id="{new[0]}"]')
        assert card.get_by_role("checkbox").is_checked()
        # Its processing is followed with the picker's token: once the job ran, the card
        # says ready and shows the duration and thumbnail.
        assert "Waiting" in card.inner_text()
        api.ctx.jobs.run_pending_now()
        frame.locator(f'li[data-media-id="{new[0]}"][data-state="ready"]').wait_for(timeout=WAIT_MS)
        assert "0:03" in card.inner_text()
        card.locator("img").wait_for(timeout=WAIT_MS)
        page.screenshot(path=str(artifacts_dir() / "lti-picker-upload-in-frame.png"))
        frame.get_by_role("button", name="Add").click()
        frame.get_by_role("heading", name="Media added").wait_for(timeout=WAIT_MS)
        assert lms.refused == []
        [items] = lms.received
        assert [(i["custom"]["media_id"], i["title"]) for i in items] == [
            (new[0], "Field trip.mp4")
        ]
        assert [c for c in context.cookies() if c["domain"] == "127.0.0.1"] == []
        assert refused == []
