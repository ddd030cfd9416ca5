"""Every rate-limit store keeps the same promise (a burst, then a refusal saying exactly how
long to wait; a check that takes nothing), and the shared ones — the database (SQLite or
PostgreSQL, whichever the suite runs on) and Redis — share it between processes: two limiters
on two connections to one store count one bucket, and callers hitting it at once through both
never get more than the burst. A clock the test moves stands in for time where it matters."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

import pytest
import redis
from sqlalchemy import func, select

from mediaobjects.db.engine import build_engine
from mediaobjects.errors import ServiceUnavailable, TooManyRequests
from mediaobjects.ratelimit import (
    CREATE_TOKEN,
    DRAW_PICTURE,
    PUT_TRACKS,
    SIGN_IN_LOGIN,
    Rate,
    RateLimiter,
    RateLimits,
)
from mediaobjects.ratelimit.database import PRUNE_EVERY_SECONDS, DatabaseRateLimiter
from mediaobjects.ratelimit.models import RateLimitBucket
from mediaobjects.ratelimit.redis_buckets import RedisRateLimiter
from tests.support.clock import Clock

RATES = {DRAW_PICTURE: Rate(per_minute=6, burst=3), CREATE_TOKEN: Rate(per_minute=1, burst=1)}
# Makes a limiter of the store; each call opens its own connections, as another process would.
Factory = Callable[[dict[str, Rate], Clock | None], RateLimits]


@pytest.fixture(params=["memory", "database", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[tuple[str, Factory]]:
    made: list[RateLimits] = []
    engines = []
    kind = str(request.param)

    def factory(rates: dict[str, Rate], clock: Clock | None) -> RateLimits:
        limits: RateLimits
        if kind == "memory":
            limits = RateLimiter(rates, clock=clock or Clock())
        elif kind == "database":
            engine = build_engine(request.getfixturevalue("database_url"))
            engines.append(engine)
            limits = DatabaseRateLimiter(rates, engine, clock=clock)
        else:
            client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
            limits = RedisRateLimiter(rates, client, clock=clock)
        made.append(limits)
        return limits

    if kind == "redis":
        redis.Redis.from_url(request.getfixturevalue("redis_url")).flushdb()
    yield kind, factory
    for limits in made:
        limits.close()
    for engine in engines:
        engine.dispose()


def test_a_burst_then_a_refusal_with_the_seconds_to_wait(store: tuple[str, Factory]) -> None:
    _, make = store
    clock = Clock(1_000_000.0)
    limits = make(RATES, clock)  # 3 at once, then one every 10 s
    for _ in range(3):
        limits.hit(DRAW_PICTURE, "user:1")
    with pytest.raises(TooManyRequests) as refused:
        limits.hit(DRAW_PICTURE, "user:1")
    assert refused.value.retry_after == 10 and "10 s" in refused.value.message
    clock.advance(9)
    with pytest.raises(TooManyRequests) as still:
        limits.hit(DRAW_PICTURE, "user:1")
    assert still.value.retry_after == 1  # refusals do not push the time further away
    clock.advance(1)
    limits.hit(DRAW_PICTURE, "user:1")
    clock.advance(3600)  # a quiet caller gets its burst back, and no more
    for _ in range(3):
        limits.hit(DRAW_PICTURE, "user:1")
    with pytest.raises(TooManyRequests):
        limits.hit(DRAW_PICTURE, "user:1")


def test_callers_and_actions_are_counted_apart(store: tuple[str, Factory]) -> None:
    _, make = store
    limits = make(RATES, Clock(1_000_000.0))
    for _ in range(3):
        limits.hit(DRAW_PICTURE, "user:1")
    with pytest.raises(TooManyRequests):
        limits.hit(DRAW_PICTURE, "user:1")
    limits.hit(DRAW_PICTURE, "user:2")
    limits.hit(DRAW_PICTURE, "address:10.0.0.1")
    limits.hit(CREATE_TOKEN, "user:1")
    with pytest.raises(TooManyRequests) as refused:
        limits.hit(CREATE_TOKEN, "user:1")
    assert refused.value.retry_after == 60
    with pytest.raises(KeyError):
        limits.hit("sign_in", "user:1")  # an action without a rate is a mistake, not a pass


def test_checking_takes_nothing(store: tuple[str, Factory]) -> None:
    _, make = store
    clock = Clock(1_000_000.0)
    limits = make({CREATE_TOKEN: Rate(per_minute=6, burst=2)}, clock)
    for _ in range(5):
        limits.check(CREATE_TOKEN, "u")  # a caller never seen: a full bucket
    limits.hit(CREATE_TOKEN, "u")
    limits.check(CREATE_TOKEN, "u")
    limits.hit(CREATE_TOKEN, "u")
    with pytest.raises(TooManyRequests) as refused:
        limits.check(CREATE_TOKEN, "u")
    assert refused.value.retry_after == 10
    clock.advance(10)
    limits.check(CREATE_TOKEN, "u")
    limits.hit(CREATE_TOKEN, "u")  # the token that came back is still there to take
    with pytest.raises(TooManyRequests):
        limits.check(CREATE_TOKEN, "u")


def test_memory_counts_per_process_and_the_shared_stores_do_not(
    store: tuple[str, Factory],
) -> None:
    kind, make = store
    clock = Clock(1_000_000.0)
    one, other = make(RATES, clock), make(RATES, clock)
    one.hit(DRAW_PICTURE, "user:1")
    other.hit(DRAW_PICTURE, "user:1")
    one.hit(DRAW_PICTURE, "user:1")
    if kind == "memory":
        other.hit(DRAW_PICTURE, "user:1")  # each process has its own bucket: 3 x 2 in all
        return
    for limits in (other, one):
        with pytest.raises(TooManyRequests) as refused:
            limits.hit(DRAW_PICTURE, "user:1")
        assert refused.value.retry_after == 10
        with pytest.raises(TooManyRequests):
            limits.check(DRAW_PICTURE, "user:1")


@pytest.mark.parametrize("store", ["database", "redis"], indirect=True)
def test_callers_at_once_through_two_processes_get_the_burst_and_no_more(
    store: tuple[str, Factory],
) -> None:
    _, make = store
    # The store's own clock (database or Redis server), and a rate too slow to refill here.
    rates = {CREATE_TOKEN: Rate(per_minute=0.001, burst=10)}
    limiters = [make(rates, None), make(rates, None)]
    allowed: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def caller(n: int) -> None:
        limits = limiters[n % 2]
        start.wait()
        for _ in range(5):
            try:
                limits.hit(CREATE_TOKEN, "user:1")
            except TooManyRequests as exc:
                with lock:
                    refused.append(exc.retry_after)
            else:
                with lock:
                    allowed.append(n)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 10 and len(refused) == 30
    assert all(wait > 59_000 for wait in refused)  # one token per 60,000 s


def test_rows_of_buckets_full_again_are_deleted(database_url: str) -> None:
    engine = build_engine(database_url)
    clock, every = Clock(1_000_000.0), Clock(0.0)
    limits = DatabaseRateLimiter(RATES, engine, clock=clock, prune_clock=every)
    try:
        for n in range(5):
            limits.hit(DRAW_PICTURE, f"user:{n}")
        limits.hit(CREATE_TOKEN, "user:0")
        count = select(func.count()).select_from(RateLimitBucket)
        with engine.connect() as conn:
            assert conn.scalar(count) == 6
        clock.advance(31)  # the picture buckets are full again (a whole burst takes 30 s)
        every.advance(PRUNE_EVERY_SECONDS)
        limits.hit(DRAW_PICTURE, "user:9")
        with engine.connect() as conn:
            kept = conn.execute(select(RateLimitBucket.action, RateLimitBucket.tokens)).all()
        # The token bucket (one a minute) is not full yet, nor is the one just hit.
        assert sorted(kept) == [(CREATE_TOKEN, 0.0), (DRAW_PICTURE, 2.0)]
        with pytest.raises(TooManyRequests):
            limits.hit(CREATE_TOKEN, "user:0")  # what was kept still counts
    finally:
        engine.dispose()


def test_with_redis_unreachable_sign_ins_answer_503_and_other_limits_let_requests_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tests.support.postgres import free_port

    rates = {SIGN_IN_LOGIN: Rate(60, 1), PUT_TRACKS: Rate(60, 1)}
    # Nothing listens there: as while the cluster's Redis (its queue too) is stopped.
    limits = RedisRateLimiter.from_url(rates, f"redis://127.0.0.1:{free_port()}/0")
    try:
        with caplog.at_level(logging.WARNING, logger="mediaobjects.ratelimit"):
            for _ in range(3):
                with pytest.raises(ServiceUnavailable):
                    limits.hit(SIGN_IN_LOGIN, "login:ada")
                limits.hit(PUT_TRACKS, "user:1")  # past its burst of 1: not refused
    finally:
        limits.close()
    outage_lines = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(outage_lines) == 1
