"""ORM model of a MediaObject: one piece of uploaded audio or video, addressed by its
``media_id``, shared by every attachment whose ``media_entry_id`` names it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mediaobjects.db.base import Base, utcnow


class MediaObject(Base):
    __tablename__ = "media_objects"
    __table_args__ = (
        CheckConstraint("workflow_state IN ('active', 'deleted')", name="workflow_state"),
        Index(None, "context_type", "context_id"),
        Index("ix_media_objects_context_sort", "context_type", "context_id", "title_sort_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique, unlike Canvas (decision D15): one row per media id.
    media_id: Mapped[str] = mapped_column(String(255), unique=True)
    old_media_id: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    context_type: Mapped[str | None] = mapped_column(String(32), default=None)
    context_id: Mapped[int | None] = mapped_column(default=None)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    title: Mapped[str | None] = mapped_column(String(255), default=None)
    user_entered_title: Mapped[str | None] = mapped_column(String(255), default=None)
    # Natural, case-insensitive sort key of the displayed title (see media_objects.sorting),
    # kept in a column so that listings sort the same way on SQLite and PostgreSQL and use
    # an index. NULL when the object has no title at all (Canvas sorts those last).
    title_sort_key: Mapped[str | None] = mapped_column(String(1024), default=None)
    media_type: Mapped[str | None] = mapped_column(String(255), default=None)
    # The default attachment (canvas-media-api.md §1.3).
    attachment_id: Mapped[int | None] = mapped_column(
        ForeignKey("attachments.id", ondelete="SET NULL"), index=True, default=None
    )
    workflow_state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
