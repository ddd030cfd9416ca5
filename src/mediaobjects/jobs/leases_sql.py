"""Lease records in a SQL table beside Huey's own tables: SQLite (the queue file) or PostgreSQL
(the queue database). The table is created on first use, as Huey creates its tables; it belongs
to the queue, not to the application schema that Alembic manages."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import psycopg

from mediaobjects.jobs.leases import JOB_STATES, JobRecord, JobState

TABLE = "job_lease"
_DDL = (
    "CREATE TABLE IF NOT EXISTS job_lease ("
    " queue TEXT NOT NULL,"
    " job_id TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " kwargs TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'failed')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " owner TEXT,"
    " leased_until DOUBLE PRECISION,"
    " last_error TEXT,"
    " created_at DOUBLE PRECISION NOT NULL,"
    " updated_at DOUBLE PRECISION NOT NULL,"
    " PRIMARY KEY (queue, job_id))",
    "CREATE INDEX IF NOT EXISTS job_lease_expiry ON job_lease (queue, state, leased_until)",
)
# Plain literals with ? placeholders (PostgresLeases rewrites them to psycopg's %s); every
# value is a bound parameter. The column list matches _record().
_SQL = {
    "record": "INSERT INTO job_lease (queue, job_id, name, kwargs, state, attempts, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?)",
    "discard": "DELETE FROM job_lease WHERE queue = ? AND job_id = ?",
    "start": "UPDATE job_lease SET state = 'running', attempts = attempts + 1, owner = ?, "
    "leased_until = ?, updated_at = ? WHERE queue = ? AND job_id = ? AND (state = 'queued' "
    "OR (state = 'running' AND leased_until < ?)) RETURNING attempts",
    "renew": "UPDATE job_lease SET leased_until = ?, updated_at = ? "
    "WHERE queue = ? AND job_id = ? AND owner = ? AND state = 'running'",
    "finish": "DELETE FROM job_lease WHERE queue = ? AND job_id = ? AND owner = ?",
    "release": "UPDATE job_lease SET state = 'queued', owner = NULL, leased_until = NULL, "
    "last_error = ?, updated_at = ? "
    "WHERE queue = ? AND job_id = ? AND owner = ? AND state = 'running'",
    "release_uncounted": "UPDATE job_lease SET state = 'queued', owner = NULL, "
    "leased_until = NULL, attempts = attempts - 1, last_error = ?, updated_at = ? "
    "WHERE queue = ? AND job_id = ? AND owner = ? AND state = 'running'",
    "fail": "UPDATE job_lease SET state = 'failed', owner = NULL, leased_until = NULL, "
    "last_error = ?, updated_at = ? WHERE queue = ? AND job_id = ? AND owner = ?",
    "fail_any": "UPDATE job_lease SET state = 'failed', owner = NULL, leased_until = NULL, "
    "last_error = ?, updated_at = ? WHERE queue = ? AND job_id = ?",
    "claim": "UPDATE job_lease SET state = 'queued', owner = NULL, leased_until = NULL, "
    "last_error = ?, updated_at = ? "
    "WHERE queue = ? AND state = 'running' AND leased_until < ? "
    "RETURNING job_id, name, kwargs, state, attempts, owner, leased_until, last_error, "
    "created_at, updated_at",
    "get": "SELECT job_id, name, kwargs, state, attempts, owner, leased_until, last_error, "
    "created_at, updated_at FROM job_lease WHERE queue = ? AND job_id = ?",
    "all": "SELECT job_id, name, kwargs, state, attempts, owner, leased_until, last_error, "
    "created_at, updated_at FROM job_lease WHERE queue = ? ORDER BY created_at, job_id",
    "in_state": "SELECT job_id, name, kwargs, state, attempts, owner, leased_until, "
    "last_error, created_at, updated_at FROM job_lease WHERE queue = ? AND state = ? "
    "ORDER BY created_at, job_id",
}

Params = Sequence[object]


class _SqlLeases:
    """The lease logic, written once; subclasses supply a connection and run statements."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self._lock = threading.Lock()

    def _run(self, key: str, params: Params) -> tuple[list[tuple[Any, ...]], int]:
        """Run one statement atomically; returns (rows, rowcount)."""
        raise NotImplementedError

    def record(self, job_id: str, name: str, kwargs: Mapping[str, Any], *, now: float) -> None:
        payload = json.dumps(dict(kwargs), sort_keys=True)
        self._run("record", (self.queue, job_id, name, payload, now, now))

    def discard(self, job_id: str) -> None:
        self._run("discard", (self.queue, job_id))

    def start(self, job_id: str, owner: str, *, now: float, until: float) -> int | None:
        rows, _ = self._run("start", (owner, until, now, self.queue, job_id, now))
        return int(rows[0][0]) if rows else None

    def renew(self, job_id: str, owner: str, *, now: float, until: float) -> bool:
        _, count = self._run("renew", (until, now, self.queue, job_id, owner))
        return count == 1

    def finish(self, job_id: str, owner: str) -> bool:
        _, count = self._run("finish", (self.queue, job_id, owner))
        return count == 1

    def release(
        self, job_id: str, owner: str, *, now: float, error: str, counted: bool = True
    ) -> bool:
        statement = "release" if counted else "release_uncounted"
        _, count = self._run(statement, (error, now, self.queue, job_id, owner))
        return count == 1

    def fail(self, job_id: str, owner: str | None, *, now: float, error: str) -> bool:
        if owner is None:
            _, count = self._run("fail_any", (error, now, self.queue, job_id))
        else:
            _, count = self._run("fail", (error, now, self.queue, job_id, owner))
        return count == 1

    def claim_expired(self, *, now: float, error: str) -> list[JobRecord]:
        rows, _ = self._run("claim", (error, now, self.queue, now))
        return sorted((_record(row) for row in rows), key=lambda r: (r.created_at, r.job_id))

    def get(self, job_id: str) -> JobRecord | None:
        rows, _ = self._run("get", (self.queue, job_id))
        return _record(rows[0]) if rows else None

    def records(self, state: JobState | None = None) -> list[JobRecord]:
        if state is None:
            rows, _ = self._run("all", (self.queue,))
        else:
            rows, _ = self._run("in_state", (self.queue, state))
        return [_record(row) for row in rows]


