"""ORM models of files (Canvas "attachments"), their folders, and the upload tickets that the
two-step Canvas upload flow hands out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mediaobjects.db.base import Base, utcnow

CONTEXT_TYPES = ("Course", "Group", "User")
_CONTEXT_CHECK = "context_type IN ('Course', 'Group', 'User')"


class Folder(Base):
    __tablename__ = "folders"
    __table_args__ = (
        CheckConstraint(_CONTEXT_CHECK, name="context_type"),
        # One folder of a name per parent; and one root per context (parent NULL is made
        # unique through root_marker, since NULLs never collide in a unique index).
        UniqueConstraint("parent_folder_id", "name"),
        UniqueConstraint("context_type", "context_id", "root_marker"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    context_type: Mapped[str] = mapped_column(String(16))
    context_id: Mapped[int]
    parent_folder_id: Mapped[int | None] = mapped_column(
        ForeignKey("folders.id", ondelete="CASCADE"), default=None
    )
    root_marker: Mapped[int | None] = mapped_column(default=None)
    name: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(2048))
    workflow_state: Mapped[str] = mapped_column(String(16), default="visible")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(_CONTEXT_CHECK, name="context_type"),
        CheckConstraint(
            "workflow_state IN ('processed', 'pending_upload', 'deleted')", name="workflow_state"
        ),
        Index(None, "context_type", "context_id", "workflow_state"),
        Index(None, "folder_id", "display_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    context_type: Mapped[str] = mapped_column(String(16))
    context_id: Mapped[int]
    folder_id: Mapped[int] = mapped_column(ForeignKey("folders.id"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    display_name: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    # Copies share the stored bytes: storage_key is not unique.
    storage_key: Mapped[str] = mapped_column(String(512), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    media_entry_id: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    hidden: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    workflow_state: Mapped[str] = mapped_column(String(16), default="processed")
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UploadTicket(Base):
    """Step one of the upload flow: what the client declared, valid until expires_at and for
    one use only (consumed_at is set in the same transaction that stores the file)."""

    __tablename__ = "upload_tickets"
    __table_args__ = (CheckConstraint(_CONTEXT_CHECK, name="context_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    context_type: Mapped[str] = mapped_column(String(16))
    context_id: Mapped[int]
    folder_id: Mapped[int] = mapped_column(ForeignKey("folders.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    declared_size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    content_type: Mapped[str | None] = mapped_column(String(255), default=None)
    on_duplicate: Mapped[str] = mapped_column(String(16), default="overwrite")
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MediaReleaseRequest(Base):
    """A deleted file that named a media object: that media is to be released (its renditions
    removed once no file uses it; media_objects.processing.release_media). Written in the
    delete's transaction and removed in the release's, so that a release whose job could not be
    queued (the queue was unreachable) or was lost is queued again by a chore."""

    __tablename__ = "media_release_requests"

    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True
    )
    media_entry_id: Mapped[str] = mapped_column(String(255), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
