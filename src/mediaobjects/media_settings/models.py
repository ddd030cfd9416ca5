"""ORM model of a course's media settings: one row per course that changed them; a course
without a row has the defaults (no automatic captions, language detected)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mediaobjects.db.base import Base, utcnow


class CourseMediaSettings(Base):
    __tablename__ = "course_media_settings"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    # Every media object that becomes ready in the course gets an automatic caption job.
    auto_captions: Mapped[bool] = mapped_column(default=False)
    # The language asked of the engine, in canonical BCP 47 case like track locales; NULL:
    # the engine detects it.
    locale: Mapped[str | None] = mapped_column(String(64), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
