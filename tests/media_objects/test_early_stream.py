"""The early stream: while the ladder runs on an upload browsers cannot play (HEVC here), its
lowest rung grows as an HLS EVENT playlist that a player without credentials follows with the
signed ``hls_url``; every piece it names plays. When the renditions are published ``hls_url``
names the master playlist, the live playlist ends with the same pieces (a player on it plays
them to the end), and the pieces go after their grace period, or with the media. A browser-safe upload (listed as
uploaded at once) gets no early stream.

The ladder's sink is held after the second segment (``HeldStream``), while ffmpeg goes on, so
the test sees the stream while it is growing."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from mediaobjects.context import AppContext, build_context
from mediaobjects.media_objects.live import delete_retired_streams
from mediaobjects.media_objects.models import MediaLiveSegment, MediaObject
from mediaobjects.media_objects.pipeline import live_key
from mediaobjects.media_objects.processing import release_media
from mediaobjects.settings import Settings
from mediaobjects.storage.local import LocalStorage
from mediaobjects.storage.s3 import S3Storage
from mediaobjects.transcoding import FFmpegTranscoder, LiveSegment, LiveSink, parse_ladder
from mediaobjects.verifiers import Route
from tests.media_objects.test_original import H264, HEVC, make
from tests.support.api import Api
from tests.support.hls import Playlist, attributes, parse
from tests.support.seaweed import SeaweedFS
from tests.support.world import World, build_world
from tests.transcoding.test_live import probe_stream

DEADLINE = 120.0
SECONDS = 20
MPEGURL = "application/vnd.apple.mpegurl"


class HeldStream:
    """The real ffmpeg transcoder, whose early stream stops (ffmpeg does not) once the segment
    ``hold_after`` is published, until the test opens the gate."""

    def __init__(self, real: FFmpegTranscoder) -> None:
        self.real = real
        self.hold_after = 1
        self.held = threading.Event()
        self.gate = threading.Event()
        self.sinks: list[LiveSink | None] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def transcode(self, *args: Any, live: LiveSink | None = None, **kwargs: Any) -> Any:
        self.sinks.append(live)
        if live is None:
            return self.real.transcode(*args, **kwargs)
        publish: LiveSink = live

        def held(segment: LiveSegment) -> None:
            publish(segment)
            if segment.sequence == self.hold_after:
                self.held.set()
                assert self.gate.wait(DEADLINE), "the test never let the stream go on"

        return self.real.transcode(*args, live=held, **kwargs)


@pytest.fixture
def transcoder() -> HeldStream:
    # Two rungs: the stream is the lowest one's.
    return HeldStream(FFmpegTranscoder(ladder=parse_ladder("video:120,240;audio:m4a")))


@pytest.fixture(params=["local", "s3"])
def ctx(
    request: pytest.FixtureRequest, settings: Settings, transcoder: HeldStream
) -> Iterator[AppContext]:
    """On local disk, and on S3 (SeaweedFS), where each piece is an object of its own that the
    bucket serves (a redirect to a presigned URL) as soon as it is written."""
    if request.param == "local":
        context = build_context(
            settings, storage=LocalStorage(settings.data_dir / "files"), transcoder=transcoder
        )
    else:
        seaweedfs: SeaweedFS = request.getfixturevalue("seaweedfs")
        on_s3 = settings.model_copy(
            update={
                "storage_backend": "s3",
                "s3_bucket": "mediaobjects-early",
                "s3_endpoint_url": seaweedfs.endpoint_url,
                "s3_region": seaweedfs.region,
                "s3_access_key_id": seaweedfs.access_key_id,
                "s3_secret_access_key": SecretStr(seaweedfs.secret_access_key),
                "s3_prefix": f"t-{uuid.uuid4().hex}",
            }
        )
        context = build_context(on_s3, transcoder=transcoder)
        assert isinstance(context.storage, S3Storage)
        context.storage.ensure_bucket()
    yield context
    context.close()


def fetch(api: Api, url: str) -> httpx2.Response:
    """A piece as a player gets it: from the service, or from the bucket it redirects to."""
    response = api.client.get(url, follow_redirects=False)
    if response.status_code == 302:
        response = httpx2.get(response.headers["location"], timeout=10)
    return response


def stored_pieces(api: Api, media_id: str) -> list[str]:
    """The pieces of the stream still in storage (local files or bucket objects)."""
    names = ["init.mp4"] + [f"{n}.m4s" for n in range(8)]
    return [name for name in names if api.ctx.storage.exists(live_key(media_id, name))]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("uploads")
    return {
        "hevc": make(d / "phone.mp4", *HEVC, seconds=SECONDS, size="320x240"),
        "h264": make(d / "lecture.mp4", *H264, seconds=4, size="320x240"),
    }


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


@pytest.fixture
def worker(api: Api, transcoder: HeldStream) -> Iterator[threading.Thread]:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            api.ctx.jobs.run_pending_now()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=work, name="worker")
    yield thread
    transcoder.gate.set()
    if thread.ident is not None:
        thread.join(timeout=DEADLINE)
    assert not thread.is_alive() and errors == []


def upload(world: World, path: Path) -> str:
    file = world.api.upload(
        f"courses/{world.course}", world.teacher, path.name, path.read_bytes(), "video/mp4"
    )
    world.file = file
    return str(file["media_entry_id"])


def info(world: World, media_id: str) -> dict[str, Any]:
    return dict(world.api.ok("GET", f"/media_objects/{media_id}/info", world.teacher))


def playlist(api: Api, url: str) -> Playlist:
    response = api.client.get(url)  # as a player: no credentials, the verifier in the URL
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MPEGURL
    assert "no-store" in response.headers["cache-control"]
    return parse(response.text)


def live_rows(api: Api, media_id: str) -> list[MediaLiveSegment]:
    with api.ctx.pipeline.reader() as session:
        stmt = (
            select(MediaLiveSegment)
            .join(MediaObject, MediaObject.id == MediaLiveSegment.media_object_id)
            .where(MediaObject.media_id == media_id)
        )
        return list(session.scalars(stmt))


def test_an_hevc_upload_streams_while_its_ladder_runs_and_hands_over_to_the_renditions(
    world: World,
    clips: dict[str, Path],
    transcoder: HeldStream,
    worker: threading.Thread,
    tmp_path: Path,
) -> None:
    api = world.api
    media_id = upload(world, clips["hevc"])
    worker.start()
    assert transcoder.held.wait(DEADLINE), "no segment was published"
    body = info(world, media_id)
    assert body["processing_state"] == "processing"
    assert body["media_sources"] == [] and body["original_playable"] is False
    live_url = body["hls_url"]
    assert live_url.startswith(f"http://testserver/media_objects/{media_id}/hls/live.m3u8?")
    # The player page streams it.
    page = api.client.get(body["embedded_iframe_url"])
    assert f'data-hls-url="{live_url.replace("&", "&amp;")}"' in page.text

    # A growing EVENT playlist, from its start, of the two segments published so far.
    growing = playlist(api, live_url)
    assert growing.tag("EXT-X-PLAYLIST-TYPE") == ["EVENT"] and growing.tag("EXT-X-ENDLIST") == []
    assert growing.tag("EXT-X-START") == ["TIME-OFFSET=0"]
    assert growing.tag("EXT-X-TARGETDURATION") == ["6"]
    assert [float(e.tags["EXTINF"].rstrip(",")) for e in growing.entries] == [6.0, 6.0]
    init_url = attributes(growing.tag("EXT-X-MAP")[0])["URI"]
    pieces = [fetch(api, init_url)] + [fetch(api, e.uri) for e in growing.entries]
    assert [p.status_code for p in pieces] == [200, 200, 200]
    assert all(p.headers["content-type"] == "video/mp4" for p in pieces)
    # What a player assembles plays: 12 s of the 120p rung, H.264 and AAC.
    assembled = tmp_path / "assembled.mp4"
    assembled.write_bytes(b"".join(p.content for p in pieces))
    probed = probe_stream(assembled)
    assert probed["height"] == 120 and probed["codecs"] == {"h264", "aac"}
    assert probed["duration"] == pytest.approx(12, abs=0.2)

    # Its verifier opens this route's stream only; nobody reads it without one.
    unsigned = init_url.split("?")[0]
    assert api.client.get(unsigned).status_code == 401
    assert api.client.get(unsigned + "?verifier=forged").status_code == 401
    assert api.request("GET", unsigned, world.outsider).status_code == 403
    as_student = api.request("GET", unsigned, world.student, follow_redirects=False)
    assert as_student.status_code == (302 if isinstance(api.ctx.storage, S3Storage) else 200)
    other = build_world(api)
    signed = init_url.split("?")[1]
    elsewhere = f"/media_objects/{other.media_id}/hls/live/init.mp4?{signed}"
    assert api.client.get(elsewhere).status_code == 401
    expired = api.ctx.verifiers.stream(Route.media(media_id), datetime.now(UTC) - timedelta(1))
    assert api.client.get(f"{unsigned}?verifier={expired}").status_code == 401
    # Pieces not written (yet), or not pieces at all: 404.
    base = unsigned.removesuffix("init.mp4")
    for name in ("7.m4s", "00.m4s", "-1.m4s", "1.mp4", "..%2Fmaster.m3u8", "9" * 5000 + ".m4s"):
        assert api.client.get(f"{base}{name}?{signed}").status_code == 404, name

    # The ladder finishes: new players get the renditions; one still on the live playlist
    # finds the same segments under the same URIs, now ended (hls.js stops on a reload that
    # renames a segment), and plays them to the end.
    transcoder.gate.set()
    worker.join(timeout=DEADLINE)
    body = info(world, media_id)
    assert body["processing_state"] == "ready"
    assert body["hls_url"].split("?")[0].endswith(f"/media_objects/{media_id}/hls/master.m3u8")
    finished = playlist(api, live_url)
    assert finished.tag("EXT-X-PLAYLIST-TYPE") == ["VOD"] and finished.tag("EXT-X-ENDLIST")
    assert [float(e.tags["EXTINF"].rstrip(",")) for e in finished.entries] == [6, 6, 6, 2]
    uris = [e.uri.split("?")[0] for e in finished.entries]
    assert uris[:2] == [e.uri.split("?")[0] for e in growing.entries]
    assert uris[2:] == [f"{base}2.m4s", f"{base}3.m4s"]
    rows = live_rows(api, media_id)
    assert len(rows) == 1 + 4 and all(row.retired_at is not None for row in rows)
    assert [fetch(api, e.uri).status_code for e in finished.entries] == [200] * 4
    # Kept while a player may still read them (twice the signed-URL lifetime), then deleted.
    assert delete_retired_streams(api.ctx.pipeline) == 0
    assert delete_retired_streams(api.ctx.pipeline, older_than=0) == 1
    assert live_rows(api, media_id) == []
    assert fetch(api, init_url).status_code == 404
    assert stored_pieces(api, media_id) == []
    # No player can hold its URLs any more; a late request for it gets the lowest rendition.
    late = playlist(api, live_url)
    assert late.tag("EXT-X-ENDLIST") and "/media_sources/" in late.tag("EXT-X-MAP")[0]
    assert transcoder.sinks[0] is not None


def test_a_deleted_file_takes_its_early_stream_along(
    world: World, clips: dict[str, Path], transcoder: HeldStream, worker: threading.Thread
) -> None:
    api = world.api
    media_id = upload(world, clips["hevc"])
    worker.start()
    assert transcoder.held.wait(DEADLINE)
    transcoder.gate.set()
    worker.join(timeout=DEADLINE)
    assert len(live_rows(api, media_id)) == 5
    assert len(stored_pieces(api, media_id)) == 5
    api.ok("DELETE", f"/api/v1/files/{world.file['id']}", world.teacher)
    assert release_media(api.ctx.pipeline, media_id) == "released"
    assert live_rows(api, media_id) == []
    assert stored_pieces(api, media_id) == []


def test_a_browser_safe_upload_needs_no_early_stream(
    world: World, clips: dict[str, Path], transcoder: HeldStream
) -> None:
    api = world.api
    media_id = upload(world, clips["h264"])
    api.ctx.jobs.run_pending_now()
    assert transcoder.sinks == [None]
    assert live_rows(api, media_id) == []
    assert info(world, media_id)["processing_state"] == "ready"
