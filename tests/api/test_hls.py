"""HLS playlists written per request: the master playlist of a processed upload is parsed and
every URI in it fetched as a player would, without credentials (variants, the byte ranges of
each rendition's one file, subtitle playlists and their WebVTT); who is refused; media with
nothing to stream; media processed before renditions were fragmented still play as files."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mediaobjects.context import AppContext, build_context
from mediaobjects.media_objects.models import MediaSource
from mediaobjects.media_objects.pipeline import store_file
from mediaobjects.settings import Settings
from mediaobjects.storage.local import LocalStorage
from mediaobjects.transcoding import FFmpegTranscoder, parse_ladder
from mediaobjects.verifiers import Route
from tests.support.api import Api
from tests.support.clips import ffmpeg
from tests.support.hls import Playlist, attributes, byte_range, fetch_range, parse, top_box
from tests.support.world import World, build_world
from tests.transcoding.test_remux import top_level_boxes

SECONDS = 13
MPEGURL = "application/vnd.apple.mpegurl"
ENGLISH = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n[door creaks] Hello there\n\n" + (
    "00:00:08.000 --> 00:00:10.000\nSecond line\n"
)
FRENCH = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nBonjour\n"


@pytest.fixture
def ctx(settings: Settings) -> Iterator[AppContext]:
    # Two rungs, so that the master has two variants.
    transcoder = FFmpegTranscoder(ladder=parse_ladder("video:120,240;audio:m4a"))
    context = build_context(
        settings, storage=LocalStorage(settings.data_dir / "files"), transcoder=transcoder
    )
    yield context
    context.close()


@pytest.fixture(scope="module")
def lecture(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("clips") / "lecture.mp4"
    subprocess.run(
        [ffmpeg(), "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=duration={SECONDS}:size=320x240:rate=25",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-shortest", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path.read_bytes()


@pytest.fixture
def world(api: Api, lecture: bytes) -> World:
    world = build_world(api)
    file = api.upload(f"courses/{world.course}", world.teacher, "lecture.mp4", lecture, "video/mp4")
    world.file = file
    api.ctx.jobs.run_pending_now()
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[
            {"locale": "en", "kind": "captions", "content": ENGLISH},
            {"locale": "fr", "kind": "subtitles", "content": FRENCH},
        ],
    )
    return world


def info(world: World, path: str | None = None) -> dict[str, Any]:
    return dict(world.api.ok("GET", path or f"/media_objects/{world.media_id}/info", world.teacher))


def get(api: Api, url: str, **kw: Any) -> Any:
    """What a player without credentials gets."""
    return api.client.get(url, **kw)


def playlist(api: Api, url: str, **kw: Any) -> Playlist:
    response = get(api, url, **kw)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MPEGURL
    return parse(response.text)


def signed_absolute(url: str) -> bool:
    return url.startswith("http://testserver/") and "verifier=" in url


def codec_level(data: bytes, tmp_path: Path) -> int:
    path = tmp_path / "rendition.mp4"
    path.write_bytes(data)
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=level",
         "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return int(done.stdout.strip())


def probe_duration(data: bytes, path: Path) -> float:
    path.write_bytes(data)
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return float(done.stdout.strip())


def check_variant(api: Api, url: str, tmp_path: Path) -> tuple[bytes, int]:
    """Fetches every byte range the variant names; returns the stream a player assembles
    (header and segments in order) and the size of the file they come from."""
    variant = playlist(api, url)
    assert variant.tag("EXT-X-PLAYLIST-TYPE") == ["VOD"] and variant.tag("EXT-X-ENDLIST") == [""]
    (map_tag,) = variant.tag("EXT-X-MAP")
    mapped = attributes(map_tag)
    assert signed_absolute(mapped["URI"])
    offset, length = byte_range(mapped["BYTERANGE"])
    header = fetch_range(api.client, mapped["URI"], offset, length)
    assert header.status_code == 206
    assert top_box(header.content)[0] == "ftyp"
    assert top_box(header.content, top_box(header.content)[1])[0] == "moov"
    total = int(header.headers["content-range"].split("/")[1])
    target = int(variant.tag("EXT-X-TARGETDURATION")[0])
    stream = header.content
    seconds = 0.0
    end = None
    assert len(variant.entries) == 3  # 13 s in segments of about 6 s
    for entry in variant.entries:
        assert entry.uri == mapped["URI"]  # one file
        duration = float(entry.tags["EXTINF"].rstrip(","))
        assert 0 < duration <= target
        seconds += duration
        offset, length = byte_range(entry.tags["EXT-X-BYTERANGE"])
        assert end is None or offset == end  # back to back
        end = offset + length
        part = fetch_range(api.client, entry.uri, offset, length)
        assert part.status_code == 206 and len(part.content) == length
        # A segment is whole fragments: each a moof and its mdat.
        at = 0
        while at < length:
            kind, size = top_box(part.content, at)
            assert kind == "moof"
            assert top_box(part.content, at + size)[0] == "mdat"
            at += size + top_box(part.content, at + size)[1]
        assert at == length
        stream += part.content
    assert seconds == pytest.approx(SECONDS, abs=0.2)
    # What the player assembled from the ranges plays the whole media.
    assert probe_duration(stream, tmp_path / "assembled.mp4") == pytest.approx(SECONDS, abs=0.2)
    return stream, total


def test_the_master_lists_renditions_and_tracks_and_every_uri_plays(
    world: World, tmp_path: Path
) -> None:
    api = world.api
    body = info(world)
    assert body["processing_state"] == "ready", body["processing_error"]
    # media_sources stays progressive: files a <video src> plays, never a playlist.
    for source in body["media_sources"]:
        assert source["content_type"] in ("video/mp4", "audio/mp4")
        assert ".m3u8" not in source["url"]
    assert signed_absolute(body["hls_url"])
    assert body["hls_url"].split("?")[0] == (
        f"http://testserver/media_objects/{world.media_id}/hls/master.m3u8"
    )
    master = playlist(api, body["hls_url"], headers={"Accept-Language": "fr-CA, en;q=0.5"})
    assert master.tag("EXT-X-INDEPENDENT-SEGMENTS") == [""]

    # One subtitles rendition per track, named from its locale; French (the viewer's
    # language) is the default, and only it.
    media = [attributes(value) for value in master.tag("EXT-X-MEDIA")]
    assert [(m["NAME"], m["LANGUAGE"], m["DEFAULT"]) for m in media] == [
        ("English", "en", "NO"),
        ("French", "fr", "YES"),
    ]
    assert all(m["TYPE"] == "SUBTITLES" and m["GROUP-ID"] == "subs" for m in media)
    assert all(m["AUTOSELECT"] == "YES" for m in media)
    assert "describes-music-and-sound" in media[0]["CHARACTERISTICS"]  # captions
    for m, text in zip(media, ["[door creaks] Hello there", "Bonjour"], strict=True):
        assert signed_absolute(m["URI"])
        subtitles = playlist(api, m["URI"])
        (entry,) = subtitles.entries
        assert float(entry.tags["EXTINF"].rstrip(",")) == pytest.approx(SECONDS, abs=0.2)
        assert signed_absolute(entry.uri)
        vtt = get(api, entry.uri)
        assert vtt.status_code == 200 and vtt.headers["content-type"].startswith("text/vtt")
        assert vtt.text.startswith("WEBVTT") and text in vtt.text

    # One variant per rendition, smallest first, described from the streams themselves.
    variants = [(attributes(entry.tags["EXT-X-STREAM-INF"]), entry.uri) for entry in master.entries]
    assert [v["RESOLUTION"] for v, _ in variants] == ["160x120", "320x240"]
    sizes = {s["height"]: int(s["size"]) for s in body["media_sources"] if s["isOriginal"] == "0"}
    for stream_inf, uri in variants:
        assert signed_absolute(uri)
        assert stream_inf["SUBTITLES"] == "subs"
        assert int(stream_inf["BANDWIDTH"]) >= int(stream_inf["AVERAGE-BANDWIDTH"]) > 10_000
        stream, total = check_variant(api, uri, tmp_path)
        video, audio = stream_inf["CODECS"].split(",")
        assert audio == "mp4a.40.2"
        assert video == f"avc1.6400{codec_level(stream, tmp_path):02x}"
        # The playlist's file is the very file media_sources lists: nothing stored twice.
        height = stream_inf["RESOLUTION"].split("x")[1]
        assert total // 1024 == sizes[height]
    assert int(variants[0][0]["BANDWIDTH"]) < int(variants[1][0]["BANDWIDTH"])


def test_the_attachment_twin_signs_its_own_route(world: World, tmp_path: Path) -> None:
    api = world.api
    body = info(world, f"/media_attachments/{world.attachment_id}/info")
    hls_url = body["hls_url"]
    assert hls_url.split("?")[0] == (
        f"http://testserver/media_attachments/{world.attachment_id}/hls/master.m3u8"
    )
    master = playlist(api, hls_url)
    for entry in master.entries:
        assert f"/media_attachments/{world.attachment_id}/hls/variants/" in entry.uri
    check_variant(api, master.entries[0].uri, tmp_path)
    for value in master.tag("EXT-X-MEDIA"):
        uri = attributes(value)["URI"]
        assert f"/media_attachments/{world.attachment_id}/hls/subtitles/" in uri
        (entry,) = playlist(api, uri).entries
        assert f"/media_attachments/{world.attachment_id}/media_tracks/" in entry.uri
        assert get(api, entry.uri).status_code == 200
    # A verifier opens the route it was made for only (D21).
    verifier = hls_url.split("verifier=")[1]
    other = f"/media_objects/{world.media_id}/hls/master.m3u8?verifier={verifier}"
    assert get(api, other).status_code == 401


def test_who_may_open_the_playlists(world: World) -> None:
    api = world.api
    hls_url = info(world)["hls_url"]
    path = hls_url.split("?")[0].removeprefix("http://testserver")
    variant_path = parse(get(api, hls_url).text).entries[0].uri.split("?")[0]
    for unsigned in (path, variant_path):
        # Anonymous, without a verifier: the usual 401 envelope.
        refused = get(api, unsigned)
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["message"]
        assert get(api, unsigned + "?verifier=forged").status_code == 401
        # Signed in but not in the course: 403; in the course: read access is enough.
        assert api.request("GET", unsigned, world.outsider).status_code == 403
        assert api.request("GET", unsigned, world.student).status_code == 200
    # An expired verifier opens nothing.
    expired = api.ctx.verifiers.stream(
        Route.media(world.media_id), datetime.now(UTC) - timedelta(seconds=1)
    )
    assert get(api, f"{path}?verifier={expired}").status_code == 401
    # Unknown media: 401 anonymous, 404 signed in; unknown rendition or track: 404.
    assert get(api, "/media_objects/m-nothing/hls/master.m3u8").status_code == 401
    r = api.request("GET", "/media_objects/m-nothing/hls/master.m3u8", world.teacher)
    assert r.status_code == 404
    signed = hls_url.split("?")[1]
    base = path.removesuffix("master.m3u8")
    assert get(api, f"{base}variants/1080p.m3u8?{signed}").status_code == 404
    assert get(api, f"{base}subtitles/999999.m3u8?{signed}").status_code == 404
    assert get(api, f"{base}subtitles/nope.m3u8?{signed}").status_code in (400, 404)


def test_media_with_nothing_to_stream_has_no_hls_url(api: Api) -> None:
    world = build_world(api)  # uploaded, not processed yet
    body = info(world)
    assert body["processing_state"] != "ready"
    assert body["hls_url"] is None
    r = api.request("GET", f"/media_objects/{world.media_id}/hls/master.m3u8", world.teacher)
    assert r.status_code == 404
    assert "nothing to stream" in r.json()["errors"][0]["message"]
    # Left out with the sources, as Canvas's exclude[] asks.
    listed = api.ok(
        "GET", f"/api/v1/courses/{world.course}/media_objects?exclude[]=sources", world.teacher
    )
    assert "hls_url" not in listed[0] and "media_sources" not in listed[0]


def test_media_processed_before_plays_as_files_and_has_no_hls(world: World, tmp_path: Path) -> None:
    api = world.api
    # Make the renditions what an earlier version left: ordinary MP4s (index first), no
    # stream index.
    with api.ctx.write() as session:
        rows = session.scalars(select(MediaSource)).all()
        for row in rows:
            if row.file_ext != "mp4" or row.is_original:
                continue
            fragmented = tmp_path / f"{row.name}-fragmented.mp4"
            fragmented.write_bytes(b"".join(api.ctx.storage.read_range(row.storage_key)))
            plain = tmp_path / f"{row.name}.mp4"
            subprocess.run(
                [ffmpeg(), "-v", "error", "-y", "-i", str(fragmented), "-c", "copy",
                 "-movflags", "+faststart", str(plain)],
                check=True, timeout=60,
            )  # fmt: skip
            stored = store_file(api.ctx.storage, row.storage_key, plain)
            row.size, row.etag, row.stream_index = stored.size, stored.etag, None
    body = info(world)
    assert body["hls_url"] is None
    r = api.request("GET", f"/media_objects/{world.media_id}/hls/master.m3u8", world.teacher)
    assert r.status_code == 404
    played = [s for s in body["media_sources"] if s["isOriginal"] == "0" and s["fileExt"] == "mp4"]
    assert len(played) == 2
    for source in played:
        whole = get(api, source["url"])
        head = get(api, source["url"], headers={"Range": "bytes=0-1023"})
        assert whole.status_code == 200 and head.status_code == 206
        assert head.content == whole.content[:1024]
        path = tmp_path / "fetched.mp4"
        path.write_bytes(whole.content)
        boxes = top_level_boxes(path)
        assert "moof" not in boxes and boxes.index("moov") < boxes.index("mdat")
