"""The media pipeline end to end through the HTTP API: an upload is probed and transcoded by
the job, its renditions appear as media_sources in Kaltura's shape and order and stream with
Range; bad media ends failed with a reason a teacher can read; deleting the last file removes
the renditions from storage, while a copied file keeps them."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mediaobjects.jobs import JobContext, JobTimeout
from mediaobjects.media_objects.models import MediaObject, MediaSource
from mediaobjects.media_objects.pictures import MAX_THUMBNAIL_SIZES
from mediaobjects.media_objects.tasks import reprocess
from mediaobjects.transcoding import ToolMissing
from tests.support.api import Api
from tests.support.clips import jpeg_size, make_audio, make_video
from tests.support.procs import is_gone
from tests.support.world import World, build_world

SRT = "1\n00:00:00,000 --> 00:00:01,500\nHello there\n"


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("clips")
    video = make_video(root / "clip.mp4", seconds=2, size="640x480")
    whole = video.read_bytes()
    truncated = root / "cut.mp4"
    truncated.write_bytes(whole[: len(whole) // 2])
    return {
        "video": video,
        "small": make_video(root / "small.mp4", seconds=1, size="160x120"),
        "silent": make_video(root / "silent.mp4", seconds=1, audio=False),
        "audio": make_audio(root / "talk.mp3", seconds=2),
        "truncated": truncated,
    }


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def upload(world: World, path: Path, content_type: str) -> dict[str, Any]:
    return world.api.upload(
        f"courses/{world.course}", world.teacher, path.name, path.read_bytes(), content_type
    )


def run_jobs(api: Api) -> int:
    return int(api.ctx.jobs.run_pending_now())


def info(world: World, media_id: str) -> dict[str, Any]:
    return dict(world.api.ok("GET", f"/media_objects/{media_id}/info", world.teacher))


def test_upload_is_transcoded_into_kaltura_shaped_sources(
    world: World, clips: dict[str, Path]
) -> None:
    api = world.api
    file = upload(world, clips["video"], "video/mp4")
    media_id = file["media_entry_id"]
    assert info(world, media_id)["processing_state"] == "pending"
    assert run_jobs(api) >= 1
    body = info(world, media_id)
    assert body["processing_state"] == "ready" and body["processing_error"] is None
    sources = body["media_sources"]
    # 640x480: the 360p rung only (never upscaled to 720p), then the original.
    assert [(s["height"], s["isOriginal"]) for s in sources] == [("360", "0"), ("480", "1")]
    for source in sources:
        for key in (
            "height",
            "width",
            "bitrate",
            "size",
            "isOriginal",
            "content_type",
            "containerFormat",
            "fileExt",
            "url",
            "src",
            "label",
        ):
            assert isinstance(source[key], str), key
        assert source["url"] == source["src"]
    converted = sources[0]
    assert converted["content_type"] == "video/mp4" and converted["fileExt"] == "mp4"
    assert int(converted["bitrate"]) > 0 and converted["label"].endswith("kbps")
    # The source URL streams without an Authorization header, with ranges.
    full = api.client.get(converted["url"])
    assert full.status_code == 200 and full.headers["content-type"] == "video/mp4"
    assert full.headers["accept-ranges"] == "bytes" and full.headers["etag"]
    part = api.client.get(converted["url"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == full.content[:100]
    assert full.content[4:8] == b"ftyp"
    assert api.client.get(converted["url"].split("?")[0]).status_code == 401


def test_redirect_and_thumbnails(world: World, clips: dict[str, Path]) -> None:
    api = world.api
    media_id = upload(world, clips["video"], "video/mp4")["media_entry_id"]
    run_jobs(api)
    sources = info(world, media_id)["media_sources"]
    lowest = min(sources, key=lambda s: int(s["bitrate"] or 0))
    r = api.request(
        "GET", f"/media_objects/{media_id}/redirect", world.student, follow_redirects=False
    )
    assert r.status_code == 302
    assert r.headers["location"].split("?")[0] == lowest["url"].split("?")[0]
    exact = api.request(
        "GET",
        f"/media_objects/{media_id}/redirect?bitrate={sources[0]['bitrate']}",
        world.student,
        follow_redirects=False,
    )
    assert exact.headers["location"].split("?")[0] == sources[0]["url"].split("?")[0]
    assert (
        api.request("GET", f"/media_objects/{media_id}/redirect", world.outsider).status_code == 403
    )
    poster = api.request("GET", f"/media_objects/{media_id}/thumbnail", world.student)
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/jpeg"
    assert poster.content[:2] == b"\xff\xd8"
    small = api.request(
        "GET", f"/media_objects/{media_id}/thumbnail?width=64&height=48", world.student
    )
    assert small.status_code == 200 and small.content[:2] == b"\xff\xd8"
    assert len(small.content) < len(poster.content)
    # The smallest standard size covering 64x48; the browser scales it down.
    assert small.headers["x-thumbnail-size"] == "120x120"
    assert jpeg_size(small.content) == (120, 90)
    again = api.request(
        "GET", f"/media_objects/{media_id}/thumbnail?width=64&height=48", world.student
    )
    assert again.headers["etag"] == small.headers["etag"]
    too_big = api.request("GET", f"/media_objects/{media_id}/thumbnail?width=5000", world.student)
    assert too_big.status_code == 400


def test_media_json_carries_duration_and_thumbnail_once_processed(
    world: World, clips: dict[str, Path]
) -> None:
    api = world.api
    video = upload(world, clips["video"], "video/mp4")
    audio = upload(world, clips["audio"], "audio/mpeg")
    before = info(world, video["media_entry_id"])
    assert before["duration"] is None and before["thumbnail_url"] is None
    run_jobs(api)
    body = info(world, video["media_entry_id"])
    assert body["duration"] == pytest.approx(2, abs=0.2)
    # A signed URL: the picture opens without an Authorization header, at any size asked.
    picture = api.client.get(body["thumbnail_url"])
    assert picture.status_code == 200 and picture.content[:2] == b"\xff\xd8"
    smaller = api.client.get(
        body["thumbnail_url"].replace("width=640&height=360", "width=320&height=180")
    )
    assert smaller.status_code == 200 and len(smaller.content) < len(picture.content)
    # The list answers the same; through the attachment, the attachment's own route.
    listed = api.ok("GET", f"/api/v1/courses/{world.course}/media_objects", world.student)
    mine = next(m for m in listed if m["media_id"] == video["media_entry_id"])
    assert mine["duration"] == body["duration"] and mine["thumbnail_url"]
    through = api.ok("GET", f"/media_attachments/{video['id']}/info", world.teacher)
    assert f"/media_attachments/{video['id']}/thumbnail?" in through["thumbnail_url"]
    # Audio has a length but no picture of its own.
    sound = info(world, audio["media_entry_id"])
    assert sound["duration"] == pytest.approx(2, abs=0.2) and sound["thumbnail_url"] is None


def test_audio_gets_m4a_and_mp3(world: World, clips: dict[str, Path]) -> None:
    media_id = upload(world, clips["audio"], "audio/mpeg")["media_entry_id"]
    run_jobs(world.api)
    body = info(world, media_id)
    assert body["processing_state"] == "ready"
    assert body["media_type"] == "audio"
    kinds = [(s["fileExt"], s["isOriginal"]) for s in body["media_sources"]]
    assert ("m4a", "0") in kinds and ("mp3", "0") in kinds and kinds[-1][1] == "1"
    # No picture in an audio file: a placeholder image (as Kaltura serves), not a 404.
    picture = world.api.request("GET", f"/media_objects/{media_id}/thumbnail", world.teacher)
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/jpeg"
    assert jpeg_size(picture.content) == (640, 360)


def test_media_without_a_picture_yet_gets_a_placeholder_then_its_poster(
    world: World, clips: dict[str, Path]
) -> None:
    api = world.api
    media_id = upload(world, clips["small"], "video/mp4")["media_entry_id"]
    url = f"/media_objects/{media_id}/thumbnail?width=96"
    waiting = api.request("GET", url, world.student)
    assert waiting.status_code == 200 and waiting.headers["content-type"] == "image/jpeg"
    assert waiting.headers["cache-control"] == "no-cache"  # the real picture is coming
    # The smallest standard placeholder at least 96 wide (16:9); the browser scales it.
    assert jpeg_size(waiting.content) == (120, 68)
    assert waiting.headers["x-thumbnail-size"] == "120x68"
    again = api.request(
        "GET", url, world.student, headers={"If-None-Match": waiting.headers["etag"]}
    )
    assert again.status_code == 304

    run_jobs(api)
    poster = api.request("GET", url, world.student)
    assert poster.status_code == 200 and poster.content != waiting.content
    # The 160x120 clip's own picture at the standard width covering 96.
    assert jpeg_size(poster.content) == (120, 90)
    assert poster.headers["x-thumbnail-size"] == "120x0"

    bad = upload(world, clips["truncated"], "video/mp4")["media_entry_id"]
    run_jobs(api)
    failed = api.request("GET", f"/media_objects/{bad}/thumbnail?width=96", world.student)
    assert failed.status_code == 200 and jpeg_size(failed.content) == (120, 68)
    assert failed.content != waiting.content  # says failed, not processing


@pytest.mark.parametrize(
    ("clip", "content_type", "reason_part"),
    [
        ("text", "video/mp4", "not audio or video"),
        ("truncated", "video/mp4", "truncated"),
    ],
)
def test_bad_media_fails_with_a_reason(
    world: World,
    clips: dict[str, Path],
    tmp_path: Path,
    clip: str,
    content_type: str,
    reason_part: str,
) -> None:
    if clip == "text":
        path = tmp_path / "notes.mp4"
        path.write_text("these are my lecture notes, not a video")
    else:
        path = clips[clip]
    media_id = upload(world, path, content_type)["media_entry_id"]
    run_jobs(world.api)
    body = info(world, media_id)
    assert body["processing_state"] == "failed"
    assert reason_part in body["processing_error"].lower()
    assert body["media_sources"] == []
    # The service keeps serving: other media still process.
    ok = upload(world, clips["small"], "video/mp4")["media_entry_id"]
    run_jobs(world.api)
    assert info(world, ok)["processing_state"] == "ready"


def test_limits_fail_with_reason(api: Api, clips: dict[str, Path]) -> None:
    api.ctx.transcoder.max_duration = 0.5
    world = build_world(api)
    media_id = upload(world, clips["video"], "video/mp4")["media_entry_id"]
    run_jobs(api)
    body = info(world, media_id)
    assert body["processing_state"] == "failed" and "limit" in body["processing_error"]


def test_running_the_job_twice_leaves_one_set_of_sources(
    world: World, clips: dict[str, Path]
) -> None:
    api = world.api
    media_id = upload(world, clips["small"], "video/mp4")["media_entry_id"]
    run_jobs(api)
    with api.ctx.write() as session:
        mo = session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()
        mo.processing_state = "pending"
    api.ctx.enqueue("process_media", media_entry_id=media_id)
    run_jobs(api)
    with api.ctx.read() as session:
        mo = session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()
        names = sorted(
            s.name
            for s in session.scalars(
                select(MediaSource).where(MediaSource.media_object_id == mo.id)
            )
        )
    assert names == sorted(set(names)) and "original" in names


def test_deleting_the_last_file_removes_renditions(world: World, clips: dict[str, Path]) -> None:
    api = world.api
    file = upload(world, clips["small"], "video/mp4")
    media_id = file["media_entry_id"]
    run_jobs(api)
    with api.ctx.read() as session:
        mo = session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()
        keys = [
            s.storage_key
            for s in session.scalars(
                select(MediaSource).where(MediaSource.media_object_id == mo.id)
            )
            if not s.is_original
        ]
        poster = mo.poster_key
    api.request("GET", f"/media_objects/{media_id}/thumbnail?width=32", world.teacher)
    assert keys and poster and all(api.ctx.storage.exists(k) for k in keys)
    # A copy keeps the media alive.
    folder = api.ok("GET", f"/api/v1/courses/{world.course}/folders/root", world.teacher)
    copy = api.ok(
        "POST",
        f"/api/v1/folders/{folder['id']}/copy_file",
        world.teacher,
        data={"source_file_id": file["id"], "on_duplicate": "rename"},
    )
    assert api.request("DELETE", f"/api/v1/files/{file['id']}", world.teacher).status_code == 200
    run_jobs(api)
    assert all(api.ctx.storage.exists(k) for k in keys)
    # The last file goes: renditions, poster and thumbnails leave storage.
    assert api.request("DELETE", f"/api/v1/files/{copy['id']}", world.teacher).status_code == 200
    run_jobs(api)
    assert not any(api.ctx.storage.exists(k) for k in keys)
    assert not api.ctx.storage.exists(poster)
    assert api.request("GET", f"/media_objects/{media_id}/info", world.teacher).status_code == 404


def test_file_without_audio_or_video_stream_fails_with_reason(world: World, tmp_path: Path) -> None:
    # A WebVTT file wrapped in Matroska is a container ffprobe reads, with no playable stream.
    import subprocess

    from tests.support.clips import ffmpeg

    vtt = tmp_path / "subs.vtt"
    vtt.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nhi\n")
    mkv = tmp_path / "subs.mkv"
    subprocess.run(
        [ffmpeg(), "-v", "error", "-y", "-i", str(vtt), "-c", "copy", str(mkv)],
        check=True,
        timeout=60,
    )
    media_id = upload(world, mkv, "video/x-matroska")["media_entry_id"]
    run_jobs(world.api)
    body = info(world, media_id)
    assert body["processing_state"] == "failed"
    assert "no audio or video" in body["processing_error"].lower()


def test_pixel_limit_fails_with_reason(api: Api, clips: dict[str, Path]) -> None:
    api.ctx.transcoder.max_pixels = 320 * 240
    world = build_world(api)
    media_id = upload(world, clips["video"], "video/mp4")["media_entry_id"]
    run_jobs(api)
    body = info(world, media_id)
    assert body["processing_state"] == "failed"
    assert "640" in body["processing_error"] and "limit" in body["processing_error"]


def test_player_page_lists_sources_and_tracks(world: World, clips: dict[str, Path]) -> None:
    api = world.api
    media_id = upload(world, clips["video"], "video/mp4")["media_entry_id"]
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "es-419", "content": SRT}, {"locale": "en", "content": SRT}],
    )
    pending = api.client.get(info(world, media_id)["embedded_iframe_url"])
    assert pending.status_code == 200 and "still being processed" in pending.text
    run_jobs(api)
    body = info(world, media_id)
    page = api.client.get(
        body["embedded_iframe_url"], headers={"Accept-Language": "es-MX,es;q=0.8"}
    )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.text.count("<source ") == len(body["media_sources"])
    assert 'srclang="es-419" label="Spanish (Latin America)" default' in page.text
    assert 'srclang="en" label="English">' in page.text
    # The keyboard comes from the page's module script, served under /static/.
    script = re.search(r'<script type="module" nonce="[^"]+" src="([^"]+)">', page.text)
    assert script is not None and "keydown" in api.client.get(script.group(1)).text
    assert api.client.get(body["embedded_iframe_url"].split("?")[0]).status_code == 401
    assert (
        api.request("GET", f"/media_objects_iframe/{media_id}", world.outsider).status_code == 403
    )
    assert (
        api.request(
            "GET", f"/media_attachments_iframe/{world.attachment_id}", world.student
        ).status_code
        == 200
    )


def test_media_the_server_could_not_process_ends_failed_and_reprocess_finishes_it(
    world: World, clips: dict[str, Path]
) -> None:
    """ffmpeg vanished from the server: after the last try the media says so (instead of staying
    `processing` for ever); once ffmpeg is back, `mediaobjects reprocess` finishes it."""
    api = world.api
    transcoder = api.ctx.transcoder
    media_id = upload(world, clips["small"], "video/mp4")["media_entry_id"]
    spec = api.ctx.jobs.spec("process_media")
    tools = (transcoder.ffmpeg, transcoder.ffprobe)
    transcoder.ffmpeg = transcoder.ffprobe = "/nonexistent/ffmpeg"

    job = JobContext("job-1", "process_media", spec.tries, spec.tries, time.monotonic() + 60)
    with pytest.raises(ToolMissing) as failed_try:
        spec.fn(job, media_entry_id=media_id)
    assert info(world, media_id)["processing_state"] == "processing"  # a retry may come
    # The job runner gives up after the last try (tests/jobs/test_runner.py shows when):
    assert spec.on_give_up is not None
    spec.on_give_up({"media_entry_id": media_id}, failed_try.value)
    body = info(world, media_id)
    assert body["processing_state"] == "failed"
    assert "no working ffmpeg" in body["processing_error"]
    assert "mediaobjects reprocess" in body["processing_error"]

    transcoder.ffmpeg, transcoder.ffprobe = tools
    assert reprocess(api.ctx.pipeline, api.ctx.enqueue) == [media_id]
    run_jobs(api)
    body = info(world, media_id)
    assert body["processing_state"] == "ready" and body["processing_error"] is None
    # Nothing else failed but the world's stand-in file, which is not real media.
    assert reprocess(api.ctx.pipeline, api.ctx.enqueue) == [world.media_id]


def test_a_failing_ffmpeg_is_told_without_the_server_s_paths(
    world: World, clips: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ffmpeg's own words name the server's scratch paths: the uploader reads that the
    conversion failed, the operator reads ffmpeg's words in the log."""
    api = world.api
    transcoder = api.ctx.transcoder
    real = transcoder.ffmpeg
    broken = tmp_path / "ffmpeg"
    # The real ffmpeg, except that the transcode itself fails, naming its paths.
    broken.write_text(
        "#!/bin/sh\n"
        'case "$*" in *libx264*) echo "$*: Conversion failed" >&2; exit 1;; esac\n'
        f'exec {real} "$@"\n'
    )
    broken.chmod(0o755)
    media_id = upload(world, clips["small"], "video/mp4")["media_entry_id"]
    transcoder.ffmpeg = str(broken)
    try:
        run_jobs(api)
    finally:
        transcoder.ffmpeg = real
    body = info(world, media_id)
    assert body["processing_state"] == "failed"
    assert body["processing_error"].startswith("The media could not be converted: ffmpeg")
    data_dir = str(api.ctx.settings.data_dir)
    assert data_dir not in body["processing_error"] and "/" not in body["processing_error"]
    logged = [r.getMessage() for r in caplog.records if media_id in r.getMessage()]
    assert any("Conversion failed" in line and data_dir in line for line in logged), logged


