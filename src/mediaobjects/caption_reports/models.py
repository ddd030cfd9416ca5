"""ORM model of a caption summary: the quality numbers of one track against one profile
(``captions.quality``), stored when the track or its media changes so that a report over
thousands of media objects is a query, not thousands of quality runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from mediaobjects.db.base import Base, utcnow


class CaptionSummary(Base):
    __tablename__ = "caption_summaries"
    # On SQLite the rows live in the primary key's b-tree: a report's look-up of a track's
    # summary is one search instead of two (a course report of 1,000 lectures in 10 ms
    # instead of 17, measured here). PostgreSQL ignores the option.
    __table_args__ = {"sqlite_with_rowid": False}

    # Deleting a track (or its media object, which deletes its tracks) deletes its summaries.
    track_id: Mapped[int] = mapped_column(
        ForeignKey("media_tracks.id", ondelete="CASCADE"), primary_key=True
    )
    profile: Mapped[str] = mapped_column(String(16), primary_key=True)
    # NULL when the track's stored text could not be read as WebVTT or SRT (legacy rows):
    # then nothing can be counted and the track meets no profile.
    cues: Mapped[int | None] = mapped_column(default=None)
    errors: Mapped[int | None] = mapped_column(default=None)
    warnings: Mapped[int | None] = mapped_column(default=None)
    # 0..1; NULL when neither the media's speech nor its duration is known.
    coverage: Mapped[float | None] = mapped_column(Float, default=None)
    meets_profile: Mapped[bool] = mapped_column(default=False)
    # The summarised content was made by speech recognition (an automatic track: subtitles
    # with an external id), not written by a person. The same for every profile of a track;
    # kept here so that a report need not read the track's row past its caption texts.
    automatic: Mapped[bool] = mapped_column(default=False, server_default=false())
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
