"""transcript search: one row per caption cue, full-text indexed (FTS5 on SQLite, a generated
tsvector with a GIN index on PostgreSQL), filled from the tracks that exist already

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mediaobjects.transcripts.cues import cue_rows

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Tracks read per round trip while the existing ones are indexed.
_BATCH = 200

# The FTS5 table indexes caption_cues.folded (external content: the text is not stored
# twice). Its tokenizer sees only words already folded by captions.folding; the categories
# are the ones that module counts as word characters. Inserts are indexed by
# transcripts.repository.replace_cues, a track at a time (a trigger per row costs four times
# as much); the triggers here follow every update and delete of caption_cues, cascades
# included. A later migration that rebuilds caption_cues with batch_alter_table on SQLite must
# create these triggers again.
_SQLITE = (
    "CREATE VIRTUAL TABLE caption_cues_fts USING fts5(folded, content='caption_cues', "
    "content_rowid='id', tokenize=\"unicode61 remove_diacritics 2 categories 'L* N* Co M*'\")",
    "CREATE TRIGGER caption_cues_fts_delete AFTER DELETE ON caption_cues BEGIN "
    "INSERT INTO caption_cues_fts(caption_cues_fts, rowid, folded) "
    "VALUES ('delete', old.id, old.folded); END",
    "CREATE TRIGGER caption_cues_fts_update AFTER UPDATE ON caption_cues BEGIN "
    "INSERT INTO caption_cues_fts(caption_cues_fts, rowid, folded) "
    "VALUES ('delete', old.id, old.folded); "
    "INSERT INTO caption_cues_fts(rowid, folded) VALUES (new.id, new.folded); END",
)
_POSTGRESQL = (
    "ALTER TABLE caption_cues ADD COLUMN terms tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, folded)) STORED",
    "CREATE INDEX ix_caption_cues_terms ON caption_cues USING gin (terms)",
)


def upgrade() -> None:
    op.create_table(
        "caption_cues",
        sa.Column("id", _ID, nullable=False),
        sa.Column("track_id", _ID, nullable=False),
        sa.Column("media_object_id", _ID, nullable=False),
        sa.Column("cue_index", sa.Integer(), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["media_object_id"],
            ["media_objects.id"],
            name=op.f("fk_caption_cues_media_object_id_media_objects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["media_tracks.id"],
            name=op.f("fk_caption_cues_track_id_media_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caption_cues")),
        sa.UniqueConstraint(
            "track_id", "cue_index", name=op.f("uq_caption_cues_track_id_cue_index")
        ),
    )
    op.create_index(op.f("ix_caption_cues_media_object_id"), "caption_cues", ["media_object_id"])
    bind = op.get_bind()
    for statement in _SQLITE if bind.dialect.name == "sqlite" else _POSTGRESQL:
        op.execute(statement)
    _index_existing_tracks(bind)


def _index_existing_tracks(bind: sa.Connection) -> None:
    """Every track stored before this migration, indexed as a write would index it."""
    cues = sa.table(
        "caption_cues",
        sa.column("track_id"),
        sa.column("media_object_id"),
        sa.column("cue_index"),
        sa.column("start_ms"),
        sa.column("end_ms"),
        sa.column("text"),
        sa.column("folded"),
    )
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM media_tracks ORDER BY id"))]
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        tracks = bind.execute(
            sa.text(
                "SELECT id, media_object_id, content, webvtt_content FROM media_tracks "
                "WHERE id IN :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": batch},
        )
        rows = [
            {
                "track_id": track_id,
                "media_object_id": media_object_id,
                "cue_index": cue.cue_index,
                "start_ms": cue.start_ms,
                "end_ms": cue.end_ms,
                "text": cue.text,
                "folded": cue.folded,
            }
            for track_id, media_object_id, content, webvtt in tracks
            for cue in cue_rows(webvtt if webvtt is not None else content)
        ]
        if rows:
            bind.execute(sa.insert(cues), rows)
    if bind.dialect.name == "sqlite":
        bind.execute(sa.text("INSERT INTO caption_cues_fts(caption_cues_fts) VALUES ('rebuild')"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS caption_cues_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS caption_cues_fts")
    op.drop_index(op.f("ix_caption_cues_media_object_id"), table_name="caption_cues")
    op.drop_table("caption_cues")
