"""Provisioning routes, Canvas-shaped: users, tokens, courses, enrollments, group categories,
groups and memberships. Thin handlers: parameters in, service call, JSON out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from mediaobjects.accounts import schemas
from mediaobjects.accounts import service as accounts
from mediaobjects.errors import NotFound
from mediaobjects.http.deps import CanvasParams, Ctx, CurrentPrincipal, DbSession
from mediaobjects.http.limits import limit_token_creation
from mediaobjects.http.openapi import (
    ACCOUNT,
    COURSE,
    ENROLLMENT,
    ERROR_RESPONSES,
    GROUP,
    GROUP_CATEGORY,
    GROUP_MEMBERSHIP,
    TOKEN,
    TOKEN_CREATED,
    TOO_MANY_REQUESTS,
    USER,
    ok,
)
from mediaobjects.http.responses import canvas_json

router = APIRouter(prefix="/api/v1", tags=["accounts"], responses=ERROR_RESPONSES)


def _check_account(account_id: str) -> None:
    # There is one root account; Canvas clients address it as "self" or by its id.
    if account_id not in ("self", "1"):
        raise NotFound()


@router.get(
    "/accounts/{account_id}",
    summary="Get a single account",
    responses=ok("The account", ACCOUNT),
)
def show_account(
    account_id: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    _check_account(account_id)
    accounts.require_site_admin(principal)
    account = accounts.get_root_account(session)
    return canvas_json(request, schemas.account_json(account))


@router.post(
    "/accounts/{account_id}/users", summary="Create a user", responses=ok("The new user", USER)
)
def create_user(
    account_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: CanvasParams,
) -> Response:
    _check_account(account_id)
    accounts.require_site_admin(principal)
    name = params.text("user", "name", required=True) or ""
    login = params.text("pseudonym", "unique_id", required=True) or ""
    user = accounts.create_user(session, principal, name, login)
    return canvas_json(request, schemas.user_json(user))


@router.get("/users/{user_id}", summary="Show user details", responses=ok("The user", USER))
def show_user(
    user_id: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    user = accounts.get_user(session, principal, user_id)
    return canvas_json(request, schemas.user_json(user))


@router.post(
    "/users/{user_id}/tokens",
    summary="Create an access token",
    responses={
        **ok("The new token, with the token itself (shown only here)", TOKEN_CREATED),
        **TOO_MANY_REQUESTS,
    },
)
def create_token(
    user_id: str,
    request: Request,
    ctx: Ctx,
    session: DbSession,
    principal: CurrentPrincipal,
    params: CanvasParams,
) -> Response:
    accounts.require_user(principal)
    # Counted per user before anything else is looked at (site admins excepted).
    limit_token_creation(ctx, request, principal)
    purpose = params.text("token", "purpose", required=True) or ""
    expires_at = params.timestamp("token", "expires_at")
    token, raw = accounts.create_token(session, principal, user_id, purpose, expires_at)
    return canvas_json(request, schemas.token_json(token, raw))


@router.delete(
    "/users/{user_id}/tokens/{token_id}",
    summary="Revoke an access token",
    responses=ok("The revoked token", TOKEN),
)
def delete_token(
    user_id: str,
    token_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    token = accounts.revoke_token(session, principal, user_id, accounts.parse_id(token_id))
    return canvas_json(request, schemas.token_json(token))


@router.post(
    "/accounts/{account_id}/courses",
    summary="Create a course",
    responses=ok("The new course", COURSE),
)
def create_course(
    account_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: CanvasParams,
) -> Response:
    _check_account(account_id)
    accounts.require_site_admin(principal)
    name = params.text("course", "name", required=True) or ""
    code = params.text("course", "course_code")
    course = accounts.create_course(session, principal, name, code)
    return canvas_json(request, schemas.course_json(course))


@router.get(
    "/courses/{course_id}", summary="Get a single course", responses=ok("The course", COURSE)
)
def show_course(
    course_id: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    course = accounts.read_course(session, principal, course_id)
    return canvas_json(request, schemas.course_json(course))


@router.post(
    "/courses/{course_id}/enrollments",
    summary="Enroll a user",
    responses=ok("The enrollment", ENROLLMENT),
)
def enroll_user(
    course_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: CanvasParams,
) -> Response:
    accounts.require_site_admin(principal)
    accounts.load_course(session, course_id)
    user_id = params.integer("enrollment", "user_id", required=True) or 0
    enrollment_type = params.text("enrollment", "type", required=True) or ""
    enrollment, user = accounts.enroll_user(session, principal, course_id, user_id, enrollment_type)
    return canvas_json(request, schemas.enrollment_json(enrollment, user))


@router.post(
    "/courses/{course_id}/group_categories",
    summary="Create a group category",
    responses=ok("The new group category", GROUP_CATEGORY),
)
def create_course_group_category(
    course_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: CanvasParams,
) -> Response:
    accounts.require_site_admin(principal)
    accounts.load_course(session, course_id)
    name = params.text("name", required=True) or ""
    category = accounts.create_group_category(session, principal, "Course", course_id, name)
    return canvas_json(request, schemas.group_category_json(category))


@router.post(
    "/accounts/{account_id}/group_categories",
    summary="Create an account group category",
    responses=ok("The new group category", GROUP_CATEGORY),
)
def create_account_group_category(
    account_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: CanvasParams,
) -> Response:
    _check_account(account_id)
    accounts.require_site_admin(principal)
    name = params.text("name", required=True) or ""
    category = accounts.create_group_category(session, principal, "Account", account_id, name)
    return canvas_json(request, schemas.group_category_json(category))


@router.post(
    "/group_categories/{group_category_id}/groups",
    summary="Create a group",
    responses=ok("The new group", GROUP),
)
def create_group(
    group_category_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: CanvasParams,
) -> Response:
    accounts.require_site_admin(principal)
    name = params.text("name", required=True) or ""
    group = accounts.create_group(session, principal, group_category_id, name)
    return canvas_json(request, schemas.group_json(group, 0))


@router.get("/groups/{group_id}", summary="Get a single group", responses=ok("The group", GROUP))
def show_group(
    group_id: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    group = accounts.read_group(session, principal, group_id)
    count = accounts.group_member_count(session, group.id)
    return canvas_json(request, schemas.group_json(group, count))


@router.post(
    "/groups/{group_id}/memberships",
    summary="Create a membership",
    responses=ok("The membership", GROUP_MEMBERSHIP),
)
def create_membership(
    group_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: CanvasParams,
) -> Response:
    accounts.require_site_admin(principal)
    accounts.load_group(session, group_id)
    user_id = params.integer("user_id", required=True) or 0
    membership = accounts.add_group_member(session, principal, group_id, user_id)
    return canvas_json(request, schemas.membership_json(membership))
