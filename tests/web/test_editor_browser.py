"""The caption editor in a real browser (Debian's chromium, headless), against the real editor
API: a teacher edits a cue with the keyboard only and saves (the API then serves the new cue and
keeps the old text as a version); a reload mid-edit finds the draft, and leaving asks first; a
save over someone else's newer version says who and lets the teacher load theirs or overwrite;
split, merge, add, delete, shift, undo and redo change what the list shows; the live check
shows a warning on the cue it concerns; the highlighted cue follows playback; a new track is
created from the page; a 1,500-cue lecture opens; students get the 403 page and the API refuses
them; the API refuses the cookie without the CSRF token; axe finds nothing (with a cue selected,
with the help open) and Chromium refuses nothing under the Content-Security-Policy.
Screenshots editor.png and editor-help.png go to artifacts_dir()."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import Api, Person
from tests.support.browser import artifacts_dir, axe_violations, chromium
from tests.support.clips import make_video
from tests.support.live import live_server
from tests.support.world import World, build_world
from tests.web.test_pages_browser import sign_in_on_the_form, signed_in, with_password

pytestmark = pytest.mark.live

READY = "() => document.documentElement.dataset.editor === 'ready'"
TEXTS = "() => Array.from(document.querySelectorAll('li.cue textarea.cue-text'), t => t.value)"
TIMES = (
    "() => Array.from(document.querySelectorAll('li.cue'),"
    " li => li.querySelector('.cue-start').value + ' ' + li.querySelector('.cue-end').value)"
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path / "browser-home") as instance:
        yield instance


def srt(lines: list[str], step_ms: int = 2000, length_ms: int = 1500) -> str:
    def at(ms: int) -> str:
        return f"00:{ms // 60000:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    return "".join(
        f"{i + 1}\n{at(i * step_ms)} --> {at(i * step_ms + length_ms)}\n{text}\n\n"
        for i, text in enumerate(lines)
    )


def media_with_track(
    api: Api,
    world: World,
    tmp_path: Path,
    lines: list[str],
    seconds: float = 8,
    step_ms: int = 2000,
    length_ms: int = 1500,
) -> tuple[str, int]:
    """A processed video in the course with an English track of ``lines``, one every
    ``step_ms``."""
    clip = make_video(tmp_path / "lecture.mp4", seconds=seconds, size="320x180")
    file = api.upload(
        f"courses/{world.course}", world.teacher, "Lecture 3.mp4", clip.read_bytes(), "video/mp4"
    )
    media_id = file["media_entry_id"]
    made = api.ok(
        "PUT",
        f"/api/v1/media_objects/{media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "kind": "captions", "content": srt(lines, step_ms, length_ms)}],
    )
    api.ctx.jobs.run_pending_now()
    return media_id, int(made[0]["id"])


def open_editor(context: Any, base: str, path: str) -> tuple[Any, list[str]]:
    """The editor page, ready; and the list that collects what the CSP refused."""
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(base + path)
    page.wait_for_function(READY, timeout=20000)
    return page, refused


def state_is(page: Any, state: str) -> None:
    page.wait_for_function(
        "s => document.getElementById('save-status').dataset.state === s", arg=state, timeout=15000
    )


def cues_of(api: Api, media_id: str, track_id: int, who: Person) -> list[dict[str, Any]]:
    got = api.ok("GET", f"/api/v1/media_objects/{media_id}/media_tracks/{track_id}/cues", who)
    cues = got["cues"]
    assert isinstance(cues, list)
    return cues


def test_editing_a_cue_with_the_keyboard_only_saves_a_new_version(
    app: Any, api: Api, browser: Any, tmp_path: Path
) -> None:
    world = build_world(api)
    media_id, track_id = media_with_track(
        api, world, tmp_path, ["Welcome to the lecture", "Today: montage", "Let us begin"]
    )
    shots = artifacts_dir()
    with live_server(app) as base:
        context = signed_in(browser, base, api, world.teacher)
        page, refused = open_editor(
            context, base, f"/media_objects/{media_id}/captions/{track_id}/edit"
        )
        writes: list[dict[str, str]] = []
        page.on(
            "request",
            lambda r: (
                writes.append(r.headers) if "/api/v1/" in r.url and r.method == "PUT" else None
            ),
        )
        assert page.eval_on_selector_all("li.cue", "rows => rows.map(r => r.dataset.index)") == [
            "0",
            "1",
            "2",
        ]
        assert page.inner_text("#save-status") == "No unsaved changes"
        # The player shows the cues being edited, on a text track of the editor's own.
        assert (
            page.evaluate("() => document.getElementById('media').textTracks[0].cues.length") == 3
        )

        # Alt+↓ goes to the next cue (the first here); the keyboard does the rest.
        page.keyboard.press("Alt+ArrowDown")
        assert page.evaluate("() => document.activeElement.closest('li.cue').dataset.index") == "0"
        page.keyboard.press("Alt+ArrowDown")
        assert page.evaluate(
            "() => [document.activeElement.className, document.activeElement.closest('li').dataset.index]"
        ) == ["cue-text", "1"]
        page.keyboard.press("Control+a")
        page.keyboard.type("Today: montage & rhythm")
        state_is(page, "dirty")
        page.keyboard.press("Shift+Tab")  # the end time
        page.keyboard.press("Control+a")
        page.keyboard.type("00:00:03.900")
        page.keyboard.press("Shift+Tab")  # the start time: leaving the end applies it
        page.keyboard.press("Control+a")
        page.keyboard.type("2.25")
        page.keyboard.press("Enter")
        assert page.evaluate(TIMES)[1] == "00:00:02.250 00:00:03.900"
        # The player's track follows the edit at once (as WebVTT cue text: the picture shows
        # "&").
        assert page.evaluate(
            "() => { const c = document.getElementById('media').textTracks[0].cues[1];"
            " return [c.startTime, c.endTime, c.text]; }"
        ) == [2.25, 3.9, "Today: montage &amp; rhythm"]

        # A cue selected (the active row), its check done: axe, and the screenshot.
        page.wait_for_function(
            "() => document.getElementById('problem-summary').textContent !== 'Checking…'"
        )
        assert axe_violations(page) == []
        page.screenshot(path=str(shots / "editor.png"), full_page=True)
        # The help, from its visible button (keyboard: Alt+/ too) — a modal dialog.
        page.focus("#help-button")
        page.keyboard.press("Enter")
        assert page.is_visible("#help")
        assert "Split the cue at the playhead" in page.inner_text("#help")
        assert axe_violations(page) == []
        page.screenshot(path=str(shots / "editor-help.png"))
        page.keyboard.press("Escape")
        assert not page.is_visible("#help")
        page.keyboard.press("Alt+Slash")
        assert page.is_visible("#help")
        page.keyboard.press("Escape")

        page.keyboard.press("Control+s")
        state_is(page, "saved")
        assert page.inner_text("#save-status").startswith("Saved at ")
        # With the session cookie and the page's CSRF token, never an access token.
        assert len(writes) == 1
        assert writes[0].get("x-csrf-token") and "authorization" not in writes[0]
        # The API stored it as WebVTT ("&" written "&amp;"); the page still shows what the
        # teacher typed and viewers read, not the escape.
        cues = cues_of(api, media_id, track_id, world.teacher)
        assert [(c["start_ms"], c["end_ms"], c["text"]) for c in cues] == [
            (0, 1500, "Welcome to the lecture"),
            (2250, 3900, "Today: montage &amp; rhythm"),
            (4000, 5500, "Let us begin"),
        ]
        assert page.evaluate(TEXTS)[1] == "Today: montage & rhythm"
        # The old text is a version of the track.
        versions = api.ok(
            "GET",
            f"/api/v1/media_objects/{media_id}/media_tracks/{track_id}/versions?include[]=content",
            world.teacher,
        )
        assert "rhythm" in versions[0]["content"]
        assert any(
            "Today: montage\n" in v["content"] and "rhythm" not in v["content"]
            for v in versions[1:]
        )
        # Saved: nothing asks before leaving, and no draft is offered on the way back.
        page.reload()
        page.wait_for_function(READY, timeout=20000)
        assert page.is_hidden("#draft-notice")
        assert page.get_attribute("#save-status", "data-state") == "clean"
        assert refused == []
        context.close()


def test_a_draft_survives_a_reload_and_a_newer_version_is_not_overwritten_unasked(
    app: Any, api: Api, browser: Any, tmp_path: Path
) -> None:
    world = build_world(api)
    media_id, track_id = media_with_track(api, world, tmp_path, ["First line", "Second line"])
    url = f"/media_objects/{media_id}/captions/{track_id}/edit"
    cues_url = f"/api/v1/media_objects/{media_id}/media_tracks/{track_id}/cues"
    with live_server(app) as base:
        context = signed_in(browser, base, api, world.teacher)
        page, refused = open_editor(context, base, url)
        page.keyboard.press("Alt+ArrowDown")
        page.keyboard.press("End")
        page.keyboard.type(", edited")
        state_is(page, "dirty")
        # Leaving with unsaved changes asks first; the teacher goes anyway (a reload).
        asked: list[str] = []
        page.once("dialog", lambda d: (asked.append(d.type), d.accept()))
        page.reload()
        page.wait_for_function(READY, timeout=20000)
        assert asked == ["beforeunload"]
        assert page.is_visible("#draft-notice")
        assert "Restored your unsaved changes" in page.inner_text("#draft-message")
        assert page.evaluate(TEXTS) == ["First line, edited", "Second line"]
        assert page.get_attribute("#save-status", "data-state") == "dirty"
        # Discarding the draft goes back to the saved captions (and nothing asks on leaving).
        page.click("#discard-draft")
        assert page.evaluate(TEXTS) == ["First line", "Second line"]
        assert page.get_attribute("#save-status", "data-state") == "clean"
        assert page.is_hidden("#draft-notice")
        page.reload()
        page.wait_for_function(READY, timeout=20000)
        assert page.is_hidden("#draft-notice")

        # Meanwhile the TA saves a version; the teacher's save is refused and says who.
        page.keyboard.press("Alt+ArrowDown")
        page.keyboard.press("End")
        page.keyboard.type(" (mine)")
        theirs = cues_of(api, media_id, track_id, world.ta)
        theirs[1]["text"] = "Second line (theirs)"
        api.ok("PUT", cues_url, world.ta, json={"cues": theirs})
        page.keyboard.press("Control+s")
        state_is(page, "conflict")
        assert "Ta Person" in page.inner_text("#conflict-message")
        assert cues_of(api, media_id, track_id, world.teacher)[0]["text"] == "First line"
        # Load theirs: the list shows it; Ctrl+Z brings the teacher's back.
        page.click("#conflict-reload")
        page.wait_for_function(
            "() => document.querySelectorAll('li.cue textarea')[1].value === 'Second line (theirs)'"
        )
        assert page.evaluate(TEXTS) == ["First line", "Second line (theirs)"]
        assert page.get_attribute("#save-status", "data-state") == "clean"
        page.keyboard.press("Control+z")
        assert page.evaluate(TEXTS) == ["First line (mine)", "Second line"]
        # The TA saves once more; this time the teacher overwrites, after confirming.
        api.ok("PUT", cues_url, world.ta, json={"cues": theirs[:1] + [theirs[1] | {"text": "2"}]})
        page.keyboard.press("Control+s")
        state_is(page, "conflict")
        confirmed: list[str] = []
        page.once("dialog", lambda d: (confirmed.append(d.type), d.accept()))
        page.click("#conflict-overwrite")
        state_is(page, "saved")
        assert confirmed == ["confirm"]
        stored = cues_of(api, media_id, track_id, world.teacher)
        assert [c["text"] for c in stored] == ["First line (mine)", "Second line"]

        # A draft of a version that is no longer the newest is offered, not applied.
        page.keyboard.press("Alt+ArrowUp")
        page.keyboard.press("End")
        page.keyboard.type(" again")
        state_is(page, "dirty")
        api.ok("PUT", cues_url, world.ta, json={"cues": stored[:1] + [stored[1] | {"text": "3"}]})
        page.once("dialog", lambda d: d.accept())
        page.reload()
        page.wait_for_function(READY, timeout=20000)
        assert "older version" in page.inner_text("#draft-message")
        assert page.evaluate(TEXTS) == ["First line (mine)", "3"]
        page.click("#restore-draft")
        assert page.evaluate(TEXTS) == ["First line (mine) again", "Second line"]
        page.keyboard.press("Control+s")
        state_is(page, "conflict")
        assert refused == []
        context.close()


def test_a_draft_is_restored_only_for_the_person_who_made_it(
    app: Any, api: Api, browser: Any, tmp_path: Path
) -> None:
    # A shared computer (a lab, a lecture hall's PC): the teacher leaves unsaved changes and
    # signs out; the TA who signs in next on that browser must not get them as "your" changes
    # (nor save them under their own name); the teacher finds them again.
    world = build_world(api)
    media_id, track_id = media_with_track(api, world, tmp_path, ["First line", "Second line"])
    url = f"/media_objects/{media_id}/captions/{track_id}/edit"
    with live_server(app) as base:
        context = signed_in(browser, base, api, world.teacher)
        page, _ = open_editor(context, base, url)
        page.keyboard.press("Alt+ArrowDown")
        page.keyboard.press("End")
        page.keyboard.type(", the teacher's")
        state_is(page, "dirty")
        page.once("dialog", lambda d: d.accept())
        page.close()
        context.clear_cookies()

        sign_in = context.new_page()
        sign_in_on_the_form(sign_in, base, with_password(api, world.ta), url)
        sign_in.wait_for_function(READY, timeout=20000)
        assert sign_in.is_hidden("#draft-notice")
        assert sign_in.evaluate(TEXTS) == ["First line", "Second line"]
        assert sign_in.get_attribute("#save-status", "data-state") == "clean"
        sign_in.close()
        context.clear_cookies()

        again = context.new_page()
        sign_in_on_the_form(again, base, with_password(api, world.teacher), url)
        again.wait_for_function(READY, timeout=20000)
        assert "Restored your unsaved changes" in again.inner_text("#draft-message")
        assert again.evaluate(TEXTS) == ["First line, the teacher's", "Second line"]
        context.close()


def test_split_merge_add_delete_shift_undo_redo_and_the_live_check(
    app: Any, api: Api, browser: Any, tmp_path: Path
) -> None:
    world = build_world(api)
    long_line = "This caption line is far longer than anyone can read in time"
    media_id, track_id = media_with_track(
        api, world, tmp_path, ["One two three four", "Five six", long_line], seconds=12
    )
    with live_server(app) as base:
        context = signed_in(browser, base, api, world.teacher)
        page, refused = open_editor(
            context, base, f"/media_objects/{media_id}/captions/{track_id}/edit"
        )
        # The live check: a warning on the long cue, described to its text field.
        third = page.locator('li.cue[data-index="2"]')
        third.locator(".cue-problems li").first.wait_for(timeout=15000)
        problems = third.locator(".cue-problems").inner_text()
        assert "Warning:" in problems and "42" in problems
        described = third.locator(".cue-text").get_attribute("aria-describedby") or ""
        assert described and all(page.locator(f"#{i}").count() == 1 for i in described.split())
        assert page.locator('li.cue[data-index="0"] .cue-problems li').count() == 0
        assert "warning" in page.inner_text("#problem-summary")
        # Alt+G goes to it.
        page.keyboard.press("Alt+g")
        assert page.evaluate("() => document.activeElement.closest('li').dataset.index") == "2"

        # Split the first cue at the playhead (0.9 s): two cues, the text split at the space
        # nearest to where 0.9 s falls in it.
        page.evaluate("() => { document.getElementById('media').currentTime = 0.9; }")
        page.wait_for_function(
            "() => document.getElementById('playhead').textContent === '00:00:00.900'"
        )
        page.locator('li.cue[data-index="0"] .cue-seek').focus()
        page.keyboard.press("Alt+p")
        assert page.evaluate(TEXTS)[:3] == ["One two three", "four", "Five six"]
        assert page.evaluate(TIMES)[:2] == [
            "00:00:00.000 00:00:00.900",
            "00:00:00.900 00:00:01.500",
        ]
        # Merge the new second cue with the next.
        page.keyboard.press("Alt+m")
        assert page.evaluate(TEXTS) == ["One two three", "four Five six", long_line]
        # Undo twice, redo once.
        page.keyboard.press("Control+z")
        assert page.evaluate(TEXTS) == ["One two three", "four", "Five six", long_line]
        page.click("#undo")
        assert page.evaluate(TEXTS) == ["One two three four", "Five six", long_line]
        page.keyboard.press("Control+Shift+z")
        assert page.evaluate(TEXTS) == ["One two three", "four", "Five six", long_line]
        assert page.eval_on_selector_all("li.cue", "rows => rows.map(r => r.dataset.index)") == [
            "0",
            "1",
            "2",
            "3",
        ]
        # Add a cue at 8 s (no cue there), type it; delete the first cue.
        page.evaluate("() => { document.getElementById('media').currentTime = 8; }")
        page.keyboard.press("Alt+n")
        page.keyboard.type("The end")
        assert page.evaluate(TEXTS)[-1] == "The end"
        assert page.evaluate(TIMES)[-1] == "00:00:08.000 00:00:10.000"
        page.locator('li.cue[data-index="0"] .cue-text').focus()
        page.keyboard.press("Alt+x")
        assert page.evaluate(TEXTS) == ["four", "Five six", long_line, "The end"]
        # Shift the selected cues (the last two) half a second later.
        page.check('li.cue[data-index="2"] .cue-select')
        page.check('li.cue[data-index="3"] .cue-select')
        page.fill("#shift-amount", "0.5")
        page.check("input[name=scope][value=selected]")
        page.click("#shift-form button[type=submit]")
        assert page.evaluate(TIMES) == [
            "00:00:00.900 00:00:01.500",
            "00:00:02.000 00:00:03.500",
            "00:00:04.500 00:00:06.000",
            "00:00:08.500 00:00:10.500",
        ]
        # All of them, earlier: nothing may start before 0, said next to the field.
        page.check("input[name=scope][value=all]")
        page.fill("#shift-amount", "-1")
        page.click("#shift-form button[type=submit]")
        assert "would start before 0:00" in page.inner_text("#shift-error")
        assert page.get_attribute("#shift-amount", "aria-invalid") == "true"
        assert page.evaluate(TIMES)[0] == "00:00:00.900 00:00:01.500"
        # A time that is not one: an error on that field, and saving refuses until it is fixed.
        end = page.locator('li.cue[data-index="0"] .cue-end')
        end.fill("soon")
        end.press("Tab")
        assert end.get_attribute("aria-invalid") == "true"
        assert "Not a time" in page.locator('li.cue[data-index="0"] .cue-problems').inner_text()
        page.keyboard.press("Control+s")
        state_is(page, "error")
        end.fill("00:00:01.700")
        end.press("Enter")
        assert end.get_attribute("aria-invalid") is None
        page.keyboard.press("Control+s")
        state_is(page, "saved")
        stored = cues_of(api, media_id, track_id, world.teacher)
        assert [(c["start_ms"], c["end_ms"], c["text"]) for c in stored] == [
            (900, 1700, "four"),
            (2000, 3500, "Five six"),
            (4500, 6000, long_line),
            (8500, 10500, "The end"),
        ]
        assert axe_violations(page) == []
        assert refused == []
        context.close()


def test_the_highlighted_cue_follows_playback(
    app: Any, api: Api, browser: Any, tmp_path: Path
) -> None:
    world = build_world(api)
    lines = [f"Sentence number {i + 1}" for i in range(30)]
    media_id, track_id = media_with_track(api, world, tmp_path, lines, 31, 1000, 800)
    with live_server(app) as base:
        context = signed_in(browser, base, api, world.teacher)
        page, refused = open_editor(
            context, base, f"/media_objects/{media_id}/captions/{track_id}/edit"
        )
        current = (
            "() => Array.from(document.querySelectorAll('li.cue.current'), li => li.dataset.index)"
        )
        seek = "t => { document.getElementById('media').currentTime = t; }"
        in_view = (
            "i => { const list = document.getElementById('cue-list');"
            " const row = document.querySelector(`li.cue[data-index='${i}']`).getBoundingClientRect();"
            " const box = list.getBoundingClientRect();"
            " return row.top >= box.top && row.bottom <= box.bottom; }"
        )
        page.evaluate(seek, 0.5)
        page.wait_for_function(f"() => ({current})().join() === '0'")
        # Far down the list: the row is highlighted, marked current, and scrolled into view.
        assert page.evaluate(in_view, 25) is False
        page.evaluate(seek, 25.2)
        page.wait_for_function(f"() => ({current})().join() === '25'")
        assert page.get_attribute('li.cue[data-index="25"]', "aria-current") == "true"
        page.wait_for_function(in_view, arg=25)
        # Between cues nothing is current.
        page.evaluate(seek, 25.9)
        page.wait_for_function(f"() => ({current})().length === 0")
        # Playing moves it along; Alt+K plays and pauses.
        page.evaluate(seek, 3.85)
        page.keyboard.press("Alt+k")
        page.wait_for_function(f"() => ({current})().join() === '4'", timeout=10000)
        page.keyboard.press("Alt+k")
        assert page.evaluate("() => document.getElementById('media').paused")
        # Activating a cue (its number button) seeks there.
        page.locator('li.cue[data-index="20"] .cue-seek').focus()
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.getElementById('media').currentTime === 20")
        page.wait_for_function(f"() => ({current})().join() === '20'")
        # Under prefers-reduced-motion the list jumps to the cue: it is in view as soon as the
        # seek is done (a smooth scroll would still be under way).
        page.emulate_media(reduced_motion="reduce")
        seek_and_look = (
            "async ([t, i]) => { const media = document.getElementById('media');"
            " const done = new Promise(r => media.addEventListener('seeked', r, {once: true}));"
            " media.currentTime = t; await done;"
            f" return ({in_view})(i); }}"
        )
        assert page.evaluate(seek_and_look, [2.2, 2]) is True
        assert refused == []
        context.close()


def test_a_new_track_is_made_in_the_editor_and_a_long_lecture_opens(
    app: Any, api: Api, browser: Any, tmp_path: Path
) -> None:
    world = build_world(api)
    media_id = world.file["media_entry_id"]
    with live_server(app) as base:
        context = signed_in(browser, base, api, world.teacher)
        page, refused = open_editor(
            context, base, f"/media_objects/{media_id}/captions/new?locale=fr&kind=captions"
        )
        assert page.inner_text("h1") == "New Captions: French"
        assert page.is_visible("#empty-list")
        page.keyboard.press("Alt+n")
        page.keyboard.type("Bonjour à tous")
        page.keyboard.press("Control+s")
        state_is(page, "saved")
        tracks = api.ok("GET", f"/api/v1/media_objects/{media_id}/media_tracks", world.teacher)
        french = [t for t in tracks if t["locale"] == "fr"]
        assert len(french) == 1 and french[0]["kind"] == "captions"
        # The address is now the track's own editor, so a reload opens it.
        assert page.url == f"{base}/media_objects/{media_id}/captions/{french[0]['id']}/edit"
        assert cues_of(api, media_id, french[0]["id"], world.teacher)[0]["text"] == "Bonjour à tous"
        assert refused == []

        # A 1,500-cue lecture (an hour of speech) opens and answers input.
        lines = [f"Part {i} of a long lecture on film history" for i in range(1500)]
        made = api.ok(
            "PUT",
            f"/api/v1/media_objects/{media_id}/media_tracks",
            world.teacher,
            json=[
                {"locale": "fr"},
                {"locale": "en", "kind": "captions", "content": srt(lines, 2400, 2000)},
            ],
        )
        english = next(t for t in made if t["locale"] == "en")
        page, refused = open_editor(
            context, base, f"/media_objects/{media_id}/captions/{english['id']}/edit"
        )
        assert page.locator("li.cue").count() == 1500
        assert page.inner_text("#cue-count") == "(1,500)"
        last = page.locator('li.cue[data-index="1499"] .cue-text')
        last.focus()
        page.keyboard.press("End")
        page.keyboard.type(" (end)")
        state_is(page, "dirty")
        page.keyboard.press("Control+s")
        state_is(page, "saved")
        assert cues_of(api, media_id, english["id"], world.teacher)[-1]["text"].endswith("(end)")
        assert refused == []
        context.close()


def test_students_and_requests_without_the_csrf_token_are_refused(
    app: Any, api: Api, browser: Any, tmp_path: Path
) -> None:
    world = build_world(api)
    media_id, track_id = media_with_track(api, world, tmp_path, ["Only line"], seconds=2)
    cues_path = f"/api/v1/media_objects/{media_id}/media_tracks/{track_id}/cues"
    send = (
        "async ([method, url, body, csrf]) => { const headers = {'Content-Type': 'application/json'};"
        " if (csrf) headers['X-CSRF-Token'] = document.querySelector('meta[name=csrf-token]').content;"
        " const r = await fetch(url, {method, headers, body: JSON.stringify(body)}); return r.status; }"
    )
    body = {"cues": [{"start_ms": 0, "end_ms": 1000, "text": "Changed"}]}
    with live_server(app) as base:
        student = signed_in(browser, base, api, world.student)
        page = student.new_page()
        response = page.goto(f"{base}/media_objects/{media_id}/captions/{track_id}/edit")
        assert response is not None and response.status == 403
        assert page.inner_text("h1") == "Not allowed"
        assert axe_violations(page) == []
        # Even with the page's token, the API refuses the student's save.
        page.goto(f"{base}/users/self/media")
        assert page.evaluate(send, ["PUT", cues_path, body, True]) == 403

        teacher = signed_in(browser, base, api, world.teacher)
        page = teacher.new_page()
        page.goto(f"{base}/users/self/media")
        new_track = {"locale": "de", "kind": "captions", "cues": body["cues"]}
        tracks_cues = f"/api/v1/media_objects/{media_id}/media_tracks/cues"
        # The cookie alone does not write: a PUT and a POST without the token are refused.
        assert page.evaluate(send, ["PUT", cues_path, body, False]) == 403
        assert page.evaluate(send, ["POST", tracks_cues, new_track, False]) == 403
        assert cues_of(api, media_id, track_id, world.teacher)[0]["text"] == "Only line"
        locales = [
            t["locale"]
            for t in api.ok("GET", f"/api/v1/media_objects/{media_id}/media_tracks", world.teacher)
        ]
        assert locales == ["en"]
        # With it, the same request goes through.
        assert page.evaluate(send, ["PUT", cues_path, body, True]) == 200
        student.close()
        teacher.close()
