"""Playable at once: a browser-safe upload is listed as the "original" source (rewritten with its
index first, so it starts and seeks at once) before the ladder has made a single rendition, and
the renditions join it later; an upload browsers cannot play is never listed, and the media info
says why. A retry after a crash lists the original once; deleting the last file removes the
rewritten copy.

The ladder is held by a transcoder passed through build_context (the real ffmpeg one, whose
``transcode`` waits until the test lets it go, or fails as a dying worker would)."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mediaobjects.context import AppContext, build_context
from mediaobjects.jobs import JobContext
from mediaobjects.media_objects.models import MediaObject, MediaSource
from mediaobjects.media_objects.tasks import reprocess
from mediaobjects.settings import Settings
from mediaobjects.storage.local import LocalStorage
from mediaobjects.transcoding import FFmpegTranscoder, TranscodeFailed, parse_ladder
from tests.support.api import Api
from tests.support.clips import ffmpeg
from tests.support.world import World, build_world
from tests.transcoding.test_remux import top_level_boxes

DEADLINE = 120.0


class WorkerDied(Exception):
    """What a try sees when its worker is killed: the job runner retries it."""


class GatedTranscoder:
    """The real ffmpeg transcoder. ``transcode`` (the ladder) waits while the gate is shut and
    says when it has started; with ``crash_once`` its first call fails as a dying worker
    would. Remuxes are counted."""

    def __init__(self, real: FFmpegTranscoder) -> None:
        self.real = real
        self.gate = threading.Event()
        self.gate.set()
        self.ladder_started = threading.Event()
        self.crash_once = False
        self.ladder_fails = False
        self.remuxes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def remux(self, *args: Any, **kwargs: Any) -> Any:
        self.remuxes += 1
        return self.real.remux(*args, **kwargs)

    def transcode(self, *args: Any, **kwargs: Any) -> Any:
        self.ladder_started.set()
        if self.crash_once:
            self.crash_once = False
            raise WorkerDied("the worker was killed in the middle of the ladder")
        if self.ladder_fails:
            raise TranscodeFailed("ffmpeg exited with status 1: Conversion failed!")
        assert self.gate.wait(timeout=DEADLINE), "the test never let the ladder go"
        return self.real.transcode(*args, **kwargs)


@pytest.fixture
def transcoder() -> GatedTranscoder:
    # One small rung keeps the ladder short: the test is about what comes before it.
    return GatedTranscoder(FFmpegTranscoder(ladder=parse_ladder("video:144;audio:m4a")))


@pytest.fixture
def ctx(settings: Settings, transcoder: GatedTranscoder) -> Iterator[AppContext]:
    context = build_context(
        settings, storage=LocalStorage(settings.data_dir / "files"), transcoder=transcoder
    )
    yield context
    context.close()


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def make(path: Path, *args: str, seconds: float = 1, size: str = "160x120", rate: int = 25) -> Path:
    """A clip of a test picture and a tone, encoded with ``args`` (moov at the end, as cameras
    and ffmpeg write it)."""
    subprocess.run(
        [ffmpeg(), "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=duration={seconds}:size={size}:rate={rate}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
         *args, "-shortest", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path


H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
HEVC = ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
        "-pix_fmt", "yuv420p", "-tag:v", "hvc1", "-c:a", "aac"]  # fmt: skip


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("uploads")
    return {
        # A 60 s 1080p camera-like recording (index at the end), kept under 10 MB.
        "lecture": make(
            d / "lecture.mp4",
            *H264,
            "-b:v",
            "600k",
            "-g",
            "20",
            "-b:a",
            "64k",
            seconds=60,
            size="1920x1080",
            rate=10,
        ),  # fmt: skip
        "small": make(d / "small.mp4", *H264),
        "hevc": make(d / "phone.mp4", *HEVC),
        "mkv": make(d / "screen.mkv", *H264),
    }


def upload(world: World, path: Path, content_type: str) -> str:
    file = world.api.upload(
        f"courses/{world.course}", world.teacher, path.name, path.read_bytes(), content_type
    )
    return str(file["media_entry_id"])


def info(world: World, media_id: str) -> dict[str, Any]:
    return dict(world.api.ok("GET", f"/media_objects/{media_id}/info", world.teacher))


@pytest.fixture
def jobs_in_background(api: Api) -> Iterator[threading.Thread]:
    """Runs the queued jobs in a thread of their own, as a worker would, while the test asks
    the API what a player sees; joined (the ladder let go) when the test ends."""
    errors: list[BaseException] = []

    def work() -> None:
        try:
            api.ctx.jobs.run_pending_now()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    thread = threading.Thread(target=work, name="worker")
    yield thread
    transcoder = api.ctx.transcoder
    assert isinstance(transcoder, GatedTranscoder)
    transcoder.gate.set()
    if thread.is_alive() or thread.ident is not None:
        thread.join(timeout=DEADLINE)
    assert not thread.is_alive() and errors == []


def path_of(url: str) -> str:
    return url.split("?")[0]


def test_a_browser_safe_lecture_plays_before_its_renditions_exist(
    world: World,
    clips: dict[str, Path],
    transcoder: GatedTranscoder,
    jobs_in_background: threading.Thread,
    tmp_path: Path,
) -> None:
    api = world.api
    media_id = upload(world, clips["lecture"], "video/mp4")
    transcoder.gate.clear()
    jobs_in_background.start()
    assert transcoder.ladder_started.wait(DEADLINE), "the ladder never started"
    # The ladder has not written a single rendition; the original is listed already.
    body = info(world, media_id)
    assert body["processing_state"] == "processing"
    assert body["original_playable"] is True and body["original_problems"] == []
    assert body["duration"] == pytest.approx(60, abs=0.5)
    (original,) = body["media_sources"]
    assert original["isOriginal"] == "1"
    assert (original["content_type"], original["fileExt"]) == ("video/mp4", "mp4")
    assert (original["width"], original["height"]) == ("1920", "1080")
    # A browser seeks with Range; the index comes first, so it can start at once.
    head = api.client.get(original["url"], headers={"Range": "bytes=0-1023"})
    whole = api.client.get(original["url"])
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    assert head.status_code == 206 and head.content == whole.content[:1024]
    assert head.headers["content-range"] == f"bytes 0-1023/{len(whole.content)}"
    fetched = tmp_path / "fetched.mp4"
    fetched.write_bytes(whole.content)
    boxes = top_level_boxes(fetched)
    assert boxes.index("moov") < boxes.index("mdat")
    uploaded = top_level_boxes(clips["lecture"])
    assert uploaded.index("moov") > uploaded.index("mdat")
    # The player page plays it already.
    page = api.client.get(body["embedded_iframe_url"])
    assert "still being processed" not in page.text
    assert page.text.count("<source ") == 1 and path_of(original["url"]) in page.text

    transcoder.gate.set()
    jobs_in_background.join(timeout=DEADLINE)
    body = info(world, media_id)
    assert body["processing_state"] == "ready"
    # The rendition joins the list before the original (Kaltura's order); the original's URL
    # is the one a player may still be streaming.
    assert [(s["height"], s["isOriginal"]) for s in body["media_sources"]] == [
        ("144", "0"),
        ("1080", "1"),
    ]
    assert path_of(body["media_sources"][1]["url"]) == path_of(original["url"])


@pytest.mark.parametrize(
    ("clip", "content_type", "says"),
    [("hevc", "video/mp4", "HEVC (H.265) video plays as sound with a black picture"),
     ("mkv", "video/x-matroska", "Matroska (.mkv, .webm) files do not play in Safari")],
)  # fmt: skip
def test_an_upload_browsers_cannot_play_is_never_listed_and_the_info_says_why(
    world: World,
    clips: dict[str, Path],
    transcoder: GatedTranscoder,
    jobs_in_background: threading.Thread,
    clip: str,
    content_type: str,
    says: str,
) -> None:
    api = world.api
    media_id = upload(world, clips[clip], content_type)
    assert info(world, media_id)["original_playable"] is None  # not probed yet
    transcoder.gate.clear()
    jobs_in_background.start()
    assert transcoder.ladder_started.wait(DEADLINE), "the ladder never started"
    body = info(world, media_id)
    assert body["processing_state"] == "processing" and body["media_sources"] == []
    assert body["original_playable"] is False
    assert body["original_problems"][0].startswith(says)
    page = api.client.get(body["embedded_iframe_url"])
    assert "still being processed" in page.text
    transcoder.gate.set()
    jobs_in_background.join(timeout=DEADLINE)
    body = info(world, media_id)
    assert body["processing_state"] == "ready" and transcoder.remuxes == 0
    assert [s["isOriginal"] for s in body["media_sources"]] == ["0"]
    assert body["original_problems"][0].startswith(says)


def test_a_retry_after_the_worker_died_lists_the_original_once(
    world: World, clips: dict[str, Path], transcoder: GatedTranscoder
) -> None:
    api = world.api
    media_id = upload(world, clips["small"], "video/mp4")
    spec = api.ctx.jobs.spec("process_media")
    transcoder.crash_once = True
    first = JobContext("job-1", "process_media", 1, spec.tries, time.monotonic() + 60)
    with pytest.raises(WorkerDied):
        spec.fn(first, media_entry_id=media_id)
    body = info(world, media_id)
    assert body["processing_state"] == "processing"
    (original,) = body["media_sources"]
    served = api.client.get(original["url"])

    second = JobContext("job-1", "process_media", 2, spec.tries, time.monotonic() + 60)
    assert spec.fn(second, media_entry_id=media_id) == "ready"
    body = info(world, media_id)
    assert [s["isOriginal"] for s in body["media_sources"]] == ["0", "1"]
    # The very same source and bytes: the retry did not copy the file again.
    again = api.client.get(body["media_sources"][1]["url"])
    assert path_of(body["media_sources"][1]["url"]) == path_of(original["url"])
    assert again.headers["etag"] == served.headers["etag"] and again.content == served.content
    assert transcoder.remuxes == 1
    with api.ctx.read() as session:
        mo = session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()
        names = session.scalars(
            select(MediaSource.name).where(MediaSource.media_object_id == mo.id)
        ).all()
    assert sorted(names) == ["120p", "original"]


def test_when_the_ladder_fails_after_the_original_the_media_still_plays(
    world: World, clips: dict[str, Path], transcoder: GatedTranscoder
) -> None:
    api = world.api
    media_id = upload(world, clips["small"], "video/mp4")
    transcoder.ladder_fails = True
    api.ctx.jobs.run_pending_now()
    body = info(world, media_id)
    assert body["processing_state"] == "failed"
    assert body["processing_error"] == (
        "ffmpeg exited with status 1: Conversion failed! Meanwhile it plays as uploaded, at full "
        "size, without the smaller versions that suit slow connections."
    )
    (original,) = body["media_sources"]
    assert original["isOriginal"] == "1" and api.client.get(original["url"]).status_code == 200
    page = api.client.get(body["embedded_iframe_url"]).text
    assert "could not be processed" not in page and page.count("<source ") == 1
    # Once the ladder works again, reprocessing adds the renditions beside the same original.
    transcoder.ladder_fails = False
    assert reprocess(api.ctx.pipeline, api.ctx.enqueue, [media_id]) == [media_id]
    api.ctx.jobs.run_pending_now()
    body = info(world, media_id)
    assert body["processing_state"] == "ready" and body["processing_error"] is None
    assert [s["isOriginal"] for s in body["media_sources"]] == ["0", "1"]
    assert path_of(body["media_sources"][1]["url"]) == path_of(original["url"])
    assert transcoder.remuxes == 1


def test_deleting_the_last_file_removes_the_rewritten_original(
    world: World, clips: dict[str, Path]
) -> None:
    api = world.api
    media_id = upload(world, clips["small"], "video/mp4")
    api.ctx.jobs.run_pending_now()
    with api.ctx.read() as session:
        mo = session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()
        file_id = mo.attachment_id
        keys = session.scalars(
            select(MediaSource.storage_key).where(MediaSource.media_object_id == mo.id)
        ).all()
    assert len(keys) == 2 and all(api.ctx.storage.exists(k) for k in keys)
    assert api.request("DELETE", f"/api/v1/files/{file_id}", world.teacher).status_code == 200
    api.ctx.jobs.run_pending_now()
    assert not any(api.ctx.storage.exists(k) for k in keys)
