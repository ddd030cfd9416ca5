"""Rate-limit buckets in the database (table ``rate_limit_buckets``), shared by every process
that uses it: the limit holds for the whole service however many API processes serve it.

A hit is one statement — an upsert that refills the bucket, takes a token if there is one and
says whether it did — so two processes hitting the same bucket at once are serialised by the
database's row lock (PostgreSQL) or write lock (SQLite) and never both take the last token.
Time is the database server's clock, so machines whose clocks differ still agree."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from typing import cast as typed

from sqlalchemy import (
    ColumnElement,
    Connection,
    Double,
    Engine,
    Table,
    and_,
    case,
    cast,
    delete,
    func,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mediaobjects.ratelimit import EPSILON, Rate, refill, refusal
from mediaobjects.ratelimit.models import RateLimitBucket

# How often (seconds, per process) rows whose buckets are full again are deleted.
PRUNE_EVERY_SECONDS = 60.0

_T = typed(Table, RateLimitBucket.__table__)


def _digest(caller: str) -> str:
    return hashlib.sha256(caller.encode("utf-8", "surrogatepass")).hexdigest()


def _database_now(dialect: str) -> ColumnElement[float]:
    if dialect == "postgresql":
        # The statement's start: one instant however often the upsert names it (unlike
        # clock_timestamp()), and a new one for each statement (unlike now()).
        return cast(func.extract("epoch", func.statement_timestamp()), Double)
    # julianday('now') has millisecond precision, plenty for refills of a token a second.
    return cast((func.julianday("now") - 2440587.5) * 86400.0, Double)


class DatabaseRateLimiter:
    """Token buckets per (action, caller) in ``engine``'s database. ``clock`` replaces the
    database's clock (tests move their own)."""

    def __init__(
        self,
        rates: Mapping[str, Rate],
        engine: Engine,
        *,
        clock: Callable[[], float] | None = None,
        prune_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rates = dict(rates)
        self._dialect = engine.dialect.name
        if self._dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"no rate-limit store for {self._dialect} databases")
        # Writers take SQLite's write lock at BEGIN (db/engine.py), as the request writers do.
        self._bind = engine.execution_options(sqlite_immediate=True)
        self._reader = engine
        self._clock = clock
        self._prune_clock = prune_clock
        self._pruned_at = prune_clock()
        self._prune_lock = threading.Lock()

    def _now(self) -> ColumnElement[float]:
        if self._clock is not None:
            return literal(self._clock(), Double)
        return _database_now(self._dialect)

    def check(self, action: str, caller: str) -> None:
        rate = self._rates[action]
        query = select(_T.c.tokens, _T.c.counted_at, self._now()).where(
            _T.c.action == action, _T.c.caller_digest == _digest(caller)
        )
        with self._reader.connect() as conn:
            found = conn.execute(query).first()
        if found is None:
            return
        tokens = refill(rate, found[0], found[2] - found[1])
        if tokens < 1.0 - EPSILON:
            raise refusal(action, tokens, rate.per_minute / 60.0)

    def hit(self, action: str, caller: str, *, session: Any = None) -> None:
        rate = self._rates[action]
        if isinstance(session, Session):
            allowed, tokens = self._take(session.connection(), action, rate, caller)
        else:
            with self._bind.begin() as conn:
                if self._dialect == "postgresql":
                    # A count lost in a crash of the database server only lets a few more
                    # requests through; not waiting for the disk at commit saves most of the
                    # cost of a hit (docs/deploying.md, bench/rate_limits.py).
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                allowed, tokens = self._take(conn, action, rate, caller)
        if not allowed:
            raise refusal(action, tokens, rate.per_minute / 60.0)

    def _take(self, conn: Connection, action: str, rate: Rate, caller: str) -> tuple[bool, float]:
        now = self._now()
        burst = float(rate.burst)
        per_second = rate.per_minute / 60.0
        elapsed = case((now > _T.c.counted_at, now - _T.c.counted_at), else_=0.0)
        grown = _T.c.tokens + elapsed * per_second
        full = case((grown > burst, burst), else_=grown)
        has_token = full >= 1.0 - EPSILON
        after = case((and_(has_token, full > 1.0), full - 1.0), (has_token, 0.0), else_=full)
        insert = postgresql.insert(_T) if self._dialect == "postgresql" else sqlite.insert(_T)
        statement = (
            insert.values(
                action=action,
                caller_digest=_digest(caller),
                tokens=burst - 1.0,
                counted_at=now,
                allowed=True,
            )
            .on_conflict_do_update(
                index_elements=[_T.c.action, _T.c.caller_digest],
                # Every expression reads the row as it was: tokens, counted_at and allowed
                # all follow from the same refill.
                set_={
                    "tokens": after,
                    "counted_at": case((now > _T.c.counted_at, now), else_=_T.c.counted_at),
                    "allowed": has_token,
                },
            )
            .returning(_T.c.allowed, _T.c.tokens)
        )
        row = conn.execute(statement).one()
        self._maybe_prune(conn)
        return bool(row[0]), float(row[1])

    def _maybe_prune(self, conn: Connection) -> None:
        """Now and then, deletes the rows of buckets that have filled up again (exactly as
        good as no row): the table holds only callers seen within a refill time."""
        with self._prune_lock:
            if self._prune_clock() - self._pruned_at < PRUNE_EVERY_SECONDS:
                return
            self._pruned_at = self._prune_clock()
        now = self._now()
        for action, rate in self._rates.items():
            refill_seconds = rate.burst * 60.0 / rate.per_minute
            conn.execute(
                delete(_T).where(_T.c.action == action, _T.c.counted_at < now - refill_seconds)
            )

    def close(self) -> None:
        """The engine belongs to the context, which disposes of it."""
