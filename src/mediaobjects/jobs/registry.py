"""The jobs a queue knows: each name's function and how it is run (tries, backoff, time limit),
the Huey task that carries it, and enqueueing, which records a job before queueing it so that it
can never be lost (see ``leases``)."""

from __future__ import annotations

import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import huey  # type: ignore[import-untyped]

from mediaobjects.jobs.contract import RESERVED_ARGUMENT_PREFIX, GiveUp, JobFunction, JobSpec
from mediaobjects.jobs.errors import QueueUnavailable, UnknownJobError
from mediaobjects.jobs.leases import JobRecord, Leases
from mediaobjects.jobs.outage import is_queue_outage
from mediaobjects.observability.correlation import JOB_REQUEST_ID_KEY, current_request_id

_JOB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,99}$")

# What a delivery of a job calls: (spec, its JSON arguments, the job id).
Execute = Callable[[JobSpec, dict[str, Any], str], None]


class Registry:
    def __init__(self, huey_instance: huey.Huey, leases: Leases, execute: Execute) -> None:
        self._huey = huey_instance
        self._leases = leases
        self._execute = execute
        self._specs: dict[str, JobSpec] = {}
        self._tasks: dict[str, Any] = {}

    @property
    def names(self) -> list[str]:
        return sorted(self._specs)

    def spec(self, name: str) -> JobSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownJobError(f"no job is registered as {name!r}") from None

    def find(self, name: str) -> JobSpec | None:
        return self._specs.get(name)

    def register(
        self,
        name: str,
        fn: JobFunction,
        *,
        tries: int,
        retry_delay: float,
        backoff: float,
        timeout: float,
        on_give_up: GiveUp | None,
    ) -> None:
        if not _JOB_NAME.match(name):
            raise ValueError(
                f"job name {name!r} must start with a letter or underscore and contain only "
                "letters, digits, underscores and dots (at most 100 characters)"
            )
        if name in self._specs:
            raise ValueError(f"a job named {name!r} is already registered")
        if tries < 1:
            raise ValueError(f"tries must be at least 1, not {tries}")
        if retry_delay < 0 or backoff < 1:
            raise ValueError("retry_delay must be >= 0 and backoff >= 1")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout}")
        spec = JobSpec(name, fn, tries, retry_delay, backoff, timeout, on_give_up)

        def run(job_kwargs: dict[str, Any], task: Any) -> None:
            self._execute(spec, job_kwargs, str(task.id))

        # Huey identifies a task by module and name, so every process that registers the same
        # job name reads the same messages. Retries are ours (see execution): Huey's stay 0.
        self._tasks[name] = self._huey.task(name=name, context=True, retries=0)(run)
        self._specs[name] = spec

    def enqueue(self, name: str, kwargs: dict[str, Any]) -> str:
        """Record job ``name`` with ``kwargs`` (JSON values) and queue it; its job id."""
        task = self._tasks.get(name)
        if task is None:
            raise UnknownJobError(f"no job is registered as {name!r}")
        reserved = sorted(key for key in kwargs if key.startswith(RESERVED_ARGUMENT_PREFIX))
        if reserved:
            raise ValueError(f"job {name!r}: argument names {reserved} are reserved")
        try:
            # What the job receives is exactly what a recovered job would receive.
            payload = json.loads(json.dumps(kwargs))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"the arguments of job {name!r} must be JSON values: {exc}") from exc
        request_id = current_request_id()
        if request_id is not None:
            # Kept in the record too, so that a recovered job still names its request.
            payload[JOB_REQUEST_ID_KEY] = request_id
        job_id = str(uuid.uuid4())
        try:
            self._leases.record(job_id, name, payload, now=time.time())
        except Exception as exc:
            if is_queue_outage(exc):
                raise QueueUnavailable(f"could not record job {name}: {_reason(exc)}") from exc
            raise
        try:
            self._huey.enqueue(task.s(payload, id=job_id))
        except BaseException as exc:
            # The queue may have gone away between the two calls: then the record stays
            # ``queued`` and ``requeue_lost`` queues it once the queue is back. Still an error
            # here, so that the caller does not count on it running soon.
            with contextlib.suppress(Exception):
                self._leases.discard(job_id)
            if isinstance(exc, Exception) and is_queue_outage(exc):
                raise QueueUnavailable(f"could not queue job {name}: {_reason(exc)}") from exc
            raise
        return job_id

    def requeue(self, record: JobRecord) -> bool:
        """Queue a recorded job again under its own id (recovery); False when its name is not
        registered here."""
        task = self._tasks.get(record.name)
        if task is None:
            return False
        self._huey.enqueue(task.s(record.kwargs, id=record.job_id))
        return True


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