def test_reprocess_picks_failed_media_and_with_unfinished_the_stuck_ones(
    world: World, clips: dict[str, Path]
) -> None:
    api = world.api
    bad = upload(world, clips["truncated"], "video/mp4")["media_entry_id"]
    run_jobs(api)
    assert info(world, bad)["processing_state"] == "failed"
    stuck = upload(world, clips["small"], "video/mp4")["media_entry_id"]
    # Registered without bytes: never offered for processing.
    registered = api.request(
        "POST",
        "/api/v1/media_objects",
        world.teacher,
        json={"id": "0_register", "type": "video", "context_code": f"course_{world.course}"},
    )
    assert registered.status_code == 200
    with api.ctx.write() as session:
        mo = session.scalars(select(MediaObject).where(MediaObject.media_id == stuck)).one()
        mo.processing_state = "processing"  # its worker and every retry are gone

    stand_in = world.media_id  # the world's fake file, failed like `bad`
    assert reprocess(api.ctx.pipeline, api.ctx.enqueue) == [stand_in, bad]
    assert reprocess(api.ctx.pipeline, api.ctx.enqueue, unfinished=True) == [stand_in, bad, stuck]
    assert reprocess(api.ctx.pipeline, api.ctx.enqueue, [stuck]) == [stuck]
    run_jobs(api)
    assert info(world, stuck)["processing_state"] == "ready"
    # The bad file is still bad: it fails again with the same reason.
    body = info(world, bad)
    assert body["processing_state"] == "failed" and body["processing_error"]


