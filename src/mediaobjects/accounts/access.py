"""The rights a principal holds in a course, group or user context (roles from enrollments and
memberships, mapped by ``accounts.permissions``), and the contexts named in URLs. Every
permission check of every service ends here."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediaobjects.accounts import repository as repo
from mediaobjects.accounts.authentication import require_user
from mediaobjects.accounts.models import Course, Group
from mediaobjects.accounts.permissions import ALL_PERMISSIONS, Context, permissions_for_roles
from mediaobjects.accounts.principal import Principal
from mediaobjects.errors import Forbidden, NotFound
from mediaobjects.numbers import parse_id


def permissions_in(session: Session, principal: Principal, context: Context) -> frozenset[str]:
    """Every permission ``principal`` holds in ``context`` (see permissions.ROLE_PERMISSIONS).

    Remembered for the rest of the unit of work (``session.info``): a page of a hundred media
    objects asks about the same course a hundred times. Enrollment changes clear it."""
    cache = _permissions_cache(session)
    key = (principal.user_id, principal.is_site_admin, context)
    if key not in cache:
        cache[key] = _permissions_in(session, principal, context)
    return cache[key]


def _permissions_cache(
    session: Session,
) -> dict[tuple[int | None, bool, Context], frozenset[str]]:
    cache: dict[tuple[int | None, bool, Context], frozenset[str]] = session.info.setdefault(
        "permissions", {}
    )
    return cache


def forget_permissions(session: Session) -> None:
    session.info.pop("permissions", None)


def _permissions_in(session: Session, principal: Principal, context: Context) -> frozenset[str]:
    user = principal.user
    if user is None:
        return frozenset()
    if principal.is_site_admin:
        return ALL_PERMISSIONS
    if context.type == "User":
        return permissions_for_roles(["Self"]) if context.id == user.id else frozenset()
    if context.type == "Course":
        return permissions_for_roles(repo.enrollment_types(session, user.id, context.id))
    group = repo.get_group(session, context.id)
    if group is None:
        return frozenset()
    roles: list[str] = []
    if repo.is_group_member(session, group.id, user.id):
        roles.append("GroupMember")
    if group.context_type == "Course":
        # Course staff manage their course's groups; students only see their own group.
        course_roles = repo.enrollment_types(session, user.id, group.context_id)
        roles.extend(r for r in course_roles if r not in ("StudentEnrollment",))
    return permissions_for_roles(roles)


def require_permission(
    session: Session, principal: Principal, context: Context, permission: str
) -> None:
    require_user(principal)
    if permission not in permissions_in(session, principal, context):
        raise Forbidden()


def load_course(session: Session, course_ref: str) -> Course:
    course = repo.get_course(session, parse_id(course_ref))
    if course is None or course.workflow_state == "deleted":
        raise NotFound()
    return course


def load_group(session: Session, group_ref: str) -> Group:
    group = repo.get_group(session, parse_id(group_ref))
    if group is None or group.workflow_state == "deleted":
        raise NotFound()
    return group


def load_context(session: Session, context_type: str, ref: str, principal: Principal) -> Context:
    """The course, group or user named in a URL; 404 when it does not exist."""
    if context_type == "Course":
        if principal.user is None or principal.is_site_admin:
            return Context("Course", load_course(session, ref).id)
        # The caller's roles come with the course: the next question is what they may do.
        found = repo.course_with_roles(session, parse_id(ref), principal.user.id)
        if found is None or found[0].workflow_state == "deleted":
            raise NotFound()
        context = Context("Course", found[0].id)
        key = (principal.user_id, principal.is_site_admin, context)
        _permissions_cache(session).setdefault(key, permissions_for_roles(found[1]))
        return context
    if context_type == "Group":
        return Context("Group", load_group(session, ref).id)
    if ref == "self":
        return Context("User", require_user(principal).id)
    user_id = parse_id(ref)
    if repo.get_user(session, user_id) is None:
        raise NotFound()
    return Context("User", user_id)
