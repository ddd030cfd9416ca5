"""With the S3 backend, API processes are interchangeable and keep nothing on local disk but
scratch space: two app instances on one database, one bucket, one queue and one secret key,
each with a data dir of its own that is emptied once they have started, serve one teacher and
one student in turn — an upload started on one and sent to the other, the job run by a third
party, sources, thumbnails (drawn by one, served by the other), caption tracks, signed URLs
made by one and opened on the other. Meanwhile every file this process opens, every SQLite
database it connects to and every program it starts is watched (a Python audit hook): nothing
under either data dir is touched except the scratch directories under ``work/``."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from mediaobjects.app import create_app
from mediaobjects.context import AppContext, build_context
from mediaobjects.settings import Settings
from mediaobjects.storage.s3 import S3Storage
from tests.support.api import Api
from tests.support.clips import make_video
from tests.support.seaweed import SeaweedFS

SRT = "1\n00:00:00,000 --> 00:00:01,500\nHello, class.\n"

# The data dirs being watched, and what was touched in them outside scratch. One hook for the
# whole test session (an audit hook cannot be removed); it looks only while a test has set
# _WATCHED.
_WATCHED: list[Path] = []
_TOUCHED: list[str] = []


def _path_of(value: Any) -> Path | None:
    if isinstance(value, int):
        return None  # an open file descriptor, not a path
    try:
        return Path(os.fsdecode(value)).resolve()
    except (TypeError, ValueError):
        return None


def _outside_scratch(path: Path) -> bool:
    for root in _WATCHED:
        if path == root or root in path.parents:
            return not (path == root / "work" or (root / "work") in path.parents)
    return False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _WATCHED:
        return
    if event in ("open", "sqlite3.connect"):
        candidates = [args[0]] if args else []
    elif event == "subprocess.Popen":
        candidates = [arg for arg in (args[1] or []) if isinstance(arg, (str, bytes, Path))]
    elif event in ("os.listdir", "os.scandir"):
        candidates = [args[0]] if args else []
    else:
        return
    for candidate in candidates:
        text = os.fsdecode(candidate) if isinstance(candidate, (str, bytes, Path)) else None
        if text is not None and "://" in text:  # ffmpeg reads file: URLs of scratch files
            text = text.split("://", 1)[1] if text.startswith("file:") else None
        path = _path_of(text) if text is not None else _path_of(candidate)
        if path is not None and _outside_scratch(path):
            _TOUCHED.append(f"{event}: {path}")


sys.addaudithook(_audit)


def _node(shared: Settings, data_dir: Path) -> tuple[AppContext, TestClient]:
    ctx = build_context(shared.model_copy(update={"data_dir": data_dir}))
    assert isinstance(ctx.storage, S3Storage)
    ctx.storage.ensure_bucket()
    return ctx, TestClient(create_app(context=ctx), follow_redirects=False)


@pytest.fixture
def two(settings: Settings, seaweedfs: SeaweedFS, tmp_path: Path) -> Iterator[tuple[Api, Api]]:
    shared = settings.model_copy(
        update={
            "storage_backend": "s3",
            "s3_bucket": "mediaobjects-nodes",
            "s3_endpoint_url": seaweedfs.endpoint_url,
            "s3_region": seaweedfs.region,
            "s3_access_key_id": seaweedfs.access_key_id,
            "s3_secret_access_key": SecretStr(seaweedfs.secret_access_key),
            "s3_prefix": f"t-{uuid.uuid4().hex}",
            # The queue a cluster shares (here a SQLite file outside both data dirs; Redis or
            # PostgreSQL in production), and the key every process is given.
            "queue_url": SecretStr(f"sqlite:///{tmp_path / 'queue' / 'jobs.db'}"),
            "workers": 0,
        }
    )
    assert shared.resolved_database_url() != f"sqlite:///{tmp_path / 'a' / 'mediaobjects.db'}"
    nodes = [_node(shared, tmp_path / name) for name in ("a", "b")]
    try:
        for _, client in nodes:
            client.__enter__()
        yield Api(nodes[0][1], nodes[0][0]), Api(nodes[1][1], nodes[1][0])
    finally:
        _WATCHED.clear()
        for ctx, client in nodes:
            client.__exit__(None, None, None)
            ctx.close()


def _bytes(response: Any) -> bytes:
    """What a client gets: the body, or the bucket's after a redirect to a presigned URL."""
    if response.status_code == 302:
        response = httpx2.get(response.headers["location"], timeout=10)
    assert response.status_code == 200, response.text
    return bytes(response.content)


