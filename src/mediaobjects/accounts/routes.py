"""Provisioning routes, Canvas-shaped: users, tokens, courses, enrollments, group categories,
groups and memberships. Thin handlers: parameters in, service call, JSON out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from mediaobjects.accounts import authentication, passwords, schemas
from mediaobjects.accounts import service as accounts
from mediaobjects.errors import NotFound
from mediaobjects.http.body import allow_body
from mediaobjects.http.deps import BodyParams, Ctx, CurrentPrincipal, DbSession, authorized
from mediaobjects.http.limits import limit_token_creation
from mediaobjects.http.openapi import (
    ACCOUNT,
    COURSE,
    ENROLLMENT,
    ERROR_RESPONSES,
    GROUP,
    GROUP_CATEGORY,
    GROUP_MEMBERSHIP,
    LOGIN,
    TOKEN,
    TOKEN_CREATED,
    TOO_MANY_REQUESTS,
    USER,
    ok,
)
from mediaobjects.http.request_bodies import (
    CATEGORY_LINKS,
    COURSE_BODY,
    COURSE_LINKS,
    ENROLLMENT_BODY,
    GROUP_LINKS,
    LOGIN_BODY,
    MEMBERSHIP_BODY,
    NAME_BODY,
    TOKEN_BODY,
    TOKEN_LINKS,
    USER_BODY,
    USER_LINKS,
    body,
    with_links,
)
from mediaobjects.http.responses import canvas_json
from mediaobjects.numbers import parse_id

# What the path may hold, for the OpenAPI description (and schemathesis): the one root account
# is "self" or 1; a user is "self" or a numeric id. Other values are simply not found (404).
AccountRef = Annotated[str, Path(json_schema_extra={"enum": ["self", "1"]})]
UserRef = Annotated[str, Path(json_schema_extra={"pattern": "^(self|[0-9]{1,18})$"})]

router = APIRouter(prefix="/api/v1", tags=["accounts"], responses=ERROR_RESPONSES)


def _check_account(account_id: str) -> None:
    # There is one root account; Canvas clients address it as "self" or by its id.
    if account_id not in ("self", "1"):
        raise NotFound()


def site_admin_only(request: Request, principal: CurrentPrincipal) -> None:
    """Provisioning is for site admins: anyone else is refused before the body is read."""
    authentication.require_site_admin(principal)
    allow_body(request)


def may_create_token(
    user_id: UserRef, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    authentication.require_user(principal)
    # Counted per user before anything else is looked at (site admins excepted).
    limit_token_creation(ctx, request, principal)
    authorized(request, ctx, lambda s: accounts.authorize_token_creation(s, principal, user_id))


SITE_ADMIN = [Depends(site_admin_only)]


@router.get(
    "/accounts/{account_id}",
    summary="Get a single account",
    responses=ok("The account", ACCOUNT),
)
def show_account(
    account_id: AccountRef, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    _check_account(account_id)
    authentication.require_site_admin(principal)
    account = accounts.get_root_account(session)
    return canvas_json(request, schemas.account_json(account))


@router.post(
    "/accounts/{account_id}/users",
    summary="Create a user",
    responses=with_links(ok("The new user", USER), 200, USER_LINKS),
    dependencies=SITE_ADMIN,
    openapi_extra=body(USER_BODY),
)
def create_user(
    account_id: AccountRef,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: BodyParams,
) -> Response:
    _check_account(account_id)
    name = params.text("user", "name", required=True) or ""
    login = params.text("pseudonym", "unique_id", required=True) or ""
    # Longer than any allowed password, so that the service's rule gives the message.
    password = params.text("pseudonym", "password", max_length=passwords.MAX_LENGTH + 1)
    with ctx.write() as session:
        user = accounts.create_user(session, principal, name, login, password)
        return canvas_json(request, schemas.user_json(user))


def may_change_login(
    login_id: str, request: Request, ctx: Ctx, principal: CurrentPrincipal
) -> None:
    # Another user's password is refused before the body (up to a password's limit) is read.
    authentication.require_user(principal)
    authorized(
        request, ctx, lambda session: accounts.authorize_login_change(session, principal, login_id)
    )


@router.put(
    "/accounts/{account_id}/logins/{login_id}",
    summary="Edit a user login (its password)",
    responses=ok("The login", LOGIN),
    dependencies=[Depends(may_change_login)],
    openapi_extra=body(LOGIN_BODY),
)
def update_login(
    account_id: AccountRef,
    login_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: BodyParams,
) -> Response:
    _check_account(account_id)
    limit = passwords.MAX_LENGTH + 1
    password = params.text("login", "password", required=True, max_length=limit) or ""
    old_password = params.text("login", "old_password", max_length=limit)
    with ctx.write() as session:
        user = accounts.change_password(session, principal, login_id, password, old_password)
        return canvas_json(request, schemas.login_json(user))


@router.get("/users/{user_id}", summary="Show user details", responses=ok("The user", USER))
def show_user(
    user_id: UserRef, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    user = accounts.get_user(session, principal, user_id)
    return canvas_json(request, schemas.user_json(user))


@router.post(
    "/users/{user_id}/tokens",
    summary="Create an access token",
    responses={
        **with_links(
            ok("The new token, with the token itself (shown only here)", TOKEN_CREATED),
            200,
            TOKEN_LINKS,
        ),
        **TOO_MANY_REQUESTS,
    },
    dependencies=[Depends(may_create_token)],
    openapi_extra=body(TOKEN_BODY),
)
def create_token(
    user_id: UserRef,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: BodyParams,
) -> Response:
    purpose = params.text("token", "purpose", required=True) or ""
    expires_at = params.timestamp("token", "expires_at")
    with ctx.write() as session:
        token, raw = accounts.create_token(session, principal, user_id, purpose, expires_at)
        return canvas_json(request, schemas.token_json(token, raw))


@router.delete(
    "/users/{user_id}/tokens/{token_id}",
    summary="Revoke an access token",
    responses=ok("The revoked token", TOKEN),
)
def delete_token(
    user_id: UserRef,
    token_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
) -> Response:
    with ctx.write() as session:
        token = accounts.revoke_token(session, principal, user_id, parse_id(token_id))
        body = schemas.token_json(token)
    # Revoked from now on in this process; in the others within the principal cache's TTL.
    ctx.principals.forget_token(token.id)
    return canvas_json(request, body)


@router.post(
    "/accounts/{account_id}/courses",
    dependencies=SITE_ADMIN,
    summary="Create a course",
    responses=with_links(ok("The new course", COURSE), 200, COURSE_LINKS),
    openapi_extra=body(COURSE_BODY),
)
def create_course(
    account_id: AccountRef,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: BodyParams,
) -> Response:
    _check_account(account_id)
    name = params.text("course", "name", required=True) or ""
    code = params.text("course", "course_code")
    with ctx.write() as session:
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
    dependencies=SITE_ADMIN,
    summary="Enroll a user",
    responses=ok("The enrollment", ENROLLMENT),
    openapi_extra=body(ENROLLMENT_BODY),
)
def enroll_user(
    course_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: BodyParams,
) -> Response:
    user_id = params.integer("enrollment", "user_id", required=True) or 0
    enrollment_type = params.text("enrollment", "type", required=True) or ""
    with ctx.write() as session:
        enrollment, user = accounts.enroll_user(
            session, principal, course_id, user_id, enrollment_type
        )
        return canvas_json(request, schemas.enrollment_json(enrollment, user))


@router.post(
    "/courses/{course_id}/group_categories",
    dependencies=SITE_ADMIN,
    summary="Create a group category",
    responses=with_links(ok("The new group category", GROUP_CATEGORY), 200, CATEGORY_LINKS),
    openapi_extra=body(NAME_BODY),
)
def create_course_group_category(
    course_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: BodyParams,
) -> Response:
    name = params.text("name", required=True) or ""
    with ctx.write() as session:
        category = accounts.create_group_category(session, principal, "Course", course_id, name)
        return canvas_json(request, schemas.group_category_json(category))


@router.post(
    "/accounts/{account_id}/group_categories",
    dependencies=SITE_ADMIN,
    summary="Create an account group category",
    responses=with_links(ok("The new group category", GROUP_CATEGORY), 200, CATEGORY_LINKS),
    openapi_extra=body(NAME_BODY),
)
def create_account_group_category(
    account_id: AccountRef,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: BodyParams,
) -> Response:
    _check_account(account_id)
    name = params.text("name", required=True) or ""
    with ctx.write() as session:
        category = accounts.create_group_category(session, principal, "Account", account_id, name)
        return canvas_json(request, schemas.group_category_json(category))


@router.post(
    "/group_categories/{group_category_id}/groups",
    dependencies=SITE_ADMIN,
    summary="Create a group",
    responses=with_links(ok("The new group", GROUP), 200, GROUP_LINKS),
    openapi_extra=body(NAME_BODY),
)
def create_group(
    group_category_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: BodyParams,
) -> Response:
    name = params.text("name", required=True) or ""
    with ctx.write() as session:
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
    dependencies=SITE_ADMIN,
    summary="Create a membership",
    responses=ok("The membership", GROUP_MEMBERSHIP),
    openapi_extra=body(MEMBERSHIP_BODY),
)
def create_membership(
    group_id: str,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: BodyParams,
) -> Response:
    user_id = params.integer("user_id", required=True) or 0
    with ctx.write() as session:
        membership = accounts.add_group_member(session, principal, group_id, user_id)
        return canvas_json(request, schemas.membership_json(membership))
