"""Files and the Canvas upload flow: step one returns an upload URL, step two streams the bytes
without an Authorization header; audio and video become MediaObjects; downloads support Range
and ETag; copies share the media entry; every rejection changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from mediaobjects.files.models import Attachment, UploadTicket
from mediaobjects.media_objects.models import MediaObject
from tests.support.api import Api, Person
from tests.support.media import M4A_HEAD, MP3_HEAD, WEBM_HEAD, fake_mp4


def rows(api: Api, model: Any) -> int:
    with api.ctx.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def stored_files(api: Api) -> list[Path]:
    root = api.ctx.settings.data_dir / "files" / "attachments"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def course(api: Api) -> dict[str, Any]:
    course_id = api.course("Film Studies")
    teacher, student, outsider = api.user("Tea Cher"), api.user("Stu Dent"), api.user("Out Sider")
    api.enroll(course_id, teacher, "teacher")
    api.enroll(course_id, student, "student")
    return {"id": course_id, "teacher": teacher, "student": student, "outsider": outsider}


def media_object_for(api: Api, media_id: str) -> MediaObject:
    with api.ctx.read() as session:
        return session.scalars(select(MediaObject).where(MediaObject.media_id == media_id)).one()


# ---- step one -------------------------------------------------------------------------------


def test_step_one_returns_upload_url_params_and_file_param(
    api: Api, course: dict[str, Any]
) -> None:
    r = api.start_upload(f"courses/{course['id']}", course["teacher"], "lecture.mp4", 2048)
    assert r.status_code == 200
    body = r.json()
    assert body["upload_url"].startswith("http://testserver/files_api/uploads/")
    assert "token=" in body["upload_url"]
    assert body["upload_params"] and body["upload_params"]["filename"] == "lecture.mp4"
    assert body["file_param"] == "file"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"size": 10}, "name"),
        ({"name": "", "size": 10}, "name"),
        ({"name": "a.mp4", "size": "ten"}, "size"),
        ({"name": "a.mp4", "size": -1}, "size"),
        ({"name": "a.mp4", "content_type": "not a type"}, "content_type"),
        ({"name": "a.mp4", "parent_folder_path": "a/../b"}, "parent_folder_path"),
        ({"name": "a.mp4", "on_duplicate": "explode"}, "on_duplicate"),
        ({"name": "a\x01.mp4"}, "name"),
    ],
)
def test_step_one_rejects_bad_fields(
    api: Api, course: dict[str, Any], data: dict[str, Any], field: str
) -> None:
    r = api.request("POST", f"/api/v1/courses/{course['id']}/files", course["teacher"], data=data)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == field
    assert rows(api, UploadTicket) == 0


def test_step_one_declared_size_over_limit_is_413(api: Api, course: dict[str, Any]) -> None:
    limit = api.ctx.settings.max_upload_bytes
    r = api.start_upload(f"courses/{course['id']}", course["teacher"], "big.mp4", limit + 1)
    assert r.status_code == 413
    assert rows(api, UploadTicket) == 0


def test_step_one_unknown_course_is_404(api: Api, course: dict[str, Any]) -> None:
    r = api.start_upload("courses/424242", course["teacher"], "a.mp4", 10)
    assert r.status_code == 404


def test_step_one_permissions(api: Api, course: dict[str, Any]) -> None:
    path = f"courses/{course['id']}"
    assert api.start_upload(path, course["student"], "a.mp4", 10).status_code == 403
    assert api.start_upload(path, course["outsider"], "a.mp4", 10).status_code == 403
    r = api.client.post(f"/api/v1/{path}/files", data={"name": "a.mp4"})
    assert r.status_code == 401
    assert rows(api, UploadTicket) == 0


def test_students_upload_to_their_own_files_and_their_groups(
    api: Api, course: dict[str, Any]
) -> None:
    student: Person = course["student"]
    mine = api.upload("users/self", student, "me.mp4", fake_mp4())
    assert mine["media_entry_id"].startswith("m-")
    group = api.group(course["id"], student)
    ours = api.upload(f"groups/{group}", student, "us.mp4", fake_mp4())
    assert ours["display_name"] == "us.mp4"
    other = api.user()
    assert api.start_upload(f"groups/{group}", other, "x.mp4", 10).status_code == 403
    assert api.start_upload(f"users/{other.id}", student, "x.mp4", 10).status_code == 403


# ---- step two -------------------------------------------------------------------------------


def test_upload_creates_file_and_media_object(api: Api, course: dict[str, Any]) -> None:
    content = fake_mp4(5000)
    body = api.upload(
        f"courses/{course['id']}", course["teacher"], "Lecture 1.mp4", content, "video/mp4"
    )
    for key in (
        "id",
        "uuid",
        "display_name",
        "filename",
        "content-type",
        "size",
        "url",
        "media_entry_id",
        "created_at",
        "updated_at",
    ):
        assert key in body
    assert body["display_name"] == "Lecture 1.mp4"
    assert body["filename"] == "Lecture 1.mp4"
    assert body["content-type"] == "video/mp4"
    assert body["size"] == 5000
    assert re.fullmatch(r"m-[A-Za-z0-9_-]{32}", body["media_entry_id"])
    mo = media_object_for(api, body["media_entry_id"])
    assert mo.attachment_id == body["id"]
    assert mo.media_type == "video"
    assert mo.title == "Lecture 1.mp4"
    assert mo.user_id == course["teacher"].id
    assert (mo.context_type, mo.context_id) == ("Course", course["id"])
    downloaded = api.client.get(body["url"])
    assert downloaded.status_code == 200
    assert downloaded.content == content


def test_media_recognised_by_content_alone(api: Api, course: dict[str, Any]) -> None:
    body = api.upload(f"courses/{course['id']}", course["teacher"], "recording", WEBM_HEAD)
    assert body["media_entry_id"] is not None
    assert media_object_for(api, body["media_entry_id"]).media_type == "video"
    assert body["content-type"] == "video/webm"


def test_audio_recognised_by_content(api: Api, course: dict[str, Any]) -> None:
    body = api.upload(f"courses/{course['id']}", course["teacher"], "talk.bin", M4A_HEAD)
    assert media_object_for(api, body["media_entry_id"]).media_type == "audio"
    body = api.upload(f"courses/{course['id']}", course["teacher"], "song", MP3_HEAD)
    assert media_object_for(api, body["media_entry_id"]).media_type == "audio"


def test_file_that_only_claims_to_be_media_is_registered(api: Api, course: dict[str, Any]) -> None:
    by_type = api.upload(
        f"courses/{course['id']}", course["teacher"], "notes", b"hello", "video/mp4"
    )
    assert by_type["media_entry_id"] is not None
    by_name = api.upload(f"courses/{course['id']}", course["teacher"], "voice.mp3", b"hello")
    assert media_object_for(api, by_name["media_entry_id"]).media_type == "audio"


def test_other_files_get_no_media_object(api: Api, course: dict[str, Any]) -> None:
    body = api.upload(f"courses/{course['id']}", course["teacher"], "syllabus.pdf", b"%PDF-1.4 hi")
    assert body["media_entry_id"] is None
    assert body["content-type"] == "application/pdf"
    assert rows(api, MediaObject) == 0


def test_upload_over_the_limit_is_413_and_keeps_nothing(api: Api, course: dict[str, Any]) -> None:
    limit = api.ctx.settings.max_upload_bytes
    step1 = api.start_upload(f"courses/{course['id']}", course["teacher"], "huge.mp4", 100).json()
    r = api.client.post(
        step1["upload_url"],
        data=step1["upload_params"],
        files={"file": ("huge.mp4", b"\0" * (limit + 1))},
    )
    assert r.status_code == 413
    assert r.json()["errors"][0]["error_code"] == "payload_too_large"
    assert rows(api, Attachment) == 0
    assert rows(api, MediaObject) == 0
    assert stored_files(api) == []


def test_upload_with_a_boundary_past_the_parser_s_limit_is_400(
    api: Api, course: dict[str, Any]
) -> None:
    # python-multipart refuses boundaries over 256 bytes; that refusal was a 500.
    step1 = api.start_upload(f"courses/{course['id']}", course["teacher"], "a.mp4", 10).json()
    boundary = "b" * 300
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in step1["upload_params"].items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'
    )
    body = "".join(parts).encode() + fake_mp4() + f"\r\n--{boundary}--\r\n".encode()
    r = api.client.post(
        step1["upload_url"],
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 400, r.text
    assert "boundary" in r.json()["errors"][0]["message"]
    assert rows(api, Attachment) == 0
    assert stored_files(api) == []


def test_upload_token_is_single_use(api: Api, course: dict[str, Any]) -> None:
    step1 = api.start_upload(f"courses/{course['id']}", course["teacher"], "a.mp4", 10).json()
    first = api.client.post(
        step1["upload_url"], data=step1["upload_params"], files={"file": ("a.mp4", fake_mp4())}
    )
    assert first.status_code == 201
    second = api.client.post(
        step1["upload_url"], data=step1["upload_params"], files={"file": ("a.mp4", fake_mp4())}
    )
    assert second.status_code == 400
    assert "already been used" in second.json()["errors"][0]["message"]
    assert rows(api, Attachment) == 1
    assert len(stored_files(api)) == 1


def test_expired_upload_token_is_rejected(api: Api, course: dict[str, Any]) -> None:
    step1 = api.start_upload(f"courses/{course['id']}", course["teacher"], "a.mp4", 10).json()
    with api.ctx.write() as session:
        session.execute(
            update(UploadTicket).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    r = api.client.post(
        step1["upload_url"], data=step1["upload_params"], files={"file": ("a.mp4", fake_mp4())}
    )
    assert r.status_code == 400
    assert "expired" in r.json()["errors"][0]["message"]
    assert rows(api, Attachment) == 0
    assert stored_files(api) == []


def test_tampered_upload_token_is_rejected(api: Api, course: dict[str, Any]) -> None:
    step1 = api.start_upload(f"courses/{course['id']}", course["teacher"], "a.mp4", 10).json()
    url = step1["upload_url"][:-3] + "AAA"
    r = api.client.post(url, data=step1["upload_params"], files={"file": ("a.mp4", fake_mp4())})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "token"
    assert rows(api, Attachment) == 0


def test_upload_without_file_part_is_400(api: Api, course: dict[str, Any]) -> None:
    step1 = api.start_upload(f"courses/{course['id']}", course["teacher"], "a.mp4", 10).json()
    r = api.client.post(step1["upload_url"], files={"other": ("a.mp4", b"abc")})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "file"
    assert rows(api, Attachment) == 0


def test_upload_with_non_multipart_body_is_400(api: Api, course: dict[str, Any]) -> None:
    step1 = api.start_upload(f"courses/{course['id']}", course["teacher"], "a.mp4", 10).json()
    r = api.client.post(
        step1["upload_url"], content=b"raw bytes", headers={"Content-Type": "video/mp4"}
    )
    assert r.status_code == 400
    assert rows(api, Attachment) == 0


def test_upload_with_truncated_multipart_is_400_and_keeps_nothing(
    api: Api, course: dict[str, Any]
) -> None:
    step1 = api.start_upload(f"courses/{course['id']}", course["teacher"], "a.mp4", 10).json()
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n'
        b"Content-Type: video/mp4\r\n\r\n" + fake_mp4(4000)
    )
    r = api.client.post(
        step1["upload_url"],
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert r.status_code == 400
    assert rows(api, Attachment) == 0
    assert stored_files(api) == []
    # The ticket was not used up by the failed attempt.
    retry = api.client.post(
        step1["upload_url"], data=step1["upload_params"], files={"file": ("a.mp4", fake_mp4())}
    )
    assert retry.status_code == 201


def test_parent_folder_path_creates_folders(api: Api, course: dict[str, Any]) -> None:
    body = api.upload(
        f"courses/{course['id']}",
        course["teacher"],
        "a.mp4",
        fake_mp4(),
        parent_folder_path="Week 1/Videos",
    )
    root = api.ok("GET", f"/api/v1/courses/{course['id']}/folders/root", course["teacher"])
    assert root["name"] == "course files"
    assert root["folders_count"] == 1
    assert body["folder_id"] != root["id"]


def test_upload_same_name_overwrites_by_default_and_renames_on_request(
    api: Api, course: dict[str, Any]
) -> None:
    path = f"courses/{course['id']}"
    first = api.upload(path, course["teacher"], "a.mp4", fake_mp4())
    second = api.upload(path, course["teacher"], "a.mp4", fake_mp4())
    assert api.request("GET", f"/api/v1/files/{first['id']}", course["teacher"]).status_code == 404
    third = api.upload(path, course["teacher"], "a.mp4", fake_mp4(), on_duplicate="rename")
    assert third["display_name"] == "a-1.mp4"
    assert api.request("GET", f"/api/v1/files/{second['id']}", course["teacher"]).status_code == 200


# ---- reading, downloading, deleting ---------------------------------------------------------


def test_get_file_access_rules(api: Api, course: dict[str, Any]) -> None:
    body = api.upload(f"courses/{course['id']}", course["teacher"], "a.mp4", fake_mp4())
    assert api.request("GET", f"/api/v1/files/{body['id']}", course["student"]).status_code == 200
    assert api.request("GET", f"/api/v1/files/{body['id']}", course["outsider"]).status_code == 403
    assert api.request("GET", f"/api/v1/files/{body['id']}", None).status_code == 401
    assert api.request("GET", "/api/v1/files/987654", course["teacher"]).status_code == 404


def test_hidden_file_is_for_file_managers_only(api: Api, course: dict[str, Any]) -> None:
    body = api.upload(f"courses/{course['id']}", course["teacher"], "a.mp4", fake_mp4())
    with api.ctx.write() as session:
        session.execute(update(Attachment).values(hidden=True))
    assert api.request("GET", f"/api/v1/files/{body['id']}", course["student"]).status_code == 403
    assert api.request("GET", f"/api/v1/files/{body['id']}", course["teacher"]).status_code == 200


def test_download_ranges_etag_and_head(api: Api, course: dict[str, Any]) -> None:
    content = fake_mp4(10000)
    body = api.upload(f"courses/{course['id']}", course["teacher"], "a.mp4", content, "video/mp4")
    url = body["url"]
    full = api.client.get(url)
    assert full.status_code == 200
    assert full.headers["content-type"] == "video/mp4"
    assert full.headers["accept-ranges"] == "bytes"
    etag = full.headers["etag"]
    part = api.client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == content[100:200]
    assert part.headers["content-range"] == "bytes 100-199/10000"
    tail = api.client.get(url, headers={"Range": "bytes=-10"})
    assert tail.content == content[-10:]
    open_end = api.client.get(url, headers={"Range": "bytes=9990-"})
    assert open_end.content == content[9990:]
    assert api.client.get(url, headers={"Range": "bytes=20000-"}).status_code == 416
    assert api.client.get(url, headers={"If-None-Match": etag}).status_code == 304
    stale = api.client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.content == content
    head = api.client.head(url)
    assert head.status_code == 200
    assert head.headers["content-length"] == "10000"


def test_download_without_verifier_follows_file_access(api: Api, course: dict[str, Any]) -> None:
    body = api.upload(f"courses/{course['id']}", course["teacher"], "a.mp4", fake_mp4())
    bare = f"/files/{body['id']}/download"
    assert api.client.get(bare).status_code == 401
    assert api.request("GET", bare, course["outsider"]).status_code == 403
    assert api.request("GET", bare, course["student"]).status_code == 200
    forged = api.client.get(f"{bare}?verifier=9999999999.forged")
    assert forged.status_code == 401


def test_html_is_never_served_inline(api: Api, course: dict[str, Any]) -> None:
    body = api.upload(
        f"courses/{course['id']}",
        course["teacher"],
        "x.html",
        b"<script>alert(1)</script>",
        "text/html",
    )
    r = api.client.get(body["url"])
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.headers["x-content-type-options"] == "nosniff"


def test_delete_is_soft_and_permissioned(api: Api, course: dict[str, Any]) -> None:
    body = api.upload(f"courses/{course['id']}", course["teacher"], "a.mp4", fake_mp4())
    assert (
        api.request("DELETE", f"/api/v1/files/{body['id']}", course["student"]).status_code == 403
    )
    r = api.request("DELETE", f"/api/v1/files/{body['id']}", course["teacher"])
    assert r.status_code == 200
    with api.ctx.read() as session:
        row = session.get(Attachment, body["id"])
        assert row is not None and row.workflow_state == "deleted"
    assert api.request("GET", f"/api/v1/files/{body['id']}", course["teacher"]).status_code == 404
    assert api.client.get(body["url"]).status_code == 404
    assert (
        api.request("DELETE", f"/api/v1/files/{body['id']}", course["teacher"]).status_code == 404
    )


# ---- copies ---------------------------------------------------------------------------------


def test_copy_file_shares_media_entry_id(api: Api, course: dict[str, Any]) -> None:
    body = api.upload(f"courses/{course['id']}", course["teacher"], "a.mp4", fake_mp4())
    other = api.course("Second")
    api.enroll(other, course["teacher"], "teacher")
    folder = api.ok("GET", f"/api/v1/courses/{other}/folders/root", course["teacher"])
    copy = api.ok(
        "POST",
        f"/api/v1/folders/{folder['id']}/copy_file",
        course["teacher"],
        data={"source_file_id": body["id"]},
    )
    assert copy["id"] != body["id"]
    assert copy["media_entry_id"] == body["media_entry_id"]
    assert api.client.get(copy["url"]).content == api.client.get(body["url"]).content
    mo = media_object_for(api, body["media_entry_id"])
    assert mo.attachment_id == body["id"]
    assert rows(api, MediaObject) == 1


def test_copy_file_rejections(api: Api, course: dict[str, Any]) -> None:
    body = api.upload(f"courses/{course['id']}", course["teacher"], "a.mp4", fake_mp4())
    folder = api.ok("GET", f"/api/v1/courses/{course['id']}/folders/root", course["teacher"])
    url = f"/api/v1/folders/{folder['id']}/copy_file"
    before = rows(api, Attachment)
    r = api.request("POST", url, course["teacher"], data={})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "source_file_id"
    r = api.request("POST", url, course["teacher"], data={"source_file_id": "abc"})
    assert r.status_code == 400
    r = api.request("POST", url, course["teacher"], data={"source_file_id": "999999"})
    assert r.status_code == 400
    # Same folder, same name, no on_duplicate: Canvas refuses.
    r = api.request("POST", url, course["teacher"], data={"source_file_id": body["id"]})
    assert r.status_code == 409
    assert (
        api.request("POST", url, course["student"], data={"source_file_id": body["id"]}).status_code
        == 403
    )
    assert (
        api.request(
            "POST",
            "/api/v1/folders/98765/copy_file",
            course["teacher"],
            data={"source_file_id": body["id"]},
        ).status_code
        == 404
    )
    assert rows(api, Attachment) == before
    renamed = api.ok(
        "POST",
        url,
        course["teacher"],
        data={"source_file_id": body["id"], "on_duplicate": "rename"},
    )
    assert renamed["display_name"] == "a-1.mp4"


def test_copy_from_unreadable_source_is_403(api: Api, course: dict[str, Any]) -> None:
    body = api.upload(f"courses/{course['id']}", course["teacher"], "a.mp4", fake_mp4())
    stranger = api.user()
    folder = api.ok("GET", "/api/v1/users/self/folders/root", stranger)
    r = api.request(
        "POST",
        f"/api/v1/folders/{folder['id']}/copy_file",
        stranger,
        data={"source_file_id": body["id"]},
    )
    assert r.status_code == 403


def test_root_folder_rules(api: Api, course: dict[str, Any]) -> None:
    assert (
        api.request(
            "GET", f"/api/v1/courses/{course['id']}/folders/root", course["student"]
        ).json()["can_upload"]
        is False
    )
    assert (
        api.request(
            "GET", f"/api/v1/courses/{course['id']}/folders/root", course["outsider"]
        ).status_code
        == 403
    )
    assert (
        api.request("GET", "/api/v1/courses/31337/folders/root", course["teacher"]).status_code
        == 404
    )
