"""Provisioning, Canvas-shaped: the root account and its first admin, users and their tokens,
courses and enrollments, group categories, groups and memberships — who may create what."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediaobjects.accounts import passwords
from mediaobjects.accounts import repository as repo
from mediaobjects.accounts.access import (
    forget_permissions,
    load_course,
    load_group,
    require_permission,
)
from mediaobjects.accounts.authentication import (
    issue_token,
    require_site_admin,
    require_user,
)
from mediaobjects.accounts.models import (
    ENROLLMENT_TYPES,
    AccessToken,
    Account,
    AccountAdmin,
    Course,
    Enrollment,
    Group,
    GroupCategory,
    GroupMembership,
    User,
)
from mediaobjects.accounts.permissions import READ_CONTENTS, Context
from mediaobjects.accounts.principal import Principal
from mediaobjects.db.unique import get_or_create
from mediaobjects.errors import BadRequest, Forbidden, NotFound
from mediaobjects.numbers import parse_id


def _now() -> datetime:
    return datetime.now(UTC)


def _sortable_name(name: str) -> str:
    parts = name.strip().split()
    if len(parts) < 2:
        return name.strip()
    return f"{parts[-1]}, {' '.join(parts[:-1])}"


def ensure_root_account(session: Session) -> Account:
    account = repo.get_root_account(session)
    if account is None:
        account = Account(id=repo.ROOT_ACCOUNT_ID, name="Site Admin")
        session.add(account)
        session.flush()
    return account


def get_root_account(session: Session) -> Account:
    """The root account, which ``create-admin-token`` creates with the first admin."""
    account = repo.get_root_account(session)
    if account is None:
        raise NotFound()
    return account


def _new_user(session: Session, name: str, login_id: str) -> User:
    folded = login_id.strip().casefold()
    if not folded:
        raise BadRequest.for_field(
            "pseudonym[unique_id]", "pseudonym[unique_id] must not be blank", "blank"
        )
    if repo.get_user_by_login(session, folded) is not None:
        raise BadRequest.for_field(
            "pseudonym[unique_id]",
            "ID already in use for this account and authentication provider",
            "taken",
        )
    user = User(
        name=name.strip(),
        sortable_name=_sortable_name(name),
        short_name=name.strip(),
        login_id=login_id.strip(),
        login_id_folded=folded,
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        # Two concurrent requests with one login: the unique index decides.
        raise BadRequest.for_field(
            "pseudonym[unique_id]",
            "ID already in use for this account and authentication provider",
            "taken",
        ) from exc
    return user


def create_user(
    session: Session,
    principal: Principal,
    name: str,
    login_id: str,
    password: str | None = None,
) -> User:
    require_site_admin(principal)
    if not name.strip():
        raise BadRequest.for_field("user[name]", "user[name] must not be blank", "blank")
    if password is not None:
        passwords.check_new_password("pseudonym[password]", password)
    user = _new_user(session, name, login_id)
    if password is not None:
        user.password_hash = passwords.hash_password(password)
    return user


def change_password(
    session: Session,
    principal: Principal,
    login_ref: str,
    password: str,
    old_password: str | None,
) -> User:
    """``PUT /accounts/self/logins/:id``. A login is its user here (one login each), so the
    login id is the user id. Site admins set anyone's password; a user sets their own and,
    as Canvas asks, gives the current one (``login[old_password]``) when they have one. Every
    web session of the user ends: whoever knew the old password is signed out."""
    me = require_user(principal)
    user = authorize_login_change(session, principal, login_ref)
    passwords.check_new_password("login[password]", password)
    own = user.id == me.id and not principal.is_site_admin
    if (
        own
        and user.password_hash is not None
        and not passwords.verify_password(user.password_hash, old_password or "")
    ):
        raise BadRequest.for_field(
            "login[old_password]", "login[old_password] is incorrect", "invalid"
        )
    set_password(session, user, password)
    return user


def authorize_login_change(session: Session, principal: Principal, login_ref: str) -> User:
    """The user whose login ``login_ref`` names, if ``principal`` may change its password
    (their own, or a site admin); NotFound / Forbidden otherwise. Checked before the
    request's body is read."""
    me = require_user(principal)
    user = repo.get_user(session, parse_id(login_ref))
    if user is None:
        raise NotFound()
    if user.id != me.id and not principal.is_site_admin:
        raise Forbidden()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Stores a new password for ``user`` (checked first) and ends their web sessions. For
    the API and for ``mediaobjects set-password``, whose caller is the operator."""
    passwords.check_new_password("password", password)
    user.password_hash = passwords.hash_password(password)
    repo.delete_user_web_sessions(session, user.id)
    session.flush()


def get_user(session: Session, principal: Principal, user_ref: str) -> User:
    """``self`` or a numeric id; others' profiles only for site admins."""
    me = require_user(principal)
    if user_ref == "self":
        return me
    user_id = parse_id(user_ref)
    if user_id == me.id:
        return me
    if not principal.is_site_admin:
        if repo.get_user(session, user_id) is None:
            raise NotFound()
        raise Forbidden()
    user = repo.get_user(session, user_id)
    if user is None:
        raise NotFound()
    return user


