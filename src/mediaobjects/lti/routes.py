"""The registration API for site admins: ``/api/v1/accounts/self/lti_registrations`` (create,
list, show, update, delete). Thin handlers: parameters in, ``lti.registrations`` call, JSON
out; Canvas's error envelopes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from mediaobjects.accounts.routes import AccountRef, site_admin_only
from mediaobjects.errors import BadRequest, FieldError, NotFound
from mediaobjects.http.deps import BodyParams, Ctx, CurrentPrincipal, DbSession
from mediaobjects.http.openapi import ERROR_RESPONSES, ok
from mediaobjects.http.params import Params
from mediaobjects.http.request_bodies import body
from mediaobjects.http.responses import canvas_json
from mediaobjects.lti import registrations, schemas
from mediaobjects.lti.registrations import MAX_DEPLOYMENTS, RegistrationInput

router = APIRouter(prefix="/api/v1", tags=["lti"], responses=ERROR_RESPONSES)
RegistrationRef = Annotated[str, Path(json_schema_extra={"pattern": "^[0-9]{1,18}$"})]
SITE_ADMIN = [Depends(site_admin_only)]
BASE = "/accounts/{account_id}/lti_registrations"
# Well past any URL a registration accepts, so that the service's rule gives the message.
_TEXT_LIMIT = 4 * registrations.MAX_URL


def _check_account(account_id: str) -> None:
    if account_id not in ("self", "1"):
        raise NotFound()


def _deployment_ids(params: Params) -> list[str] | None:
    raw = params.raw("deployment_ids")
    if raw is None:
        return None
    values = raw if isinstance(raw, list) else [raw]
    if len(values) > MAX_DEPLOYMENTS:
        raise BadRequest.for_field(
            "deployment_ids",
            f"deployment_ids may list at most {MAX_DEPLOYMENTS} deployments",
            "too_long",
        )
    found: list[str] = []
    for index, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, str | int):
            message = "each deployment id must be a string"
            raise BadRequest(message, errors=[FieldError("deployment_ids", message, index=index)])
        found.append(str(value))
    # A form's single empty field ("deployment_ids=") clears the list.
    return [] if found == [""] else found


def _input(params: Params) -> RegistrationInput:
    def text(name: str) -> str | None:
        return params.text(name, max_length=_TEXT_LIMIT)

    return RegistrationInput(
        issuer=text("issuer"),
        client_id=text("client_id"),
        auth_login_url=text("auth_login_url"),
        auth_token_url=text("auth_token_url"),
        key_set_url=text("key_set_url"),
        deployment_ids=_deployment_ids(params),
        user_match_claim=text("user_match_claim"),
    )


@router.post(
    BASE,
    summary="Register an LTI 1.3 platform",
    responses=ok("The new registration", schemas.REGISTRATION_SCHEMA),
    dependencies=SITE_ADMIN,
    openapi_extra=body(schemas.CREATE_BODY),
)
def create_lti_registration(
    account_id: AccountRef,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: BodyParams,
) -> Response:
    _check_account(account_id)
    given = _input(params)
    with ctx.write() as session:
        view = registrations.create_registration(session, principal, given)
        return canvas_json(request, schemas.registration_json(view))


@router.get(
    BASE,
    summary="List the registered LTI 1.3 platforms",
    responses=ok("Every registration, oldest first", schemas.REGISTRATIONS_SCHEMA),
)
def list_lti_registrations(
    account_id: AccountRef, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    _check_account(account_id)
    views = registrations.list_registrations(session, principal)
    return canvas_json(request, [schemas.registration_json(v) for v in views])


@router.get(
    BASE + "/{registration_id}",
    summary="Show an LTI 1.3 registration",
    responses=ok("The registration", schemas.REGISTRATION_SCHEMA),
)
def show_lti_registration(
    account_id: AccountRef,
    registration_id: RegistrationRef,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    _check_account(account_id)
    view = registrations.get_registration(session, principal, registration_id)
    return canvas_json(request, schemas.registration_json(view))


@router.put(
    BASE + "/{registration_id}",
    summary="Change an LTI 1.3 registration (deployment_ids, when given, replaces the list)",
    responses=ok("The changed registration", schemas.REGISTRATION_SCHEMA),
    dependencies=SITE_ADMIN,
    openapi_extra=body(schemas.UPDATE_BODY),
)
def update_lti_registration(
    account_id: AccountRef,
    registration_id: RegistrationRef,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: BodyParams,
) -> Response:
    _check_account(account_id)
    given = _input(params)
    with ctx.write() as session:
        view = registrations.update_registration(session, principal, registration_id, given)
        body_json = schemas.registration_json(view)
    # Its key_set_url may have changed: fetched again at the next launch.
    ctx.lti_key_sets.forget(int(body_json["id"]))
    return canvas_json(request, body_json)


@router.delete(
    BASE + "/{registration_id}",
    summary="Delete an LTI 1.3 registration",
    responses=ok("The deleted registration", schemas.REGISTRATION_SCHEMA),
)
def delete_lti_registration(
    account_id: AccountRef,
    registration_id: RegistrationRef,
    request: Request,
    ctx: Ctx,
    principal: CurrentPrincipal,
) -> Response:
    _check_account(account_id)
    with ctx.write() as session:
        view = registrations.delete_registration(session, principal, registration_id)
        body_json = schemas.registration_json(view)
    ctx.lti_key_sets.forget(int(body_json["id"]))
    return canvas_json(request, body_json)
