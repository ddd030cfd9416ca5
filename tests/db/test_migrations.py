"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text

from mediaobjects.db.engine import build_engine
from mediaobjects.db.migrate import current_revision, head_revision, schema_differences


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = build_engine(database_url)
    try:
        assert current_revision(engine) == head_revision()
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_sqlite_connections_use_wal_and_foreign_keys(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        return
    engine = build_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()
