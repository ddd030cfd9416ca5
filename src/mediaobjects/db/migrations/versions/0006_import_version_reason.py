"""import version reason: track versions written by bulk caption imports say so

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 21:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = "reason IN ('initial', 'api', 'create', 'retime', 'restore', 'editor')"
_AFTER = "reason IN ('initial', 'api', 'create', 'retime', 'restore', 'editor', 'import')"


def _replace_check(condition: str) -> None:
    # Batch mode: SQLite cannot alter a CHECK constraint, so the table is copied with the new one.
    with op.batch_alter_table("media_track_versions") as batch:
        batch.drop_constraint(op.f("ck_media_track_versions_reason"), type_="check")
        batch.create_check_constraint(op.f("ck_media_track_versions_reason"), condition)


def upgrade() -> None:
    _replace_check(_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM media_track_versions WHERE reason = 'import'")
    _replace_check(_BEFORE)
