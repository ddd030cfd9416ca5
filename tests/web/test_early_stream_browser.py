"""The early stream in a real browser (Debian's chromium driven by Playwright; never
`playwright install`): an HEVC upload, which browsers cannot play as uploaded, goes through
the real app and the real ffmpeg ladder while a student watches its player page.

The ladder's sink is paced (``PacedStream``) so that the stream grows while the page plays:
held after the second segment until the page plays, then one segment every ``PACE`` seconds
(ffmpeg itself runs at its own speed). The ladder publishes the renditions right after the
last one, with half the lecture still to play: the page's next reload of the live playlist
finds it ended (the same segments, VOD), and it plays on to the end with the same hls.js.

hls.js keeps its events to itself: the page is given the vendored module wrapped in a subclass
that only listens (errors, playlists and fragments loaded), so that a failure can be told
exactly. The wrapper changes nothing that hls.js does."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from mediaobjects.context import AppContext, build_context
from mediaobjects.settings import Settings
from mediaobjects.storage.local import LocalStorage
from mediaobjects.transcoding import FFmpegTranscoder, LiveSegment, LiveSink, parse_ladder
from tests.media_objects.test_original import HEVC, make
from tests.support.api import Api
from tests.support.browser import chromium
from tests.support.live import live_server
from tests.support.world import World, build_world
from tests.web.test_player_hls_browser import Viewer

pytestmark = pytest.mark.live
DEADLINE = 120.0  # seconds: generous, for a loaded 2-core machine
SECONDS = 30  # five 6 s segments
PACE = 4.0  # seconds between the segments published while the page plays
HLS_MODULE = "/static/vendor/hls.light.min.mjs"
# What the page's <video> did, with the wall clock (ms) of each event.
MEDIA_EVENTS = """
window.__media = [];
for (const type of ["waiting", "playing", "ended", "durationchange", "error", "stalled"]) {
  document.addEventListener(type, (e) => {
    const v = e.target;
    if (v.id !== "media") return;
    window.__media.push({at: Date.now(), type, time: v.currentTime, duration: v.duration});
  }, true);
}
"""
# The vendored hls.js, subclassed to listen. Imported from the page's own module script, it
# inherits its nonce, as the original does.
OBSERVED_HLS = """
import Hls from "%s";
const log = (window.__hls = window.__hls || []);
export default class ObservedHls extends Hls {
  constructor(config) {
    super(config);
    const E = Hls.Events;
    this.on(E.ERROR, (_e, d) => log.push({at: Date.now(), event: "error", type: d.type,
      details: d.details, fatal: d.fatal, url: d.frag ? d.frag.url : (d.url || null),
      code: d.response ? d.response.code : null, reason: String(d.reason || d.error || "")}));
    this.on(E.LEVEL_LOADED, (_e, d) => log.push({at: Date.now(), event: "level",
      live: d.details.live, type: d.details.type, fragments: d.details.fragments.length,
      total: d.details.totalduration, url: d.details.url}));
    this.on(E.FRAG_LOADED, (_e, d) => log.push({at: Date.now(), event: "frag", sn: d.frag.sn,
      url: d.frag.url, range: d.frag.byteRange.length ? d.frag.byteRange : null,
      init: d.frag.initSegment ? d.frag.initSegment.url : null}));
  }
}
"""


class PacedStream:
    """The real ffmpeg transcoder (the settings' ladder), whose early stream is held after
    segment 1 until ``gate`` opens, then gets a segment every ``PACE`` seconds. ffmpeg itself
    runs at its own speed; ``published`` holds (sequence, wall clock)."""

    def __init__(self, real: FFmpegTranscoder) -> None:
        self.real = real
        self.held = threading.Event()
        self.gate = threading.Event()
        self.published: list[tuple[int, float]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def transcode(self, *args: Any, live: LiveSink | None = None, **kwargs: Any) -> Any:
        assert live is not None, "an HEVC upload gets an early stream"
        publish: LiveSink = live

        def paced(segment: LiveSegment) -> None:
            if segment.sequence > 1:
                time.sleep(PACE)
            publish(segment)
            self.published.append((segment.sequence, time.time()))
            if segment.sequence == 1:
                self.held.set()
                assert self.gate.wait(DEADLINE), "the page never played"

        return self.real.transcode(*args, live=paced, **kwargs)


@pytest.fixture
def transcoder(settings: Settings) -> PacedStream:
    return PacedStream(FFmpegTranscoder(ladder=parse_ladder(settings.renditions)))


@pytest.fixture
def ctx(settings: Settings, transcoder: PacedStream) -> Iterator[AppContext]:
    context = build_context(
        settings, storage=LocalStorage(settings.data_dir / "files"), transcoder=transcoder
    )
    yield context
    context.close()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A phone's recording: HEVC and AAC, not listed as uploaded.
    return make(
        tmp_path_factory.mktemp("uploads") / "phone.mp4", *HEVC, seconds=SECONDS, size="640x360"
    )


@pytest.fixture
def worker(api: Api, transcoder: PacedStream) -> Iterator[tuple[threading.Thread, list[float]]]:
    """The job runner's thread, and the wall clock at which it finished (the ladder published)."""
    errors: list[BaseException] = []
    done: list[float] = []

    def work() -> None:
        try:
            api.ctx.jobs.run_pending_now()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        done.append(time.time())

    thread = threading.Thread(target=work, name="worker")
    yield thread, done
    transcoder.gate.set()
    if thread.ident is not None:
        thread.join(timeout=DEADLINE)
    assert not thread.is_alive() and errors == []


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path / "browser-home") as instance:
        yield instance


