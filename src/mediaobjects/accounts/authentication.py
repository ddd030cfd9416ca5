"""Who is calling: access tokens (hashed, expiring, revocable) and the principal they stand for,
and the checks every service makes first — a signed-in user, a site admin."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from mediaobjects.accounts import repository as repo
from mediaobjects.accounts.models import AccessToken, User
from mediaobjects.accounts.principal import Principal
from mediaobjects.errors import Forbidden, InvalidToken, Unauthenticated

TOKEN_PREFIX = "1~"  # noqa: S105 -- a format prefix, not a secret
# Refreshing last_used_at on every request would turn every read into a write.
LAST_USED_GRANULARITY = timedelta(minutes=10)


def _now() -> datetime:
    return datetime.now(UTC)


def digest_token(raw: str) -> str:
    # Tokens carry 384 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()




def require_user(principal: Principal) -> User:
    if principal.user is None:
        raise Unauthenticated()
    return principal.user


def require_site_admin(principal: Principal) -> User:
    user = require_user(principal)
    if not principal.is_site_admin:
        raise Forbidden()
    return user


def principal_for_user(session: Session, user: User) -> Principal:
    return Principal(user=user, is_site_admin=repo.is_site_admin(session, user.id))


def principal_for_token(session: Session, token: AccessToken) -> Principal:
    user = repo.get_user(session, token.user_id)
    if user is None:
        raise InvalidToken()
    return principal_for_user(session, user)


def authenticate_token(session: Session, raw: str, now: datetime | None = None) -> AccessToken:
    """The active token for ``raw``; InvalidToken (with Canvas's message) otherwise."""
    now = now or _now()
    if not raw or len(raw) > 512:
        raise InvalidToken()
    token = repo.get_token_by_digest(session, digest_token(raw))
    if token is None:
        raise InvalidToken()
    if token.workflow_state != "active":
        raise InvalidToken("Revoked access token.")
    if token.expires_at is not None and token.expires_at <= now:
        raise InvalidToken("Expired access token.")
    return token


def needs_last_used_refresh(token: AccessToken, now: datetime | None = None) -> bool:
    now = now or _now()
    return token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY


def touch_token(session: Session, token_id: int, now: datetime | None = None) -> None:
    token = repo.get_token(session, token_id)
    if token is not None:
        token.last_used_at = now or _now()




def issue_token(
    session: Session, user: User, purpose: str, expires_at: datetime | None = None
) -> tuple[AccessToken, str]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(48)
    token = AccessToken(
        user_id=user.id,
        token_digest=digest_token(raw),
        token_hint=raw[:6],
        purpose=purpose,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, raw
