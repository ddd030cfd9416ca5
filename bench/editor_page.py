"""Benchmark (issue 13): the caption editor with a 1,500-cue track (an hour's lecture) beside the
same page with a 10-cue track, in Chromium (Debian's /usr/bin/chromium, headless, through
Playwright: never ``playwright install``).

The real service (``mediaobjects serve``, one process, on a fresh SQLite data dir) gets a one-hour
video (160x90 at 1 frame/s, made by ffmpeg) uploaded through the API and processed by its own job
consumer, with two caption tracks: English with 1,500 cues, French with 10. A teacher of the
course signs in with a password. For each track, as the median of ``--runs`` runs:

- time to interactive: navigation start to ``<html data-editor="ready">`` (the editor's contract:
  cues rendered, the page answers input), on a first visit (a fresh browser context: empty
  cache) and on a reload (its static files cached);
- edit: typing one character at the end of the first cue's text until ``#save-status`` says
  ``dirty``;
- save: clicking ``#save`` until ``#save-status[data-state="saved"]`` after that edit, and of
  that the PUT's wait for its answer (the server's time); every run checks through the API that
  the track now holds the edited text;
- page weight: the bytes a first visit transfers until the network has been idle for half a
  second: the page (HTML, CSS, scripts, the poster) and the API's JSON (the media is left out).

The times are taken in the page (``performance.now()`` in a MutationObserver installed before
any of the page's scripts run), not by polling from Python.

Usage: python bench/editor_page.py [--runs R]"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright
from support.service import Service

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
LOGIN, PASSWORD = "teacher", "a bench teacher's password"
HOUR = 3600
BIG, SMALL = 1500, 10
# Records, in the page's own clock (0 = navigation start), when the editor became ready, when
# the last key went down, when the save button was clicked, and when #save-status first said
# "dirty" after that key and "saved" after that click.
MARKS = """
(() => {
  const marks = { ready: 0, key: 0, dirty: 0, click: 0, saved: 0 };
  window.__bench = marks;
  const look = () => {
    const now = performance.now();
    if (!marks.ready && document.documentElement.dataset.editor === "ready") marks.ready = now;
    const status = document.getElementById("save-status");
    const state = status ? status.dataset.state : null;
    if (marks.key && !marks.dirty && state === "dirty") marks.dirty = now;
    if (marks.click && !marks.saved && state === "saved") marks.saved = now;
  };
  new MutationObserver(look).observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-editor", "data-state"],
  });
  document.addEventListener("keydown", () => { marks.key = performance.now(); }, true);
  document.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("#save")) marks.click = performance.now();
  }, true);
})();
"""
LECTURE = (
    "so the next thing we want to look at is how the signal changes when we sample it "
    "at a lower rate and what that means for the frequencies we can still represent here "
    "remember that aliasing folds everything above half the sampling rate back down"
)
WORDS = LECTURE.split()
# The save's request as the browser timed it: from sending it to the first byte of the answer
# (the server's time, and the loopback's).
PUT_WAIT = """
(() => {
  const after = window.__bench.click;
  const puts = performance.getEntriesByType("resource").filter(
    (e) => e.initiatorType === "fetch" && /\\/cues$/.test(e.name) && e.startTime >= after);
  return puts.length ? puts[puts.length - 1].responseStart - puts[puts.length - 1].requestStart : NaN;
})()
"""


def timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def webvtt(cues: int, span_ms: int) -> str:
    """``cues`` cues of two lecture-like lines each, evenly over ``span_ms``."""
    step = span_ms // cues
    blocks = ["WEBVTT"]
    for i in range(cues):
        words = [WORDS[(i * 7 + j) % len(WORDS)] for j in range(12)]
        text = " ".join(words[:6]).capitalize() + "\n" + " ".join(words[6:]) + "."
        blocks.append(f"{timestamp(i * step)} --> {timestamp(i * step + step - 100)}\n{text}")
    return "\n\n".join(blocks) + "\n"


def make_lecture(path: Path) -> Path:
    """A one-hour video, small enough to process in seconds: 160x90, 1 frame/s, mono 8 kHz."""
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=duration={HOUR}:size=160x90:rate=1",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={HOUR}:sample_rate=8000",
            "-shortest",
            "-c:a",
            "aac",
            "-b:a",
            "16k",
            "-ac",
            "1",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-preset",
            "ultrafast",
            "-g",
            "60",
            str(path),
        ],  # fmt: skip
        check=True,
        timeout=300,
    )
    return path


@dataclass
class Track:
    cues: int
    track_id: int
    url: str
    cold: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    edit: list[float] = field(default_factory=list)
    save: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)
    weights: list[dict[str, int]] = field(default_factory=list)

    def clear(self) -> None:
        self.cold, self.warm, self.edit, self.save, self.server = [], [], [], [], []
        self.weights = []

    def kib(self, kind: str) -> float:
        return median([w[kind] / 1024 for w in self.weights])


def seed(service: Service, tmp: Path) -> tuple[str, list[Track]]:
    """The course, its teacher (who signs in) and the lecture with both tracks."""
    course = service.api("POST", "/api/v1/accounts/self/courses", data={"course[name]": "Bench"})
    teacher = service.api(
        "POST",
        "/api/v1/accounts/self/users",
        data={
            "user[name]": "Bench Teacher",
            "pseudonym[unique_id]": LOGIN,
            "pseudonym[password]": PASSWORD,
        },
    )
    service.api(
        "POST",
        f"/api/v1/courses/{course['id']}/enrollments",
        data={"enrollment[user_id]": teacher["id"], "enrollment[type]": "TeacherEnrollment"},
    )
    started = time.perf_counter()
    video = make_lecture(tmp / "Lecture 12 - Sampling.mp4")
    file = service.upload(f"courses/{course['id']}", video, "video/mp4")
    media_id = file["media_entry_id"]
    service.wait_ready(media_id)
    print(f"(a one-hour lecture made and processed in {time.perf_counter() - started:.0f} s)")
    service.api(
        "PUT",
        f"/api/v1/media_objects/{media_id}/media_tracks",
        json=[
            {"locale": "en", "kind": "captions", "content": webvtt(BIG, HOUR * 1000)},
            {"locale": "fr", "kind": "captions", "content": webvtt(SMALL, SMALL * 2400)},
        ],
    )
    listed = service.api("GET", f"/api/v1/media_objects/{media_id}/media_tracks")
    ids = {t["locale"]: t["id"] for t in listed}
    tracks = [
        Track(cues, ids[locale], f"/media_objects/{media_id}/captions/{ids[locale]}/edit")
        for cues, locale in ((SMALL, "fr"), (BIG, "en"))
    ]
    return media_id, tracks


def wait_ready(page: Any) -> float:
    page.wait_for_function("() => window.__bench && window.__bench.ready > 0", timeout=120_000)
    return float(page.evaluate("window.__bench.ready"))


def weigh(requests: list[Any]) -> dict[str, int]:
    """Bytes transferred (headers and body as sent) by the finished requests, by kind: the page
    (HTML, CSS, scripts, the poster) and the API's JSON. The player's media request is left
    out: with preload="metadata" Chromium reads the start of the file and aborts the request,
    which then reports no size."""
    kinds = {"document": "page", "stylesheet": "page", "script": "page", "image": "page",
             "font": "page", "fetch": "api", "xhr": "api"}  # fmt: skip
    out = {"page": 0, "api": 0, "other": 0}
    for request in requests:
        response = request.response()
        if response is None:
            continue
        sizes = request.sizes()
        out[kinds.get(request.resource_type, "other")] += (
            sizes["responseBodySize"] + sizes["responseHeadersSize"]
        )
    return out


def first_visit(browser: Any, service: Service, media_id: str, track: Track) -> None:
    """One run on a fresh context: time to interactive, weight, one edit and its save."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        # Signed in through the form's POST, not by loading /login, which would warm the cache
        # with the pages' shared CSS and scripts.
        signed = context.request.post(
            service.base + "/login",
            form={"unique_id": LOGIN, "password": PASSWORD},
            max_redirects=0,
        )
        if signed.status != 303:
            raise RuntimeError(f"sign-in failed: {signed.status} {signed.text()[:300]}")
        context.add_init_script(MARKS)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        finished: list[Any] = []
        page.on("requestfinished", lambda request: finished.append(request))
        response = page.goto(service.base + track.url, wait_until="commit")
        if response is None or response.status != 200:
            status = response.status if response is not None else "no response"
            raise RuntimeError(f"the editor page {track.url} answered {status}")
        track.cold.append(wait_ready(page))
        # A player still streaming after 30 s: what came by then is weighed.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_load_state("networkidle", timeout=30_000)
        track.weights.append(weigh(finished))
        # One edit: a character typed at the end of the first cue's text.
        text = page.locator('li.cue[data-index="0"] textarea.cue-text')
        text.focus()
        page.keyboard.press("End")
        page.evaluate("window.__bench.key = 0; window.__bench.dirty = 0")
        page.keyboard.type("!")
        page.wait_for_function("() => window.__bench.dirty > 0", timeout=60_000)
        track.edit.append(float(page.evaluate("window.__bench.dirty - window.__bench.key")))
        edited = text.input_value()
        page.click("#save")
        page.wait_for_function("() => window.__bench.saved > 0", timeout=120_000)
        track.save.append(float(page.evaluate("window.__bench.saved - window.__bench.click")))
        track.server.append(float(page.evaluate(PUT_WAIT)))
        stored = service.api(
            "GET", f"/api/v1/media_objects/{media_id}/media_tracks/{track.track_id}/cues"
        )
        if len(stored["cues"]) != track.cues or stored["cues"][0]["text"] != edited:
            raise RuntimeError(f"the save of {track.url} did not store the edit: {edited!r}")
        # Then a reload: the static files come from the cache.
        page.reload(wait_until="commit")
        track.warm.append(wait_ready(page))
    finally:
        context.close()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(small: Track, big: Track, runs: int) -> None:
    print(f"caption editor, median of {runs} runs each (Chromium headless):")
    print("   cues | interactive: first visit   reload | edit->dirty | save (server) | "
          "first visit: page, API JSON")  # fmt: skip
    for track in (small, big):
        print(
            f"  {track.cues:5d} | {median(track.cold):17.0f} ms {median(track.warm):5.0f} ms "
            f"| {median(track.edit):8.1f} ms | {median(track.save):4.0f} ms "
            f"({median(track.server):4.0f} ms) | {track.kib('page'):5.1f} KiB, "
            f"{track.kib('api'):5.1f} KiB"
        )
    print(
        f"  {big.cues} cues beside {small.cues}: interactive x"
        f"{median(big.cold) / median(small.cold):.1f} (first visit), "
        f"x{median(big.warm) / median(small.warm):.1f} (reload); edit "
        f"x{median(big.edit) / median(small.edit):.1f}; save "
        f"x{median(big.save) / median(small.save):.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print("Debian's chromium is missing: apt-get install -y chromium", file=sys.stderr)
        return 1
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="mediaobjects-bench-editor-"))
    with Service(tmp / "data") as service:
        media_id, tracks = seed(service, tmp)
        with sync_playwright() as playwright:
            # Chromium keeps crash-report settings and caches under the home directory.
            home = tmp / "browser-home"
            env: dict[str, str | float | bool] = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                   "XDG_CACHE_HOME": str(home / ".cache")}  # fmt: skip
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=ARGS, headless=True, env=env
            )
            try:
                # One untimed visit each (the server's first requests, Chromium's first start of
                # its renderer), then the runs, alternating so that drift hits both alike.
                for track in tracks:
                    first_visit(browser, service, media_id, track)
                    track.clear()
                for _ in range(args.runs):
                    for track in tracks:
                        first_visit(browser, service, media_id, track)
            finally:
                browser.close()
    report(tracks[0], tracks[1], args.runs)
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
