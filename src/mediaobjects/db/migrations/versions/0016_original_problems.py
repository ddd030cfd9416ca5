"""original problems: why an upload cannot be offered for playback as it is (JSON; [] when it can);
stream index: where the HLS segments of a fragmented rendition lie (JSON; NULL: progressive only)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("media_objects", sa.Column("original_problems", sa.Text(), nullable=True))
    op.add_column("media_sources", sa.Column("stream_index", sa.Text(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch: a batch rebuilds the table,
    # and dropping the old media_objects with foreign keys on would cascade into every track.
    op.drop_column("media_sources", "stream_index")
    op.drop_column("media_objects", "original_problems")
