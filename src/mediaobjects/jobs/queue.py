"""Turns a queue URL into a Huey instance: SQLite (the default, one file shared by every process
on the machine), Redis, or PostgreSQL. Nothing here is built at import time; each caller builds
its own instance from the configured URL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import huey  # type: ignore[import-untyped]
import redis

from mediaobjects.jobs.leases import Leases
from mediaobjects.jobs.outage import REDIS_CONNECT_TIMEOUT_SECONDS, REDIS_SOCKET_TIMEOUT_SECONDS
from mediaobjects.jobs.serializer import JsonSerializer
from mediaobjects.redact import redact_url

QueueKind = Literal["sqlite", "redis", "postgresql"]

# Huey keys its tables and Redis keys by queue name; keep the name to characters that every
# backend accepts unchanged (RedisStorage silently strips everything else).
_NAME = re.compile(r"^[A-Za-z0-9_]{1,40}$")
# How long a SQLite writer waits for another process's lock before giving up.
SQLITE_BUSY_TIMEOUT_SECONDS = 10.0
# Blocking backends (Redis BRPOP, PostgreSQL LISTEN) wake at least this often, which bounds
# how long a consumer takes to notice that it is being stopped.
BLOCKING_READ_TIMEOUT_SECONDS = 1


@dataclass(frozen=True)
class QueueLocation:
    """A parsed queue URL: which backend, and how that backend's client wants the address."""

    kind: QueueKind
    # SQLite: a file path. Redis: the redis:// URL. PostgreSQL: a libpq URL (no +driver).
    target: str


def parse_queue_url(queue_url: str) -> QueueLocation:
    """``sqlite:///path/jobs.db``, ``redis://host:port/db`` (or ``rediss://``), or
    ``postgresql://...`` (``postgres://`` and SQLAlchemy's ``postgresql+psycopg://`` too)."""
    scheme, sep, rest = queue_url.partition("://")
    base_scheme = scheme.split("+", 1)[0].lower()
    if not sep:
        raise ValueError(_unsupported(queue_url))
    if base_scheme == "sqlite":
        if "+" in scheme:
            raise ValueError(_unsupported(queue_url))
        # sqlite:///relative/jobs.db and sqlite:////absolute/jobs.db, as SQLAlchemy spells them.
        path = rest[1:] if rest.startswith("/") else ""
        path = path.split("?", 1)[0]
        if not path or path == ":memory:":
            raise ValueError(
                f"queue URL {redact_url(queue_url)!r} names no file: the SQLite queue is shared "
                "between processes, so it needs one, e.g. sqlite:////var/lib/mediaobjects/jobs.db"
            )
        return QueueLocation("sqlite", path)
    if base_scheme in ("redis", "rediss"):
        if "+" in scheme:
            raise ValueError(_unsupported(queue_url))
        return QueueLocation("redis", queue_url)
    if base_scheme in ("postgresql", "postgres"):
        driver = scheme.partition("+")[2].lower()
        if driver not in ("", "psycopg"):
            raise ValueError(
                f"queue URL {redact_url(queue_url)!r} names the driver {driver!r}: the PostgreSQL "
                "queue "
                "uses psycopg 3; write postgresql:// or postgresql+psycopg://"
            )
        return QueueLocation("postgresql", f"postgresql://{rest}")
    raise ValueError(_unsupported(queue_url))


def _unsupported(queue_url: str) -> str:
    shown = queue_url.split("://", 1)[0] + "://..." if "://" in queue_url else repr(queue_url)
    return (
        f"unsupported queue URL {shown}: use sqlite:///path/to/jobs.db, "
        "redis://host:port/db or postgresql://user@host:port/database"
    )


def check_queue_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(
            f"queue name {name!r} must be 1 to 40 letters, digits or underscores "
            "(it becomes part of table names and Redis keys)"
        )
    return name


def build_huey(queue_url: str, *, name: str = "mediaobjects") -> huey.Huey:
    """A Huey instance on the queue at ``queue_url``.

    Results are not stored: callers learn what happened to a job from the lease records
    (:mod:`mediaobjects.jobs.leases`), and a result store nobody reads only grows."""
    location = parse_queue_url(queue_url)
    check_queue_name(name)
    if location.kind == "sqlite":
        path = Path(location.target)
        path.parent.mkdir(parents=True, exist_ok=True)
        # WAL lets the server and separate workers read while one of them writes.
        return huey.SqliteHuey(
            name,
            results=False,
            serializer=JsonSerializer(),
            filename=str(path),
            journal_mode="wal",
            timeout=SQLITE_BUSY_TIMEOUT_SECONDS,
        )
    if location.kind == "redis":
        return huey.RedisHuey(
            name,
            results=False,
            serializer=JsonSerializer(),
            connection_pool=redis.ConnectionPool.from_url(
                location.target,
                socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS,
                socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
            ),
            blocking=True,
            read_timeout=BLOCKING_READ_TIMEOUT_SECONDS,
        )
    # Huey 3.5 ships PostgresStorage on psycopg 3: SELECT ... FOR UPDATE SKIP LOCKED to
    # dequeue, LISTEN/NOTIFY to wake idle workers.
    return huey.PostgresHuey(
        name,
        results=False,
        serializer=JsonSerializer(),
        dsn=location.target,
        blocking=True,
        read_timeout=BLOCKING_READ_TIMEOUT_SECONDS,
    )


def build_leases(queue_url: str, *, name: str) -> Leases:
    """The lease store beside the queue at ``queue_url``: same SQLite file, PostgreSQL
    database or Redis."""
    location = parse_queue_url(queue_url)
    check_queue_name(name)
    if location.kind == "redis":
        from mediaobjects.jobs.leases_redis import RedisLeases

        return RedisLeases(location.target, queue=name)
    from mediaobjects.jobs.leases_sql import PostgresLeases, SqliteLeases

    if location.kind == "sqlite":
        return SqliteLeases(location.target, queue=name)
    return PostgresLeases(location.target, queue=name)
