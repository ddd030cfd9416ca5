"""Probe of the early stream's routes and bookkeeping without ffmpeg: pieces are published by
the real ``SegmentPublisher`` from small files, as the ladder's watcher would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mediaobjects.media_objects import repository as repo
from mediaobjects.media_objects.live import SegmentPublisher, StreamGone, delete_retired_streams
from mediaobjects.media_objects.processing import release_media
from mediaobjects.transcoding import LiveSegment
from mediaobjects.verifiers import Route
from tests.support.api import Api
from tests.support.world import World, build_world


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


def _set_state(api: Api, media_id: str, state: str) -> int:
    with api.ctx.pipeline.write() as session:
        media_object = repo.get_by_media_id(session, media_id)
        assert media_object is not None
        media_object.processing_state = state
        return media_object.id


def publish(api: Api, media_id: str, count: int, tmp: Path, tag: bytes = b"a") -> None:
    """``count`` segments of a pass, from sequence 0, as the watcher hands them over."""
    media_object_id = _set_state(api, media_id, "processing")
    publisher = SegmentPublisher(api.ctx.pipeline, media_id, media_object_id)
    init = tmp / "init.mp4"
    init.write_bytes(b"init-" + tag)
    for n in range(count):
        path = tmp / f"{n}.m4s"
        path.write_bytes(tag * (10 + n))
        publisher(LiveSegment(n, path, 6.0, init))


def live_url(world: World) -> str:
    body = world.api.ok("GET", f"/media_objects/{world.media_id}/info", world.teacher)
    url = body["hls_url"]
    assert "/hls/live.m3u8?" in url, body
    return str(url)


def segment_uris(api: Api, url: str) -> list[str]:
    response = api.client.get(url)
    assert response.status_code == 200, response.text
    return [line for line in response.text.splitlines() if line and not line.startswith("#")]


def test_hostile_piece_names_are_404_never_5xx(world: World, tmp_path: Path) -> None:
    api = world.api
    publish(api, world.media_id, 2, tmp_path)
    url = live_url(world)
    signed = url.split("?")[1]
    base = url.split("?")[0].removesuffix("live.m3u8") + "live/"
    names = [
        "%D9%A1.m4s",  # Arabic-Indic one
        "%ED%A0%80.m4s",  # a lone surrogate, UTF-8 encoded
        "%ff.m4s",
        "%00.m4s",
        "0.m4s%00",
        "+1.m4s",
        "%201.m4s",
        "1.M4S",
        "INIT.MP4",
        "1.m4s.",
        "2147483648.m4s",
        "999999999.m4s",
        "1" * 5000 + ".m4s",
        "-" + "1" * 5000 + ".m4s",
        "x" * 20000,
        "..",
        "%2E%2E",
        "init.mp4%2F..%2F..%2Fmaster.m3u8",
    ]
    codes = {name: api.client.get(f"{base}{name}?{signed}").status_code for name in names}
    assert all(code in (400, 404, 414) for code in codes.values()), codes
    # Range and conditional requests on a piece, as for any stored bytes.
    ranged = api.client.get(f"{base}1.m4s?{signed}", headers={"Range": "bytes=2-4"})
    assert ranged.status_code == 206 and ranged.content == b"aaa"
    etag = ranged.headers["etag"]
    assert (
        api.client.get(f"{base}1.m4s?{signed}", headers={"If-None-Match": etag}).status_code == 304
    )
    past = api.client.get(f"{base}1.m4s?{signed}", headers={"Range": "bytes=500-"})
    assert past.status_code == 416


def test_head_on_a_piece_answers_like_get(world: World, tmp_path: Path) -> None:
    """HEAD on media bytes answers as on /media_sources/ (a player or proxy probing the size)."""
    api = world.api
    publish(api, world.media_id, 1, tmp_path)
    url = live_url(world)
    init = url.replace("live.m3u8", "live/init.mp4")
    head = api.client.head(init)
    assert head.status_code == 200, head.status_code
    assert head.headers["content-length"] == str(len(b"init-a"))


def test_other_routes_verifiers_and_people(world: World, tmp_path: Path) -> None:
    api = world.api
    publish(api, world.media_id, 1, tmp_path)
    url = live_url(world)
    piece = url.replace("live.m3u8", "live/0.m4s").split("?")[0]
    later = datetime.now(UTC) + timedelta(hours=1)
    v = api.ctx.verifiers
    media = Route.media(world.media_id)
    attachment = Route.attachment(world.attachment_id)
    wrong = {
        "thumbnail": v.thumbnail(media, later),
        "track": v.track(media, 1, later),
        "embed": v.embed(media),
        "player": v.player(media, later),
        "attachment stream": v.stream(attachment, later),
        "download": v.download(world.attachment_id, later),
    }
    for what, verifier in wrong.items():
        assert api.client.get(f"{piece}?verifier={verifier}").status_code == 401, what
    # The attachment route opens with its own stream verifier, the media's pieces.
    att_piece = f"/media_attachments/{world.attachment_id}/hls/live/0.m4s"
    assert api.client.get(f"{att_piece}?verifier={v.stream(attachment, later)}").status_code == 200
    assert api.client.get(f"{att_piece}?verifier={v.stream(media, later)}").status_code == 401
    # A copy in another course: its student reads through the copy only.
    course2, copy = world.copy_to_new_course()
    student2 = api.user("Student Two")
    api.enroll(course2, student2, "student")
    assert api.request("GET", piece, student2).status_code == 403
    assert api.request("GET", att_piece, student2).status_code == 403
    copy_piece = f"/media_attachments/{copy['id']}/hls/live/0.m4s"
    assert api.request("GET", copy_piece, student2).status_code == 200
    assert api.request("GET", copy_piece, world.student).status_code == 403
    assert api.request("GET", piece, world.outsider).status_code == 403
    assert api.client.get(piece).status_code == 401


def test_a_deleted_file_and_a_released_media_read_no_piece(world: World, tmp_path: Path) -> None:
    """The deleted file's route answers nothing at once; the media's own route (as for its
    renditions) until the release, which takes the pieces along."""
    api = world.api
    publish(api, world.media_id, 1, tmp_path)
    url = live_url(world)
    piece = url.replace("live.m3u8", "live/0.m4s")
    later = datetime.now(UTC) + timedelta(hours=1)
    attachment = Route.attachment(world.attachment_id)
    att_piece = (
        f"/media_attachments/{world.attachment_id}/hls/live/0.m4s"
        f"?verifier={api.ctx.verifiers.stream(attachment, later)}"
    )
    assert api.client.get(att_piece).status_code == 200
    api.ok("DELETE", f"/api/v1/files/{world.file['id']}", world.teacher)
    # (Without a user, what is gone is not told from what may not be read.)
    assert api.client.get(att_piece).status_code in (401, 404)
    assert api.client.get(piece).status_code == 200
    assert release_media(api.ctx.pipeline, world.media_id) == "released"
    assert api.client.get(piece).status_code in (401, 404)
    assert api.client.get(url).status_code in (401, 404)
    assert api.request("GET", piece.split("?")[0], world.teacher).status_code == 404


def test_a_piece_whose_object_is_gone_is_404_not_500(world: World, tmp_path: Path) -> None:
    """The chore deletes the objects first, then the rows: a player between the two."""
    api = world.api
    publish(api, world.media_id, 1, tmp_path)
    url = live_url(world)
    api.ctx.storage.delete(f"renditions/{world.media_id}/live/0.m4s")
    assert api.client.get(url.replace("live.m3u8", "live/0.m4s")).status_code == 404


def test_a_retry_after_a_killed_worker_does_not_shrink_the_event_playlist(
    world: World, tmp_path: Path
) -> None:
    """A worker dies at segment 5; the job's retry starts its pass over. A player on the EVENT
    playlist (segments only ever appended, RFC 8216 6.2.1) must not see it shrink."""
    api = world.api
    first, second = tmp_path / "1", tmp_path / "2"
    first.mkdir()
    second.mkdir()
    publish(api, world.media_id, 5, first)
    url = live_url(world)
    before = segment_uris(api, url)
    publish(api, world.media_id, 1, second)
    after = segment_uris(api, url)
    assert len(after) >= len(before), (len(before), len(after))


def test_a_retry_publishing_leaves_no_unlisted_objects(world: World, tmp_path: Path) -> None:
    """Every stored piece stays known to a row, so that the chore or a release deletes it."""
    api = world.api
    first, second = tmp_path / "1", tmp_path / "2"
    first.mkdir()
    second.mkdir()
    publish(api, world.media_id, 5, first)
    publish(api, world.media_id, 2, second)  # the retry dies (again) at its segment 2
    with api.ctx.pipeline.reader() as session:
        media_object = repo.get_by_media_id(session, world.media_id)
        assert media_object is not None
        known = set(repo.live_keys(session, media_object.id))
    stored = {
        f"renditions/{world.media_id}/live/{n}.m4s"
        for n in range(5)
        if api.ctx.storage.exists(f"renditions/{world.media_id}/live/{n}.m4s")
    }
    assert stored <= known, sorted(stored - known)


def _retire(api: Api, media_id: str, at: datetime) -> None:
    with api.ctx.pipeline.write() as session:
        media_object = repo.get_by_media_id(session, media_id)
        assert media_object is not None
        repo.retire_live_pieces(session, media_object.id, at)


def test_the_clean_up_spares_what_a_new_try_published_and_takes_a_deleted_medias_pieces(
    world: World, tmp_path: Path
) -> None:
    api = world.api
    first, second = tmp_path / "1", tmp_path / "2"
    first.mkdir()
    second.mkdir()
    publish(api, world.media_id, 4, first)
    _retire(api, world.media_id, datetime.now(UTC) - timedelta(days=1))  # the try failed
    # An administrator's reprocess publishes again; the chore comes by in the middle of it.
    publish(api, world.media_id, 2, second, tag=b"b")
    assert delete_retired_streams(api.ctx.pipeline, older_than=3600) == 1
    url = live_url(world)
    uris = segment_uris(api, url)
    assert len(uris) == 2  # the new try's, still there; the old try's 2 and 3 are gone
    assert [api.client.get(u).content for u in uris] == [b"b" * 10, b"b" * 11]
    assert delete_retired_streams(api.ctx.pipeline, older_than=3600) == 0
    # A piece recorded while its media was being released (never retired) still goes.
    with api.ctx.pipeline.write() as session:
        media_object = repo.get_by_media_id(session, world.media_id)
        assert media_object is not None
        media_object.workflow_state = "deleted"
    assert delete_retired_streams(api.ctx.pipeline, older_than=3600) == 1
    with api.ctx.pipeline.reader() as session:
        media_object = repo.get_by_media_id(session, world.media_id)
        assert media_object is not None
        assert repo.live_keys(session, media_object.id) == []
    assert not any(
        api.ctx.storage.exists(f"renditions/{world.media_id}/live/{name}")
        for name in ("init.mp4", "0.m4s", "1.m4s", "2.m4s", "3.m4s")
    )


def test_a_try_that_lost_the_race_leaves_the_finished_ones_pieces(
    world: World, tmp_path: Path
) -> None:
    api = world.api
    publish(api, world.media_id, 2, tmp_path)
    media_object_id = _set_state(api, world.media_id, "ready")  # the other try finished
    _retire(api, world.media_id, datetime.now(UTC))
    late = SegmentPublisher(api.ctx.pipeline, world.media_id, media_object_id)
    late.published = 1  # past its first segment
    for sequence in (1, 5):
        path = tmp_path / f"late-{sequence}.m4s"
        path.write_bytes(b"late")
        with pytest.raises(StreamGone):
            late(LiveSegment(sequence, path, 6.0, tmp_path / "init.mp4"))
    # Segment 1 is what the finished try's row lists: players on its stream still read it.
    assert api.ctx.storage.exists(f"renditions/{world.media_id}/live/1.m4s")
    # Segment 5 is listed by no row: nothing would ever delete it, so it went at once.
    assert not api.ctx.storage.exists(f"renditions/{world.media_id}/live/5.m4s")
