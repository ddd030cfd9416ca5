"""Who is calling: access tokens (hashed, expiring, revocable) and the principal they stand for,
and the checks every service makes first — a signed-in user, a site admin."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from mediaobjects.accounts import repository as repo
from mediaobjects.accounts.models import AccessToken, User
from mediaobjects.accounts.principal import Principal
from mediaobjects.errors import Forbidden, InvalidToken, Unauthenticated

TOKEN_PREFIX = "1~"  # noqa: S105 -- a format prefix, not a secret
# Refreshing last_used_at on every request would turn every read into a write.
LAST_USED_GRANULARITY = timedelta(minutes=10)


def now() -> datetime:
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


@dataclass(frozen=True)
class Authenticated:
    """What an active token stands for, and what is needed to keep trusting it without the
    database for a while (``accounts.principal_cache``): when it expires, when it was last
    used."""

    principal: Principal
    token_id: int
    expires_at: datetime | None
    last_used_at: datetime | None

    def expired(self, at: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= at

    def needs_last_used_refresh(self, at: datetime) -> bool:
        return self.last_used_at is None or at - self.last_used_at > LAST_USED_GRANULARITY

    def used_at(self, at: datetime) -> Authenticated:
        return replace(self, last_used_at=at)


def authenticate(session: Session, raw: str, at: datetime | None = None) -> Authenticated:
    """Who the token ``raw`` stands for: token, user and site-admin flag in one query.
    InvalidToken (with Canvas's messages) for unknown, revoked and expired tokens."""
    at = at or now()
    if not raw or len(raw) > 512:
        raise InvalidToken()
    found = repo.token_with_user(session, digest_token(raw))
    if found is None:
        raise InvalidToken()
    token, user, is_site_admin = found
    if token.workflow_state != "active":
        raise InvalidToken("Revoked access token.")
    if token.expires_at is not None and token.expires_at <= at:
        raise InvalidToken("Expired access token.")
    # The principal may outlive this session (the principal cache): nothing loads through it.
    session.expunge(user)
    return Authenticated(
        principal=Principal(user=user, is_site_admin=is_site_admin),
        token_id=token.id,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
    )


def touch_token(session: Session, token_id: int, at: datetime | None = None) -> None:
    token = repo.get_token(session, token_id)
    if token is not None:
        token.last_used_at = at or now()


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
