"""media release requests: a file delete's promise to release its media, kept until done

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mediaobjects.db.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_release_requests",
        sa.Column(
            "attachment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("media_entry_id", sa.String(length=255), nullable=False),
        sa.Column("requested_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachments.id"],
            name=op.f("fk_media_release_requests_attachment_id_attachments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attachment_id", name=op.f("pk_media_release_requests")),
    )
    op.create_index(
        op.f("ix_media_release_requests_media_entry_id"),
        "media_release_requests",
        ["media_entry_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_media_release_requests_media_entry_id"), table_name="media_release_requests"
    )
    op.drop_table("media_release_requests")
