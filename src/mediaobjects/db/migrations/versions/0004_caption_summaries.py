"""caption summaries: each track's quality numbers per profile, for the caption reports

Tracks stored before this migration are summarised by it, with the quality rules of the code
that runs it (``mediaobjects summarize-captions`` recomputes them after the rules change), so a
report right after upgrading is not wrong about old media.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 21:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import mediaobjects.db.types
from mediaobjects.caption_reports.summaries import facts_from, summarise_text

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "caption_summaries",
        sa.Column("track_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("profile", sa.String(length=16), nullable=False),
        sa.Column("cues", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("errors", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("warnings", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("coverage", sa.Float(), nullable=True),
        sa.Column("meets_profile", sa.Boolean(), nullable=False),
        sa.Column("computed_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["media_tracks.id"],
            name=op.f("fk_caption_summaries_track_id_media_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("track_id", "profile", name=op.f("pk_caption_summaries")),
        sqlite_with_rowid=False,
    )
    _summarise_existing_tracks(op.get_bind())


_BATCH = 200


def _summarise_existing_tracks(bind: sa.Connection) -> None:
    summaries = sa.table(
        "caption_summaries",
        sa.column("track_id"),
        sa.column("profile"),
        sa.column("cues"),
        sa.column("errors"),
        sa.column("warnings"),
        sa.column("coverage"),
        sa.column("meets_profile"),
        sa.column("computed_at"),
    )
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM media_tracks ORDER BY id"))]
    now = datetime.now(UTC)
    for start in range(0, len(ids), _BATCH):
        tracks = bind.execute(
            sa.text(
                "SELECT t.id, t.content, t.webvtt_content, m.duration, m.speech_intervals "
                "FROM media_tracks t JOIN media_objects m ON m.id = t.media_object_id "
                "WHERE t.id IN :ids AND m.workflow_state = 'active'"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": ids[start : start + _BATCH]},
        )
        rows = [
            {
                "track_id": track_id,
                "profile": values.profile,
                "cues": values.cues,
                "errors": values.errors,
                "warnings": values.warnings,
                "coverage": values.coverage,
                "meets_profile": values.meets_profile,
                "computed_at": now,
            }
            for track_id, content, webvtt, duration, speech in tracks
            for values in summarise_text(
                webvtt if webvtt is not None else content, facts_from(duration, speech)
            )
        ]
        if rows:
            bind.execute(sa.insert(summaries), rows)


def downgrade() -> None:
    op.drop_table("caption_summaries")
