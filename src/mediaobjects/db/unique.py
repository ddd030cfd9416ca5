"""Get-or-create for rows whose uniqueness the database enforces: the answer is right even when
two requests create the same row at the same moment (the loser's insert fails in a savepoint,
and the winner's row is returned)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def get_or_create(session: Session, find: Callable[[], Row | None], make: Callable[[], Row]) -> Row:
    """The row ``find`` returns; else a new one from ``make``, inserted in a savepoint; when a
    concurrent transaction inserted the same unique row first, that one."""
    found = find()
    if found is not None:
        return found
    row = make()
    try:
        # Added inside the savepoint: begin_nested() flushes what is pending, and an insert
        # flushed there would fail outside the savepoint, aborting the whole transaction on
        # PostgreSQL (every later statement refused) instead of being rolled back alone.
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        found = find()
        if found is None:
            raise
        return found
    return row
