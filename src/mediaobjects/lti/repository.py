"""Every query of the LTI domain. No rules here: the services decide."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from mediaobjects.lti.models import (
    LtiContext,
    LtiDeployment,
    LtiLaunch,
    LtiLinkedMedia,
    LtiLoginState,
    LtiRegistration,
    LtiToolKey,
    LtiUsedNonce,
    LtiUser,
)

# ---- registrations and deployments


def get_registration(session: Session, registration_id: int) -> LtiRegistration | None:
    return session.get(LtiRegistration, registration_id)


def find_registration(session: Session, issuer: str, client_id: str) -> LtiRegistration | None:
    stmt = select(LtiRegistration).where(
        LtiRegistration.issuer == issuer, LtiRegistration.client_id == client_id
    )
    return session.scalars(stmt).first()


def registrations_of_issuer(session: Session, issuer: str, limit: int) -> list[LtiRegistration]:
    stmt = (
        select(LtiRegistration)
        .where(LtiRegistration.issuer == issuer)
        .order_by(LtiRegistration.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def list_registrations(session: Session) -> list[LtiRegistration]:
    return list(session.scalars(select(LtiRegistration).order_by(LtiRegistration.id)))


def deployment_ids_of(session: Session, registration_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {rid: [] for rid in registration_ids}
    if not registration_ids:
        return found
    stmt = (
        select(LtiDeployment.registration_id, LtiDeployment.deployment_id)
        .where(LtiDeployment.registration_id.in_(registration_ids))
        .order_by(LtiDeployment.id)
    )
    for registration_id, deployment_id in session.execute(stmt):
        found[int(registration_id)].append(str(deployment_id))
    return found


def has_deployment(session: Session, registration_id: int, deployment_id: str) -> bool:
    stmt = select(
        exists().where(
            LtiDeployment.registration_id == registration_id,
            LtiDeployment.deployment_id == deployment_id,
        )
    )
    return bool(session.scalar(stmt))


def replace_deployments(session: Session, registration_id: int, deployment_ids: list[str]) -> None:
    session.execute(delete(LtiDeployment).where(LtiDeployment.registration_id == registration_id))
    session.add_all(
        LtiDeployment(registration_id=registration_id, deployment_id=d) for d in deployment_ids
    )
    session.flush()


def delete_registration(session: Session, registration: LtiRegistration) -> None:
    session.delete(registration)
    session.flush()


# ---- the tool's keys


def tool_keys(session: Session, states: Iterable[str]) -> list[LtiToolKey]:
    stmt = select(LtiToolKey).where(LtiToolKey.state.in_(list(states))).order_by(LtiToolKey.id)
    return list(session.scalars(stmt))


def delete_tool_keys(session: Session, state: str) -> None:
    session.execute(delete(LtiToolKey).where(LtiToolKey.state == state))


# ---- login states and nonces


def find_login_state(session: Session, state_digest: str) -> LtiLoginState | None:
    stmt = select(LtiLoginState).where(LtiLoginState.state_digest == state_digest)
    return session.scalars(stmt).first()


def use_login_state(session: Session, state_id: int, at: datetime) -> bool:
    """Marks the state used; False when another request used it first (the conditional
    update is the one place two concurrent launches with one state are told apart)."""
    result = session.execute(
        update(LtiLoginState)
        .where(LtiLoginState.id == state_id, LtiLoginState.used_at.is_(None))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def nonce_used(session: Session, registration_id: int, nonce_digest: str) -> bool:
    stmt = select(
        exists().where(
            LtiUsedNonce.registration_id == registration_id,
            LtiUsedNonce.nonce_digest == nonce_digest,
        )
    )
    return bool(session.scalar(stmt))


def delete_expired(session: Session, at: datetime) -> None:
    """Login states, used nonces and launches past their expiry."""
    session.execute(delete(LtiLoginState).where(LtiLoginState.expires_at <= at))
    session.execute(delete(LtiUsedNonce).where(LtiUsedNonce.expires_at <= at))
    session.execute(delete(LtiLaunch).where(LtiLaunch.expires_at <= at))


# ---- who and where


def find_lti_user(session: Session, registration_id: int, sub: str) -> LtiUser | None:
    stmt = select(LtiUser).where(LtiUser.registration_id == registration_id, LtiUser.sub == sub)
    return session.scalars(stmt).first()


def find_lti_context(session: Session, registration_id: int, context_id: str) -> LtiContext | None:
    stmt = select(LtiContext).where(
        LtiContext.registration_id == registration_id, LtiContext.context_id == context_id
    )
    return session.scalars(stmt).first()


def get_launch(session: Session, launch_id: str) -> LtiLaunch | None:
    return session.get(LtiLaunch, launch_id)


def use_launch(session: Session, launch_id: str, at: datetime) -> bool:
    """Marks the launch used; False when it was used already (by a concurrent request too)."""
    result = session.execute(
        update(LtiLaunch)
        .where(LtiLaunch.id == launch_id, LtiLaunch.used_at.is_(None))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


# ---- media linked into contexts


def find_link(
    session: Session, registration_id: int, context_id: str, media_object_id: int
) -> LtiLinkedMedia | None:
    stmt = select(LtiLinkedMedia).where(
        LtiLinkedMedia.registration_id == registration_id,
        LtiLinkedMedia.context_id == context_id,
        LtiLinkedMedia.media_object_id == media_object_id,
    )
    return session.scalars(stmt).first()


def linked_in_any(
    session: Session, registration_id: int, context_ids: list[str], media_object_id: int
) -> bool:
    if not context_ids:
        return False
    stmt = select(
        exists().where(
            LtiLinkedMedia.registration_id == registration_id,
            LtiLinkedMedia.context_id.in_(context_ids),
            LtiLinkedMedia.media_object_id == media_object_id,
        )
    )
    return bool(session.scalar(stmt))
