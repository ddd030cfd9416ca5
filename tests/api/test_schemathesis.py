"""schemathesis over the app's own OpenAPI description: generated requests to every operation,
as an authenticated teacher of a course with media and tracks, never get a 5xx, and every
response matches the documented status codes, content types and schemas.

Generated path parameters almost never name a real resource, so the fuzzing mostly sees error
envelopes. A second test walks every operation with real ids and valid bodies, and holds each
success response (and the download and WebVTT variants: 206, 304, 416) to the documented
schema with the same checks. A third runs schemathesis's stateful sequences, which follow the
OpenAPI links (an id from one response into the next request).

``make test`` runs the fast profile (30 examples per operation, 60 sequences); ``make fuzz``
the deep one (``MEDIAOBJECTS_SCHEMATHESIS_PROFILE=deep``: 400 and 600).

(schemathesis's pytest plugin does not run under pytest 9 here, so the operations are driven
with hypothesis directly; the checks are schemathesis's own.)"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import CHECKS

from mediaobjects.app import create_app
from mediaobjects.captions.formats import FORMATS
from mediaobjects.context import build_context, build_limiter
from mediaobjects.db.models import metadata
from mediaobjects.media_objects import repository as repo
from mediaobjects.media_objects.live import SegmentPublisher
from mediaobjects.settings import Settings
from mediaobjects.transcoding import LiveSegment
from tests.support.api import Api, Person
from tests.support.clips import make_video
from tests.support.media import fake_mp4
from tests.support.world import build_world

SRT = "1\n00:00:01,000 --> 00:00:02,000\nHello\n"
# `make test` runs the fast profile; `make fuzz` the deep one.
PROFILE = os.environ.get("MEDIAOBJECTS_SCHEMATHESIS_PROFILE", "fast")
EXAMPLES = {"fast": 30, "deep": 400}[PROFILE]
# 150 sequences: with the track history routes (about 70 operations) 60 sequences reached only
# 10 distinct successful operations on PostgreSQL, and 100 reached 11 in one CI rehearsal.
STATEFUL_EXAMPLES = {"fast": 150, "deep": 600}[PROFILE]
CHECK_NAMES = [
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]


def _operations() -> list[Any]:
    """The operations to parametrize over, read at collection time from an app built in a
    temporary directory: the OpenAPI description depends on the routes alone, and nothing may
    be written in the checkout (``Settings()`` would use ./data)."""
    with tempfile.TemporaryDirectory(prefix="mediaobjects-openapi-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), secret_key="unused")  # type: ignore[arg-type]
        context = build_context(settings, with_jobs=False)
        try:
            schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(context=context))
            return [result.ok() for result in schema.get_all_operations()]
        finally:
            context.close()


OPERATIONS = _operations()


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_no_5xx_and_responses_match_schema(operation: Any, app: Any, api: Api) -> None:
    world = build_world(api)
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "content": SRT}],
    )
    live = schemathesis.openapi.from_asgi("/openapi.json", app)
    bound = live[operation.path][operation.method.upper()]
    checks = [check for name in CHECK_NAMES for check in CHECKS.get_by_names([name])]
    headers = {"Authorization": f"Bearer {world.teacher.token}"}

    @given(case=bound.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, (case.method, case.formatted_path, response.text)
        case.validate_response(response, checks=checks)

    run()


class _Walk:
    """Calls one operation with concrete values, asserts the status, and validates the response
    against the operation's documentation with schemathesis's checks."""

    def __init__(self, app: Any, api: Api) -> None:
        self.api = api
        self.live = schemathesis.openapi.from_asgi("/openapi.json", app)
        self.checks: list[Any] = [
            check for name in CHECK_NAMES for check in CHECKS.get_by_names([name])
        ]
        self.seen: set[tuple[str, str]] = set()

    def __call__(
        self,
        method: str,
        template: str,
        who: Person | None,
        expect: int = 200,
        *,
        path: Mapping[str, object] | None = None,
        **kw: Any,
    ) -> Any:
        values = {name: str(value) for name, value in (path or {}).items()}
        response = self.api.request(method, template.format(**values), who, **kw)
        assert response.status_code == expect, (method, template, response.text)
        case = self.live[template][method].Case(path_parameters=values)
        case.validate_response(response, checks=self.checks)
        self.seen.add((method, template))
        return response

    def json(self, *args: Any, **kw: Any) -> Any:
        return self(*args, **kw).json()


def test_success_responses_match_schema(app: Any, api: Api) -> None:
    world = build_world(api)
    call = _Walk(app, api)
    admin, teacher = api.admin, world.teacher
    account = {"account_id": "self"}
    course = {"course_id": world.course}
    media = {"media_object_id": world.media_id}
    attachment = {"attachment_id": world.attachment_id}
    srt = {"content": SRT}
    all_fields = {"include[]": ["content", "webvtt_content", "created_at", "updated_at"]}

    # ---- accounts
    call("GET", "/api/v1/accounts/{account_id}", admin, path=account)
    user = call.json(
        "POST",
        "/api/v1/accounts/{account_id}/users",
        admin,
        path=account,
        data={"user[name]": "Schema Person", "pseudonym[unique_id]": "schema@example.edu"},
    )
    call(
        "PUT",
        "/api/v1/accounts/{account_id}/logins/{login_id}",
        admin,
        path={"account_id": "self", "login_id": user["id"]},
        data={"login[password]": "a schema passphrase"},
    )
    call("GET", "/api/v1/users/{user_id}", teacher, path={"user_id": teacher.id})
    me = {"user_id": teacher.id}
    token = call.json(
        "POST", "/api/v1/users/{user_id}/tokens", teacher, path=me, data={"token[purpose]": "x"}
    )
    call(
        "DELETE",
        "/api/v1/users/{user_id}/tokens/{token_id}",
        teacher,
        path={**me, "token_id": token["id"]},
    )
    call(
        "POST",
        "/api/v1/accounts/{account_id}/courses",
        admin,
        path=account,
        data={"course[name]": "C"},
    )
    call("GET", "/api/v1/courses/{course_id}", teacher, path=course)
    call(
        "POST",
        "/api/v1/courses/{course_id}/enrollments",
        admin,
        path=course,
        data={"enrollment[user_id]": user["id"], "enrollment[type]": "StudentEnrollment"},
    )
    category = call.json(
        "POST",
        "/api/v1/courses/{course_id}/group_categories",
        admin,
        path=course,
        data={"name": "P"},
    )
    call(
        "POST",
        "/api/v1/accounts/{account_id}/group_categories",
        admin,
        path=account,
        data={"name": "A"},
    )
    group_id = call.json(
        "POST",
        "/api/v1/group_categories/{group_category_id}/groups",
        admin,
        path={"group_category_id": category["id"]},
        data={"name": "G"},
    )["id"]
    group = {"group_id": group_id}
    call(
        "POST",
        "/api/v1/groups/{group_id}/memberships",
        admin,
        path=group,
        data={"user_id": teacher.id},
    )
    call("GET", "/api/v1/groups/{group_id}", teacher, path=group)

    # ---- files
    notes = {"name": "notes.txt", "size": 5, "content_type": "text/plain"}
    ticket = call.json(
        "POST", "/api/v1/courses/{course_id}/files", teacher, path=course, data=notes
    )
    call("POST", "/api/v1/groups/{group_id}/files", teacher, path=group, data=notes)
    call("POST", "/api/v1/users/{user_id}/files", teacher, path=me, data=notes)
    upload_url = urlsplit(ticket["upload_url"])
    uploaded = call.json(
        "POST",
        "/files_api/uploads/{nonce}",
        None,
        201,
        path={"nonce": upload_url.path.rsplit("/", 1)[1]},
        params={"token": parse_qs(upload_url.query)["token"][0]},
        data=ticket["upload_params"],
        files={"file": ("notes.txt", b"notes", "text/plain")},
    )
    file = {"file_id": world.attachment_id}
    call("GET", "/api/v1/files/{file_id}", teacher, path=file)
    folder = call.json("GET", "/api/v1/courses/{course_id}/folders/root", teacher, path=course)
    call("GET", "/api/v1/groups/{group_id}/folders/root", teacher, path=group)
    call("GET", "/api/v1/users/{user_id}/folders/root", teacher, path=me)
    call("DELETE", "/api/v1/files/{file_id}", teacher, path={"file_id": uploaded["id"]})
    download = "/files/{file_id}/download"
    etag = call("GET", download, teacher, path=file).headers["etag"]
    call("HEAD", download, teacher, path=file)
    call("GET", download, teacher, 206, path=file, headers={"Range": "bytes=0-9"})
    call("GET", download, teacher, 304, path=file, headers={"If-None-Match": etag})
    call("GET", download, teacher, 416, path=file, headers={"Range": "bytes=999999-"})

    # ---- tracks (API); then a copy of the file, whose attachment inherits them
    tracks = call.json(
        "PUT",
        "/api/v1/media_objects/{media_object_id}/media_tracks",
        teacher,
        path=media,
        params=all_fields,
        json=[{"locale": "en", **srt}, {"locale": "fr", "kind": "captions", **srt}],
    )
    assert tracks and all("content" in track for track in tracks)
    call("GET", "/api/v1/media_objects/{media_object_id}/media_tracks", teacher, path=media)
    call(
        "GET",
        "/api/v1/media_attachments/{attachment_id}/media_tracks",
        teacher,
        path=attachment,
        params=all_fields,
    )
    copy = call.json(
        "POST",
        "/api/v1/folders/{folder_id}/copy_file",
        teacher,
        path={"folder_id": folder["id"]},
        data={"source_file_id": world.attachment_id, "on_duplicate": "rename"},
    )
    copied = {"attachment_id": copy["id"]}
    call(
        "PUT",
        "/api/v1/media_attachments/{attachment_id}/media_tracks",
        teacher,
        path=copied,
        # Without content, en and fr (inherited) are kept as they are.
        json=[{"locale": "en"}, {"locale": "fr"}, {"locale": "de", **srt}],
    )
    info = call.json("GET", "/media_attachments/{attachment_id}/info", teacher, path=copied)
    assert any("inherited" in track for track in info["media_tracks"]), info

    # ---- media objects: lists (with and without tracks and sources), retitle, register, info
    api.upload(f"groups/{group_id}", teacher, "Clip.mp4", fake_mp4(), "video/mp4")
    api.upload(f"users/{teacher.id}", teacher, "Mine.mp4", fake_mp4(), "video/mp4")
    for template, where in (
        ("/api/v1/media_objects", {}),
        ("/api/v1/media_attachments", {}),
        ("/api/v1/courses/{course_id}/media_objects", course),
        ("/api/v1/courses/{course_id}/media_attachments", course),
        ("/api/v1/groups/{group_id}/media_objects", group),
        ("/api/v1/groups/{group_id}/media_attachments", group),
    ):
        listed = call.json("GET", template, teacher, path=where)
        assert listed and "media_sources" in listed[0], (template, listed)
        call("GET", template, teacher, path=where, params={"exclude[]": ["tracks", "sources"]})
    in_course = call.json("GET", "/api/v1/courses/{course_id}/media_objects", teacher, path=course)
    assert any(item["media_tracks"] for item in in_course), in_course
    call("GET", "/media_objects/{media_object_id}/info", teacher, path=media)
    call("GET", "/media_attachments/{attachment_id}/info", teacher, path=attachment)
    retitle = {"user_entered_title": "Retitled"}
    call("PUT", "/api/v1/media_objects/{media_object_id}", teacher, path=media, data=retitle)
    call("PUT", "/api/v1/media_attachments/{attachment_id}", teacher, path=attachment, data=retitle)
    for template, media_id in (
        ("/api/v1/media_objects", "0_s1"),
        ("/api/v1/media_attachments", "0_s2"),
        ("/api/v1/media_objects", world.media_id),  # already registered: updated
    ):
        register = {"id": media_id, "type": "video", "context_code": f"course_{world.course}"}
        call("POST", template, teacher, data=register)

    # ---- transcript search: the course's tracks say "Hello"
    for template, where in (
        ("/api/v1/groups/{group_id}/caption_search", group),
        ("/api/v1/users/self/caption_search", {}),
    ):
        call("GET", template, teacher, path=where, params={"q": "hello"})
    found = call.json(
        "GET",
        "/api/v1/courses/{course_id}/caption_search",
        teacher,
        path=course,
        params={"q": "hello"},
    )
    assert found and found[0]["cues"], found

    # ---- tracks (non-API): create, WebVTT (and 304), delete
    call(
        "POST",
        "/media_objects/{media_object_id}/media_tracks",
        teacher,
        path=media,
        data={"locale": "es", **srt},
    )
    mine = call.json(
        "POST",
        "/media_attachments/{attachment_id}/media_tracks",
        teacher,
        path=attachment,
        data={"locale": "it", **srt},
    )
    for template, where, track_id in (
        ("/media_objects/{media_object_id}/media_tracks/{track_id}", media, tracks[0]["id"]),
        ("/media_attachments/{attachment_id}/media_tracks/{track_id}", attachment, mine["id"]),
    ):
        one = {**where, "track_id": track_id}
        vtt = call("GET", template, teacher, path=one)
        call(
            "GET", template, teacher, 304, path=one, headers={"If-None-Match": vtt.headers["etag"]}
        )
        # Downloads in each caption format, on the signed route and on the API route.
        for name in sorted(FORMATS):
            call("GET", template, teacher, path=one, params={"format": name})
            download = call(
                "GET", "/api/v1" + template + "/content", teacher, path=one, params={"format": name}
            )
            assert download.headers["content-disposition"].startswith("attachment;")
    # ---- bulk captions: a course's export imported back (dry run, then for real)
    exported = call("GET", "/api/v1/courses/{course_id}/captions.zip", teacher, path=course)
    for dry_run in ("true", "false"):
        call(
            "POST",
            "/api/v1/courses/{course_id}/captions.zip",
            teacher,
            path=course,
            params={"dry_run": dry_run},
            files={"file": ("captions.zip", exported.content, "application/zip")},
        )
    # ---- caption editing: cues read and saved back, a check, a new track from cues
    for prefix, where in (
        ("/api/v1/media_objects/{media_object_id}", media),
        ("/api/v1/media_attachments/{attachment_id}", attachment),
    ):
        one = {**where, "track_id": tracks[0]["id"]}
        opened = call.json("GET", prefix + "/media_tracks/{track_id}/cues", teacher, path=one)
        edited = [{**opened["cues"][0], "text": "Edited via " + prefix[8:20]}]
        call(
            "PUT",
            prefix + "/media_tracks/{track_id}/cues",
            teacher,
            path=one,
            json={"cues": edited, "base_version_id": opened["track"]["version_id"]},
        )
        call("POST", prefix + "/caption_check", teacher, path=where, json={"cues": edited})
    new_cues = [{"start_ms": 0, "end_ms": 1000, "text": "Neu"}]
    for prefix, where, locale in (
        ("/api/v1/media_objects/{media_object_id}", media, "de"),
        ("/api/v1/media_attachments/{attachment_id}", attachment, "pt"),
    ):
        call(
            "POST",
            prefix + "/media_tracks/cues",
            teacher,
            201,
            path=where,
            json={"locale": locale, "cues": new_cues},
        )
    call(
        "DELETE",
        "/media_objects/{media_object_id}/media_tracks/{track_id}",
        teacher,
        path={**media, "track_id": tracks[1]["id"]},
    )
    call(
        "DELETE",
        "/media_attachments/{attachment_id}/media_tracks/{track_id}",
        teacher,
        path={**attachment, "track_id": mine["id"]},
    )

    # ---- LTI registrations
    lti_base = "/api/v1/accounts/{account_id}/lti_registrations"
    registration = call.json(
        "POST",
        lti_base,
        admin,
        path=account,
        json={
            "issuer": "https://lms.example.edu",
            "client_id": "42",
            "auth_login_url": "https://lms.example.edu/auth",
            "auth_token_url": "https://lms.example.edu/token",
            "key_set_url": "https://lms.example.edu/jwks",
            "deployment_ids": ["1:a"],
        },
    )
    one = {**account, "registration_id": registration["id"]}
    call("GET", lti_base, admin, path=account)
    call("GET", lti_base + "/{registration_id}", admin, path=one)
    call("PUT", lti_base + "/{registration_id}", admin, path=one, json={"deployment_ids": []})
    call("DELETE", lti_base + "/{registration_id}", admin, path=one)

    # Every operation of these routers answered with success at least once above: a new route
    # needs a documented success schema and a call here.
    walked = {
        "accounts",
        "files",
        "media objects",
        "media tracks",
        "transcript search",
        "caption editing",
        "lti",
    }
    every = {
        (op.method.upper(), op.path)
        for op in OPERATIONS
        if walked & set(op.definition.raw.get("tags", []))
    }
    assert len(every) >= 47
    assert sorted(every - call.seen) == []


def test_delivery_and_player_responses_match_schema(
    app: Any, api: Api, tmp_path_factory: pytest.TempPathFactory
) -> None:
    world = build_world(api)
    call = _Walk(app, api)
    teacher = world.teacher
    clip = make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=1, size="160x120")
    file = api.upload(
        f"courses/{world.course}", teacher, "Clip.mp4", clip.read_bytes(), "video/mp4"
    )
    api.ok(
        "PUT",
        f"/api/v1/media_objects/{file['media_entry_id']}/media_tracks",
        teacher,
        json=[{"locale": "en", "content": SRT}],
    )
    api.ctx.jobs.run_pending_now()
    media = {"media_object_id": file["media_entry_id"]}
    attachment = {"attachment_id": file["id"]}
    sources = api.ok("GET", "/media_objects/{media_object_id}/info".format(**media), teacher)[
        "media_sources"
    ]
    assert sources, "the clip was not transcoded"

    # ---- a media source's bytes: whole, a range, not modified, a range past the end; HEAD
    source = "/media_sources/{source_id}/{filename}"
    for item in sources:
        name = urlsplit(item["url"]).path.rsplit("/", 1)[1]
        where = {"source_id": urlsplit(item["url"]).path.split("/")[2], "filename": name}
        whole = call("GET", source, teacher, path=where)
        assert whole.headers["content-type"] == item["content_type"]
        call("HEAD", source, teacher, path=where)
        ranged = call("GET", source, teacher, 206, path=where, headers={"Range": "bytes=0-9"})
        assert ranged.headers["content-range"].startswith("bytes 0-9/")
        etag = whole.headers["etag"]
        call("GET", source, teacher, 304, path=where, headers={"If-None-Match": etag})
        call("GET", source, teacher, 416, path=where, headers={"Range": "bytes=99999999-"})

    # ---- redirects to a rendition, pictures, player pages
    for template, where in (
        ("/media_objects/{media_object_id}", media),
        ("/media_attachments/{attachment_id}", attachment),
    ):
        moved = call(
            "GET", template + "/redirect", teacher, 302, path=where, follow_redirects=False
        )
        assert "/media_sources/" in moved.headers["location"]
        picture = call("GET", template + "/thumbnail", teacher, path=where, params={"width": 80})
        assert picture.headers["content-type"] == "image/jpeg"
        etag = picture.headers["etag"]
        call(
            "GET",
            template + "/thumbnail",
            teacher,
            304,
            path=where,
            params={"width": 80},
            headers={"If-None-Match": etag},
        )
        call("GET", template + "/thumbnail", teacher, path=where)
    for template, where in (
        ("/media_objects_iframe/{media_object_id}", media),
        ("/media_attachments_iframe/{attachment_id}", attachment),
    ):
        page = call("GET", template, teacher, path=where)
        assert "<video" in page.text and "<track" in page.text

    # ---- HLS: the master, then a variant and a subtitle playlist it names
    for template, where in (
        ("/media_objects/{media_object_id}/hls", media),
        ("/media_attachments/{attachment_id}/hls", attachment),
    ):
        master = call("GET", template + "/master.m3u8", teacher, path=where).text
        variant = re.search(r"/hls/variants/([^/?]+)\.m3u8", master)
        track = re.search(r"/hls/subtitles/(\d+)\.m3u8", master)
        assert variant is not None and track is not None, master
        call("GET", template + "/variants/{name}.m3u8", teacher,
             path={**where, "name": variant[1]})  # fmt: skip
        call("GET", template + "/subtitles/{track_id}.m3u8", teacher,
             path={**where, "track_id": track[1]})  # fmt: skip

    # ---- the early stream of an upload still being processed: its live playlist and pieces
    pending = api.upload(f"courses/{world.course}", teacher, "Phone.mp4", fake_mp4(), "video/mp4")
    with api.ctx.pipeline.write() as session:
        pending_object = repo.get_by_media_id(session, pending["media_entry_id"])
        assert pending_object is not None
        pending_object.processing_state = "processing"
        pending_id = pending_object.id
    scratch = tmp_path_factory.mktemp("live")
    (scratch / "init.mp4").write_bytes(b"\0\0\0\x10ftypiso6")
    (scratch / "0.m4s").write_bytes(b"\0\0\0\x08moof")
    publish = SegmentPublisher(api.ctx.pipeline, pending["media_entry_id"], pending_id)
    publish(LiveSegment(0, scratch / "0.m4s", 6.0, scratch / "init.mp4"))
    for template, where in (
        ("/media_objects/{media_object_id}/hls", {"media_object_id": pending["media_entry_id"]}),
        ("/media_attachments/{attachment_id}/hls", {"attachment_id": pending["id"]}),
    ):
        live = call("GET", template + "/live.m3u8", teacher, path=where).text
        assert "#EXT-X-PLAYLIST-TYPE:EVENT" in live and "/hls/live/0.m4s?" in live
        for piece in ("init.mp4", "0.m4s"):
            call("GET", template + "/live/{piece}", teacher, path={**where, "piece": piece})
            call("HEAD", template + "/live/{piece}", teacher, path={**where, "piece": piece})

    # Every delivery and player operation answered with success above, with the documented
    # status, content type and headers.
    every = {
        (op.method.upper(), op.path)
        for op in OPERATIONS
        if {"delivery", "player"} & set(op.definition.raw.get("tags", []))
    }
    assert len(every) == 20
    assert sorted(every - call.seen) == []


def _fresh_world(api: Api) -> str:
    """Every row deleted and the course world made again: each stateful sequence starts from
    the same state, as Hypothesis needs to replay one. Returns a site admin's token."""
    with api.ctx.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    fresh = Api(api.client, api.ctx)
    world = build_world(fresh)
    fresh.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "content": SRT}],
    )
    return fresh.admin.token


