"""What an unreachable queue backend looks like: the client timeouts that keep a request or a
worker thread from hanging on a dead link, the errors that mean "did not answer" rather than a
bug (from the queue's clients, and from the database drivers under the jobs' own queries), and
logging them as one line now and then instead of a stack trace every second."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

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
    # The OS's refused, reset or broken connections (under botocore's and urllib3's errors).
    # Not TimeoutError: a job running out of its own time limit is not an outage.
    ConnectionError,
)


def is_queue_outage(error: BaseException) -> bool:
    """True when ``error`` (or what it was raised from) says the queue, or a database under
    it, was unreachable (SQLAlchemy raises its errors from the driver's)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _QUEUE_OUTAGES):
            return True
        current = current.__cause__ or current.__context__
    return False


# While a backend stays down, the same failure is logged at most this often per place.
OUTAGE_LOG_INTERVAL_SECONDS = 30.0


class OutageLog:
    """Logs failures of one place (a chore, the queue reads): an outage as one warning line
    at most every OUTAGE_LOG_INTERVAL_SECONDS, anything else with its stack trace."""

    def __init__(self, logger: logging.Logger, interval: float = OUTAGE_LOG_INTERVAL_SECONDS):
        self._logger = logger
        self._interval = interval
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def failed(self, what: str, exc: BaseException) -> None:
        if not is_queue_outage(exc):
            self._logger.error("%s failed", what, exc_info=exc)
            return
        if self.due(what):
            self._logger.warning(
                "%s failed: a backend is unreachable (%s); retrying", what, one_line(exc)
            )

    def due(self, what: str) -> bool:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(what)
            if last is not None and now - last < self._interval:
                return False
            self._last[what] = now
            return True


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class HueyOutageFilter(logging.Filter):
    """On Huey's consumer loggers: its worker and scheduler threads log every failed read of
    the queue with a stack trace, several times a second while the queue is down. An outage
    becomes one warning line at most every OUTAGE_LOG_INTERVAL_SECONDS; other errors pass."""

    def __init__(self) -> None:
        super().__init__()
        self._outages = OutageLog(logging.getLogger("mediaobjects.jobs"))

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or not is_queue_outage(exc):
            return True
        if not self._outages.due(record.name):
            return False
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        what = record.getMessage().rstrip(".")
        record.msg = f"{what}: the queue is unreachable ({one_line(exc)}); retrying"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return True
