"""web sign-in: users get an argon2 password hash, and signed-in browsers a web_sessions row
(the digest of the cookie, never the cookie itself)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 01:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mediaobjects.db.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN of a nullable column: no table copy on SQLite.
    op.add_column("users", sa.Column("password_hash", sa.String(length=255), nullable=True))
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("session_digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("session_digest", name=op.f("uq_web_sessions_session_digest")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"])
    op.create_index(op.f("ix_web_sessions_expires_at"), "web_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_web_sessions_expires_at"), table_name="web_sessions")
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+): a batch copy would drop and recreate
    # users, and with foreign keys on, the drop cascades to every enrollment, membership, admin
    # row and token of every user.
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.drop_column("password_hash")