def user_names(session: Session, user_ids: list[int]) -> dict[int, str]:
    """The names of these users (for pages that say who wrote something); users that no
    longer exist are left out."""
    return repo.user_names(session, sorted(set(user_ids)))


def find_user_by_login(session: Session, login_id: str) -> User | None:
    """The user whose login is ``login_id`` (compared as logins are: trimmed, case-folded);
    for command-line tools acting as someone. No access check: the caller is the operator."""
    return repo.get_user_by_login(session, login_id.strip().casefold())


def ensure_admin_user(session: Session) -> User:
    """The first site admin, created (with the root account) when there is none."""
    ensure_root_account(session)
    admin = repo.first_site_admin(session)
    if admin is not None:
        return admin
    admin = repo.get_user_by_login(session, "admin")
    if admin is None:
        admin = _new_user(session, "Site Admin", "admin")
    session.add(AccountAdmin(account_id=repo.ROOT_ACCOUNT_ID, user_id=admin.id))
    session.flush()
    return admin


def authorize_token_creation(session: Session, principal: Principal, user_ref: str) -> User:
    """The user a token may be made for: site admins make tokens for anyone, a user only for
    themselves."""
    me = require_user(principal)
    user = get_user(session, principal, user_ref)
    if user.id != me.id and not principal.is_site_admin:
        raise Forbidden()
    return user


def create_token(
    session: Session,
    principal: Principal,
    user_ref: str,
    purpose: str,
    expires_at: datetime | None,
) -> tuple[AccessToken, str]:
    user = authorize_token_creation(session, principal, user_ref)
    if not purpose.strip():
        raise BadRequest.for_field("token[purpose]", "token[purpose] must not be blank", "blank")
    if expires_at is not None and expires_at <= _now():
        raise BadRequest.for_field(
            "token[expires_at]", "token[expires_at] must be in the future", "invalid"
        )
    return issue_token(session, user, purpose.strip(), expires_at)


