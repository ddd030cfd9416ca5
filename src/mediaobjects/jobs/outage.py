"""What an unreachable queue backend looks like: the client timeouts that keep a request or a
worker thread from hanging on a dead link, and the errors that mean "did not answer" rather
than a bug."""

from __future__ import annotations

import sqlite3

import psycopg
import redis

# Redis clients (the queue's and the leases'): a server that is down refuses at once, one
# behind a dead link must not hang a request or a worker thread for ever. The read timeout
# stays well above the blocking read's own.
REDIS_CONNECT_TIMEOUT_SECONDS = 5.0
REDIS_SOCKET_TIMEOUT_SECONDS = 15.0

# What the queue's backends raise when they cannot be reached (refused, dropped, timed out,
# SQLite's file locked past its busy timeout), as opposed to a bug.
_QUEUE_OUTAGES: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
    ConnectionError,
    TimeoutError,
)


def is_queue_outage(error: BaseException) -> bool:
    """True when ``error`` (or what it was raised from) says the queue was unreachable."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _QUEUE_OUTAGES):
            return True
        current = current.__cause__ or current.__context__
    return False
