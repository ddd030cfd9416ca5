"""What thumbnail drawing costs the server, as a user or an operator sees it: whatever size is
asked, a media object gets at most a dozen drawings (and a placeholder kind four); never more
drawings run at once than MEDIAOBJECTS_PICTURE_WORKERS, one drawing serves every request for
the same picture, a request finding every slot busy gets 429 server_busy with Retry-After, and
a caller drawing too much gets 429 too_many_requests, while stored thumbnails are always
served. Bad sizes are 400 in the Canvas envelope.

Drawing is held by a transcoder passed through build_context (the real ffmpeg one, with its
drawings counted and held until the test lets them go)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from mediaobjects.context import AppContext, build_context, build_limiter
from mediaobjects.media_objects.sizes import PLACEHOLDER_SIZES, THUMBNAIL_SIZES
from mediaobjects.settings import Settings
from mediaobjects.storage.local import LocalStorage
from mediaobjects.transcoding import FFmpegTranscoder
from mediaobjects.verifiers import Route
from tests.support.api import Api, Person
from tests.support.clips import jpeg_size, make_audio, make_video
from tests.support.clock import Clock
from tests.support.world import World, build_world


class HeldTranscoder:
    """The real ffmpeg transcoder; its drawings (resize, placeholder) are counted, and wait
    while ``held`` until the test calls ``release``."""

    def __init__(self, real: FFmpegTranscoder) -> None:
        self.real = real
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self.active = 0
        self.most_at_once = 0
        self.drawn: list[tuple[Any, ...]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Drawings wait inside this block (and go on, even when the test failed, after it)."""
        self._open.clear()
        try:
            yield
        finally:
            self._open.set()

    def _draw(self, what: tuple[Any, ...], draw: Callable[[], Path]) -> Path:
        with self._lock:
            self.active += 1
            self.most_at_once = max(self.most_at_once, self.active)
            self.drawn.append(what)
        try:
            assert self._open.wait(timeout=120), "the test never released the drawing"
            return draw()
        finally:
            with self._lock:
                self.active -= 1

    def resize(self, image: Path, out: Path, *, width: int | None, height: int | None) -> Path:
        return self._draw(
            ("resize", width, height),
            lambda: self.real.resize(image, out, width=width, height=height),
        )

    def placeholder(self, kind: str, out: Path, *, width: int, height: int) -> Path:
        return self._draw(
            ("placeholder", kind, width, height),
            lambda: self.real.placeholder(kind, out, width=width, height=height),
        )


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("clips")
    return {
        "video": make_video(root / "small.mp4", seconds=1, size="160x120"),
        "audio": make_audio(root / "talk.mp3", seconds=1),
    }


@pytest.fixture
def limits() -> dict[str, Any]:
    """Settings of this test's server; tests parametrize it."""
    return {}


@pytest.fixture
def transcoder() -> HeldTranscoder:
    return HeldTranscoder(FFmpegTranscoder())


@pytest.fixture
def ctx(
    settings: Settings, limits: dict[str, Any], transcoder: HeldTranscoder
) -> Iterator[AppContext]:
    configured = settings.model_copy(update=limits)
    context = build_context(
        configured, storage=LocalStorage(configured.data_dir / "files"), transcoder=transcoder
    )
    yield context
    context.close()


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def media(world: World, clip: Path, content_type: str) -> str:
    file = world.api.upload(
        f"courses/{world.course}", world.teacher, clip.name, clip.read_bytes(), content_type
    )
    world.api.ctx.jobs.run_pending_now()
    return str(file["media_entry_id"])


def thumbnail(api: Api, media_id: str, query: str, who: Person | None) -> httpx.Response:
    return api.request("GET", f"/media_objects/{media_id}/thumbnail?{query}", who)


def eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.01)


def in_background(calls: list[Callable[[], httpx.Response]]) -> list[Future[httpx.Response]]:
    pool = ThreadPoolExecutor(max_workers=len(calls))
    futures = [pool.submit(call) for call in calls]
    pool.shutdown(wait=False)
    return futures


# ---- bounded sizes ---------------------------------------------------------------------------


def test_any_size_asked_costs_at_most_a_dozen_drawings(
    world: World, clips: dict[str, Path], transcoder: HeldTranscoder
) -> None:
    api = world.api
    media_id = media(world, clips["video"], "video/mp4")
    asks = [f"width={w}" for w in range(1, 2001, 13)]
    asks += [f"height={h}" for h in range(1, 2001, 17)]
    asks += [f"width={w}&height={h}" for w in range(1, 2001, 151) for h in range(1, 2001, 233)]
    asks += ["width=550&height=448", "width=320&height=240", "height=120"]
    for ask in asks:
        picture = thumbnail(api, media_id, ask, world.student)
        assert picture.status_code == 200, (ask, picture.text)
    resized = [call for call in transcoder.drawn if call[0] == "resize"]
    assert len(asks) > 400
    assert len(resized) == len(set(resized)) <= len(THUMBNAIL_SIZES)


