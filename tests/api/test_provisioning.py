"""Provisioning, Canvas-shaped, site admin only: users, tokens, courses, enrollments, group
categories, groups and memberships — each with every way a request can be rejected."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from mediaobjects.accounts.models import Course, Enrollment, GroupMembership, User
from tests.support.api import Api


def count(api: Api, model: Any) -> int:
    with api.ctx.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# ---- users ---------------------------------------------------------------------------------


def test_create_user_form_encoded(api: Api) -> None:
    body = api.ok(
        "POST",
        "/api/v1/accounts/self/users",
        data={"user[name]": "Ada Lovelace", "pseudonym[unique_id]": "ada@example.edu"},
    )
    assert body["name"] == "Ada Lovelace"
    assert body["login_id"] == "ada@example.edu"
    assert body["sortable_name"] == "Lovelace, Ada"
    assert isinstance(body["id"], int)
    assert body["created_at"].endswith("Z")


def test_create_user_json(api: Api) -> None:
    body = api.ok(
        "POST",
        "/api/v1/accounts/1/users",
        json={"user": {"name": "Grace Hopper"}, "pseudonym": {"unique_id": "grace"}},
    )
    assert body["login_id"] == "grace"


def test_users_self(api: Api) -> None:
    user = api.user("Alan Turing")
    body = api.ok("GET", "/api/v1/users/self", user)
    assert body["id"] == user.id
    assert body["name"] == "Alan Turing"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"pseudonym[unique_id]": "x@y"}, "user[name]"),
        ({"user[name]": "X"}, "pseudonym[unique_id]"),
        ({"user[name]": "   ", "pseudonym[unique_id]": "x@y"}, "user[name]"),
        ({"user[name]": "X" * 300, "pseudonym[unique_id]": "x@y"}, "user[name]"),
    ],
)
def test_create_user_rejects_missing_or_bad_fields(
    api: Api, data: dict[str, str], field: str
) -> None:
    before = count(api, User)
    r = api.request("POST", "/api/v1/accounts/self/users", api.admin, data=data)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == field
    assert count(api, User) == before


def test_create_user_rejects_taken_login_case_insensitively(api: Api) -> None:
    api.ok(
        "POST",
        "/api/v1/accounts/self/users",
        data={"user[name]": "A", "pseudonym[unique_id]": "Same@x"},
    )
    before = count(api, User)
    r = api.request(
        "POST",
        "/api/v1/accounts/self/users",
        api.admin,
        data={"user[name]": "B", "pseudonym[unique_id]": "same@X"},
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["error_code"] == "taken"
    assert count(api, User) == before


def test_create_user_rejects_malformed_json(api: Api) -> None:
    r = api.request(
        "POST",
        "/api/v1/accounts/self/users",
        api.admin,
        content=b'{"user": ',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert "JSON" in r.json()["errors"][0]["message"]


def test_create_user_rejects_json_array_body(api: Api) -> None:
    r = api.request("POST", "/api/v1/accounts/self/users", api.admin, json=[1, 2])
    assert r.status_code == 400


def test_create_user_rejects_wrong_types(api: Api) -> None:
    r = api.request(
        "POST",
        "/api/v1/accounts/self/users",
        api.admin,
        json={"user": {"name": ["a"]}, "pseudonym": {"unique_id": "x"}},
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "user[name]"


def test_create_user_rejects_oversized_body(api: Api) -> None:
    big = "x" * (api.ctx.settings.max_request_body_bytes + 1)
    r = api.request(
        "POST",
        "/api/v1/accounts/self/users",
        api.admin,
        data={"user[name]": big, "pseudonym[unique_id]": "x"},
    )
    assert r.status_code == 413
    assert r.json()["errors"][0]["error_code"] == "payload_too_large"


def test_create_user_unknown_account_is_404(api: Api) -> None:
    r = api.request(
        "POST",
        "/api/v1/accounts/7/users",
        api.admin,
        data={"user[name]": "A", "pseudonym[unique_id]": "a"},
    )
    assert r.status_code == 404


def test_create_user_by_non_admin_is_403_and_anonymous_401(api: Api) -> None:
    user = api.user()
    data = {"user[name]": "A", "pseudonym[unique_id]": "new"}
    before = count(api, User)
    assert api.request("POST", "/api/v1/accounts/self/users", user, data=data).status_code == 403
    assert api.request("POST", "/api/v1/accounts/self/users", None, data=data).status_code == 401
    assert count(api, User) == before


def test_other_users_profile_is_admin_only(api: Api) -> None:
    a, b = api.user(), api.user()
    assert api.request("GET", f"/api/v1/users/{b.id}", a).status_code == 403
    assert api.request("GET", f"/api/v1/users/{b.id}", api.admin).status_code == 200
    assert api.request("GET", "/api/v1/users/999999", api.admin).status_code == 404


# ---- tokens --------------------------------------------------------------------------------


def test_create_token_returns_full_token_once(api: Api) -> None:
    user = api.user()
    body = api.ok("POST", f"/api/v1/users/{user.id}/tokens", data={"token[purpose]": "scripts"})
    assert body["purpose"] == "scripts"
    assert body["user_id"] == user.id
    assert body["token"].startswith("1~")
    assert (
        api.client.get(
            "/api/v1/users/self", headers={"Authorization": f"Bearer {body['token']}"}
        ).json()["id"]
        == user.id
    )


def test_user_may_create_own_token_but_not_others(api: Api) -> None:
    a, b = api.user(), api.user()
    assert (
        api.request(
            "POST", "/api/v1/users/self/tokens", a, data={"token[purpose]": "me"}
        ).status_code
        == 200
    )
    assert (
        api.request(
            "POST", f"/api/v1/users/{b.id}/tokens", a, data={"token[purpose]": "x"}
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "token[purpose]"),
        ({"token[purpose]": "x", "token[expires_at]": "tomorrow"}, "token[expires_at]"),
        ({"token[purpose]": "x", "token[expires_at]": "2001-01-01T00:00:00Z"}, "token[expires_at]"),
    ],
)
def test_create_token_rejects_bad_fields(api: Api, data: dict[str, str], field: str) -> None:
    user = api.user()
    r = api.request("POST", f"/api/v1/users/{user.id}/tokens", api.admin, data=data)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == field


def test_create_token_for_unknown_user_is_404(api: Api) -> None:
    r = api.request("POST", "/api/v1/users/424242/tokens", api.admin, data={"token[purpose]": "x"})
    assert r.status_code == 404


def test_revoke_unknown_token_is_404(api: Api) -> None:
    user = api.user()
    assert (
        api.request("DELETE", f"/api/v1/users/{user.id}/tokens/99999", api.admin).status_code == 404
    )


# ---- courses and enrollments ------------------------------------------------------------------


def test_create_and_show_course(api: Api) -> None:
    body = api.ok("POST", "/api/v1/accounts/self/courses", data={"course[name]": "Biology 101"})
    assert body["name"] == "Biology 101"
    assert body["course_code"] == "Biology 101"
    shown = api.ok("GET", f"/api/v1/courses/{body['id']}")
    assert shown["id"] == body["id"]


def test_create_course_rejects_missing_name(api: Api) -> None:
    before = count(api, Course)
    r = api.request("POST", "/api/v1/accounts/self/courses", api.admin, data={})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "course[name]"
    assert count(api, Course) == before


def test_show_course_unknown_is_404_and_non_numeric_is_404(api: Api) -> None:
    assert api.request("GET", "/api/v1/courses/98765", api.admin).status_code == 404
    assert api.request("GET", "/api/v1/courses/abc", api.admin).status_code == 404


def test_show_course_needs_enrollment(api: Api) -> None:
    course = api.course()
    outsider, student = api.user(), api.user()
    api.enroll(course, student, "student")
    assert api.request("GET", f"/api/v1/courses/{course}", outsider).status_code == 403
    assert api.request("GET", f"/api/v1/courses/{course}", student).status_code == 200
    assert api.request("GET", f"/api/v1/courses/{course}", None).status_code == 401


@pytest.mark.parametrize("role", ["teacher", "ta", "designer", "student", "observer"])
def test_enroll_each_role_active_at_once(api: Api, role: str) -> None:
    course, user = api.course(), api.user()
    body = api.enroll(course, user, role)
    assert body["enrollment_state"] == "active"
    assert body["course_id"] == course
    assert body["user_id"] == user.id
    assert body["type"].lower().startswith(role)


def test_enroll_twice_returns_the_same_enrollment(api: Api) -> None:
    course, user = api.course(), api.user()
    first = api.enroll(course, user, "teacher")
    second = api.enroll(course, user, "teacher")
    assert first["id"] == second["id"]
    assert count(api, Enrollment) == 1


def test_enroll_json_body(api: Api) -> None:
    course, user = api.course(), api.user()
    body = api.ok(
        "POST",
        f"/api/v1/courses/{course}/enrollments",
        json={"enrollment": {"user_id": user.id, "type": "StudentEnrollment"}},
    )
    assert body["type"] == "StudentEnrollment"


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        ({"enrollment[type]": "StudentEnrollment"}, 400, "enrollment[user_id]"),
        (
            {"enrollment[user_id]": "abc", "enrollment[type]": "StudentEnrollment"},
            400,
            "enrollment[user_id]",
        ),
        (
            {"enrollment[user_id]": "99999", "enrollment[type]": "StudentEnrollment"},
            400,
            "enrollment[user_id]",
        ),
        (
            {"enrollment[user_id]": "USER", "enrollment[type]": "KingEnrollment"},
            400,
            "enrollment[type]",
        ),
        ({"enrollment[user_id]": "USER"}, 400, "enrollment[type]"),
    ],
)
def test_enroll_rejects_bad_fields(api: Api, data: dict[str, str], status: int, field: str) -> None:
    course, user = api.course(), api.user()
    data = {k: (str(user.id) if v == "USER" else v) for k, v in data.items()}
    r = api.request("POST", f"/api/v1/courses/{course}/enrollments", api.admin, data=data)
    assert r.status_code == status
    assert r.json()["errors"][0]["field"] == field
    assert count(api, Enrollment) == 0


def test_enroll_in_unknown_course_is_404(api: Api) -> None:
    user = api.user()
    r = api.request(
        "POST",
        "/api/v1/courses/5555/enrollments",
        api.admin,
        data={"enrollment[user_id]": user.id, "enrollment[type]": "StudentEnrollment"},
    )
    assert r.status_code == 404


def test_enroll_by_teacher_is_403(api: Api) -> None:
    course, teacher, other = api.course(), api.user(), api.user()
    api.enroll(course, teacher, "teacher")
    r = api.request(
        "POST",
        f"/api/v1/courses/{course}/enrollments",
        teacher,
        data={"enrollment[user_id]": other.id, "enrollment[type]": "StudentEnrollment"},
    )
    assert r.status_code == 403


# ---- groups ----------------------------------------------------------------------------------


def test_group_category_group_and_membership(api: Api) -> None:
    course, student = api.course(), api.user()
    api.enroll(course, student, "student")
    category = api.ok("POST", f"/api/v1/courses/{course}/group_categories", data={"name": "Labs"})
    assert category["name"] == "Labs"
    assert category["course_id"] == course
    group = api.ok(
        "POST", f"/api/v1/group_categories/{category['id']}/groups", data={"name": "Lab A"}
    )
    assert group["group_category_id"] == category["id"]
    assert group["course_id"] == course
    membership = api.ok(
        "POST", f"/api/v1/groups/{group['id']}/memberships", data={"user_id": student.id}
    )
    assert membership["group_id"] == group["id"]
    assert membership["user_id"] == student.id
    assert membership["workflow_state"] == "accepted"
    again = api.ok(
        "POST", f"/api/v1/groups/{group['id']}/memberships", data={"user_id": student.id}
    )
    assert again["id"] == membership["id"]
    shown = api.ok("GET", f"/api/v1/groups/{group['id']}", student)
    assert shown["members_count"] == 1


def test_account_group_category(api: Api) -> None:
    category = api.ok("POST", "/api/v1/accounts/self/group_categories", data={"name": "Staff"})
    assert category["account_id"] == 1
    group = api.ok(
        "POST", f"/api/v1/group_categories/{category['id']}/groups", data={"name": "Office"}
    )
    assert group["context_type"] == "Account"


def test_group_category_requires_name(api: Api) -> None:
    course = api.course()
    r = api.request("POST", f"/api/v1/courses/{course}/group_categories", api.admin, data={})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "name"


def test_group_in_unknown_category_is_404(api: Api) -> None:
    r = api.request("POST", "/api/v1/group_categories/777/groups", api.admin, data={"name": "G"})
    assert r.status_code == 404


def test_membership_rejections(api: Api) -> None:
    course, outsider = api.course(), api.user()
    group = api.group(course)
    r = api.request("POST", f"/api/v1/groups/{group}/memberships", api.admin, data={})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "user_id"
    r = api.request(
        "POST", f"/api/v1/groups/{group}/memberships", api.admin, data={"user_id": "99999"}
    )
    assert r.status_code == 400
    r = api.request(
        "POST", f"/api/v1/groups/{group}/memberships", api.admin, data={"user_id": outsider.id}
    )
    assert r.status_code == 400
    assert "not enrolled" in r.json()["errors"][0]["message"]
    assert (
        api.request(
            "POST", "/api/v1/groups/4444/memberships", api.admin, data={"user_id": outsider.id}
        ).status_code
        == 404
    )
    assert count(api, GroupMembership) == 0


def test_string_ids_on_request(api: Api) -> None:
    r = api.request(
        "GET",
        "/api/v1/users/self",
        api.admin,
        headers={"Accept": "application/json+canvas-string-ids"},
    )
    assert r.json()["id"] == str(api.admin.id)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/courses/999999999999999999",
        "/api/v1/users/999999999999999999",
        "/api/v1/groups/999999999999999999",
        "/api/v1/files/999999999999999999",
        "/api/v1/courses/99999999999999999999999",
        "/api/v1/courses/-1",
        "/api/v1/courses/1.5",
    ],
)
def test_out_of_range_ids_are_404_not_5xx(api: Api, path: str) -> None:
    assert api.request("GET", path, api.admin).status_code == 404


def test_out_of_range_user_id_in_body_is_400(api: Api) -> None:
    course = api.course()
    r = api.request(
        "POST",
        f"/api/v1/courses/{course}/enrollments",
        api.admin,
        data={"enrollment[user_id]": "999999999999999999", "enrollment[type]": "StudentEnrollment"},
    )
    assert r.status_code == 400
