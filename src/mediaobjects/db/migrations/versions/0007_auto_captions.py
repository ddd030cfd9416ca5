"""auto captions: Canvas's auto_caption_status and a progress on media objects, why an
automatic track failed, and the ``asr`` version reason

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = (
    "complete",
    "processing",
    "failed_initial_validation",
    "failed_handoff",
    "failed_request",
    "non_english_captions",
    "failed_captions",
    "failed_to_pull",
)
_STATUS_CHECK = "auto_caption_status IN (" + ", ".join(f"'{s}'" for s in _STATUSES) + ")"
_STATUS_CHECK_NAME = "ck_media_objects_auto_caption_status"

_REASONS_BEFORE = "reason IN ('initial', 'api', 'create', 'retime', 'restore', 'editor', 'import')"
_REASONS_AFTER = (
    "reason IN ('initial', 'api', 'create', 'retime', 'restore', 'editor', 'import', 'asr')"
)


def _replace_reason_check(condition: str) -> None:
    # Batch mode: SQLite cannot alter a CHECK constraint, so the table is copied with the new
    # one. Safe for this table: nothing refers to media_track_versions by foreign key.
    with op.batch_alter_table("media_track_versions") as batch:
        batch.drop_constraint(op.f("ck_media_track_versions_reason"), type_="check")
        batch.create_check_constraint(op.f("ck_media_track_versions_reason"), condition)


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN, never a batch: rebuilding media_objects or media_tracks
    # on SQLite with foreign keys on would cascade-delete every track and version.
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot add a constraint to a table, but accepts one on the added column.
        op.execute(
            "ALTER TABLE media_objects ADD COLUMN auto_caption_status VARCHAR(32) "
            f"CONSTRAINT {_STATUS_CHECK_NAME} CHECK ({_STATUS_CHECK})"
        )
    else:
        op.add_column(
            "media_objects", sa.Column("auto_caption_status", sa.String(32), nullable=True)
        )
        op.create_check_constraint(_STATUS_CHECK_NAME, "media_objects", _STATUS_CHECK)
    op.add_column("media_objects", sa.Column("auto_caption_progress", sa.Integer(), nullable=True))
    op.add_column("media_tracks", sa.Column("asr_error", sa.Text(), nullable=True))
    _replace_reason_check(_REASONS_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM media_track_versions WHERE reason = 'asr'")
    _replace_reason_check(_REASONS_BEFORE)
    # Plain DROP COLUMN (SQLite 3.35+), for the reason given in upgrade.
    op.drop_column("media_tracks", "asr_error")
    op.drop_column("media_objects", "auto_caption_progress")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(_STATUS_CHECK_NAME, "media_objects", type_="check")
    op.drop_column("media_objects", "auto_caption_status")
