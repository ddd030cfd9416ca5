"""Engine and session factory. SQLite gets WAL, foreign keys and a busy timeout on every
connection; PostgreSQL (psycopg 3) runs the same code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def build_engine(url: str, *, connect_timeout: int = 5) -> Engine:
    """An engine for ``url``. PostgreSQL: ``connect_timeout`` seconds to open a connection, and
    every pooled connection pinged before use, so that a server that restarted is reconnected
    to and one that is down fails fast (the request gets 503, see ``db.outage``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=10,
            max_overflow=20,
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        # A request waits this long for a pooled connection before it gets 503.
        pool_timeout=30,
        connect_args={"connect_timeout": connect_timeout},
    )


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN past SELECTs, which breaks
    # read-then-write atomicity; we issue BEGIN ourselves (see _sqlite_on_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_on_begin(conn: Any) -> None:
    # Writers take the write lock up front (BEGIN IMMEDIATE): a deferred transaction that
    # reads and then writes fails at once with "database is locked" when another writer got
    # in between, and busy_timeout cannot help it. Readers stay deferred and concurrent.
    if conn.get_execution_options().get("sqlite_immediate"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def build_session_factory(engine: Engine, *, writer: bool = True) -> sessionmaker[Session]:
    """Sessions for one unit of work; ``writer=False`` for read-only requests."""
    bind = engine.execution_options(sqlite_immediate=True) if writer else engine
    factory = sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)
    if not writer:
        event.listen(factory, "loaded_as_persistent", _hold)
    return factory


def _hold(session: Session, instance: object) -> None:
    # The identity map keeps only weak references: a row a request looked at and let go (the
    # media object's file, checked for read access) would be loaded again by the next look-up
    # by id in the same request. A read unit of work is one request, so holding what it
    # loaded until it ends costs little and saves those round trips.
    session.info.setdefault("held", []).append(instance)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends normally, rolled back otherwise.

    Services and repositories never commit; whoever opens the unit of work does."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
