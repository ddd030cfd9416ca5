"""live segments: the pieces of the early HLS stream a media object has while its ladder runs

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mediaobjects.db.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_live_segments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "media_object_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("retired_at", mediaobjects.db.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["media_object_id"],
            ["media_objects.id"],
            name=op.f("fk_media_live_segments_media_object_id_media_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_live_segments")),
        sa.UniqueConstraint(
            "media_object_id",
            "sequence",
            name=op.f("uq_media_live_segments_media_object_id_sequence"),
        ),
    )
    with op.batch_alter_table("media_live_segments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_media_live_segments_media_object_id"), ["media_object_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_media_live_segments_retired_at"), ["retired_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("media_live_segments")
