"""The player page streaming HLS in a real browser (Debian's chromium driven by Playwright;
never `playwright install`). The page is the service's own (``render_player``, its headers,
player.js and the vendored hls.js through the real /static/ route), given an ``hls_url``; the
playlists are ffmpeg's, served the way the service serves them (absolute URIs carrying a
verifier, byte ranges, a SUBTITLES rendition), by a small app on loopback.

Chromium has Media Source Extensions, so the page plays HLS there with hls.js. The native path
is the one of Apple's browsers: the tests show Chromium (which plays HLS itself too) as one,
without Media Source Extensions (older iPhones) or with ManagedMediaSource (Safari 17 and
later); and as a browser with neither HLS nor MSE."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse

from mediaobjects.web import static
from mediaobjects.web.player import PlayerSource, PlayerTrack, player_headers, render_player
from tests.support.browser import axe_violations, chromium
from tests.support.hls_media import (
    HlsSet,
    absolute_media,
    make_hls_set,
    master_playlist,
    start_event_stream,
    subtitles_playlist,
)
from tests.support.live import live_server
from tests.support.seaweed import SeaweedFS, run_seaweedfs

pytestmark = pytest.mark.live
HLS_TYPE = "application/vnd.apple.mpegurl"
VERIFIER = "signed-by-the-test"
SECONDS = 12
# A browser that plays HLS itself but has no Media Source Extensions (iPhones before iOS 17.1).
NO_MSE = "delete window.MediaSource; delete window.ManagedMediaSource;"
# Safari 17 and later: ManagedMediaSource beside its own HLS.
MANAGED_MSE = "window.ManagedMediaSource = window.MediaSource;"
# A browser with neither.
NO_HLS = (
    NO_MSE
    + """
