"""No input yields a 5xx: every operation of the API, driven with the hostile values people
have found by hand — JSON nested a thousand levels deep, lone UTF-16 surrogates, integers of
thousands of digits, JSON integers past 2^63, timestamps whose offset leaves years 1..9999,
dot segments, NUL, huge strings — in path parameters, query parameters, headers and bodies,
as an anonymous caller, a student and a teacher. Each answer is a 2xx/3xx, or a 4xx in the
Canvas error envelope.

The strategies live in ``tests/support/hostile.py`` so that the next hostile value found by a
person is added there once and reaches every operation. ``make fuzz`` runs this with many more
examples (``MEDIAOBJECTS_FUZZ_EXAMPLES``)."""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api import Api
from tests.support.hostile import (
    BODY_FIELDS,
    QUERY_FIELDS,
    hostile_headers,
    hostile_json_body,
    hostile_scalar,
    hostile_text,
    json_text,
)
from tests.support.world import World, build_world

EXAMPLES = int(os.environ.get("MEDIAOBJECTS_FUZZ_EXAMPLES", "60"))
# `make test` draws the same examples every run, so that it fails only when the code changed;
# `make fuzz` (MEDIAOBJECTS_FUZZ_EXAMPLES) explores new ones each time.
DERANDOMIZE = "MEDIAOBJECTS_FUZZ_EXAMPLES" not in os.environ
SRT = "1\n00:00:01,000 --> 00:00:02,000\nHello\n"
# Path and query values stay below what HTTP servers accept in a request line.
URL_PART = 6000


def _operations(app: Any) -> list[tuple[str, str, list[str]]]:
    """(method, path template, path parameter names) of every operation."""
    out = []
    for path, operations in sorted(app.openapi()["paths"].items()):
        for method in sorted(operations):
            names = re.findall(r"\{(\w+)\}", path)
            out.append((method.upper(), path, names))
    return out


def _valid_path_value(world: World, name: str, track_id: int) -> str:
    values = {
        "media_object_id": world.media_id,
        "attachment_id": str(world.attachment_id),
        "file_id": str(world.attachment_id),
        "course_id": str(world.course),
        "user_id": "self",
        "account_id": "self",
        "track_id": str(track_id),
    }
    return values.get(name, "1")


def _assert_answer(method: str, response: Any, context: str) -> None:
    assert response.status_code < 500, f"{context}: {response.status_code} {response.text[:500]}"
    if method != "HEAD" and 400 <= response.status_code < 500 and response.status_code != 416:
        body = response.json()
        assert isinstance(body, dict), context
        # {"error": ...}: Canvas's envelope of its automatic-captions action (POST .../asr).
        assert "errors" in body or "message" in body or "error" in body, f"{context}: {body}"


@pytest.fixture
def hostile_world(api: Api) -> tuple[World, int]:
    world = build_world(api)
    tracks = api.ok(
        "PUT",
        f"/api/v1/media_objects/{world.media_id}/media_tracks",
        world.teacher,
        json=[{"locale": "en", "content": SRT}],
    )
    return world, int(tracks[0]["id"])