@pytest.mark.parametrize(
    ("query", "served", "pixels"),
    [
        # The clip is 160x120; the browser scales what it gets to the box it asked.
        ("width=550&height=448", "640x640", (640, 480)),
        ("width=320&height=240", "320x320", (320, 240)),
        ("height=100", "0x120", (160, 120)),
        ("width=2000", "1280x0", (1280, 960)),
    ],
)
def test_the_response_says_which_standard_size_it_holds(
    world: World, clips: dict[str, Path], query: str, served: str, pixels: tuple[int, int]
) -> None:
    media_id = media(world, clips["video"], "video/mp4")
    picture = thumbnail(world.api, media_id, query, world.student)
    assert picture.status_code == 200
    assert picture.headers["x-thumbnail-size"] == served
    assert jpeg_size(picture.content) == pixels


def test_placeholders_are_a_few_sizes_per_kind(
    world: World, clips: dict[str, Path], transcoder: HeldTranscoder
) -> None:
    api = world.api
    audio_id = media(world, clips["audio"], "audio/mpeg")
    for ask in [f"width={w}" for w in range(1, 2001, 23)] + [f"height={h}" for h in (1, 500)]:
        picture = thumbnail(api, audio_id, ask, world.student)
        assert picture.status_code == 200 and picture.content[:2] == b"\xff\xd8"
        assert picture.headers["x-thumbnail-size"] in {str(s) for s in PLACEHOLDER_SIZES}
    drawn = [call for call in transcoder.drawn if call[0] == "placeholder"]
    assert {call[1] for call in drawn} == {"audio"}
    assert len(drawn) == len(set(drawn)) <= len(PLACEHOLDER_SIZES)


@pytest.mark.parametrize("value", ["0", "2001", "-3", "abc", "", "1e3", "9" * 5000])
@pytest.mark.parametrize("side", ["width", "height"])
def test_sizes_out_of_range_are_400_in_the_canvas_envelope(
    world: World, side: str, value: str
) -> None:
    for url in (
        f"/media_objects/{world.media_id}/thumbnail",
        f"/media_attachments/{world.attachment_id}/thumbnail",
    ):
        response = world.api.request("GET", url, world.student, params={side: value})
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["field"] == side
        assert response.json()["errors"][0]["error_code"] == "invalid"


# ---- the drawing pool ------------------------------------------------------------------------


@pytest.mark.parametrize("limits", [{"picture_workers": 2, "picture_wait_seconds": 60}])
def test_never_more_drawings_at_once_than_the_setting(
    world: World, clips: dict[str, Path], transcoder: HeldTranscoder
) -> None:
    api = world.api
    media_id = media(world, clips["video"], "video/mp4")
    asks = [f"width={w}" for w in (1, 200, 400, 800)] + [f"height={h}" for h in (1, 200, 400)]
    asks.append("width=10&height=10")
    with transcoder.held():
        futures = in_background(
            [lambda ask=ask: thumbnail(api, media_id, ask, world.student) for ask in asks]
        )
        # Every request is in: two drawing, the other six waiting for a slot.
        eventually(lambda: api.ctx.drawing.waiting + api.ctx.drawing.drawing == 8, "all in")
        eventually(lambda: transcoder.active == 2, "two drawings")
        assert api.ctx.drawing.waiting == 6 and transcoder.most_at_once == 2
    answers = [future.result(timeout=120) for future in futures]
    assert [a.status_code for a in answers] == [200] * 8
    assert transcoder.most_at_once == 2
    assert len(transcoder.drawn) == 8


@pytest.mark.parametrize("limits", [{"picture_workers": 2, "picture_wait_seconds": 60}])
def test_a_picture_asked_by_many_at_once_is_drawn_once(
    world: World, clips: dict[str, Path], transcoder: HeldTranscoder
) -> None:
    api = world.api
    media_id = media(world, clips["video"], "video/mp4")
    # Different asks, one standard size (320 wide).
    asks = ["width=300", "width=320", "width=200", "width=121", "width=250", "width=319"]
    with transcoder.held():
        futures = in_background(
            [lambda ask=ask: thumbnail(api, media_id, ask, world.student) for ask in asks]
        )
        eventually(lambda: api.ctx.drawing.waiting + api.ctx.drawing.drawing == 6, "all in")
        eventually(lambda: transcoder.active == 1, "one drawing")
    answers = [future.result(timeout=120) for future in futures]
    assert [a.status_code for a in answers] == [200] * 6
    assert len({a.headers["etag"] for a in answers}) == 1
    assert transcoder.drawn == [("resize", 320, None)]