const canPlayType = HTMLMediaElement.prototype.canPlayType;
HTMLMediaElement.prototype.canPlayType = function (type) {
  return /mpegurl/i.test(type) ? "" : canPlayType.call(this, type);
};
"""
)
PLAYING = """(after) => {
  const v = document.getElementById('media');
  return v.currentTime > after && !v.paused;
}"""
SHOWN_CUE = """() => {
  const v = document.getElementById('media');
  for (const t of v.textTracks) {
    if (t.mode === 'showing' && t.activeCues && t.activeCues.length) {
      const c = t.activeCues[0];
      return {language: t.language, text: c.text, start: c.startTime, end: c.endTime,
              at: v.currentTime};
    }
  }
  return null;
}"""


@pytest.fixture(scope="module")
def hls_set(tmp_path_factory: pytest.TempPathFactory) -> HlsSet:
    return make_hls_set(tmp_path_factory.mktemp("hls"), seconds=SECONDS)


def _playlist(text: str) -> Response:
    # Playlists change while an EVENT stream grows: never from a cache.
    return PlainTextResponse(text, media_type=HLS_TYPE, headers={"Cache-Control": "no-store"})


def _signed(request: Request) -> None:
    # Every URI the service writes carries a verifier; one dropped on the way is refused.
    if request.query_params.get("verifier") != VERIFIER:
        raise PermissionError


def build_app(hls: HlsSet, event_dir: Path, presigners: dict[str, Callable[[str], str]]) -> FastAPI:
    """The player page at ``/player/{case}`` (``vod``, ``broken``: every variant 404,
    ``event``, ``s3-cors``/``s3-plain``: media redirected to a bucket with and without the
    CORS rule, ``none``: no hls_url; ``?sources=0`` lists no MP4 source), its static files,
    and the playlists and media it names. ``presigners`` gives, for ``cors`` and ``plain``, a
    key's presigned URL in that bucket."""
    app = FastAPI()
    app.include_router(static.router)

    @app.exception_handler(PermissionError)
    def refused(request: Request, exc: PermissionError) -> Response:
        return PlainTextResponse("no verifier", status_code=403)

    def url(request: Request, path: str) -> str:
        return f"{str(request.base_url).rstrip('/')}{path}?verifier={VERIFIER}"

    @app.get("/player/{case}")
    def player(case: str, request: Request, sources: int = 1) -> Response:
        nonce = secrets.token_urlsafe(18)
        masters = {
            "vod": "/hls/vod/master.m3u8",
            "broken": "/hls/broken/master.m3u8",
            "event": "/hls/event/master.m3u8",
            "s3-cors": "/hls/s3-cors/master.m3u8",
            "s3-plain": "/hls/s3-plain/master.m3u8",
        }
        html = render_player(
            title="Lecture 1",
            media_type="video",
            processing_state="ready",
            processing_error=None,
            poster_url=None,
            sources=[PlayerSource(url(request, "/mp4/360p.mp4"), "video/mp4")] if sources else [],
            tracks=[PlayerTrack(url(request, "/captions/en.vtt"), "captions", "en")],
            accept_language=request.headers.get("accept-language"),
            nonce=nonce,
            hls_url=url(request, masters[case]) if case in masters else None,
        )
        return HTMLResponse(html, headers=player_headers(nonce))

    @app.get("/hls/{case}/master.m3u8")
    def master(case: str, request: Request) -> Response:
        _signed(request)
        variant_path = {
            "vod": "/hls/vod/{r}/index.m3u8",
            "broken": "/hls/gone/{r}/index.m3u8",
            "s3-cors": "/hls/s3-cors/{r}/index.m3u8",
            "s3-plain": "/hls/s3-plain/{r}/index.m3u8",
        }
        if case == "event":
            text = "#EXTM3U\n#EXT-X-VERSION:7\n" + (
                '#EXT-X-STREAM-INF:BANDWIDTH=985600,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"'
            )
            return _playlist(text + "\n" + url(request, "/hls/event/index.m3u8") + "\n")
        variants = {
            f"{r}/index.m3u8": url(request, variant_path[case].format(r=r)) for r in hls.renditions
        }
        text = master_playlist(
            (hls.root / "master.m3u8").read_text(), variants, url(request, "/hls/subs/en.m3u8")
        )
        return _playlist(text)

    @app.get("/hls/vod/{rendition}/index.m3u8")
    def vod_variant(rendition: str, request: Request) -> Response:
        _signed(request)
        text = (hls.root / rendition / "index.m3u8").read_text()
        return _playlist(absolute_media(text, url(request, f"/media/{rendition}/media.mp4")))

    @app.get("/hls/{case}/{rendition}/index.m3u8")
    def s3_variant(case: str, rendition: str, request: Request) -> Response:
        _signed(request)
        if not case.startswith("s3-"):
            return PlainTextResponse("gone", status_code=404)
        text = (hls.root / rendition / "index.m3u8").read_text()
        media = url(request, f"/s3/{case.removeprefix('s3-')}/{rendition}/media.mp4")
        return _playlist(absolute_media(text, media))

    @app.get("/s3/{kind}/{rendition}/media.mp4")
    def s3_media(kind: str, rendition: str, request: Request) -> Response:
        # The S3 backend's answer for a media source: a 302 to a presigned URL of the bucket.
        _signed(request)
        return RedirectResponse(presigners[kind](f"{rendition}/media.mp4"), status_code=302)

    @app.get("/media/{rendition}/media.mp4")
    def media(rendition: str, request: Request) -> Response:
        _signed(request)
        return FileResponse(hls.root / rendition / "media.mp4", media_type="video/mp4")

    @app.get("/mp4/360p.mp4")
    def progressive(request: Request) -> Response:
        # The fallback source: the very file hls.js streams, played as a plain MP4.
        _signed(request)
        return FileResponse(hls.root / "360p" / "media.mp4", media_type="video/mp4")

    @app.get("/hls/subs/en.m3u8")
    def subtitles(request: Request) -> Response:
        _signed(request)
        return _playlist(subtitles_playlist(url(request, "/captions/en.vtt"), hls.seconds))

    @app.get("/captions/en.vtt")
    def captions(request: Request) -> Response:
        _signed(request)
        return FileResponse(hls.root / "captions.vtt", media_type="text/vtt")

    @app.get("/hls/event/index.m3u8")
    def event_playlist(request: Request) -> Response:
        _signed(request)
        return _playlist((event_dir / "index.m3u8").read_text())

    @app.get("/hls/event/{name}")
    def event_media(name: str) -> Response:
        # ffmpeg's relative segment URIs resolve against the playlist's URL, without the
        # verifier: the service writes these absolute and signed (not this test's concern).
        return FileResponse(event_dir / name, media_type="video/mp4")

    return app


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path / "browser-home") as instance:
        yield instance