def test_asking_for_many_sizes_cannot_fill_storage(world: World, clips: dict[str, Path]) -> None:
    api = world.api
    media_id = upload(world, clips["small"], "video/mp4")["media_entry_id"]
    audio_id = upload(world, clips["audio"], "audio/mpeg")["media_entry_id"]
    run_jobs(api)
    stored = api.ctx.settings.data_dir / "files" / "thumbnails"

    def thumbnails_on_disk(media: str) -> list[Path]:
        return [p for p in (stored / media).glob("*.jpg") if p.name != "poster.jpg"]

    asks = [f"width={w}" for w in range(1, 2001, 97)]
    asks += [f"height={h}" for h in range(5, 2001, 101)]
    asks += [f"width={w}&height={w * 3 // 4 or 1}" for w in range(3, 2001, 89)]
    first = api.request("GET", f"/media_objects/{media_id}/thumbnail?{asks[0]}", world.student)
    served = set()
    for ask in asks:
        picture = api.request("GET", f"/media_objects/{media_id}/thumbnail?{ask}", world.student)
        assert picture.status_code == 200 and picture.content[:2] == b"\xff\xd8"
        served.add(picture.headers["x-thumbnail-size"])
    # Sixty-odd sizes asked, twelve standard ones drawn: storage holds no more.
    assert len(asks) > 60 and len(served) == MAX_THUMBNAIL_SIZES == 12
    assert len(thumbnails_on_disk(media_id)) == MAX_THUMBNAIL_SIZES
    # Asked again, the first is the very same picture: nothing was evicted or drawn again.
    again = api.request("GET", f"/media_objects/{media_id}/thumbnail?{asks[0]}", world.student)
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert len(thumbnails_on_disk(media_id)) == MAX_THUMBNAIL_SIZES

    # Placeholders are drawn in memory: nothing of them is stored.
    for width in range(1, 40):
        placeholder = api.request(
            "GET", f"/media_objects/{audio_id}/thumbnail?width={width}", world.student
        )
        assert placeholder.status_code == 200
    assert not (stored / audio_id).exists()
    assert not (api.ctx.settings.data_dir / "files" / "placeholders").exists()


