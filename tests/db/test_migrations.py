"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL, and the
check that says so notices a schema that drifted; foreign keys hold on both databases; SQLite
connections get WAL, foreign keys and a busy timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediaobjects.accounts.models import AccessToken
from mediaobjects.db.engine import build_engine
from mediaobjects.db.migrate import current_revision, head_revision, schema_differences


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = build_engine(database_url)
    try:
        assert current_revision(engine) == head_revision()
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_a_schema_that_drifted_from_the_models_is_reported(database_url: str) -> None:
    engine = build_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE stray_table (id INTEGER PRIMARY KEY)"))
            conn.execute(text("ALTER TABLE courses ADD COLUMN stray_column INTEGER"))
        found = {(diff[0], getattr(diff[-1], "name", None)) for diff in schema_differences(engine)}
        assert found == {("remove_table", "stray_table"), ("remove_column", "stray_column")}
    finally:
        # The PostgreSQL database is shared by the whole session (SQLite's is this test's copy).
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS stray_table"))
                conn.execute(text("ALTER TABLE courses DROP COLUMN IF EXISTS stray_column"))
        engine.dispose()


def test_foreign_keys_are_enforced(database_url: str) -> None:
    engine = build_engine(database_url)
    try:
        with Session(engine) as session, pytest.raises(IntegrityError):
            session.add(
                AccessToken(user_id=999_999, token_digest="0" * 64, token_hint="h", purpose="t")
            )
            session.flush()
    finally:
        engine.dispose()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    # SQLite is the default install whichever database this run of the suite uses.
    engine = build_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    finally:
        engine.dispose()
