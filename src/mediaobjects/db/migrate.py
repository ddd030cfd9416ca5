"""Runs Alembic programmatically: ``upgrade`` brings a database to the newest schema and
``check`` reports any difference between the models and what the migrations build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from mediaobjects.db.models import metadata

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


# Tables of the job queue (Huey's and the job leases), present when an install points
# MEDIAOBJECTS_QUEUE_URL at the application database; they are not ours to migrate.
FOREIGN_TABLE_PREFIXES = ("huey", "job_lease")


# Transcript search structures no model can describe (migration 0005): SQLite's FTS5 table
# and its shadow tables, PostgreSQL's generated tsvector column and its GIN index.
FTS_TABLE_PREFIX = "caption_cues_fts"
TSVECTOR_COLUMN = ("caption_cues", "terms")
TSVECTOR_INDEX = "ix_caption_cues_terms"


def _ours(obj: Any, name: str | None, type_: str, reflected: bool, _compare_to: Any) -> bool:
    foreign = type_ == "table" and reflected and (name or "").startswith(FOREIGN_TABLE_PREFIXES)
    fts = type_ == "table" and reflected and (name or "").startswith(FTS_TABLE_PREFIX)
    tsvector = (
        type_ == "column"
        and reflected
        and (getattr(getattr(obj, "table", None), "name", None), name) == TSVECTOR_COLUMN
    ) or (type_ == "index" and reflected and name == TSVECTOR_INDEX)
    return not (foreign or fts or tsvector)


def schema_differences(engine: Engine) -> list[Any]:
    """What autogenerate would write: empty when models and migrations agree."""
    with engine.connect() as connection:
        ctx = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "render_as_batch": True, "include_object": _ours},
        )
        return list(compare_metadata(ctx, metadata))
