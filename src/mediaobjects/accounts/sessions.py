"""Web sign-in: checking a login's password (or an access token), and the browser sessions
that follow — created with a random id whose SHA-256 digest is stored, ended by signing out,
by idleness or by age. The HTTP side (cookie, CSRF token) is ``web.session``."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from mediaobjects.accounts import passwords
from mediaobjects.accounts import repository as repo
from mediaobjects.accounts.authentication import authenticate, now
from mediaobjects.accounts.models import User, WebSession
from mediaobjects.accounts.principal import Principal
from mediaobjects.errors import InvalidToken, Unauthenticated

# Writing last_seen_at on every page would make every read a write; the idle limit is
# minutes to hours, so a minute of slack is invisible.
LAST_SEEN_GRANULARITY = timedelta(minutes=1)
# Ids of this many random bits: a fast digest is enough, as for access tokens.
_ID_BYTES = 32


class SignInFailed(Unauthenticated):
    """One message for an unknown login, a wrong password and a bad token: which logins exist
    is not for strangers to learn."""

    default_message = "The login or password is incorrect."


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class ActiveSession:
    principal: Principal
    session_id: int
    needs_touch: bool


def digest_session_id(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def check_password(session: Session, login: str, password: str) -> User:
    """The user whose login and password these are; SignInFailed otherwise, after about the
    same work whether or not the login exists."""
    user = repo.get_user_by_login(session, login.strip().casefold())
    if user is None or user.workflow_state == "deleted":
        passwords.verify_password(None, password)
        raise SignInFailed()
    if not passwords.verify_password(user.password_hash, password):
        raise SignInFailed()
    if user.password_hash is not None and passwords.needs_rehash(user.password_hash):
        # Hashed with weaker parameters than today's: stronger from now on.
        user.password_hash = passwords.hash_password(password)
    return user


def check_token(session: Session, raw: str) -> User:
    try:
        auth = authenticate(session, raw)
    except InvalidToken:
        raise SignInFailed() from None
    user = auth.principal.user
    assert user is not None
    return session.merge(user)


def start_session(
    session: Session, user: User, lifetimes: Lifetimes, at: datetime | None = None
) -> str:
    """A new session for ``user``; returns the id for the cookie (shown only here)."""
    at = at or now()
    raw = secrets.token_urlsafe(_ID_BYTES)
    session.add(
        WebSession(
            session_digest=digest_session_id(raw),
            user_id=user.id,
            created_at=at,
            last_seen_at=at,
            expires_at=at + lifetimes.absolute,
        )
    )
    # Sign-in is rare: a good moment to forget sessions nobody will bring back.
    repo.delete_expired_web_sessions(session, at)
    session.flush()
    return raw


def find_session(
    session: Session, raw: str, lifetimes: Lifetimes, at: datetime | None = None
) -> ActiveSession | None:
    """The signed-in principal of cookie value ``raw``; None for an unknown, idle or expired
    session, or one whose user is gone."""
    at = at or now()
    if not raw or len(raw) > 128:
        return None
    found = repo.session_with_user(session, digest_session_id(raw))
    if found is None:
        return None
    web_session, user, is_site_admin = found
    if web_session.expires_at <= at or web_session.last_seen_at + lifetimes.idle <= at:
        return None
    if user.workflow_state == "deleted":
        return None
    session.expunge(user)
    return ActiveSession(
        principal=Principal(user=user, is_site_admin=is_site_admin),
        session_id=web_session.id,
        needs_touch=at - web_session.last_seen_at > LAST_SEEN_GRANULARITY,
    )


def touch_session(session: Session, session_id: int, at: datetime | None = None) -> None:
    row = repo.get_web_session(session, session_id)
    if row is not None:
        row.last_seen_at = at or now()


def end_session(session: Session, raw: str) -> None:
    repo.delete_web_session(session, digest_session_id(raw))