@pytest.fixture
def site(hls_set: HlsSet, tmp_path: Path) -> Iterator[str]:
    with live_server(build_app(hls_set, tmp_path / "event", {})) as base:
        yield base


class Viewer:
    """One page of the browser with what a person (or the console) would notice."""

    def __init__(self, browser: Any, *, init_script: str | None = None, size: tuple[int, int]):
        self.context = browser.new_context(
            viewport={"width": size[0], "height": size[1]},
            extra_http_headers={"Accept-Language": "en"},
        )
        if init_script:
            self.context.add_init_script(init_script)
        self.page = self.context.new_page()
        self.refused: list[str] = []
        self.requests: list[str] = []
        self.page.on(
            "console",
            lambda m: self.refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        self.page.on("request", lambda r: self.requests.append(r.url))

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.evaluate(
            "() => { const v = document.getElementById('media'); v.muted = true;"
            " return v.play().catch(() => null); }"
        )

    def playing_past(self, seconds: float, timeout: float = 20000) -> None:
        self.page.wait_for_function(PLAYING, arg=seconds, timeout=timeout)

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate(
            """() => { const v = document.getElementById('media');
              return {playback: v.dataset.playback, src: v.currentSrc, height: v.videoHeight,
                      time: v.currentTime, duration: v.duration,
                      tracks: Array.from(v.textTracks).map(t => [t.kind, t.language, t.label])}; }"""
        )
        return result

    def close(self) -> None:
        self.context.close()


def _assert_caption_in_step(viewer: Viewer, hls: HlsSet) -> None:
    cue = viewer.page.wait_for_function(SHOWN_CUE, timeout=15000).json_value()
    assert cue["language"] == "en"
    assert cue["start"] <= cue["at"] <= cue["end"] + 0.5
    assert cue["text"] == hls.cue_text(int(cue["start"]) // 2)


def test_hls_js_plays_the_master_with_captions_and_the_rung_the_frame_needs(
    browser: Any, site: str, hls_set: HlsSet
) -> None:
    # A phone-sized frame: hls.js plays the 360p rung and never fetches the 720p one.
    small = Viewer(browser, size=(480, 270))
    small.open(f"{site}/player/vod")
    small.playing_past(3)
    state = small.state()
    assert state["playback"] == "hls.js"
    assert state["src"].startswith("blob:")  # Media Source Extensions, not the MP4 source
    assert state["height"] == 360
    assert abs(state["duration"] - SECONDS) < 0.5
    # The page's <track> is the one caption track (the playlist's SUBTITLES rendition is not
    # listed again), and its cues show in step with the picture.
    assert state["tracks"] == [["captions", "en", "English"]]
    _assert_caption_in_step(small, hls_set)
    fetched = [u for u in small.requests if "/media/" in u]
    assert fetched and all("/360p/" in u for u in fetched)
    assert any("/static/vendor/hls.light.min.mjs?v=" in u for u in small.requests)
    assert [u for u in small.requests if "/mp4/" in u] == []
    assert small.refused == []
    assert axe_violations(small.page) == []
    small.close()
    # A large one: hls.js climbs to 720p once it has measured the connection.
    large = Viewer(browser, size=(1280, 720))
    large.open(f"{site}/player/vod")
    large.page.wait_for_function(
        "() => document.getElementById('media').videoHeight === 720", timeout=20000
    )
    assert any("/720p/media.mp4" in u for u in large.requests)
    assert large.state()["playback"] == "hls.js"
    assert large.refused == []
    large.close()


@pytest.mark.parametrize("apple", [NO_MSE, MANAGED_MSE], ids=["no-mse", "managed-mse"])
def test_native_hls_plays_where_it_is_the_platforms_own(
    browser: Any, site: str, hls_set: HlsSet, apple: str
) -> None:
    viewer = Viewer(browser, init_script=apple, size=(640, 360))
    viewer.page.goto("about:blank")
    if not viewer.page.evaluate(f"() => document.createElement('video').canPlayType('{HLS_TYPE}')"):
        pytest.fail("this chromium has no native HLS: the native path is not tested")
    viewer.open(f"{site}/player/vod")
    viewer.playing_past(2)
    state = viewer.state()
    assert state["playback"] == "native"
    assert state["src"] == f"{site}/hls/vod/master.m3u8?verifier={VERIFIER}"
    _assert_caption_in_step(viewer, hls_set)
    # hls.js is not even downloaded.
    assert not any("/static/vendor/" in u for u in viewer.requests)
    assert viewer.refused == []
    viewer.close()


@pytest.mark.parametrize("native", [False, True], ids=["hls.js", "native"])
def test_a_stream_that_fails_falls_back_to_the_mp4_source(
    browser: Any, site: str, hls_set: HlsSet, native: bool
) -> None:
    viewer = Viewer(browser, init_script=NO_MSE if native else None, size=(640, 360))
    viewer.open(f"{site}/player/broken")  # every variant playlist answers 404
    viewer.page.wait_for_function(
        "() => document.getElementById('media').dataset.playback === 'progressive'",
        timeout=20000,
    )
    viewer.playing_past(1)
    state = viewer.state()
    assert state["src"] == f"{site}/mp4/360p.mp4?verifier={VERIFIER}"
    _assert_caption_in_step(viewer, hls_set)
    assert viewer.refused == []
    viewer.close()


def test_a_failed_stream_with_nothing_to_fall_back_to_says_so(browser: Any, site: str) -> None:
    viewer = Viewer(browser, size=(640, 360))
    viewer.page.goto(f"{site}/player/broken?sources=0")
    viewer.page.wait_for_function(
        "() => document.getElementById('player-status').textContent !== ''", timeout=20000
    )
    assert "cannot be played yet" in viewer.page.locator("#player-status").inner_text()
    assert axe_violations(viewer.page) == []
    viewer.close()


def test_without_hls_support_the_mp4_sources_play(browser: Any, site: str, hls_set: HlsSet) -> None:
    viewer = Viewer(browser, init_script=NO_HLS, size=(640, 360))
    viewer.open(f"{site}/player/vod")
    viewer.playing_past(1)
    state = viewer.state()
    assert state["playback"] == "progressive"
    assert state["src"] == f"{site}/mp4/360p.mp4?verifier={VERIFIER}"
    assert not any("/static/vendor/" in u or "m3u8" in u for u in viewer.requests)
    viewer.close()


def test_without_hls_url_the_page_plays_its_sources_as_before(
    browser: Any, site: str, hls_set: HlsSet
) -> None:
    viewer = Viewer(browser, size=(640, 360))
    viewer.open(f"{site}/player/none")
    viewer.playing_past(1)
    state = viewer.state()
    assert state["playback"] is None  # the script left the element alone
    assert state["src"] == f"{site}/mp4/360p.mp4?verifier={VERIFIER}"
    assert viewer.page.locator("video source").count() == 1
    assert viewer.page.locator("#player-status").count() == 0
    _assert_caption_in_step(viewer, hls_set)
    assert not any("/static/vendor/" in u or "m3u8" in u for u in viewer.requests)
    viewer.close()


def test_a_growing_event_playlist_plays_from_its_start_while_it_is_written(
    browser: Any, hls_set: HlsSet, tmp_path: Path
) -> None:
    event_dir = tmp_path / "event"
    writer = start_event_stream(event_dir, seconds=20)
    try:
        with live_server(build_app(hls_set, event_dir, {})) as base:
            playlist = event_dir / "index.m3u8"
            deadline = time.monotonic() + 30
            # Three segments (6 s) written: a player joining "live" would start at 0 s no more.
            while not playlist.exists() or playlist.read_text().count("#EXTINF") < 3:
                assert writer.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
            written = playlist.read_text().count("#EXTINF") * 2
            viewer = Viewer(browser, size=(640, 360))
            viewer.open(f"{base}/player/event")
            viewer.playing_past(1)
            first = viewer.state()
            assert first["playback"] == "hls.js"
            # Still being written: no end yet.
            assert writer.poll() is None and "#EXT-X-ENDLIST" not in playlist.read_text()
            # From the lecture's start, not the live edge.
            assert (
                viewer.page.evaluate("() => document.getElementById('media').played.start(0)") < 1
            )
            # The timeline is what was written so far, growing as segments come.
            assert 4 <= first["duration"] < 20
            viewer.page.wait_for_function(
                "(d) => document.getElementById('media').duration > d + 2",
                arg=first["duration"],
                timeout=20000,
            )
            # Playback goes on past what existed when the page opened.
            viewer.playing_past(written + 1, timeout=30000)
            assert viewer.refused == []
            viewer.close()
    finally:
        writer.kill()
        writer.communicate()


def _bucket(seaweedfs: SeaweedFS, name: str, hls: HlsSet, cors_origin: str | None) -> Any:
    client = boto3.client(
        "s3",
        endpoint_url=seaweedfs.endpoint_url,
        region_name=seaweedfs.region,
        aws_access_key_id=seaweedfs.access_key_id,
        aws_secret_access_key=seaweedfs.secret_access_key,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )
    client.create_bucket(Bucket=name)
    for rendition in hls.renditions:
        client.upload_file(str(hls.root / rendition / "media.mp4"), name, f"{rendition}/media.mp4")
    if cors_origin:
        # The rule docs/deploying.md documents (and `make cluster` sets).
        client.put_bucket_cors(
            Bucket=name,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": [cors_origin],
                        "AllowedMethods": ["GET", "HEAD"],
                        "AllowedHeaders": ["Range"],
                        "MaxAgeSeconds": 3600,
                    }
                ]
            },
        )
    return client