def _record(row: Sequence[Any]) -> JobRecord:
    job_id, name, kwargs, state, attempts, owner, leased_until, last_error, created, updated = row
    if state not in JOB_STATES:
        raise ValueError(f"job {job_id} has an unknown state {state!r}")
    return JobRecord(
        job_id=str(job_id),
        name=str(name),
        kwargs=cast(dict[str, Any], json.loads(kwargs)),
        state=state,
        attempts=int(attempts),
        owner=None if owner is None else str(owner),
        leased_until=None if leased_until is None else float(leased_until),
        last_error=None if last_error is None else str(last_error),
        created_at=float(created),
        updated_at=float(updated),
    )


class SqliteLeases(_SqlLeases):
    """Leases in the SQLite queue file. One connection per instance, shared by its threads
    under a lock; other processes are kept apart by SQLite's own locking (WAL, busy timeout)."""

    def __init__(self, path: str, *, queue: str, busy_timeout: float = 10.0) -> None:
        super().__init__(queue)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            path, timeout=busy_timeout, check_same_thread=False, isolation_level=None
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        for statement in _DDL:
            self._conn.execute(statement)

    def _run(self, key: str, params: Params) -> tuple[list[tuple[Any, ...]], int]:
        with self._lock:
            # Autocommit: every statement is its own transaction, which is all we need.
            cursor = self._conn.execute(_SQL[key], tuple(params))
            try:
                rows = cursor.fetchall()
                return rows, cursor.rowcount
            finally:
                cursor.close()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class PostgresLeases(_SqlLeases):
    """Leases in the PostgreSQL queue database, through psycopg 3 in autocommit mode. A broken
    connection (server restart, network) is replaced on the next call."""

    def __init__(self, dsn: str, *, queue: str) -> None:
        super().__init__(queue)
        self._dsn = dsn
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None
        with self._lock:
            conn = self._connection()
            # Concurrent CREATE ... IF NOT EXISTS can still collide in PostgreSQL's catalog;
            # an advisory lock makes processes that start together take turns.
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('mediaobjects.job_lease'))")
                for statement in _DDL:
                    conn.execute(statement)

    def _connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        if self._conn is not None and (self._conn.closed or self._conn.broken):
            self._conn = None
        if self._conn is None:
            self._conn = psycopg.connect(self._dsn, autocommit=True)
        return self._conn

    def _run(self, key: str, params: Params) -> tuple[list[tuple[Any, ...]], int]:
        sql = _SQL[key].replace("?", "%s")
        with self._lock, self._connection().cursor() as cursor:
            cursor.execute(sql, tuple(params))
            rows = cursor.fetchall() if cursor.description is not None else []
            return rows, cursor.rowcount

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