def revoke_token(
    session: Session, principal: Principal, user_ref: str, token_id: int
) -> AccessToken:
    me = require_user(principal)
    user = get_user(session, principal, user_ref)
    if user.id != me.id and not principal.is_site_admin:
        raise Forbidden()
    token = repo.get_token(session, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound()
    token.workflow_state = "deleted"
    session.flush()
    return token


def create_course(
    session: Session, principal: Principal, name: str, course_code: str | None
) -> Course:
    require_site_admin(principal)
    if not name.strip():
        raise BadRequest.for_field("course[name]", "course[name] must not be blank", "blank")
    account = ensure_root_account(session)
    course = Course(
        account_id=account.id,
        name=name.strip(),
        course_code=(course_code or name).strip(),
        uuid=uuid.uuid4().hex,
    )
    session.add(course)
    session.flush()
    return course


def read_course(session: Session, principal: Principal, course_ref: str) -> Course:
    course = load_course(session, course_ref)
    require_permission(session, principal, Context("Course", course.id), READ_CONTENTS)
    return course


def enroll_user(
    session: Session, principal: Principal, course_ref: str, user_id: int, enrollment_type: str
) -> tuple[Enrollment, User]:
    require_site_admin(principal)
    forget_permissions(session)
    course = load_course(session, course_ref)
    if enrollment_type not in ENROLLMENT_TYPES:
        raise BadRequest.for_field(
            "enrollment[type]",
            "enrollment[type] must be one of " + ", ".join(ENROLLMENT_TYPES),
            "inclusion",
        )
    user = repo.get_user(session, user_id)
    if user is None:
        raise BadRequest.for_field("enrollment[user_id]", f"no user with id {user_id}", "not_found")
    # Canvas answers a repeated enrollment with the existing one (made active again).
    enrollment = get_or_create(
        session,
        lambda: repo.find_enrollment(session, course.id, user.id, enrollment_type),
        lambda: Enrollment(course_id=course.id, user_id=user.id, type=enrollment_type),
    )
    enrollment.workflow_state = "active"
    return enrollment, user


def create_group_category(
    session: Session, principal: Principal, context_type: str, context_ref: str, name: str
) -> GroupCategory:
    require_site_admin(principal)
    if context_type == "Course":
        context_id = load_course(session, context_ref).id
    else:
        if context_ref not in ("self", str(repo.ROOT_ACCOUNT_ID)):
            raise NotFound()
        context_id = ensure_root_account(session).id
    if not name.strip():
        raise BadRequest.for_field("name", "name must not be blank", "blank")
    category = GroupCategory(context_type=context_type, context_id=context_id, name=name.strip())
    session.add(category)
    session.flush()
    return category


def create_group(session: Session, principal: Principal, category_ref: str, name: str) -> Group:
    require_site_admin(principal)
    category = repo.get_group_category(session, parse_id(category_ref))
    if category is None:
        raise NotFound()
    if not name.strip():
        raise BadRequest.for_field("name", "name must not be blank", "blank")
    group = Group(
        group_category_id=category.id,
        context_type=category.context_type,
        context_id=category.context_id,
        name=name.strip(),
    )
    session.add(group)
    session.flush()
    return group


def add_group_member(
    session: Session, principal: Principal, group_ref: str, user_id: int
) -> GroupMembership:
    require_site_admin(principal)
    forget_permissions(session)
    group = load_group(session, group_ref)
    user = repo.get_user(session, user_id)
    if user is None:
        raise BadRequest.for_field("user_id", f"no user with id {user_id}", "not_found")
    if group.context_type == "Course" and not repo.enrollment_types(
        session, user.id, group.context_id
    ):
        raise BadRequest.for_field(
            "user_id", "the user is not enrolled in the group's course", "not_in_context"
        )
    membership = get_or_create(
        session,
        lambda: repo.find_membership(session, group.id, user.id),
        lambda: GroupMembership(group_id=group.id, user_id=user.id),
    )
    membership.workflow_state = "accepted"
    return membership


def group_member_count(session: Session, group_id: int) -> int:
    return repo.count_group_members(session, group_id)


def read_group(session: Session, principal: Principal, group_ref: str) -> Group:
    group = load_group(session, group_ref)
    require_permission(session, principal, Context("Group", group.id), READ_CONTENTS)
    return group


@dataclass(frozen=True)
class Membership:
    """A course or group the user belongs to, as the home page lists it."""

    type: Literal["Course", "Group"]
    id: int
    name: str
    # Enrollment types in a course ("TeacherEnrollment"...); empty for a group.
    roles: tuple[str, ...] = ()
    # A group's course, so that "Study group 1" of two courses can be told apart.
    course_name: str | None = None


def memberships(session: Session, principal: Principal) -> list[Membership]:
    """The courses the caller is actively enrolled in (by name), then the groups they are an
    accepted member of (by name). Site admins see their own memberships, not every course."""
    user = require_user(principal)
    courses: dict[int, Membership] = {}
    for row in repo.enrolled_courses(session, user.id):
        found = courses.get(row.id)
        roles = (found.roles if found is not None else ()) + (row.enrollment_type,)
        courses[row.id] = Membership("Course", row.id, row.name, roles)
    groups = [
        Membership("Group", g.id, g.name, course_name=g.course_name)
        for g in repo.member_groups(session, user.id)
    ]
    return [*courses.values(), *groups]


def user_name(session: Session, user_id: int | None) -> str | None:
    """The name a user goes by, for messages that say who did something; None when there
    is no such user (or no user: automatic work)."""
    if user_id is None:
        return None
    user = repo.get_user(session, user_id)
    return user.name if user is not None else None


# ---- provisioning by a trusted integration (LTI launches) -----------------------------------
# No principal: the caller (a validated LTI launch) vouches for who and where. The rules of
# logins (folded uniqueness) and courses (in the root account) stay those of the API.


def provision_user(session: Session, name: str, login_id: str) -> User:
    """A new user with this name and login (BadRequest when the login is taken)."""
    ensure_root_account(session)
    return _new_user(session, name.strip() or login_id, login_id)


def get_user_by_id(session: Session, user_id: int) -> User | None:
    return repo.get_user(session, user_id)


def provision_course(session: Session, name: str, course_code: str) -> Course:
    """A new course of the root account."""
    account = ensure_root_account(session)
    course = Course(
        account_id=account.id,
        name=name.strip()[:255] or "Course",
        course_code=course_code.strip()[:255] or name.strip()[:255] or "Course",
        uuid=uuid.uuid4().hex,
    )
    session.add(course)
    session.flush()
    return course


def rename_provisioned_user(session: Session, user: User, name: str) -> None:
    """A provisioned user's name as their platform now gives it (a person renamed there)."""
    name = name.strip()[:255]
    if name and name != user.name:
        user.name = name
        user.sortable_name = _sortable_name(name)[:255]
        user.short_name = name


def rename_provisioned_course(session: Session, course_id: int, name: str) -> None:
    """A provisioned course's name as its platform now gives it (a course retitled there)."""
    course = repo.get_course(session, course_id)
    name = name.strip()[:255]
    if course is not None and name and name != course.name:
        course.name = name


def set_course_roles(session: Session, course_id: int, user_id: int, types: set[str]) -> None:
    """Makes ``types`` the user's active enrollments in the course: those missing are created
    or made active again, other active ones become inactive (a teacher who is a student now
    loses the teacher's rights)."""
    unknown = types - set(ENROLLMENT_TYPES)
    if unknown:
        raise ValueError(f"unknown enrollment types {sorted(unknown)}")
    forget_permissions(session)
    existing = {e.type: e for e in repo.enrollments_of(session, course_id, user_id)}
    for enrollment_type, enrollment in existing.items():
        wanted = "active" if enrollment_type in types else "inactive"
        if enrollment.workflow_state != wanted and enrollment.workflow_state != "deleted":
            enrollment.workflow_state = wanted
        elif enrollment.workflow_state == "deleted" and enrollment_type in types:
            enrollment.workflow_state = "active"
    for enrollment_type in sorted(types - set(existing)):
        _enroll(session, course_id, user_id, enrollment_type)
    session.flush()


def _enroll(session: Session, course_id: int, user_id: int, enrollment_type: str) -> None:
    enrollment = get_or_create(
        session,
        lambda: repo.find_enrollment(session, course_id, user_id, enrollment_type),
        lambda: Enrollment(course_id=course_id, user_id=user_id, type=enrollment_type),
    )
    enrollment.workflow_state = "active"