def _empty(data_dir: Path) -> None:
    """Removes whatever start-up left in ``data_dir`` (the directory itself stays)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for entry in sorted(data_dir.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        entry.rmdir() if entry.is_dir() and not entry.is_symlink() else entry.unlink()


def test_two_processes_serve_one_service_from_s3_without_local_state(
    two: tuple[Api, Api], tmp_path: Path
) -> None:
    a, b = two
    (tmp_path / "clips").mkdir()
    clip = make_video(tmp_path / "clips" / "lecture.mp4", seconds=1, size="320x240")
    course = a.course("Film Studies")
    teacher, student = a.user("Teacher"), a.user("Student")
    a.enroll(course, teacher, "teacher")
    b.enroll(course, student, "student")
    data_dirs = [api.ctx.settings.data_dir.resolve() for api in two]
    for data_dir in data_dirs:
        _empty(data_dir)
    _WATCHED[:] = data_dirs
    _TOUCHED.clear()

    # An upload ticket made by one process is accepted by the other.
    content = clip.read_bytes()
    step1 = a.start_upload(f"courses/{course}", teacher, "lecture.mp4", len(content))
    assert step1.status_code == 200, step1.text
    ticket = step1.json()
    step2 = b.client.post(
        ticket["upload_url"],
        data=ticket["upload_params"],
        files={"file": ("lecture.mp4", content, "video/mp4")},
    )
    assert step2.status_code == 201, step2.text
    media_id = step2.json()["media_entry_id"]
    # A worker (here: node b's queue client, in this thread) transcodes it from the bucket.
    assert b.ctx.jobs is not None and b.ctx.jobs.run_pending_now() >= 1
    info = a.ok("GET", f"/media_objects/{media_id}/info", student)
    assert info["processing_state"] == "ready", info
    # A source URL signed by a opens on b: a redirect to the bucket, which serves the bytes.
    source = info["media_sources"][0]
    r = b.client.get(source["url"])
    assert r.status_code == 302
    assert httpx2.get(r.headers["location"], timeout=10).content[4:8] == b"ftyp"
    # A thumbnail drawn by b (from the bucket, in scratch) is served by a from the bucket.
    url = f"/media_objects/{media_id}/thumbnail?width=64&height=48"
    drawn = _bytes(b.request("GET", url, student))
    assert drawn[:2] == b"\xff\xd8"
    assert _bytes(a.request("GET", url, student)) == drawn
    # Captions written through one are read through the other.
    tracks = [{"locale": "en", "content": SRT, "kind": "subtitles"}]
    put = a.request("PUT", f"/api/v1/media_objects/{media_id}/media_tracks", teacher, json=tracks)
    assert put.status_code == 200, put.text
    listed = b.ok("GET", f"/api/v1/media_objects/{media_id}/media_tracks", student)
    assert [t["locale"] for t in listed] == ["en"]
    # The track and embed URLs a signs open on b.
    (shown,) = a.ok("GET", f"/api/v1/courses/{course}/media_objects", student)
    assert b"Hello, class." in _bytes(b.client.get(shown["media_tracks"][0]["url"]))
    player = b.client.get(shown["embedded_iframe_url"])
    assert player.status_code == 200 and "<video" in player.text

    _WATCHED.clear()
    assert _TOUCHED == []
    for data_dir in data_dirs:
        left = [p.relative_to(data_dir) for p in data_dir.rglob("*")]
        assert all(p.parts[0] == "work" for p in left), left