@pytest.mark.parametrize("limits", [{"picture_workers": 1, "picture_wait_seconds": 0.2}])
def test_busy_slots_answer_429_server_busy_and_stored_pictures_still_come(
    world: World, clips: dict[str, Path], transcoder: HeldTranscoder
) -> None:
    api = world.api
    media_id = media(world, clips["video"], "video/mp4")
    assert thumbnail(api, media_id, "width=100", world.student).status_code == 200  # stored

    with transcoder.held():
        (slow,) = in_background([lambda: thumbnail(api, media_id, "width=300", world.teacher)])
        eventually(lambda: transcoder.active == 1, "the only slot taken")
        for ask in ("width=600", "width=300"):  # another picture; the same one, being drawn
            busy = thumbnail(api, media_id, ask, world.student)
            assert busy.status_code == 429
            assert busy.headers["retry-after"] == "1"
            assert busy.json() == {
                "errors": [
                    {
                        "message": "The server is busy drawing other pictures; try again shortly.",
                        "error_code": "server_busy",
                    }
                ]
            }
        # Stored thumbnails never wait for a drawing slot, nor do posters.
        assert thumbnail(api, media_id, "width=50", world.student).status_code == 200
        poster = api.request("GET", f"/media_objects/{media_id}/thumbnail", world.student)
        assert poster.status_code == 200
    assert slow.result(timeout=120).status_code == 200
    assert thumbnail(api, media_id, "width=600", world.student).status_code == 200
    assert transcoder.most_at_once == 1


# ---- rate limits -----------------------------------------------------------------------------


@pytest.fixture
def clock(ctx: AppContext) -> Clock:
    """Two new drawings per caller at once, then one a minute, on a clock the test moves."""
    clock = Clock()
    ctx.limiter = build_limiter(
        Settings(rate_limit_picture_per_minute=1, rate_limit_picture_burst=2), clock
    )
    return clock


def test_a_caller_drawing_too_much_gets_429_and_stored_pictures_still_come(
    world: World, clips: dict[str, Path], clock: Clock
) -> None:
    api = world.api
    media_id = media(world, clips["video"], "video/mp4")
    assert thumbnail(api, media_id, "width=100", world.student).status_code == 200
    assert thumbnail(api, media_id, "height=100", world.student).status_code == 200
    refused = thumbnail(api, media_id, "width=300", world.student)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    body = refused.json()
    assert body["errors"][0]["error_code"] == "too_many_requests"
    assert "60 s" in body["errors"][0]["message"]
    # What is stored is served without limit, at any size it serves.
    for ask in ("width=100", "width=20", "height=50") * 10:
        assert thumbnail(api, media_id, ask, world.student).status_code == 200
    # Another user is another caller.
    assert thumbnail(api, media_id, "width=300", world.teacher).status_code == 200
    assert thumbnail(api, media_id, "width=300", world.student).status_code == 200  # now stored
    assert thumbnail(api, media_id, "width=600", world.student).status_code == 429
    clock.now += 60
    assert thumbnail(api, media_id, "width=600", world.student).status_code == 200


def test_callers_without_a_token_are_counted_by_address(
    world: World, clips: dict[str, Path], clock: Clock
) -> None:
    api = world.api
    media_id = media(world, clips["video"], "video/mp4")
    expires = datetime.now(UTC) + timedelta(hours=1)
    signed = f"verifier={api.ctx.verifiers.thumbnail(Route.media(media_id), expires)}"
    assert thumbnail(api, media_id, f"width=100&{signed}", None).status_code == 200
    assert thumbnail(api, media_id, f"height=100&{signed}", None).status_code == 200
    refused = thumbnail(api, media_id, f"width=300&{signed}", None)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert thumbnail(api, media_id, f"width=100&{signed}", None).status_code == 200  # stored
    # A signed-in user at the same address has a bucket of their own.
    assert thumbnail(api, media_id, "width=300", world.student).status_code == 200


@pytest.mark.parametrize(
    "limits",
    [
        {
            "rate_limit_picture_burst": 1,
            "rate_limit_picture_per_minute": 0.01,
            "picture_wait_seconds": 60,
        }
    ],
)
def test_a_class_opening_one_video_at_once_is_never_limited(
    world: World, clips: dict[str, Path], transcoder: HeldTranscoder
) -> None:
    """Thirty browsers behind one address (a campus NAT) load the player page's poster at
    once, with the tightest limit there is: one drawing, and everyone gets the picture."""
    api = world.api
    media_id = media(world, clips["video"], "video/mp4")
    expires = datetime.now(UTC) + timedelta(hours=1)
    poster = f"width=640&height=360&verifier={api.ctx.verifiers.thumbnail(Route.media(media_id), expires)}"
    with transcoder.held():
        futures = in_background([lambda: thumbnail(api, media_id, poster, None)] * 30)
        eventually(lambda: api.ctx.drawing.waiting + api.ctx.drawing.drawing == 30, "all in")
    answers = [future.result(timeout=120) for future in futures]
    assert [a.status_code for a in answers] == [200] * 30
    assert transcoder.drawn == [("resize", 640, 640)]
    # Later visitors are served from storage, limit or not.
    for _ in range(20):
        assert thumbnail(api, media_id, poster, None).status_code == 200