def test_media_whose_worker_died_on_every_try_ends_failed(
    world: World, clips: dict[str, Path]
) -> None:
    api = world.api
    media_id = upload(world, clips["small"], "video/mp4")["media_entry_id"]
    with api.ctx.write() as session:
        mo = session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()
        mo.processing_state = "processing"
    on_give_up = api.ctx.jobs.spec("process_media").on_give_up
    assert on_give_up is not None
    on_give_up({"media_entry_id": media_id}, None)  # what recover_expired does then
    body = info(world, media_id)
    assert body["processing_state"] == "failed"
    assert "a problem on the server, not with the file" in body["processing_error"]
    # Giving up never overrides a result: ready media stays ready.
    run_jobs(api)
    assert reprocess(api.ctx.pipeline, api.ctx.enqueue, [media_id]) == [media_id]
    run_jobs(api)
    on_give_up({"media_entry_id": media_id}, None)
    assert info(world, media_id)["processing_state"] == "ready"


def stalling_ffmpeg(tmp_path: Path, stall_when: str) -> tuple[str, Path]:
    """An ffmpeg that runs the real one, except that a call whose arguments contain
    ``stall_when`` hangs (it records its pid first)."""
    pids = tmp_path / "stalled.pids"
    script = tmp_path / "ffmpeg-stalling"
    script.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *{stall_when}*) echo $$ >> {pids}; exec sleep 600;; esac\n'
        'exec ffmpeg "$@"\n'
    )
    script.chmod(0o755)
    return str(script), pids


