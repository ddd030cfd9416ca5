"""ORM model of a MediaTrack: one caption/subtitle file of a media object, belonging to one of
its attachments (canvas-media-api.md §1.2–1.3)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mediaobjects.captions import KINDS
from mediaobjects.db.base import Base, utcnow


class MediaTrack(Base):
    __tablename__ = "media_tracks"
    __table_args__ = (
        # Canvas checks this in Ruby only (race-prone); here the database enforces it. Locales
        # are stored in canonical BCP 47 case, so the check is effectively case-insensitive.
        # NULL attachment ids never collide, as Canvas allows for attachment-less media.
        UniqueConstraint("attachment_id", "locale"),
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{kind}'" for kind in KINDS) + ")",
            name="kind",
        ),
        CheckConstraint(
            "workflow_state IN ('ready', 'processing', 'failed')", name="workflow_state"
        ),
        Index(None, "media_object_id", "locale"),
        # Versions are keyed by track id and outlive their track: SQLite would otherwise give
        # the next track the id of a just-deleted newest one, mixing the two histories.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    media_object_id: Mapped[int] = mapped_column(ForeignKey("media_objects.id", ondelete="CASCADE"))
    attachment_id: Mapped[int | None] = mapped_column(
        ForeignKey("attachments.id", ondelete="CASCADE"), index=True, default=None
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(16), default="subtitles")
    locale: Mapped[str] = mapped_column(String(64))
    # The upload exactly as received (SRT or WebVTT) and the WebVTT served from it.
    content: Mapped[str] = mapped_column(Text)
    webvtt_content: Mapped[str | None] = mapped_column(Text, default=None)
    workflow_state: Mapped[str] = mapped_column(String(16), default="ready")
    # Set on automatic (speech recognition) tracks: the request that made them (Canvas keeps
    # its provider's caption-asset id here; ``asr`` in the JSON is "subtitles with this set").
    external_id: Mapped[str | None] = mapped_column(String(255), default=None)
    # Why an automatic track ended ``failed``, in words a teacher can act on.
    asr_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TrackSummaryRow(NamedTuple):
    """What a media object's JSON shows of a track (no caption text), read as plain columns on
    the path that lists a page of media objects."""

    id: int
    media_object_id: int
    attachment_id: int | None
    kind: str
    locale: str
    external_id: str | None
    workflow_state: str
    asr_error: str | None
    created_at: datetime
    updated_at: datetime


TRACK_SUMMARY_COLUMNS = (
    MediaTrack.id,
    MediaTrack.media_object_id,
    MediaTrack.attachment_id,
    MediaTrack.kind,
    MediaTrack.locale,
    MediaTrack.external_id,
    MediaTrack.workflow_state,
    MediaTrack.asr_error,
    MediaTrack.created_at,
    MediaTrack.updated_at,
)


# How a version came to be: the content a track had before versions were kept (``initial``),
# the API's PUT, the non-API create route, a retime, a restore of an older version, the editor,
# a bulk import (``media_tracks.bulk``), automatic captions (``media_tracks.transcribe``).
VERSION_REASONS = ("initial", "api", "create", "retime", "restore", "editor", "import", "asr")


class TrackVersion(Base):
    """One content a track has had, written by ``user_id`` at ``created_at`` through
    ``reason``; the newest version of a live track is its current content. ``track_id`` is
    no foreign key: when the track is deleted its versions stay (``deleted_at``) for the
    retention period, so that the track can be brought back."""

    __tablename__ = "media_track_versions"
    __table_args__ = (
        CheckConstraint(
            "reason IN (" + ", ".join(f"'{reason}'" for reason in VERSION_REASONS) + ")",
            name="reason",
        ),
        Index(None, "track_id", "id"),
        Index(None, "media_object_id", "deleted_at"),
        Index(None, "deleted_at"),
        # A version id a client still holds never comes to name another version.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int]
    media_object_id: Mapped[int] = mapped_column(ForeignKey("media_objects.id", ondelete="CASCADE"))
    attachment_id: Mapped[int | None] = mapped_column(
        ForeignKey("attachments.id", ondelete="CASCADE"), index=True, default=None
    )
    locale: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    webvtt_content: Mapped[str | None] = mapped_column(Text, default=None)
    reason: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
