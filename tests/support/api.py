"""A small client for tests: provisions users, courses, enrollments and groups through the
HTTP API with a site-admin token, and uploads files through the two-step flow."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient

from mediaobjects.accounts import authentication
from mediaobjects.accounts import service as accounts
from mediaobjects.context import AppContext

ROLE_TYPES = {
    "teacher": "TeacherEnrollment",
    "ta": "TaEnrollment",
    "designer": "DesignerEnrollment",
    "student": "StudentEnrollment",
    "observer": "ObserverEnrollment",
}


@dataclass
class Person:
    id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    def __init__(self, client: TestClient, ctx: AppContext) -> None:
        self.client: TestClient | httpx.Client = client
        self.ctx = ctx
        with ctx.write() as session:
            admin = accounts.ensure_admin_user(session)
            _, raw = authentication.issue_token(session, admin, "tests")
            self.admin = Person(admin.id, raw)
        self._n = 0
        self._login_prefix = "user"

    @classmethod
    def remote(cls, client: httpx.Client, admin_token: str, ctx: AppContext) -> Api:
        """The same client against a running service (tests/support/remote.py): ``ctx`` is a
        stand-in that fails when used, and logins are unique per test since every test shares
        one database."""
        api = cls.__new__(cls)
        api.client = client
        api.ctx = ctx
        me = client.get("/api/v1/users/self", headers={"Authorization": f"Bearer {admin_token}"})
        assert me.status_code == 200, (me.status_code, me.text)
        api.admin = Person(int(me.json()["id"]), admin_token)
        api._n = 0
        api._login_prefix = f"user-{secrets.token_hex(4)}-"
        return api

    def request(
        self, method: str, url: str, who: Person | None = None, **kw: Any
    ) -> httpx.Response:
        headers = dict(kw.pop("headers", {}) or {})
        if who is not None:
            headers.update(who.headers)
        return self.client.request(method, url, headers=headers, **kw)

    def ok(self, method: str, url: str, who: Person | None = None, **kw: Any) -> Any:
        response = self.request(method, url, who or self.admin, **kw)
        assert response.status_code in (200, 201), (response.status_code, response.text)
        return response.json()

    def user(self, name: str | None = None) -> Person:
        self._n += 1
        name = name or f"User {self._n}"
        body = self.ok(
            "POST",
            "/api/v1/accounts/self/users",
            data={
                "user[name]": name,
                "pseudonym[unique_id]": f"{self._login_prefix}{self._n}@example.edu",
            },
        )
        token = self.ok("POST", f"/api/v1/users/{body['id']}/tokens", data={"token[purpose]": "t"})
        return Person(body["id"], token["token"])

    def course(self, name: str = "Course") -> int:
        return int(
            self.ok("POST", "/api/v1/accounts/self/courses", data={"course[name]": name})["id"]
        )

    def enroll(self, course_id: int, person: Person, role: str) -> dict[str, Any]:
        return dict(
            self.ok(
                "POST",
                f"/api/v1/courses/{course_id}/enrollments",
                data={"enrollment[user_id]": person.id, "enrollment[type]": ROLE_TYPES[role]},
            )
        )

    def group(self, course_id: int, *members: Person) -> int:
        category = self.ok(
            "POST", f"/api/v1/courses/{course_id}/group_categories", data={"name": "Projects"}
        )
        group = self.ok(
            "POST", f"/api/v1/group_categories/{category['id']}/groups", data={"name": "G"}
        )
        for member in members:
            self.ok(
                "POST", f"/api/v1/groups/{group['id']}/memberships", data={"user_id": member.id}
            )
        return int(group["id"])

    def start_upload(
        self, context_path: str, who: Person, name: str, size: int, **extra: Any
    ) -> httpx.Response:
        data = {"name": name, "size": size, **extra}
        return self.request("POST", f"/api/v1/{context_path}/files", who, data=data)

    def upload(
        self,
        context_path: str,
        who: Person,
        name: str,
        content: bytes,
        content_type: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        if content_type is not None:
            extra["content_type"] = content_type
        step1 = self.start_upload(context_path, who, name, len(content), **extra)
        assert step1.status_code == 200, step1.text
        info = step1.json()
        step2 = self.client.post(
            info["upload_url"],
            data=info["upload_params"],
            files={"file": (name, content, content_type or "application/octet-stream")},
        )
        assert step2.status_code == 201, step2.text
        return dict(step2.json())
