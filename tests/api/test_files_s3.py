"""The upload flow and downloads with S3 storage (SeaweedFS on loopback): bytes go to the
bucket, never to local disk; downloads redirect to a presigned URL after the access check."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from mediaobjects.app import create_app
from mediaobjects.context import build_context
from mediaobjects.files.models import Attachment
from mediaobjects.settings import Settings
from mediaobjects.storage.s3 import S3Storage
from tests.support.api import Api
from tests.support.hls import attributes, byte_range, fetch_range, parse, top_box
from tests.support.media import fake_mp4
from tests.support.seaweed import SeaweedFS


@pytest.fixture
def s3_api(settings: Settings, seaweedfs: SeaweedFS) -> Iterator[Api]:
    s3_settings = Settings(
        **settings.model_dump()
        | {
            "storage_backend": "s3",
            "s3_bucket": "mediaobjects-api",
            "s3_endpoint_url": seaweedfs.endpoint_url,
            "s3_region": seaweedfs.region,
            "s3_access_key_id": seaweedfs.access_key_id,
            "s3_secret_access_key": seaweedfs.secret_access_key,
            "s3_prefix": f"t-{uuid.uuid4().hex}",
        }
    )
    ctx = build_context(s3_settings)
    assert isinstance(ctx.storage, S3Storage)
    ctx.storage.ensure_bucket()
    with TestClient(create_app(context=ctx)) as client:
        yield Api(client, ctx)
    ctx.close()


def test_upload_and_download_through_s3(s3_api: Api) -> None:
    api = s3_api
    course, teacher, outsider = api.course(), api.user(), api.user()
    api.enroll(course, teacher, "teacher")
    content = fake_mp4(30_000)
    body = api.upload(f"courses/{course}", teacher, "a.mp4", content, "video/mp4")
    local = api.ctx.settings.data_dir / "files"
    assert not local.exists() or not any(p.is_file() for p in local.rglob("*"))
    with api.ctx.read() as session:
        row = session.get(Attachment, body["id"])
        assert row is not None
    assert api.ctx.storage.stat(row.storage_key).size == 30_000
    r = api.client.get(body["url"], follow_redirects=False)
    assert r.status_code == 302
    presigned = r.headers["location"]
    assert presigned.startswith(api.ctx.settings.s3_endpoint_url or "")
    full = httpx2.get(presigned, timeout=10)
    assert full.status_code == 200 and full.content == content
    assert full.headers["content-type"] == "video/mp4"
    part = httpx2.get(presigned, headers={"Range": "bytes=10-19"}, timeout=10)
    assert part.status_code == 206 and part.content == content[10:20]
    bare = f"/files/{body['id']}/download"
    assert api.request("GET", bare, outsider, follow_redirects=False).status_code == 403


def test_oversized_upload_leaves_nothing_in_the_bucket(s3_api: Api) -> None:
    api = s3_api
    user = api.user()
    limit = api.ctx.settings.max_upload_bytes
    step1 = api.start_upload("users/self", user, "big.mp4", 10).json()
    r = api.client.post(step1["upload_url"], files={"file": ("big.mp4", b"\0" * (limit + 1))})
    assert r.status_code == 413
    with api.ctx.read() as session:
        assert session.scalar(select(func.count()).select_from(Attachment)) == 0
    storage: Any = api.ctx.storage
    listed = storage.client.list_objects_v2(Bucket="mediaobjects-api", Prefix=storage.prefix)
    assert listed.get("KeyCount", 0) == 0
    uploads = storage.client.list_multipart_uploads(Bucket="mediaobjects-api")
    assert not [u for u in uploads.get("Uploads", []) if u["Key"].startswith(storage.prefix)]


def test_media_pipeline_on_s3(s3_api: Api, tmp_path: Any) -> None:
    from tests.support.clips import make_video

    api = s3_api
    course, teacher = api.course(), api.user()
    api.enroll(course, teacher, "teacher")
    clip = make_video(tmp_path / "clip.mp4", seconds=1, size="320x240")
    file = api.upload(f"courses/{course}", teacher, "clip.mp4", clip.read_bytes(), "video/mp4")
    api.ctx.jobs.run_pending_now()
    info = api.ok("GET", f"/media_objects/{file['media_entry_id']}/info", teacher)
    assert info["processing_state"] == "ready", info["processing_error"]
    converted = info["media_sources"][0]
    assert converted["isOriginal"] == "0"
    redirect = api.client.get(converted["url"], follow_redirects=False)
    assert redirect.status_code == 302
    played = httpx2.get(redirect.headers["location"], headers={"Range": "bytes=0-15"}, timeout=10)
    assert played.status_code == 206 and played.content[4:8] == b"ftyp"
    # The browser-safe upload, copied with its index first, is listed too.
    original = info["media_sources"][-1]
    assert original["isOriginal"] == "1" and original["fileExt"] == "mp4"
    copied = api.client.get(original["url"], follow_redirects=False)
    head = httpx2.get(copied.headers["location"], headers={"Range": "bytes=0-63"}, timeout=10)
    assert head.status_code == 206 and b"moov" in head.content[:64]
    # HLS: the master, the variant and its byte ranges, served by the bucket after the 302.
    master = parse(api.client.get(info["hls_url"]).text)
    (entry,) = master.entries
    variant = parse(api.client.get(entry.uri).text)
    mapped = attributes(variant.tag("EXT-X-MAP")[0])
    header = fetch_range(api.client, mapped["URI"], *byte_range(mapped["BYTERANGE"]))
    assert header.status_code == 206 and header.content[4:8] == b"ftyp"
    for segment in variant.entries:
        offset, length = byte_range(segment.tags["EXT-X-BYTERANGE"])
        part = fetch_range(api.client, segment.uri, offset, length)
        assert part.status_code == 206 and len(part.content) == length
        assert top_box(part.content)[0] == "moof"
    thumb = api.request(
        "GET",
        f"/media_objects/{file['media_entry_id']}/thumbnail?width=80",
        teacher,
        follow_redirects=False,
    )
    assert thumb.status_code == 302
    assert httpx2.get(thumb.headers["location"], timeout=10).content[:2] == b"\xff\xd8"