def test_every_operation_survives_hostile_values(
    app: Any, api: Api, hostile_world: tuple[World, int]
) -> None:
    world, track_id = hostile_world
    operations = _operations(app)
    assert len(operations) >= 40
    callers = {
        "anonymous": {},
        "student": world.student.headers,
        "teacher": world.teacher.headers,
        "admin": api.admin.headers,
    }

    @settings(
        max_examples=EXAMPLES * len(operations),
        derandomize=DERANDOMIZE,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        method, template, names = data.draw(st.sampled_from(operations), label="operation")
        who = data.draw(st.sampled_from(sorted(callers)), label="caller")
        path = template
        for name in names:
            if data.draw(st.booleans(), label=f"hostile {name}"):
                value = data.draw(hostile_text(URL_PART), label=name)
            else:
                value = _valid_path_value(world, name, track_id)
            path = path.replace("{" + name + "}", _path_quote(value))
        query = data.draw(
            st.lists(
                st.tuples(st.sampled_from(QUERY_FIELDS), hostile_scalar(URL_PART).map(str)),
                max_size=4,
            ),
            label="query",
        )
        headers = dict(callers[who])
        headers.update(data.draw(hostile_headers(), label="headers"))
        if query:
            path += "?" + _encode_pairs(query)
        kwargs: dict[str, Any] = {"headers": headers}
        if method in ("POST", "PUT"):
            shape = data.draw(st.sampled_from(["json", "form", "raw"]), label="body shape")
            if shape == "json":
                body = data.draw(hostile_json_body(), label="json body")
                kwargs["content"] = json_text(body)
                headers["Content-Type"] = "application/json"
            elif shape == "form":
                fields = data.draw(
                    st.lists(
                        st.tuples(st.sampled_from(BODY_FIELDS), hostile_scalar().map(str)),
                        max_size=5,
                    ),
                    label="form",
                )
                kwargs["content"] = _encode_pairs(fields).encode("ascii")
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                kwargs["content"] = data.draw(
                    st.sampled_from(
                        [
                            "[" * 5000 + "]" * 5000,
                            '{"a":' * 3000 + "1" + "}" * 3000,
                            '["\\ud800"]',
                            "[" + "9" * 5000 + "]",
                            "null",
                            "",
                            "\xff\xfe",
                        ]
                    ),
                    label="raw body",
                )
        response = api.client.request(method, path, **kwargs)
        _assert_answer(method, response, f"{who} {method} {path} {kwargs}"[:2000])

    run()


def _path_quote(value: str) -> str:
    # Lone surrogates cannot be percent-encoded as UTF-8: send their bytes as a client could.
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _encode_pairs(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{_path_quote(key)}={_path_quote(value)}" for key, value in pairs)


def test_deeply_nested_json_is_refused_before_authentication(api: Api) -> None:
    body = "[" * 1000 + "]" * 1000
    for path in ("/api/v1/accounts/self/users", "/api/v1/media_objects"):
        response = api.client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code in (400, 401)
        assert "errors" in response.json()


@pytest.mark.parametrize(
    "value",
    [json.dumps("\ud800"), json.dumps("x\udfffy"), '"\\ud83d"'],
    ids=["high", "low-in-text", "escaped-half-emoji"],
)
def test_lone_surrogates_in_text_fields_are_400(api: Api, value: str) -> None:
    body = '{"user": {"name": ' + value + '}, "pseudonym": {"unique_id": "x@example.edu"}}'
    response = api.client.post(
        "/api/v1/accounts/self/users",
        content=body,
        headers={**api.admin.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "user[name]"


# ---- each hostile value found by hand, one test each -----------------------------------------

HUGE = "9" * 5000


def test_huge_per_page_is_clamped_and_huge_page_is_not_found(
    api: Api, hostile_world: tuple[World, int]
) -> None:
    world, _ = hostile_world
    url = f"/api/v1/courses/{world.course}/media_objects"
    listed = api.request("GET", f"{url}?per_page={HUGE}", world.teacher)
    assert listed.status_code == 200 and len(listed.json()) == 1
    far = api.request("GET", f"{url}?page={HUGE}", world.teacher)
    assert far.status_code == 404
    assert far.json() == {"errors": [{"message": "The specified resource does not exist."}]}


@pytest.mark.parametrize(
    ("range_header", "status"),
    [(f"bytes={HUGE}-", 416), (f"bytes=0-{HUGE}", 206), (f"bytes=-{HUGE}", 206)],
    ids=["start", "end", "suffix"],
)
def test_huge_numbers_in_a_range_header(
    api: Api, hostile_world: tuple[World, int], range_header: str, status: int
) -> None:
    world, _ = hostile_world
    file = api.ok("GET", f"/api/v1/files/{world.attachment_id}", world.teacher)
    response = api.client.get(file["url"], headers={"Range": range_header})
    assert response.status_code == status
    if status == 206:
        assert response.headers["content-range"].startswith("bytes 0-")


@pytest.mark.parametrize(
    ("path", "fields", "field"),
    [
        ("/api/v1/users/self/files", {"name": "a.txt", "size": HUGE}, "size"),
        (
            "/api/v1/users/self/files",
            {"name": "a.txt", "parent_folder_id": HUGE},
            "parent_folder_id",
        ),
    ],
    ids=["size", "parent_folder_id"],
)
def test_huge_numbers_in_upload_fields_are_400(
    api: Api, hostile_world: tuple[World, int], path: str, fields: dict[str, str], field: str
) -> None:
    world, _ = hostile_world
    response = api.request("POST", path, world.teacher, data=fields)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/v1/courses/{course}/enrollments",
            {"enrollment[user_id]": HUGE, "enrollment[type]": "StudentEnrollment"},
            "enrollment[user_id]",
        ),
        ("/api/v1/groups/{group}/memberships", {"user_id": HUGE}, "user_id"),
    ],
    ids=["enrollment", "membership"],
)
def test_huge_user_ids_are_400(
    api: Api, hostile_world: tuple[World, int], path: str, body: dict[str, str], field: str
) -> None:
    world, _ = hostile_world
    category = api.ok(
        "POST", f"/api/v1/courses/{world.course}/group_categories", data={"name": "Teams"}
    )
    group = api.ok("POST", f"/api/v1/group_categories/{category['id']}/groups", data={"name": "A"})
    url = path.format(course=world.course, group=group["id"])
    response = api.request("POST", url, api.admin, data=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("value", ["9223372036854775808", "18446744073709551616", "1" + "0" * 30])
def test_json_integers_past_int64_in_source_file_id_are_400(
    api: Api, hostile_world: tuple[World, int], value: str
) -> None:
    world, _ = hostile_world
    folder = api.ok("GET", "/api/v1/users/self/folders/root", world.teacher)
    response = api.request(
        "POST",
        f"/api/v1/folders/{folder['id']}/copy_file",
        world.teacher,
        content='{"source_file_id": ' + value + "}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "source_file_id"


@pytest.mark.parametrize(
    "value",
    ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59.999999-00:01"],
    ids=["past-9999", "before-1", "microseconds-past-9999"],
)
def test_token_expiry_offsets_leaving_years_1_to_9999_are_400(
    api: Api, hostile_world: tuple[World, int], value: str
) -> None:
    world, _ = hostile_world
    response = api.request(
        "POST",
        "/api/v1/users/self/tokens",
        world.teacher,
        data={"token[purpose]": "x", "token[expires_at]": value},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "token[expires_at]"


def test_a_json_array_parameter_nested_deep_is_ignored_not_a_500(
    api: Api, hostile_world: tuple[World, int]
) -> None:
    world, _ = hostile_world
    deep = "[" * 2000 + '"sources"' + "]" * 2000
    response = api.request(
        "GET", f"/api/v1/courses/{world.course}/media_objects?exclude={deep}", world.teacher
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/media_objects/%00/info",
        "/api/v1/media_objects/a%00b/media_tracks",
        "/media_objects_iframe/%00",
        "/media_objects/%00/thumbnail",
    ],
)
def test_a_nul_in_a_media_id_is_not_found(
    api: Api, hostile_world: tuple[World, int], path: str
) -> None:
    """PostgreSQL cannot compare text holding NUL: the id is no media, not a failed query."""
    world, _ = hostile_world
    response = api.request("GET", path, world.teacher)
    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "The specified resource does not exist."}]}