@pytest.mark.parametrize("stall_when", ["framecrc", "libx264"], ids=["reading", "transcoding"])
def test_a_try_out_of_time_stops_ffmpeg_is_retried_and_the_last_names_the_setting(
    world: World, clips: dict[str, Path], tmp_path: Path, stall_when: str
) -> None:
    """MEDIAOBJECTS_TRANSCODE_TIMEOUT_SECONDS is the time of one try: ffmpeg gets what is
    left of it and is killed when it runs out; the try fails, so the job is tried again
    (3 tries); after the last the media ends failed naming the setting."""
    api = world.api
    spec = api.ctx.jobs.spec("process_media")
    assert (spec.tries, spec.timeout) == (3, api.ctx.settings.transcode_timeout_seconds)
    media_id = upload(world, clips["small"], "video/mp4")["media_entry_id"]
    api.ctx.transcoder.ffmpeg, pids = stalling_ffmpeg(tmp_path, stall_when)
    for attempt in range(1, spec.tries + 1):
        # A try with 3 s left, as the job runner hands it a deadline.
        job = JobContext("job-1", "process_media", attempt, spec.tries, time.monotonic() + 3)
        with pytest.raises(JobTimeout) as timed_out:
            spec.fn(job, media_entry_id=media_id)
        stalled = [int(p) for p in pids.read_text().split()]
        assert len(stalled) == attempt and is_gone(stalled[-1])
        assert info(world, media_id)["processing_state"] == "processing"  # a retry may come
    assert spec.on_give_up is not None
    spec.on_give_up({"media_entry_id": media_id}, timed_out.value)
    body = info(world, media_id)
    assert body["processing_state"] == "failed"
    assert body["processing_error"].startswith(
        "Processing took longer than the server allows (3 h per try, "
        "MEDIAOBJECTS_TRANSCODE_TIMEOUT_SECONDS)."
    )
    assert not [p for p in (api.ctx.settings.data_dir / "work").iterdir()]


