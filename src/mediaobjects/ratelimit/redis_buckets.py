"""Rate-limit buckets in Redis (the queue's), shared by every process that uses it: one hash
per (action, caller) bucket, updated by one Lua script, which Redis runs atomically. Time is
the Redis server's clock, so machines whose clocks differ still agree, and each hash expires
once its bucket would be full again."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import redis

from mediaobjects.errors import ServiceUnavailable
from mediaobjects.ratelimit import (
    CREATE_TOKEN,
    EPSILON,
    SIGN_IN_ADDRESS,
    SIGN_IN_LOGIN,
    Rate,
    refusal,
)

logger = logging.getLogger("mediaobjects.ratelimit")

# While Redis does not answer (it is the job queue too, so an outage is the queue's), the
# limits that guard credentials hold by refusing (503 with Retry-After): guessing passwords or
# minting tokens must not get easier by taking Redis down. The others (pictures, track
# writes, caption checks, ASR requests) let the request through: their limits only spread the
# load, and an outage of the queue must not stop teachers editing captions.
FAIL_CLOSED = frozenset({SIGN_IN_LOGIN, SIGN_IN_ADDRESS, CREATE_TOKEN})
# A Redis that is down refuses at once; one behind a dead link must not hold a request long.
CONNECT_TIMEOUT_SECONDS = 2.0
SOCKET_TIMEOUT_SECONDS = 5.0
# While Redis stays down, the outage is logged at most this often.
OUTAGE_LOG_INTERVAL_SECONDS = 30.0

KEY_PREFIX = "mediaobjects:ratelimit:"

# ARGV: burst, tokens per second, 1 to take a token (0 to look only), the time or "" for the
# server's. Returns {1 if a token was there, the tokens left as a string} (Lua numbers would
# come back truncated to integers).
_HIT = """
local burst = tonumber(ARGV[1])
local per_second = tonumber(ARGV[2])
local now
if ARGV[4] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[4])
end
local found = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(found[1]) or burst
local at = tonumber(found[2]) or now
if now > at then
  tokens = math.min(burst, tokens + (now - at) * per_second)
  at = now
end
local allowed = 0
if tokens >= 1 - tonumber(ARGV[5]) then allowed = 1 end
if ARGV[3] == '1' then
  if allowed == 1 then tokens = math.max(0, tokens - 1) end
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
  redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / per_second * 1000) + 1000)
end
return {allowed, tostring(tokens)}
"""


class RedisRateLimiter:
    """Token buckets per (action, caller) in Redis. ``clock`` replaces the server's clock."""

    def __init__(
        self,
        rates: Mapping[str, Rate],
        client: redis.Redis,
        *,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._rates = dict(rates)
        self._redis = client
        self._script = client.register_script(_HIT)
        self._clock = clock
        self._log_lock = threading.Lock()
        self._logged_at: float | None = None

    @classmethod
    def from_url(cls, rates: Mapping[str, Rate], url: str) -> RedisRateLimiter:
        client = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
        )
        return cls(rates, client)

    def _run(self, action: str, caller: str, take: bool) -> tuple[bool, float]:
        try:
            return self._script_run(action, caller, take)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            self._log_outage(exc)
            if action in FAIL_CLOSED:
                raise ServiceUnavailable(
                    "The rate limits cannot be checked right now; try again later."
                ) from exc
            return True, float(self._rates[action].burst)

    def _log_outage(self, exc: BaseException) -> None:
        now = time.monotonic()
        with self._log_lock:
            if self._logged_at is not None and now - self._logged_at < OUTAGE_LOG_INTERVAL_SECONDS:
                return
            self._logged_at = now
        logger.warning(
            "rate limits in Redis unreachable (%s); sign-ins and token creation answer 503, "
            "other limited requests go through unlimited until it is back",
            type(exc).__name__,
        )

    def _script_run(self, action: str, caller: str, take: bool) -> tuple[bool, float]:
        rate = self._rates[action]
        digest = hashlib.sha256(caller.encode("utf-8", "surrogatepass")).hexdigest()
        now = "" if self._clock is None else repr(self._clock())
        found: Any = self._script(
            keys=[f"{KEY_PREFIX}{action}:{digest}"],
            args=[rate.burst, repr(rate.per_minute / 60.0), "1" if take else "0", now, EPSILON],
        )
        return int(found[0]) == 1, float(found[1])

    def check(self, action: str, caller: str) -> None:
        allowed, tokens = self._run(action, caller, take=False)
        if not allowed:
            raise refusal(action, tokens, self._rates[action].per_minute / 60.0)

    def hit(self, action: str, caller: str, *, session: Any = None) -> None:
        allowed, tokens = self._run(action, caller, take=True)
        if not allowed:
            raise refusal(action, tokens, self._rates[action].per_minute / 60.0)

    def close(self) -> None:
        self._redis.close()
