"""Registering platforms (site admins only, from the API or the command line): validation of
what a platform's admin copies from its LMS, and the registrations with their deployments.

URLs must be https, as LTI 1.3 requires of a platform: tokens and keys travel over them. The
one exception is a loopback host (``localhost``, ``127.0.0.0/8``, ``::1``) over http, so that
an LMS running on the same machine (a developer's Moodle) can be tried; nothing remote ever
qualifies."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediaobjects.accounts.authentication import require_site_admin
from mediaobjects.accounts.principal import Principal
from mediaobjects.errors import BadRequest, Conflict, FieldError, NotFound
from mediaobjects.lti import repository as repo
from mediaobjects.lti.models import LtiRegistration
from mediaobjects.numbers import parse_id

URL_FIELDS = ("auth_login_url", "auth_token_url", "key_set_url")
MAX_URL = 2048
MAX_ID = 255
MAX_DEPLOYMENTS = 100
DEFAULT_USER_MATCH_CLAIM = "email"
# user_match_claim's value that turns matching off.
NO_MATCH = "none"


@dataclass(frozen=True)
class RegistrationInput:
    """What a registration request may carry; None: not given (an update keeps the value)."""

    issuer: str | None = None
    client_id: str | None = None
    auth_login_url: str | None = None
    auth_token_url: str | None = None
    key_set_url: str | None = None
    deployment_ids: list[str] | None = None
    user_match_claim: str | None = None


@dataclass(frozen=True)
class RegistrationView:
    registration: LtiRegistration
    deployment_ids: list[str]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(value: str) -> str | None:
    """Why ``value`` cannot be a platform URL, or None."""
    if len(value) > MAX_URL:
        return f"must be at most {MAX_URL} characters"
    if any(c.isspace() or ord(c) < 32 for c in value):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("https", "http") or not host:
        return "must be an https URL"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"
    if parts.fragment:
        return "must not have a fragment"
    if parts.scheme == "http" and not _loopback(host):
        return "must be an https URL (http only for localhost)"
    return None


def _identifier_problem(value: str) -> str | None:
    if not value.strip():
        return "must not be blank"
    if value != value.strip():
        return "must not start or end with spaces"
    if len(value) > MAX_ID:
        return f"must be at most {MAX_ID} characters"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "must not contain control characters"
    return None


def _validate(given: RegistrationInput, *, creating: bool) -> list[FieldError]:
    errors: list[FieldError] = []

    def need(name: str, value: str | None) -> bool:
        if value is None:
            if creating:
                errors.append(FieldError(name, f"{name} is required", "required"))
            return False
        return True

    if need("issuer", given.issuer):
        assert given.issuer is not None
        problem = _identifier_problem(given.issuer) or url_problem(given.issuer)
        if problem:
            errors.append(FieldError("issuer", f"issuer {problem}", "invalid"))
    if need("client_id", given.client_id):
        assert given.client_id is not None
        problem = _identifier_problem(given.client_id)
        if problem:
            errors.append(FieldError("client_id", f"client_id {problem}", "invalid"))
    for name in URL_FIELDS:
        value: str | None = getattr(given, name)
        if need(name, value):
            assert value is not None
            problem = url_problem(value) if value.strip() else "must not be blank"
            if problem:
                errors.append(FieldError(name, f"{name} {problem}", "invalid"))
    if given.deployment_ids is not None:
        if len(given.deployment_ids) > MAX_DEPLOYMENTS:
            errors.append(
                FieldError(
                    "deployment_ids",
                    f"deployment_ids may list at most {MAX_DEPLOYMENTS} deployments",
                    "too_long",
                )
            )
        for index, deployment_id in enumerate(given.deployment_ids):
            problem = _identifier_problem(deployment_id)
            if problem:
                errors.append(
                    FieldError("deployment_ids", f"deployment id {problem}", "invalid", index=index)
                )
    if given.user_match_claim is not None:
        problem = _identifier_problem(given.user_match_claim)
        if problem is None and not all(
            c.isalnum() or c in "_-.:/#" for c in given.user_match_claim
        ):
            problem = "must be a claim name (letters, digits and _ - . : / #)"
        if problem:
            errors.append(FieldError("user_match_claim", f"user_match_claim {problem}", "invalid"))
    return errors


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _view(session: Session, registration: LtiRegistration) -> RegistrationView:
    ids = repo.deployment_ids_of(session, [registration.id])[registration.id]
    return RegistrationView(registration, ids)


def _taken() -> Conflict:
    return Conflict(
        "a registration with this issuer and client_id exists already",
        errors=[
            FieldError("client_id", "a registration with this issuer and client_id exists", "taken")
        ],
    )


def create_registration(
    session: Session, principal: Principal, given: RegistrationInput
) -> RegistrationView:
    require_site_admin(principal)
    return register_platform(session, given)


def register_platform(session: Session, given: RegistrationInput) -> RegistrationView:
    """A new registration, for the operator (``mediaobjects lti register``): the same rules
    as the API's, without a caller to check."""
    errors = _validate(given, creating=True)
    if errors:
        raise BadRequest(errors[0].message, errors=errors)
    assert given.issuer is not None and given.client_id is not None
    if repo.find_registration(session, given.issuer, given.client_id) is not None:
        raise _taken()
    registration = LtiRegistration(
        issuer=given.issuer,
        client_id=given.client_id,
        auth_login_url=given.auth_login_url,
        auth_token_url=given.auth_token_url,
        key_set_url=given.key_set_url,
        user_match_claim=given.user_match_claim or DEFAULT_USER_MATCH_CLAIM,
    )
    try:
        with session.begin_nested():
            session.add(registration)
            session.flush()
    except IntegrityError as exc:
        # A concurrent registration of the same platform: the unique constraint decides.
        raise _taken() from exc
    repo.replace_deployments(session, registration.id, _unique(given.deployment_ids or []))
    return _view(session, registration)


