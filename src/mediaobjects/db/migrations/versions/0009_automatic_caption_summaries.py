"""caption summaries say whether the summarised track was made by speech recognition, so that
the caption reports tell automatic captions from a person's without reading the track rows

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: a column with a constant default needs no table copy on SQLite.
    op.add_column(
        "caption_summaries",
        sa.Column("automatic", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    # Automatic tracks that exist already (as media_tracks.schemas.is_asr).
    op.execute(
        "UPDATE caption_summaries SET automatic = TRUE WHERE track_id IN "
        "(SELECT id FROM media_tracks WHERE kind = 'subtitles' AND external_id IS NOT NULL)"
    )


def downgrade() -> None:
    op.drop_column("caption_summaries", "automatic")
