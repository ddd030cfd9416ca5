"""ORM models of the LTI 1.3 tool: the platforms registered by a site admin (keyed by issuer
and client_id) and their deployments, the tool's own signing keys, the one-time values of a
launch (login states, used id_token nonces), who and where a launch was (LTI users and
contexts mapped to users and courses), launches kept for the deep-link picker, and the media
linked into each LTI context."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mediaobjects.db.base import Base, utcnow

KEY_STATES = ("current", "next", "retired")


class LtiRegistration(Base):
    """A platform (an LMS, or one school's developer key on it). Hosted Canvas uses one issuer
    for every school, so the client_id is part of the key."""

    __tablename__ = "lti_registrations"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(2048))
    auth_token_url: Mapped[str] = mapped_column(String(2048))
    key_set_url: Mapped[str] = mapped_column(String(2048))
    # The id_token claim matched against an existing user's login (pseudonym unique_id);
    # "none": never match, every LTI user is a user of their own.
    user_match_claim: Mapped[str] = mapped_column(String(255), default="email")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LtiDeployment(Base):
    """A deployment id the platform sends (an installation of the tool in an account)."""

    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("lti_registrations.id", ondelete="CASCADE")
    )
    deployment_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiToolKey(Base):
    """One RSA key of the tool. The private key is encrypted with a key derived from the
    installation's secret key, so a copy of the database signs nothing."""

    __tablename__ = "lti_tool_keys"
    __table_args__ = (
        CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in KEY_STATES) + ")", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    private_key: Mapped[str] = mapped_column(Text)
    # The public half as a JWK (JSON), published at /lti/jwks.
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)


class LtiLoginState(Base):
    """An OIDC login in progress: the ``state`` and ``nonce`` sent to the platform and the
    browser-binding cookie set on the browser that started it. Only digests of the state and
    the cookie are kept. Used once (``used_at``)."""

    __tablename__ = "lti_login_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_digest: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("lti_registrations.id", ondelete="CASCADE"), index=True
    )
    browser_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class LtiUsedNonce(Base):
    """The nonce of an id_token accepted once, kept until the token expires: the same token
    can never be accepted again, by any process."""

    __tablename__ = "lti_used_nonces"
    __table_args__ = (UniqueConstraint("registration_id", "nonce_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("lti_registrations.id", ondelete="CASCADE")
    )
    nonce_digest: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LtiUser(Base):
    """The platform's user (``sub``) as a user of ours."""

    __tablename__ = "lti_users"
    __table_args__ = (UniqueConstraint("registration_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("lti_registrations.id", ondelete="CASCADE")
    )
    sub: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiContext(Base):
    """The platform's context (a course) as a course of ours, created on its first launch."""

    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("registration_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("lti_registrations.id", ondelete="CASCADE")
    )
    context_id: Mapped[str] = mapped_column(String(255))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiLaunch(Base):
    """A validated launch, kept for what comes after it (the deep-link picker and its
    response): who, where, and the claims the response must echo. The id is random and
    unguessable; it expires."""

    __tablename__ = "lti_launches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("lti_registrations.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True, default=None
    )
    # The platform's context id (None: a launch outside a course, e.g. user navigation).
    context_id: Mapped[str | None] = mapped_column(String(255), default=None)
    message_type: Mapped[str] = mapped_column(String(64))
    # JSON: the claims a later step needs (deep_linking_settings, roles...).
    claims: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class LtiLinkedMedia(Base):
    """Media linked into an LTI context (by deep linking or an instructor's launch): people
    launching from that context, or from a copy of it, may view the media."""

    __tablename__ = "lti_linked_media"
    __table_args__ = (UniqueConstraint("registration_id", "context_id", "media_object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("lti_registrations.id", ondelete="CASCADE")
    )
    context_id: Mapped[str] = mapped_column(String(255))
    media_object_id: Mapped[int] = mapped_column(
        ForeignKey("media_objects.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