def _load(session: Session, registration_ref: str) -> LtiRegistration:
    registration = repo.get_registration(session, parse_id(registration_ref))
    if registration is None:
        raise NotFound()
    return registration


def update_registration(
    session: Session, principal: Principal, registration_ref: str, given: RegistrationInput
) -> RegistrationView:
    """Changes what is given; ``deployment_ids``, when given, replaces the list."""
    require_site_admin(principal)
    registration = _load(session, registration_ref)
    errors = _validate(given, creating=False)
    if errors:
        raise BadRequest(errors[0].message, errors=errors)
    issuer = given.issuer if given.issuer is not None else registration.issuer
    client_id = given.client_id if given.client_id is not None else registration.client_id
    other = repo.find_registration(session, issuer, client_id)
    if other is not None and other.id != registration.id:
        raise _taken()
    registration.issuer = issuer
    registration.client_id = client_id
    for name in (*URL_FIELDS, "user_match_claim"):
        value = getattr(given, name)
        if value is not None:
            setattr(registration, name, value)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise _taken() from exc
    if given.deployment_ids is not None:
        repo.replace_deployments(session, registration.id, _unique(given.deployment_ids))
    return _view(session, registration)


def list_registrations(session: Session, principal: Principal) -> list[RegistrationView]:
    require_site_admin(principal)
    return all_registrations(session)


def all_registrations(session: Session) -> list[RegistrationView]:
    """Every registration, oldest first (for the operator: ``mediaobjects lti list``)."""
    registrations = repo.list_registrations(session)
    deployments = repo.deployment_ids_of(session, [r.id for r in registrations])
    return [RegistrationView(r, deployments[r.id]) for r in registrations]


def get_registration(
    session: Session, principal: Principal, registration_ref: str
) -> RegistrationView:
    require_site_admin(principal)
    return _view(session, _load(session, registration_ref))


def delete_registration(
    session: Session, principal: Principal, registration_ref: str
) -> RegistrationView:
    """Deletes the registration, its deployments, its users' and contexts' mappings and its
    links (the users and courses themselves stay: they may hold media)."""
    require_site_admin(principal)
    view = _view(session, _load(session, registration_ref))
    repo.delete_registration(session, view.registration)
    return view


def registration_for_login(
    session: Session, issuer: str, client_id: str | None
) -> LtiRegistration | None:
    """The registration a login initiation names. Without client_id (optional in the OIDC
    initiation), only when the issuer has exactly one registration."""
    if client_id is not None:
        return repo.find_registration(session, issuer, client_id)
    found = repo.registrations_of_issuer(session, issuer, limit=2)
    return found[0] if len(found) == 1 else None


def issuer_known(session: Session, issuer: str) -> bool:
    return bool(repo.registrations_of_issuer(session, issuer, limit=1))


def has_deployment(session: Session, registration_id: int, deployment_id: str) -> bool:
    return repo.has_deployment(session, registration_id, deployment_id)


def registration_by_id(session: Session, registration_id: int) -> LtiRegistration | None:
    return repo.get_registration(session, registration_id)