def test_hls_js_reads_media_from_a_bucket_on_another_origin_with_the_cors_rule(
    browser: Any, hls_set: HlsSet, tmp_path: Path
) -> None:
    presigners: dict[str, Callable[[str], str]] = {}
    with (
        # SeaweedFS answers every origin unless told otherwise; given an origin that nobody
        # has, each bucket's own CORS rule decides, as on AWS S3.
        run_seaweedfs(allowed_origins="https://bucket-rules-decide.invalid") as seaweedfs,
        live_server(build_app(hls_set, tmp_path / "event", presigners)) as base,
    ):
        # The page's origin may read the first bucket; nobody the second.
        clients = {
            "cors": _bucket(seaweedfs, "hls-cors", hls_set, base),
            "plain": _bucket(seaweedfs, "hls-plain", hls_set, None),
        }
        for kind, client in clients.items():
            presigners[kind] = lambda key, c=client, b=f"hls-{kind}": c.generate_presigned_url(
                "get_object", Params={"Bucket": b, "Key": key}, ExpiresIn=600
            )
        try:
            with_rule = Viewer(browser, size=(640, 360))
            with_rule.open(f"{base}/player/s3-cors")
            with_rule.playing_past(3)
            assert with_rule.state()["playback"] == "hls.js"
            assert any(u.startswith(seaweedfs.endpoint_url) for u in with_rule.requests)
            assert with_rule.refused == []
            with_rule.close()
            # Without it the browser keeps the bytes from hls.js: the page falls back to the
            # MP4 source (a plain <video> load needs no CORS) at once, not after hls.js's
            # half a minute of retries (measured: 32 s before the page gave up on them).
            without = Viewer(browser, size=(640, 360))
            without.open(f"{base}/player/s3-plain")
            without.page.wait_for_function(
                "() => document.getElementById('media').dataset.playback === 'progressive'",
                timeout=10000,
            )
            without.playing_past(1)
            without.close()
        finally:
            for client in clients.values():
                client.close()
