"""ORM model of the transcript index: one row per cue of a track, with its visible text and
the folded words that the database's full-text index is built from.

Not in the model, because SQLAlchemy cannot describe them, and created by migration 0005:
on SQLite the FTS5 table ``caption_cues_fts`` (external content: this table; rows are added to
it by ``transcripts.repository.replace_cues`` and removed by triggers); on PostgreSQL the
generated ``terms`` tsvector column and its GIN index. ``db.migrate._ours`` leaves them out of
the models-versus-migrations check."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mediaobjects.db.base import Base


class CaptionCue(Base):
    __tablename__ = "caption_cues"
    __table_args__ = (
        UniqueConstraint("track_id", "cue_index"),
        Index(None, "media_object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("media_tracks.id", ondelete="CASCADE"))
    media_object_id: Mapped[int] = mapped_column(ForeignKey("media_objects.id", ondelete="CASCADE"))
    cue_index: Mapped[int] = mapped_column(Integer)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    # What a viewer reads (markup stripped), and its folded words joined by single spaces:
    # the only text either database's full-text index ever tokenizes.
    text: Mapped[str] = mapped_column(Text)
    folded: Mapped[str] = mapped_column(Text)