def test_stateful_sequences_never_5xx_and_match_schema(app: Any, api: Api) -> None:
    """Sequences of calls chained through the links of the OpenAPI description (ids from one
    response fed into the next request), as a site admin who may reach every operation. Each
    sequence starts from a fresh course world."""
    # Rate limits would make the same sequence answer differently the second time it runs:
    # they are tested in test_rate_limits.py.
    unlimited = {
        f"rate_limit_{action}_{what}": 10**9
        for action in ("picture", "token", "tracks", "asr")
        for what in ("per_minute", "burst")
    }
    api.ctx.limiter = build_limiter(api.ctx.settings.model_copy(update=unlimited))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    checks = [check for name in CHECK_NAMES for check in CHECKS.get_by_names([name])]
    headers: dict[str, str] = {}
    calls: list[tuple[str, int]] = []
    problems: list[str] = []

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            headers["Authorization"] = f"Bearer {_fresh_world(api)}"

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": dict(headers)}

        def validate_response(self, response: Any, case: Any, **_kw: Any) -> None:
            calls.append((f"{case.method} {case.path}", response.status_code))
            where = f"{case.method} {case.formatted_path} -> {response.status_code}"
            if response.status_code >= 500:
                problems.append(f"{where}: {response.text[:300]}")
                return
            try:
                case.validate_response(response, checks=checks)
            except Exception as exc:  # schemathesis raises a group of check failures
                problems.append(f"{where}: {exc}"[:1000])

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=10,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert problems == []
    chained = {name for name, status in calls if status < 400}
    # Links carry ids from one call to the next: many operations succeed in a sequence (10 of
    # about 70; which ones varies with the ids each database hands out).
    assert len(chained) >= 10, sorted(chained)
