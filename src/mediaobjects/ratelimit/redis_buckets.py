"""Rate-limit buckets in Redis (the queue's), shared by every process that uses it: one hash
per (action, caller) bucket, updated by one Lua script, which Redis runs atomically. Time is
the Redis server's clock, so machines whose clocks differ still agree, and each hash expires
once its bucket would be full again."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import redis

from mediaobjects.ratelimit import EPSILON, Rate, refusal

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

    @classmethod
    def from_url(cls, rates: Mapping[str, Rate], url: str) -> RedisRateLimiter:
        return cls(rates, redis.Redis.from_url(url, decode_responses=True))

    def _run(self, action: str, caller: str, take: bool) -> tuple[bool, float]:
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
