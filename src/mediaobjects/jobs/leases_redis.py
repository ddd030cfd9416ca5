"""Lease records in Redis, beside a Redis queue: one hash per job, a sorted set of running
jobs scored by lease end (so recovery reads only expired ones), and a set of every job id.
Each state change is one Lua script, which Redis runs atomically."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

import redis

from mediaobjects.jobs.leases import JOB_STATES, JobRecord, JobState
from mediaobjects.jobs.outage import REDIS_CONNECT_TIMEOUT_SECONDS, REDIS_SOCKET_TIMEOUT_SECONDS

_START = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
local leased_until = tonumber(redis.call('HGET', KEYS[1], 'leased_until') or '0')
if state == 'queued' or (state == 'running' and leased_until < tonumber(ARGV[3])) then
  local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  redis.call('HSET', KEYS[1], 'state', 'running', 'owner', ARGV[2],
             'leased_until', ARGV[4], 'updated_at', ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
  return attempts
end
return -1
"""
_RENEW = """
if redis.call('HGET', KEYS[1], 'state') == 'running'
   and redis.call('HGET', KEYS[1], 'owner') == ARGV[2] then
  redis.call('HSET', KEYS[1], 'leased_until', ARGV[3], 'updated_at', ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  return 1
end
return 0
"""
_FINISH = """
if redis.call('HGET', KEYS[1], 'owner') == ARGV[2] then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[1])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('HGET', KEYS[1], 'state') == 'running'
   and redis.call('HGET', KEYS[1], 'owner') == ARGV[2] then
  redis.call('HSET', KEYS[1], 'state', 'queued', 'last_error', ARGV[3], 'updated_at', ARGV[4])
  redis.call('HDEL', KEYS[1], 'owner', 'leased_until')
  redis.call('ZREM', KEYS[2], ARGV[1])
  if ARGV[5] == '0' then redis.call('HINCRBY', KEYS[1], 'attempts', -1) end
  return 1
end
return 0
"""
# ARGV[2] == '' fails the job whoever holds it (recovery holds no lease).
_FAIL = """
if redis.call('EXISTS', KEYS[1]) == 1
   and (ARGV[2] == '' or redis.call('HGET', KEYS[1], 'owner') == ARGV[2]) then
  redis.call('HSET', KEYS[1], 'state', 'failed', 'last_error', ARGV[3], 'updated_at', ARGV[4])
  redis.call('HDEL', KEYS[1], 'owner', 'leased_until')
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
end
return 0
"""
_CLAIM = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
local claimed = {}
for _, id in ipairs(ids) do
  local key = ARGV[1] .. id
  redis.call('ZREM', KEYS[1], id)
  local leased_until = tonumber(redis.call('HGET', key, 'leased_until') or '0')
  if redis.call('HGET', key, 'state') == 'running' and leased_until < tonumber(ARGV[2]) then
    redis.call('HSET', key, 'state', 'queued', 'last_error', ARGV[3], 'updated_at', ARGV[2])
    redis.call('HDEL', key, 'owner', 'leased_until')
    table.insert(claimed, id)
  end
end
return claimed
"""


class RedisLeases:
    def __init__(self, url: str, *, queue: str) -> None:
        self.queue = queue
        self._redis: redis.Redis = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS,
            socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        )
        prefix = f"mediaobjects.jobs.{queue}"
        self._job_prefix = f"{prefix}.job."
        self._running = f"{prefix}.running"
        self._all = f"{prefix}.all"
        self._start = self._redis.register_script(_START)
        self._renew = self._redis.register_script(_RENEW)
        self._finish = self._redis.register_script(_FINISH)
        self._release = self._redis.register_script(_RELEASE)
        self._fail = self._redis.register_script(_FAIL)
        self._claim = self._redis.register_script(_CLAIM)

    def _key(self, job_id: str) -> str:
        return self._job_prefix + job_id

    def record(self, job_id: str, name: str, kwargs: Mapping[str, Any], *, now: float) -> None:
        fields = {
            "job_id": job_id,
            "name": name,
            "kwargs": json.dumps(dict(kwargs), sort_keys=True),
            "state": "queued",
            "attempts": 0,
            "created_at": repr(now),
            "updated_at": repr(now),
        }
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(self._key(job_id), mapping=fields)  # type: ignore[arg-type]
        pipe.sadd(self._all, job_id)
        pipe.execute()

    def discard(self, job_id: str) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(self._key(job_id))
        pipe.zrem(self._running, job_id)
        pipe.srem(self._all, job_id)
        pipe.execute()

    def start(self, job_id: str, owner: str, *, now: float, until: float) -> int | None:
        keys = [self._key(job_id), self._running]
        attempts = int(self._start(keys=keys, args=[job_id, owner, repr(now), repr(until)]))
        return attempts if attempts > 0 else None

    def renew(self, job_id: str, owner: str, *, now: float, until: float) -> bool:
        keys = [self._key(job_id), self._running]
        return int(self._renew(keys=keys, args=[job_id, owner, repr(until), repr(now)])) == 1

    def finish(self, job_id: str, owner: str) -> bool:
        keys = [self._key(job_id), self._running, self._all]
        return int(self._finish(keys=keys, args=[job_id, owner])) == 1

    def release(
        self, job_id: str, owner: str, *, now: float, error: str, counted: bool = True
    ) -> bool:
        keys = [self._key(job_id), self._running]
        args = [job_id, owner, error, repr(now), "1" if counted else "0"]
        return int(self._release(keys=keys, args=args)) == 1

    def fail(self, job_id: str, owner: str | None, *, now: float, error: str) -> bool:
        keys = [self._key(job_id), self._running]
        args = [job_id, owner or "", error, repr(now)]
        return int(self._fail(keys=keys, args=args)) == 1

    def claim_expired(self, *, now: float, error: str) -> list[JobRecord]:
        ids = cast(
            list[str],
            self._claim(keys=[self._running], args=[self._job_prefix, repr(now), error]),
        )
        claimed = [self.get(job_id) for job_id in ids]
        return sorted((r for r in claimed if r is not None), key=lambda r: (r.created_at, r.job_id))

    def get(self, job_id: str) -> JobRecord | None:
        fields = cast(dict[str, str], self._redis.hgetall(self._key(job_id)))
        return _record(fields) if fields else None

    def records(self, state: JobState | None = None) -> list[JobRecord]:
        ids = sorted(cast(set[str], self._redis.smembers(self._all)))
        found = (self.get(job_id) for job_id in ids)
        return sorted(
            (r for r in found if r is not None and (state is None or r.state == state)),
            key=lambda r: (r.created_at, r.job_id),
        )

    def close(self) -> None:
        self._redis.close()


def _record(fields: dict[str, str]) -> JobRecord:
    state = fields["state"]
    if state not in JOB_STATES:
        raise ValueError(f"job {fields.get('job_id')} has an unknown state {state!r}")
    leased_until = fields.get("leased_until")
    return JobRecord(
        job_id=fields["job_id"],
        name=fields["name"],
        kwargs=cast(dict[str, Any], json.loads(fields["kwargs"])),
        state=state,
        attempts=int(fields["attempts"]),
        owner=fields.get("owner"),
        leased_until=None if leased_until is None else float(leased_until),
        last_error=fields.get("last_error"),
        created_at=float(fields["created_at"]),
        updated_at=float(fields["updated_at"]),
    )