class Watcher(Viewer):
    """A viewer that also keeps what hls.js and the <video> reported, and every answer the
    page got that was not a success."""

    def __init__(self, browser: Any) -> None:
        super().__init__(browser, init_script=MEDIA_EVENTS, size=(640, 360))
        self.failed: list[tuple[float, str, str]] = []
        self.page.on(
            "response",
            lambda r: (
                self.failed.append((time.time(), str(r.status), r.url)) if r.status >= 400 else None
            ),
        )
        self.page.on(
            "requestfailed",
            lambda r: self.failed.append((time.time(), str(r.failure), r.url)),
        )
        self.page.route(lambda url: HLS_MODULE in url and "observed=0" not in url, self._wrap)

    def _wrap(self, route: Any) -> None:
        original = route.request.url + ("&" if "?" in route.request.url else "?") + "observed=0"
        route.fulfill(body=OBSERVED_HLS % original, content_type="text/javascript")

    def until(self, condition: str) -> None:
        """Waits for ``condition`` on the <video> ``v``, or for the page to give up on the
        stream (a fatal hls.js error falls back to the page's sources): then fails at once."""
        self.page.wait_for_function(
            f"() => {{ const v = document.getElementById('media');"
            f" return v.dataset.playback !== 'hls.js' || ({condition}); }}",
            timeout=DEADLINE * 1000,
        )
        assert self.state()["playback"] == "hls.js", f"the stream failed before: {condition}"

    def until_done(self, thread: threading.Thread) -> None:
        """Waits for the job runner's thread with Playwright, which meanwhile hands the page's
        events over as they come."""
        deadline = time.monotonic() + DEADLINE
        while thread.is_alive() and time.monotonic() < deadline:
            self.page.wait_for_timeout(200)
        assert not thread.is_alive()

    def log(self, name: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.page.evaluate(f"() => window.{name} || []")
        return found


def student_info(base: str, world: World, media_id: str) -> dict[str, Any]:
    response = requests.get(
        f"{base}/media_objects/{media_id}/info", headers=world.student.headers, timeout=30
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_student_watches_an_hevc_upload_while_its_ladder_runs_and_to_its_end(
    app: Any,
    api: Api,
    browser: Any,
    clip: Path,
    transcoder: PacedStream,
    worker: tuple[threading.Thread, list[float]],
) -> None:
    thread, finished = worker
    world = build_world(api)
    file = api.upload(
        f"courses/{world.course}", world.teacher, clip.name, clip.read_bytes(), "video/mp4"
    )
    media_id = str(file["media_entry_id"])
    with live_server(app) as base:
        # Opened before any segment exists: the page says the media is being processed...
        body = student_info(base, world, media_id)
        assert body["hls_url"] is None and body["media_sources"] == []
        iframe = body["embedded_iframe_url"]
        early = Viewer(browser, size=(640, 360))
        early.page.goto(iframe)
        status = early.page.locator("[role=status]")
        assert "still being processed" in status.inner_text()
        assert early.page.locator("#media").count() == 0

        thread.start()
        assert transcoder.held.wait(DEADLINE), "no segment was published"
        # ... and shows the player by itself once the first segments are there.
        early.page.locator("video#media[data-hls-url]").wait_for(timeout=30000)
        assert "/hls/live.m3u8?" in early.page.locator("#media").get_attribute("data-hls-url")
        assert early.refused == []
        early.close()
        body = student_info(base, world, media_id)
        assert body["processing_state"] == "processing"
        assert f"/media_objects/{media_id}/hls/live.m3u8?" in body["hls_url"]
        assert body["embedded_iframe_url"] == iframe

        viewer = Watcher(browser)
        opened = time.time()
        try:
            viewer.open(iframe)
            viewer.until("v.currentTime > 0.5 && !v.paused")
            first = viewer.state()
            assert first["src"].startswith("blob:")
            # From the lecture's start, not the live edge, over the two segments written so far.
            assert (
                viewer.page.evaluate("() => document.getElementById('media').played.start(0)") < 1
            )
            assert 4 <= first["duration"] < 18
            transcoder.gate.set()
            # The timeline grows as segments are published, and playback goes on past what
            # existed when the page opened.
            viewer.until(f"v.duration > {first['duration'] + 2}")
            viewer.until(f"v.currentTime > {first['duration'] + 1} && !v.paused")

            # The ladder finishes with half the lecture to play: the live playlist ends, and
            # the page plays on to the end with the same hls.js.
            viewer.until_done(thread)
            assert student_info(base, world, media_id)["processing_state"] == "ready"
            viewer.until("v.ended")
            last = viewer.state()
            assert last["duration"] == pytest.approx(SECONDS, abs=0.5)
            hls_log = viewer.log("__hls")
            assert [e for e in hls_log if e["event"] == "error" and e["fatal"]] == []
            # The page reloaded the live playlist after the handover and found it ended.
            assert any(
                e["event"] == "level" and not e["live"] and e["at"] / 1000 > finished[0]
                for e in hls_log
            )
            # Nothing the page asked for failed: no piece of the early stream went missing
            # after the handover, no byte range of the finished rendition was refused.
            assert viewer.failed == []
            assert viewer.refused == []
        finally:
            # What happened, for a person reading a failure (or `pytest -s`).
            report(opened, transcoder.published, finished, viewer)
            viewer.close()


def report(
    opened: float,
    published: list[tuple[int, float]],
    finished: list[float],
    viewer: Watcher,
) -> None:
    """What happened, in seconds since the page was opened (shown with ``pytest -s`` or on
    failure)."""
    hls_log, media_log = viewer.log("__hls"), viewer.log("__media")
    last, failed = viewer.state(), viewer.failed

    def at(wall: float) -> str:
        return f"{wall - opened:+7.2f}s"

    lines = [f"segment {n} published {at(t)}" for n, t in published]
    lines += [f"ladder published {at(t)}" for t in finished]
    for e in hls_log:
        where = e.get("url") or ""
        short = where.split("?")[0].rsplit("/", 3)[-3:]
        details = {k: v for k, v in e.items() if k not in ("at", "event", "url")}
        lines.append(f"hls.js {e['event']} {at(e['at'] / 1000)} {'/'.join(short)} {details}")
    for e in media_log:
        if e["type"] != "durationchange" or e["duration"] != e["duration"]:  # NaN
            lines.append(
                f"video {e['type']} {at(e['at'] / 1000)} t={e['time']:.2f} d={e['duration']}"
            )
        else:
            lines.append(f"video durationchange {at(e['at'] / 1000)} d={e['duration']:.2f}")
    lines += [f"failed {at(t)} {status} {url}" for t, status, url in failed]
    waiting = sum(1 for e in media_log if e["type"] == "waiting")
    status = viewer.page.locator("#player-status")
    shown = status.inner_text() if status.count() else None
    lines.append(f"waiting events: {waiting}; final state: {last}; status: {shown!r}")
    print("\n".join(lines))
