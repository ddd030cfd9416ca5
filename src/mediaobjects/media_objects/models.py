"""ORM model of a MediaObject: one piece of uploaded audio or video, addressed by its
``media_id``, shared by every attachment whose ``media_entry_id`` names it."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    type_coerce,
)
from sqlalchemy.orm import Mapped, mapped_column

from mediaobjects.db.base import Base, utcnow

# Canvas's values of ``auto_caption_status`` (its database allows these and NULL): where the
# newest automatic-caption request of the media object stands. ``processing`` while a job
# runs; ``complete`` when it made its track; a ``failed_*`` value naming how it failed.
AUTO_CAPTION_STATUSES = (
    "complete",
    "processing",
    "failed_initial_validation",
    "failed_handoff",
    "failed_request",
    "non_english_captions",
    "failed_captions",
    "failed_to_pull",
)


class MediaObject(Base):
    __tablename__ = "media_objects"
    __table_args__ = (
        CheckConstraint("workflow_state IN ('active', 'deleted')", name="workflow_state"),
        CheckConstraint(
            "processing_state IN ('pending', 'processing', 'ready', 'failed')",
            name="processing_state",
        ),
        CheckConstraint(
            "auto_caption_status IN ("
            + ", ".join(f"'{status}'" for status in AUTO_CAPTION_STATUSES)
            + ")",
            name="auto_caption_status",
        ),
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
    # The media pipeline: pending -> processing -> ready | failed (with a reason users read).
    processing_state: Mapped[str] = mapped_column(String(16), default="pending")
    processing_error: Mapped[str | None] = mapped_column(Text, default=None)
    duration: Mapped[float | None] = mapped_column(Float, default=None)
    # Where the audio has sound above the silence threshold (ffmpeg silencedetect), as a JSON
    # array of [start_ms, end_ms] pairs in time order, and their total: what caption coverage
    # is measured against. NULL until the audio has been analysed (or when there is no audio).
    speech_intervals: Mapped[str | None] = mapped_column(Text, default=None)
    speech_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)
    poster_key: Mapped[str | None] = mapped_column(String(512), default=None)
    # Whether the upload itself plays in browsers (transcoding.browser_safety), decided once
    # probed: NULL until then, "[]" when it does (it is then offered as the "original" source
    # before the ladder runs), else a JSON array of the reasons it does not, in words a
    # teacher reads (the media info shows them).
    original_problems: Mapped[str | None] = mapped_column(Text, default=None)
    # Automatic captions (media_tracks.asr): Canvas's status, and how far the running job has
    # got in percent (NULL when none runs or ran).
    auto_caption_status: Mapped[str | None] = mapped_column(String(32), default=None)
    auto_caption_progress: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MediaSource(Base):
    """One playable file of a media object (a Kaltura "flavor"): a rendition made by the
    pipeline, or the original upload itself (``is_original``), whose bytes stay where the
    upload put them."""

    __tablename__ = "media_sources"
    __table_args__ = (UniqueConstraint("media_object_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    media_object_id: Mapped[int] = mapped_column(
        ForeignKey("media_objects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(32))
    is_original: Mapped[bool] = mapped_column(default=False)
    content_type: Mapped[str] = mapped_column(String(255))
    container_format: Mapped[str] = mapped_column(String(64))
    file_ext: Mapped[str] = mapped_column(String(16))
    width: Mapped[int | None] = mapped_column(default=None)
    height: Mapped[int | None] = mapped_column(default=None)
    bitrate: Mapped[int | None] = mapped_column(default=None)  # kbps, as Kaltura reports it
    size: Mapped[int] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(String(512))
    etag: Mapped[str] = mapped_column(String(64))
    # Where the HLS segments of this (fragmented MP4) file lie, and its codecs, as JSON
    # (media_objects.streaming); NULL for a source that plays progressively only: the original,
    # audio renditions, and every rendition made before renditions were fragmented.
    stream_index: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SourceRow(NamedTuple):
    """What the serializers and the player show of a MediaSource: read as plain columns,
    without the ORM, on the paths that list sources (every media object JSON and player page)."""

    id: int
    media_object_id: int
    name: str
    is_original: bool
    content_type: str
    container_format: str
    file_ext: str
    width: int | None
    height: int | None
    bitrate: int | None
    size: int
    streamable: bool  # has a stream_index: HLS can play it


SOURCE_ROW_COLUMNS = (
    MediaSource.id,
    MediaSource.media_object_id,
    MediaSource.name,
    MediaSource.is_original,
    MediaSource.content_type,
    MediaSource.container_format,
    MediaSource.file_ext,
    MediaSource.width,
    MediaSource.height,
    MediaSource.bitrate,
    MediaSource.size,
    type_coerce(MediaSource.stream_index.is_not(None), Boolean).label("streamable"),
)


# The sequence number of a stream's initialisation section (ftyp + moov) among its pieces.
LIVE_INIT_SEQUENCE = -1


class MediaLiveSegment(Base):
    """A piece of the early HLS stream of a media object whose ladder is running
    (``transcoding.live``): its initialisation section (``LIVE_INIT_SEQUENCE``) or a segment,
    stored as an object of its own as soon as ffmpeg has written it and listed by the live
    playlist. When the renditions are published (or processing fails) the pieces are retired:
    a player already on the stream plays them to its end, and a chore deletes them once no
    player can still be reading them (``media_objects.live``)."""

    __tablename__ = "media_live_segments"
    __table_args__ = (UniqueConstraint("media_object_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    media_object_id: Mapped[int] = mapped_column(
        ForeignKey("media_objects.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    duration: Mapped[float] = mapped_column(Float)  # seconds; 0 for the initialisation
    storage_key: Mapped[str] = mapped_column(String(512))
    size: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(64))
    retired_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MediaThumbnail(Base):
    """A resized poster, made once on first request and then served from storage."""

    __tablename__ = "media_thumbnails"
    __table_args__ = (UniqueConstraint("media_object_id", "width", "height"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    media_object_id: Mapped[int] = mapped_column(
        ForeignKey("media_objects.id", ondelete="CASCADE"), index=True
    )
    width: Mapped[int]
    height: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(512))
    size: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
