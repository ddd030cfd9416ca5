"""Counting the SQL statements a request sends to the database, so that a test can state how
many round trips a hot path makes and fail when a change adds one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

# Transaction control is not a query the data needs (SQLite's BEGIN is implicit anyway).
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class Statements:
    sql: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.sql)

    def __str__(self) -> str:
        return "\n".join(f"  {i + 1}. {s}" for i, s in enumerate(self.sql))


@contextmanager
def counting(engine: Engine) -> Iterator[Statements]:
    """Every statement ``engine`` runs inside the block (any thread), control ones left out."""
    seen = Statements()

    def before(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        text = " ".join(statement.split())
        if not text.upper().startswith(_CONTROL):
            seen.sql.append(text[:300])

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
