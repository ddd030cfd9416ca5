"""Canvas JSON shapes of users, tokens, courses, enrollments, group categories, groups and
memberships."""

from __future__ import annotations

from typing import Any

from mediaobjects.accounts.models import (
    AccessToken,
    Account,
    Course,
    Enrollment,
    Group,
    GroupCategory,
    GroupMembership,
    User,
)
from mediaobjects.timestamps import iso


def account_json(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "uuid": f"mediaobjects-account-{account.id}",
        "parent_account_id": None,
        "root_account_id": None,
        "workflow_state": "active",
        "default_time_zone": "Etc/UTC",
    }


def user_json(user: User, *, include_login: bool = True) -> dict[str, Any]:
    first, _, last = user.name.rpartition(" ")
    out: dict[str, Any] = {
        "id": user.id,
        "name": user.name,
        "created_at": iso(user.created_at),
        "sortable_name": user.sortable_name,
        "short_name": user.short_name,
        "first_name": first or user.name,
        "last_name": last if first else "",
        "sis_user_id": None,
        "integration_id": None,
        "avatar_url": None,
    }
    if include_login:
        out["login_id"] = user.login_id
    return out


def login_json(user: User) -> dict[str, Any]:
    """Canvas's Login (pseudonym). One login per user here, so it shares the user's id."""
    return {
        "id": user.id,
        "user_id": user.id,
        "account_id": 1,
        "unique_id": user.login_id,
        "sis_user_id": None,
        "integration_id": None,
        "authentication_provider_id": None,
        "created_at": iso(user.created_at),
    }


def token_json(token: AccessToken, raw: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": token.id,
        "user_id": token.user_id,
        "purpose": token.purpose,
        "app_name": None,
        "scopes": [],
        "workflow_state": token.workflow_state,
        "token_hint": token.token_hint,
        "visible_token": raw if raw is not None else token.token_hint + "...",
        "created_at": iso(token.created_at),
        "updated_at": iso(token.updated_at),
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
    }
    if raw is not None:
        out["token"] = raw
    return out


def course_json(course: Course) -> dict[str, Any]:
    return {
        "id": course.id,
        "name": course.name,
        "course_code": course.course_code,
        "uuid": course.uuid,
        "account_id": course.account_id,
        "root_account_id": course.account_id,
        "workflow_state": course.workflow_state,
        "created_at": iso(course.created_at),
        "start_at": None,
        "end_at": None,
        "sis_course_id": None,
        "enrollment_term_id": None,
        "default_view": "modules",
        "is_public": False,
    }


def enrollment_json(enrollment: Enrollment, user: User) -> dict[str, Any]:
    return {
        "id": enrollment.id,
        "course_id": enrollment.course_id,
        "user_id": enrollment.user_id,
        "type": enrollment.type,
        # Canvas's built-in roles are named after their enrollment types.
        "role": enrollment.type,
        "enrollment_state": enrollment.workflow_state,
        "created_at": iso(enrollment.created_at),
        "updated_at": iso(enrollment.updated_at),
        "root_account_id": 1,
        "user": user_json(user, include_login=False),
    }


def group_category_json(category: GroupCategory) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": category.id,
        "name": category.name,
        "role": None,
        "self_signup": None,
        "auto_leader": None,
        "group_limit": None,
        "context_type": category.context_type,
        "created_at": iso(category.created_at),
    }
    key = "course_id" if category.context_type == "Course" else "account_id"
    out[key] = category.context_id
    return out


def group_json(group: Group, members_count: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "description": None,
        "group_category_id": group.group_category_id,
        "context_type": group.context_type,
        "members_count": members_count,
        "is_public": False,
        "join_level": "invitation_only",
        "role": None,
        "created_at": iso(group.created_at),
    }
    key = "course_id" if group.context_type == "Course" else "account_id"
    out[key] = group.context_id
    return out


def membership_json(membership: GroupMembership) -> dict[str, Any]:
    return {
        "id": membership.id,
        "group_id": membership.group_id,
        "user_id": membership.user_id,
        "workflow_state": membership.workflow_state,
        "moderator": False,
        "created_at": iso(membership.created_at),
    }
