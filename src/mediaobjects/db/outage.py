"""Telling a database outage from a bug: the SQLAlchemy errors that mean the database did not
answer (refused or dropped connections, a server shutting down, a full pool, SQLite's lock
held past the busy timeout). The HTTP edge turns these into 503 with Retry-After; anything
else stays an internal error."""

from __future__ import annotations

from sqlalchemy import exc as sa_exc


def is_database_outage(error: BaseException) -> bool:
    """True when ``error`` (or what it was raised from) says the database was unreachable,
    rather than that a statement was wrong."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        # OperationalError: psycopg's connection refused / admin shutdown / server closed the
        # connection, SQLite's "database is locked"; InterfaceError: a connection already
        # closed; TimeoutError: no pooled connection came free in time.
        if isinstance(
            current, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError
        ):
            return True
        current = current.__cause__ or current.__context__
    return False
