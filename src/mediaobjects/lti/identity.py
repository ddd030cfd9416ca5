"""Who launched and from where, as mediaobjects knows them: the platform's user matched to an
existing user by ``user_match_claim`` or made a user of their own (keyed by registration and
``sub``), the platform's context mapped to a course made on its first launch, and the LTI roles
turned into that course's enrollments on every launch. Users, courses and enrollments are made
by the accounts services; this module only keeps the mappings."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from mediaobjects.accounts import service as accounts
from mediaobjects.accounts.authentication import principal_for_user
from mediaobjects.accounts.models import User
from mediaobjects.accounts.principal import Principal
from mediaobjects.db.unique import get_or_create
from mediaobjects.errors import BadRequest
from mediaobjects.lti import repository as repo
from mediaobjects.lti.models import LtiContext, LtiRegistration, LtiUser
from mediaobjects.lti.registrations import NO_MATCH

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
TEACHING_ASSISTANT = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
)
# Context roles (the LIS vocabulary; LTI 1.3 also allows the short names) and the enrollment
# each becomes. A teaching assistant is sent as a sub-role of Instructor, often beside the
# Instructor role itself: the sub-role wins.
ROLE_ENROLLMENTS = {
    "Instructor": "TeacherEnrollment",
    "ContentDeveloper": "DesignerEnrollment",
    "TeachingAssistant": "TaEnrollment",
    "Learner": "StudentEnrollment",
    "Mentor": "ObserverEnrollment",
}
STAFF = frozenset({"TeacherEnrollment", "DesignerEnrollment", "TaEnrollment"})
# The logins launch_user makes; find_user_by_login trims and case-folds, so this does too.
_LAUNCH_LOGIN = re.compile(r"\s*lti-[0-9]+-")


def enrollment_types(roles: Iterable[str]) -> set[str]:
    """The enrollment types of these LTI roles (roles of no course, such as institution
    roles, give none)."""
    names: set[str] = set()
    for role in roles:
        if role == TEACHING_ASSISTANT or role.endswith("/Instructor#TeachingAssistant"):
            names.add("TeachingAssistant")
        elif role.startswith(MEMBERSHIP):
            names.add(role[len(MEMBERSHIP) :])
        elif role in ROLE_ENROLLMENTS and role != "TeachingAssistant":
            names.add(role)
    if "TeachingAssistant" in names:
        names.discard("Instructor")
    return {ROLE_ENROLLMENTS[name] for name in names if name in ROLE_ENROLLMENTS}


def _display_name(claims: dict[str, Any]) -> str:
    name = claims.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()[:255]
    parts = [claims.get("given_name"), claims.get("family_name")]
    joined = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    return joined[:255] or "LTI user"


def _match_value(registration: LtiRegistration, claims: dict[str, Any]) -> str | None:
    if registration.user_match_claim == NO_MATCH:
        return None
    value = claims.get(registration.user_match_claim)
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        return None
    return value.strip()


def _matched_user(session: Session, value: str | None) -> User | None:
    """The existing user whose login is ``value``. Never a site admin: a platform's admin can
    send any email address, and would otherwise launch as our administrator. Never a user a
    launch made (``lti-<registration>-<sub>``): that user belongs to its platform's ``sub``
    alone, and another school on the same hosted LMS could set an email address to it."""
    if value is None or _LAUNCH_LOGIN.match(value.casefold()):
        return None
    user = accounts.find_user_by_login(session, value)
    if user is None or principal_for_user(session, user).is_site_admin:
        return None
    return user


def launch_user(session: Session, registration: LtiRegistration, claims: dict[str, Any]) -> User:
    """The user of this launch: the one this (registration, sub) was mapped to before; else
    the existing user matched by the registration's ``user_match_claim``; else a new user
    with the login ``lti-<registration>-<sub>``. Not the claim's value: another platform (on
    hosted Canvas, another school) sending the same email address would then be matched to
    the user this one made."""
    sub: str = claims["sub"]
    own_login = f"lti-{registration.id}-{sub}"[:255]
    mapped = repo.find_lti_user(session, registration.id, sub)
    if mapped is not None:
        user = accounts.get_user_by_id(session, mapped.user_id)
        if user is not None:
            if user.login_id == own_login:
                # Made by a launch: the platform owns the name (a matched existing user's
                # name is theirs to keep).
                accounts.rename_provisioned_user(session, user, _display_name(claims))
            return user
    value = _match_value(registration, claims)
    user = _matched_user(session, value)
    if user is None:
        login = own_login
        try:
            user = accounts.provision_user(session, _display_name(claims), login)
        except BadRequest:
            # Taken a moment ago by a concurrent launch of the same person: theirs is ours.
            found = accounts.find_user_by_login(session, login)
            if found is None:
                raise
            user = found
    chosen = user
    get_or_create(
        session,
        lambda: repo.find_lti_user(session, registration.id, sub),
        lambda: LtiUser(registration_id=registration.id, sub=sub, user_id=chosen.id),
    )
    return chosen


@dataclass(frozen=True)
class LaunchContext:
    context_id: str
    course_id: int


def launch_context(
    session: Session, registration: LtiRegistration, context: dict[str, Any]
) -> LaunchContext:
    """The course of the platform's context, made (titled from the context claim) on its
    first launch and retitled on later ones."""
    context_id = str(context["id"])
    title = context.get("title")
    label = context.get("label")
    name = title if isinstance(title, str) and title.strip() else None
    code = label if isinstance(label, str) and label.strip() else None
    mapped = repo.find_lti_context(session, registration.id, context_id)
    if mapped is not None:
        # The course was made for this context: a title changed in the platform follows.
        if name is not None:
            accounts.rename_provisioned_course(session, mapped.course_id, name)
        return LaunchContext(context_id, mapped.course_id)
    course = accounts.provision_course(
        session, name or code or f"Course {context_id}", code or name or context_id
    )
    row = get_or_create(
        session,
        lambda: repo.find_lti_context(session, registration.id, context_id),
        lambda: LtiContext(
            registration_id=registration.id, context_id=context_id, course_id=course.id
        ),
    )
    return LaunchContext(context_id, row.course_id)


def apply_roles(session: Session, course_id: int, user: User, roles: Iterable[str]) -> set[str]:
    """The user's enrollments in the course made those of the roles; returns them."""
    types = enrollment_types(roles)
    accounts.set_course_roles(session, course_id, user.id, types)
    return types


def user_by_id(session: Session, user_id: int) -> User | None:
    return accounts.get_user_by_id(session, user_id)


def principal_of(session: Session, user: User) -> Principal:
    return principal_for_user(session, user)
