"""Alembic environment: runs migrations on the connection handed over by
``mediaobjects.db.migrate`` (never reads alembic.ini or the environment itself)."""

from __future__ import annotations

from alembic import context

from mediaobjects.db.models import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
