"""Benchmark (issue 14): what a rate limit costs per limited request in each store, side by
side in one run — in memory (each process counts alone), in the database (SQLite file in WAL
mode, and PostgreSQL), and in Redis — to choose the default MEDIAOBJECTS_RATE_LIMIT_STORE.

Two figures per store:
- one ``hit`` alone: mean, p50 and p99 over many calls from one thread, spread over 500 callers;
  and the throughput of 4 threads hitting at once (contention on one database write lock);
- the cheapest limited request, ``POST /api/v1/users/:id/tokens`` by a user (not an admin, so
  it is counted), through the whole app in process (FastAPI TestClient, no sockets): its mean
  and p50 with the store, and the store's share of it.

PostgreSQL and Redis are started privately (tests/support/postgres.py, redis.py); when one
cannot be started its rows say so and the others are still measured. Reports, asserts nothing.

Usage: python bench/rate_limits.py [--hits N] [--requests N]"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from tests.support.api import Api  # noqa: E402

from mediaobjects.app import create_app  # noqa: E402
from mediaobjects.context import build_context, rates_of  # noqa: E402
from mediaobjects.db.engine import build_engine  # noqa: E402
from mediaobjects.db.migrate import upgrade  # noqa: E402
from mediaobjects.ratelimit import CREATE_TOKEN, RateLimiter, RateLimits  # noqa: E402
from mediaobjects.ratelimit.database import DatabaseRateLimiter  # noqa: E402
from mediaobjects.ratelimit.redis_buckets import RedisRateLimiter  # noqa: E402
from mediaobjects.settings import Settings  # noqa: E402
from mediaobjects.storage.local import LocalStorage  # noqa: E402

# Rates no caller of the bench reaches: every hit is allowed, as most are in service.
UNLIMITED = {"rate_limit_token_per_minute": 1e9, "rate_limit_token_burst": 1_000_000_000}
CALLERS = 500
THREADS = 4


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def time_hits(limits: RateLimits, hits: int) -> tuple[float, float, float, float]:
    """Mean, p50, p99 (µs) of one hit from one thread; hits per second from THREADS threads."""
    for n in range(CALLERS):  # every caller has a row (or bucket) before timing
        limits.hit(CREATE_TOKEN, f"user:{n}")
    took: list[float] = []
    for n in range(hits):
        start = time.perf_counter()
        limits.hit(CREATE_TOKEN, f"user:{n % CALLERS}")
        took.append((time.perf_counter() - start) * 1e6)
    each = hits // THREADS

    def run(offset: int) -> None:
        for n in range(each):
            limits.hit(CREATE_TOKEN, f"user:{(n + offset) % CALLERS}")

    threads = [threading.Thread(target=run, args=(i * 97,)) for i in range(THREADS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = each * THREADS / (time.perf_counter() - start)
    return statistics.fmean(took), _percentile(took, 0.5), _percentile(took, 0.99), rate


def time_requests(settings: Settings, store: Callable[[Engine], RateLimits], n: int) -> list[float]:
    """Milliseconds of each POST /users/:id/tokens by a user, with ``store`` as the limiter."""
    ctx = build_context(
        settings, storage=LocalStorage(settings.data_dir / "files"), with_jobs=False
    )
    ctx.limiter.close()
    ctx.limiter = store(ctx.engine)
    try:
        with TestClient(create_app(context=ctx)) as client:
            api = Api(client, ctx)
            user = api.user()
            url = f"/api/v1/users/{user.id}/tokens"
            for _ in range(20):  # warm-up
                api.request("POST", url, user, data={"token[purpose]": "bench"})
            took = []
            for _ in range(n):
                start = time.perf_counter()
                r = api.request("POST", url, user, data={"token[purpose]": "bench"})
                took.append((time.perf_counter() - start) * 1e3)
                assert r.status_code == 200, (r.status_code, r.text)
            return took
    finally:
        ctx.close()


def optional(
    stack: contextlib.ExitStack,
    name: str,
    start: Callable[[], contextlib.AbstractContextManager[str]],
) -> str | None:
    """The server's URL, or None (said) when it cannot be started here."""
    try:
        return stack.enter_context(start())
    except Exception as exc:  # measure the other stores
        print(f"  ({name} not measured: {type(exc).__name__}: {exc})")
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hits", type=int, default=4000)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    from tests.support.postgres import running_postgres
    from tests.support.redis import running_redis

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-ratelimit-")))
        base = Settings(data_dir=tmp / "data", secret_key="bench-key", **UNLIMITED)  # type: ignore[arg-type]
        rates = rates_of(base)
        # The database store of each run uses the engine it is given: the app's own (SQLite)
        # for requests, this one for the hits alone.
        sqlite_engine = build_engine(base.resolved_database_url())
        upgrade(sqlite_engine)
        stores: dict[str, Callable[[Engine], RateLimits]] = {
            "memory": lambda _engine: RateLimiter(rates),
            "database (SQLite)": lambda engine: DatabaseRateLimiter(rates, engine),
        }
        pg_url = optional(stack, "PostgreSQL", running_postgres)
        if pg_url is not None:
            pg_engine = build_engine(pg_url)
            upgrade(pg_engine)
            stores["database (PostgreSQL)"] = lambda _engine: DatabaseRateLimiter(rates, pg_engine)
        redis_url = optional(stack, "Redis", running_redis)
        if redis_url is not None:
            stores["redis"] = lambda _engine: RedisRateLimiter.from_url(rates, redis_url)

        print(f"One hit (µs; {args.hits} hits over {CALLERS} callers; then {THREADS} threads):")
        print(f"  {'store':24} {'mean':>8} {'p50':>8} {'p99':>8} {'hits/s x4':>10}")
        for name, make in stores.items():
            limits = make(sqlite_engine)
            mean, p50, p99, rate = time_hits(limits, args.hits)
            limits.close()
            print(f"  {name:24} {mean:8.1f} {p50:8.1f} {p99:8.1f} {rate:10.0f}")

        print(
            f"\nPOST /api/v1/users/:id/tokens by a user, in process ({args.requests} requests, "
            "SQLite database; ms):"
        )
        print(f"  {'store':24} {'mean':>8} {'p50':>8} {'vs memory (p50)':>16}")
        floor = None
        # Memory again last: how far the machine drifted during the run (it is shared).
        again = [*stores.items(), ("memory (again)", stores["memory"])]
        for n, (name, make) in enumerate(again):
            # A data dir of its own per store: the app starts from an empty database each time.
            own = base.model_copy(update={"data_dir": tmp / f"app{n}"})
            upgrade_engine = build_engine(own.resolved_database_url())
            upgrade(upgrade_engine)
            upgrade_engine.dispose()
            took = time_requests(own, make, args.requests)
            p50 = statistics.median(took)
            floor = p50 if floor is None else floor
            extra = f"{p50 - floor:+.2f} ms ({(p50 / floor - 1) * 100:+.0f}%)"
            print(f"  {name:24} {statistics.fmean(took):8.2f} {p50:8.2f} {extra:>16}")
        sqlite_engine.dispose()


if __name__ == "__main__":
    main()
