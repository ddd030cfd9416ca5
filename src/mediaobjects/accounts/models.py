"""ORM models of identity: the root account and its admins, users and their access tokens,
courses, enrollments, group categories, groups and group memberships."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mediaobjects.db.base import Base, utcnow

ENROLLMENT_TYPES = (
    "TeacherEnrollment",
    "TaEnrollment",
    "DesignerEnrollment",
    "StudentEnrollment",
    "ObserverEnrollment",
)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    sortable_name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str] = mapped_column(String(255))
    # Canvas "pseudonym[unique_id]": the login. Case-insensitive uniqueness is enforced by
    # storing the folded form beside it.
    login_id: Mapped[str] = mapped_column(String(255))
    login_id_folded: Mapped[str] = mapped_column(String(255), unique=True)
    workflow_state: Mapped[str] = mapped_column(String(16), default="registered")
    # argon2id hash (accounts.passwords); None: no password, sign-in by access token only.
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AccountAdmin(Base):
    """A site admin of the (single) root account."""

    __tablename__ = "account_admins"
    __table_args__ = (UniqueConstraint("account_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessToken(Base):
    """A bearer token. Only its SHA-256 digest is stored; the token itself is shown once."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    token_hint: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(255))
    workflow_state: Mapped[str] = mapped_column(String(16), default="active")
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebSession(Base):
    """A signed-in browser. Only the SHA-256 digest of the cookie's value is stored, so a copy
    of the database signs no one in."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The absolute end; the idle end is last_seen_at plus the idle setting.
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    course_code: Mapped[str] = mapped_column(String(255))
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    workflow_state: Mapped[str] = mapped_column(String(16), default="available")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id", "type"),
        CheckConstraint(
            "type IN (" + ", ".join(f"'{t}'" for t in ENROLLMENT_TYPES) + ")", name="type"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    workflow_state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GroupCategory(Base):
    __tablename__ = "group_categories"
    __table_args__ = (
        CheckConstraint("context_type IN ('Course', 'Account')", name="context_type"),
        Index(None, "context_type", "context_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    context_type: Mapped[str] = mapped_column(String(16))
    context_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint("context_type IN ('Course', 'Account')", name="context_type"),
        Index(None, "context_type", "context_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_category_id: Mapped[int] = mapped_column(
        ForeignKey("group_categories.id", ondelete="CASCADE"), index=True
    )
    # Copied from the category so that permission checks need no join.
    context_type: Mapped[str] = mapped_column(String(16))
    context_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(255))
    workflow_state: Mapped[str] = mapped_column(String(16), default="available")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GroupMembership(Base):
    __tablename__ = "group_memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    workflow_state: Mapped[str] = mapped_column(String(16), default="accepted")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
