"""caption summaries: each track's quality numbers per profile, for the caption reports

Existing tracks get their summaries from ``mediaobjects captions summarize`` (the quality
rules are code that changes; a migration must not run them).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mediaobjects.db.types

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


def downgrade() -> None:
    op.drop_table("caption_summaries")
