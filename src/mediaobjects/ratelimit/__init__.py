"""Rate limits: token buckets, one per (action, caller). A bucket holds up to ``burst`` tokens
and refills at ``per_minute``; each request takes one, and a request that finds none gets
TooManyRequests saying how many seconds until one is back.

Where the buckets live is a setting (MEDIAOBJECTS_RATE_LIMIT_STORE, docs/deploying.md): in the
database (``ratelimit.database``, the default, shared by every process using it), in Redis
(``ratelimit.redis_buckets``), or in this process's memory (``RateLimiter`` here: each process
counts on its own, so the effective limit is the setting times the number of processes). Every
store follows ``RateLimits``. Clocks are injectable so tests need no sleep."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mediaobjects.errors import TooManyRequests

# The actions with a limit; each has a rate in the settings (docs/settings.md).
DRAW_PICTURE = "draw_picture"
CREATE_TOKEN = "create_token"  # noqa: S105 (the name of an action, not a secret)
PUT_TRACKS = "put_tracks"
REQUEST_ASR = "request_asr"
CHECK_CAPTIONS = "check_captions"
SIGN_IN_LOGIN = "sign_in_login"
SIGN_IN_ADDRESS = "sign_in_address"

_WHAT = {
    DRAW_PICTURE: "Too many new picture sizes drawn",
    CREATE_TOKEN: "Too many access tokens created",
    PUT_TRACKS: "Too many caption track changes",
    REQUEST_ASR: "Too many automatic caption runs requested",
    CHECK_CAPTIONS: "Too many caption checks",
    SIGN_IN_LOGIN: "Too many failed sign-ins for this login",
    SIGN_IN_ADDRESS: "Too many failed sign-ins from this address",
}

# Callers remembered at once (about 200 bytes each). The least recently seen is dropped past
# this; it starts again with a full bucket, which only loosens its limit, and getting there
# takes this many distinct users or addresses using limited actions.
MAX_CALLERS = 20_000
# Float refills (0.1 token a second) must not leave a caller a hair short of a whole token
# after waiting exactly the Retry-After it was given.
EPSILON = 1e-9


@dataclass(frozen=True)
class Rate:
    """``per_minute`` tokens come back each minute, up to ``burst`` held at once."""

    per_minute: float
    burst: int

    def __post_init__(self) -> None:
        if not self.per_minute > 0:
            raise ValueError("per_minute must be more than 0")
        if self.burst < 1:
            raise ValueError("burst must be at least 1")


class RateLimits(Protocol):
    """What the routes call. ``session``: the caller's open write unit of work, if it holds
    one; a store in the same database must write through it (on SQLite a second writer would
    wait for the first, which is this same request). Other stores ignore it."""

    def check(self, action: str, caller: str) -> None:
        """TooManyRequests when ``caller`` has no token left for ``action``, taking none."""

    def hit(self, action: str, caller: str, *, session: Any = None) -> None:
        """Takes one token; TooManyRequests when there is none."""

    def close(self) -> None:
        """Lets go of connections."""


def refusal(action: str, tokens: float, per_second: float) -> TooManyRequests:
    """The 429 for a caller holding ``tokens`` (< 1): the whole seconds until one is back."""
    wait = math.ceil((1.0 - tokens) / per_second - EPSILON)
    return TooManyRequests(
        f"{_WHAT.get(action, 'Too many requests')}; try again in {max(1, wait)} s.",
        retry_after=wait,
    )


def refill(rate: Rate, tokens: float, elapsed: float) -> float:
    """The tokens of a bucket that held ``tokens`` ``elapsed`` seconds ago."""
    return min(float(rate.burst), tokens + max(0.0, elapsed) * rate.per_minute / 60.0)


class RateLimiter:
    """Token buckets per (action, caller) for the actions in ``rates``, in this process's
    memory. Thread-safe."""

    def __init__(
        self,
        rates: Mapping[str, Rate],
        *,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = MAX_CALLERS,
    ) -> None:
        self._rates = dict(rates)
        self._clock = clock
        self._max_callers = max_callers
        # (action, caller) -> (tokens, when counted); oldest use first.
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many callers are remembered."""
        return len(self._buckets)

    def check(self, action: str, caller: str) -> None:
        """TooManyRequests when ``caller`` has no token left for ``action``, without taking
        one: for limits that count only failures (sign-in), checked before the attempt."""
        rate = self._rates[action]
        per_second = rate.per_minute / 60.0
        with self._lock:
            now = self._clock()
            found = self._buckets.get((action, caller))
            if found is None:
                return
            tokens = min(float(rate.burst), found[0] + max(0.0, now - found[1]) * per_second)
        if tokens < 1.0 - EPSILON:
            raise refusal(action, tokens, per_second)

    def hit(self, action: str, caller: str, *, session: Any = None) -> None:
        """Takes one token of ``caller``'s bucket for ``action``; TooManyRequests (with the
        seconds until a token is back) when there is none. An unknown action is a KeyError:
        a programming mistake, not a request to let through."""
        rate = self._rates[action]
        per_second = rate.per_minute / 60.0
        key = (action, caller)
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.pop(key, (float(rate.burst), now))
            tokens = min(float(rate.burst), tokens + max(0.0, now - then) * per_second)
            allowed = tokens >= 1.0 - EPSILON
            if allowed:
                tokens = max(0.0, tokens - 1.0)
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self._max_callers:
                self._buckets.popitem(last=False)
        if not allowed:
            raise refusal(action, tokens, per_second)

    def close(self) -> None:
        """Nothing to let go of."""
