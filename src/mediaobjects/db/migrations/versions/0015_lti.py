"""lti: LTI 1.3 registrations and deployments, tool keys, login states, used nonces, users,
contexts, launches and linked media

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import mediaobjects.db.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lti_registrations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("auth_login_url", sa.String(length=2048), nullable=False),
        sa.Column("auth_token_url", sa.String(length=2048), nullable=False),
        sa.Column("key_set_url", sa.String(length=2048), nullable=False),
        sa.Column("user_match_claim", sa.String(length=255), nullable=False),
        sa.Column("created_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_registrations")),
        sa.UniqueConstraint(
            "issuer", "client_id", name=op.f("uq_lti_registrations_issuer_client_id")
        ),
    )
    op.create_table(
        "lti_tool_keys",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.Column("retired_at", mediaobjects.db.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('current', 'next', 'retired')", name=op.f("ck_lti_tool_keys_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_tool_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_lti_tool_keys_kid")),
    )
    with op.batch_alter_table("lti_tool_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_tool_keys_state"), ["state"], unique=False)

    op.create_table(
        "lti_deployments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "registration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_deployments_registration_id_lti_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_deployments")),
        sa.UniqueConstraint(
            "registration_id",
            "deployment_id",
            name=op.f("uq_lti_deployments_registration_id_deployment_id"),
        ),
    )
    op.create_table(
        "lti_login_states",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("state_digest", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column(
            "registration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("browser_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", mediaobjects.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_login_states_registration_id_lti_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_login_states")),
        sa.UniqueConstraint("state_digest", name=op.f("uq_lti_login_states_state_digest")),
    )
    with op.batch_alter_table("lti_login_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lti_login_states_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lti_login_states_registration_id"), ["registration_id"], unique=False
        )

    op.create_table(
        "lti_used_nonces",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "registration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("nonce_digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_used_nonces_registration_id_lti_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_used_nonces")),
        sa.UniqueConstraint(
            "registration_id",
            "nonce_digest",
            name=op.f("uq_lti_used_nonces_registration_id_nonce_digest"),
        ),
    )
    with op.batch_alter_table("lti_used_nonces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lti_used_nonces_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "lti_users",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "registration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_users_registration_id_lti_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_lti_users_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_users")),
        sa.UniqueConstraint(
            "registration_id", "sub", name=op.f("uq_lti_users_registration_id_sub")
        ),
    )
    with op.batch_alter_table("lti_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_users_user_id"), ["user_id"], unique=False)

    op.create_table(
        "lti_contexts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "registration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("context_id", sa.String(length=255), nullable=False),
        sa.Column(
            "course_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_lti_contexts_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_contexts_registration_id_lti_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_contexts")),
        sa.UniqueConstraint(
            "registration_id", "context_id", name=op.f("uq_lti_contexts_registration_id_context_id")
        ),
    )
    with op.batch_alter_table("lti_contexts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_contexts_course_id"), ["course_id"], unique=False)

    op.create_table(
        "lti_launches",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column(
            "registration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("course_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("context_id", sa.String(length=255), nullable=True),
        sa.Column("message_type", sa.String(length=64), nullable=False),
        sa.Column("claims", sa.Text(), nullable=False),
        sa.Column("created_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", mediaobjects.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_lti_launches_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_launches_registration_id_lti_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_lti_launches_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_launches")),
    )
    with op.batch_alter_table("lti_launches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_launches_course_id"), ["course_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_lti_launches_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lti_launches_registration_id"), ["registration_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_lti_launches_user_id"), ["user_id"], unique=False)

    op.create_table(
        "lti_linked_media",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "registration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("context_id", sa.String(length=255), nullable=False),
        sa.Column(
            "media_object_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", mediaobjects.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["media_object_id"],
            ["media_objects.id"],
            name=op.f("fk_lti_linked_media_media_object_id_media_objects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_linked_media_registration_id_lti_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_lti_linked_media_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_linked_media")),
        sa.UniqueConstraint(
            "registration_id",
            "context_id",
            "media_object_id",
            name=op.f("uq_lti_linked_media_registration_id_context_id_media_object_id"),
        ),
    )
    with op.batch_alter_table("lti_linked_media", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lti_linked_media_media_object_id"), ["media_object_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_lti_linked_media_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lti_linked_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_linked_media_user_id"))
        batch_op.drop_index(batch_op.f("ix_lti_linked_media_media_object_id"))

    op.drop_table("lti_linked_media")
    with op.batch_alter_table("lti_launches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_launches_user_id"))
        batch_op.drop_index(batch_op.f("ix_lti_launches_registration_id"))
        batch_op.drop_index(batch_op.f("ix_lti_launches_expires_at"))
        batch_op.drop_index(batch_op.f("ix_lti_launches_course_id"))

    op.drop_table("lti_launches")
    with op.batch_alter_table("lti_contexts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_contexts_course_id"))

    op.drop_table("lti_contexts")
    with op.batch_alter_table("lti_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_users_user_id"))

    op.drop_table("lti_users")
    with op.batch_alter_table("lti_used_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_used_nonces_expires_at"))

    op.drop_table("lti_used_nonces")
    with op.batch_alter_table("lti_login_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_login_states_registration_id"))
        batch_op.drop_index(batch_op.f("ix_lti_login_states_expires_at"))

    op.drop_table("lti_login_states")
    op.drop_table("lti_deployments")
    with op.batch_alter_table("lti_tool_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_tool_keys_state"))

    op.drop_table("lti_tool_keys")
    op.drop_table("lti_registrations")
