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
    with op.batch_alter_table("media_objects") as batch:
        batch.add_column(sa.Column("speech_intervals", sa.Text(), nullable=True))
        batch.add_column(sa.Column("speech_ms", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("media_objects") as batch:
        batch.drop_column("speech_ms")
        batch.drop_column("speech_intervals")
