"""speech analysis: where a media object's audio has speech, for caption coverage

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 21:08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("media_objects", sa.Column("speech_intervals", sa.Text(), nullable=True))
    op.add_column("media_objects", sa.Column("speech_ms", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch: a batch rebuilds the table,
    # and dropping the old media_objects with foreign keys on would cascade into every track.
    op.drop_column("media_objects", "speech_ms")
    op.drop_column("media_objects", "speech_intervals")
