"""The token buckets behind every rate limit: a burst, then a refusal saying how long to wait,
exactly long enough; callers and actions counted apart; memory bounded. A clock the test moves
stands in for time, so nothing sleeps."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediaobjects.errors import TooManyRequests
from mediaobjects.ratelimit import CREATE_TOKEN, DRAW_PICTURE, Rate, RateLimiter
from tests.support.clock import Clock


def limiter(clock: Clock, per_minute: float = 6, burst: int = 3, **kw: int) -> RateLimiter:
    return RateLimiter(
        {DRAW_PICTURE: Rate(per_minute, burst), CREATE_TOKEN: Rate(1, 1)}, clock=clock, **kw
    )


def test_a_burst_then_a_refusal_with_the_seconds_to_wait() -> None:
    clock = Clock(1000.0)
    limits = limiter(clock)  # 3 at once, then one every 10 s
    for _ in range(3):
        limits.hit(DRAW_PICTURE, "user:1")
    with pytest.raises(TooManyRequests) as refused:
        limits.hit(DRAW_PICTURE, "user:1")
    assert refused.value.retry_after == 10
    assert refused.value.status_code == 429 and refused.value.code == "too_many_requests"
    assert "10 s" in refused.value.message
    clock.now += 9
    with pytest.raises(TooManyRequests) as still:
        limits.hit(DRAW_PICTURE, "user:1")
    assert still.value.retry_after == 1  # refusals do not push the time further away
    clock.now += 1
    limits.hit(DRAW_PICTURE, "user:1")


def test_a_quiet_caller_gets_its_burst_back_but_no_more() -> None:
    clock = Clock(1000.0)
    limits = limiter(clock)
    for _ in range(3):
        limits.hit(DRAW_PICTURE, "user:1")
    clock.now += 3600
    for _ in range(3):
        limits.hit(DRAW_PICTURE, "user:1")
    with pytest.raises(TooManyRequests):
        limits.hit(DRAW_PICTURE, "user:1")


def test_callers_and_actions_are_counted_apart() -> None:
    clock = Clock(1000.0)
    limits = limiter(clock)
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


def test_memory_is_bounded_by_forgetting_the_least_recent_caller() -> None:
    clock = Clock(1000.0)
    limits = limiter(clock, burst=1, max_callers=3)
    limits.hit(DRAW_PICTURE, "user:1")
    for n in range(2, 100):
        limits.hit(DRAW_PICTURE, f"user:{n}")
        # user:1 keeps coming back (refused), so it stays remembered while others go.
        with pytest.raises(TooManyRequests):
            limits.hit(DRAW_PICTURE, "user:1")
        assert len(limits) <= 3
    # A forgotten caller starts again with a full bucket.
    limits.hit(DRAW_PICTURE, "user:2")


@given(
    per_minute=st.floats(min_value=0.01, max_value=10_000, allow_nan=False),
    burst=st.integers(min_value=1, max_value=50),
    gaps=st.lists(st.floats(min_value=0, max_value=120), min_size=1, max_size=40),
)
def test_retry_after_is_never_too_short(per_minute: float, burst: int, gaps: list[float]) -> None:
    clock = Clock(1000.0)
    limits = limiter(clock, per_minute=per_minute, burst=burst)
    for gap in gaps:
        clock.now += gap
        try:
            limits.hit(DRAW_PICTURE, "user:1")
        except TooManyRequests as refused:
            assert refused.retry_after >= 1
            clock.now += refused.retry_after
            limits.hit(DRAW_PICTURE, "user:1")  # waiting as told is enough


def test_rates_must_let_something_through() -> None:
    with pytest.raises(ValueError):
        Rate(0, 5)
    with pytest.raises(ValueError):
        Rate(5, 0)


def test_check_refuses_an_empty_bucket_without_spending_a_token() -> None:
    clock = Clock()
    limiter = RateLimiter({CREATE_TOKEN: Rate(per_minute=6, burst=2)}, clock=clock)
    for _ in range(5):
        limiter.check(CREATE_TOKEN, "u")  # a full bucket: checking takes nothing
    limiter.hit(CREATE_TOKEN, "u")
    limiter.hit(CREATE_TOKEN, "u")
    with pytest.raises(TooManyRequests) as refused:
        limiter.check(CREATE_TOKEN, "u")
    assert refused.value.retry_after == 10
    clock.advance(10)
    limiter.check(CREATE_TOKEN, "u")
    limiter.hit(CREATE_TOKEN, "u")  # the token that came back is still there to take
    with pytest.raises(TooManyRequests):
        limiter.check(CREATE_TOKEN, "u")