def test_a_try_with_no_time_left_starts_nothing(world: World, clips: dict[str, Path]) -> None:
    api = world.api
    media_id = upload(world, clips["small"], "video/mp4")["media_entry_id"]
    spec = api.ctx.jobs.spec("process_media")
    job = JobContext("job-1", "process_media", 1, spec.tries, time.monotonic() - 1)
    with pytest.raises(JobTimeout):
        spec.fn(job, media_entry_id=media_id)
    assert info(world, media_id)["processing_state"] == "processing"


def test_media_needing_more_memory_than_allowed_fails_with_reason(
    world: World, clips: dict[str, Path]
) -> None:
    api = world.api
    api.ctx.transcoder.memory_limit = 80 * 1024 * 1024  # ffprobe fits; x264 does not
    media_id = upload(world, clips["video"], "video/mp4")["media_entry_id"]
    run_jobs(api)
    body = info(world, media_id)
    assert body["processing_state"] == "failed"
    assert body["processing_error"] == (
        "Processing the file needs more memory than the server allows (80 MiB). "
        "An administrator can raise MEDIAOBJECTS_FFMPEG_MEMORY_LIMIT_BYTES and run: "
        "mediaobjects reprocess Meanwhile it plays as uploaded, at full size, without the "
        "smaller versions that suit slow connections."
    )
    # Copying the browser-safe upload needed no encoder: it was offered before the ladder
    # failed, and stays.
    (original,) = body["media_sources"]
    assert original["isOriginal"] == "1" and api.client.get(original["url"]).status_code == 200
    api.ctx.transcoder.memory_limit = api.ctx.settings.resolved_ffmpeg_memory_limit()
    assert reprocess(api.ctx.pipeline, api.ctx.enqueue, [media_id]) == [media_id]
    run_jobs(api)
    body = info(world, media_id)
    assert body["processing_state"] == "ready" and body["processing_error"] is None
    assert [s["isOriginal"] for s in body["media_sources"]] == ["0", "1"]
    # The same source: a player that started on it is not cut off.
    assert body["media_sources"][1]["url"].split("?")[0] == original["url"].split("?")[0]
