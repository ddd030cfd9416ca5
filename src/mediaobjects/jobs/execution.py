"""Running one delivery of a job: take its lease (so that only one delivery runs), call the
function with its deadline, then finish, retry with backoff, or fail for good and tell the job
(``on_give_up``). Also the heartbeat that keeps the leases of running jobs alive."""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from huey.exceptions import RetryTask  # type: ignore[import-untyped]

from mediaobjects.jobs.contract import JobContext, JobSpec
from mediaobjects.jobs.leases import Leases
from mediaobjects.jobs.observers import Observers
from mediaobjects.observability.correlation import JOB_REQUEST_ID_KEY, job_bound

logger = logging.getLogger("mediaobjects.jobs")


@dataclass
class _Running:
    owner: str
    name: str
    deadline: float
    overrun_reported: bool = False


def give_up(
    spec: JobSpec, job_id: str, job_kwargs: dict[str, Any], exc: BaseException | None
) -> None:
    """Tells the job it failed for good (``exc`` None: its worker died on the last try)."""
    if spec.on_give_up is None:
        return
    job_kwargs = {k: v for k, v in job_kwargs.items() if k != JOB_REQUEST_ID_KEY}
    try:
        spec.on_give_up(job_kwargs, exc)
    except Exception:
        logger.exception("on_give_up of job %s %s failed", spec.name, job_id)


class Executor:
    """Runs deliveries of jobs in this process and keeps their leases alive."""

    def __init__(self, leases: Leases, *, lease_seconds: float, heartbeat_seconds: float) -> None:
        self._leases = leases
        self._lease_seconds = lease_seconds
        self._heartbeat_seconds = heartbeat_seconds
        self._worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._owner_numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._in_flight: dict[str, _Running] = {}
        self._executions = 0
        self.observers = Observers()

    @property
    def executions(self) -> int:
        """How many deliveries have run in this process."""
        with self._lock:
            return self._executions

    def running(self) -> list[str]:
        with self._lock:
            return sorted(self._in_flight)

    def execute(self, spec: JobSpec, job_kwargs: dict[str, Any], job_id: str) -> None:
        # The id of the request that queued the job travels with its arguments (see
        # Registry.enqueue); the job function never sees it, its log lines do.
        job_kwargs = dict(job_kwargs)
        request_id = job_kwargs.pop(JOB_REQUEST_ID_KEY, None)
        with job_bound(job_id, spec.name, request_id if isinstance(request_id, str) else None):
            self._execute(spec, job_kwargs, job_id)

    def _execute(self, spec: JobSpec, job_kwargs: dict[str, Any], job_id: str) -> None:
        owner = f"{self._worker_id}:{next(self._owner_numbers)}"
        now = time.time()
        try:
            attempt = self._leases.start(job_id, owner, now=now, until=now + self._lease_seconds)
        except Exception as exc:
            # Without a lease the job must not run; ask Huey to deliver it again later.
            logger.warning("could not lease job %s %s; retrying delivery", spec.name, job_id)
            raise RetryTask(delay=self._heartbeat_seconds) from exc
        if attempt is None:
            logger.info(
                "job %s %s skipped: it already finished, failed for good, or another worker "
                "holds its lease",
                spec.name,
                job_id,
            )
            self.observers.finished(spec.name, "skipped", 0.0)
            return
        context = JobContext(
            job_id, spec.name, attempt, spec.tries, time.monotonic() + spec.timeout
        )
        with self._lock:
            self._in_flight[job_id] = _Running(owner, spec.name, context.deadline)
            self._executions += 1
        self.observers.started(spec.name)
        logger.info("job %s %s started (try %d of %d)", spec.name, job_id, attempt, spec.tries)
        started = time.monotonic()
        try:
            try:
                spec.fn(context, **job_kwargs)
            finally:
                with self._lock:
                    self._in_flight.pop(job_id, None)
        except Exception as exc:
            seconds = time.monotonic() - started
            last = attempt >= spec.tries
            self.observers.finished(spec.name, "failed" if last else "retried", seconds)
            self._failed(spec, job_kwargs, job_id, owner, attempt, exc)
            return
        seconds = time.monotonic() - started
        self.observers.finished(spec.name, "succeeded", seconds)
        logger.info("job %s %s succeeded in %.1f s", spec.name, job_id, seconds)
        if time.monotonic() > context.deadline:
            logger.warning(
                "job %s %s finished but overran its %.0f s time limit",
                spec.name,
                job_id,
                spec.timeout,
            )
        if not self._leases.finish(job_id, owner):
            logger.warning(
                "job %s %s finished after losing its lease; another worker may run it again",
                spec.name,
                job_id,
            )

    def _failed(
        self,
        spec: JobSpec,
        job_kwargs: dict[str, Any],
        job_id: str,
        owner: str,
        attempt: int,
        exc: Exception,
    ) -> None:
        error = f"{type(exc).__name__}: {exc}"
        if attempt < spec.tries:
            delay = spec.delay_after(attempt)
            logger.warning(
                "job %s %s failed on try %d of %d, retrying in %.1f s: %s",
                spec.name,
                job_id,
                attempt,
                spec.tries,
                delay,
                error,
                exc_info=exc,
            )
            self._leases.release(job_id, owner, now=time.time(), error=error)
            raise RetryTask(delay=delay) from exc
        logger.error(
            "job %s %s failed on its last try (%d of %d): %s",
            spec.name,
            job_id,
            attempt,
            spec.tries,
            error,
            exc_info=exc,
        )
        self._leases.fail(job_id, owner, now=time.time(), error=error)
        give_up(spec, job_id, job_kwargs, exc)

    def renew_leases(self) -> None:
        """The heartbeat: push every running job's lease forward, and say once when a job runs
        past its time limit (threads cannot be killed)."""
        with self._lock:
            in_flight = list(self._in_flight.items())
        now = time.time()
        for job_id, running in in_flight:
            if not running.overrun_reported and time.monotonic() > running.deadline:
                running.overrun_reported = True
                logger.warning(
                    "job %s %s is still running past its time limit; it holds a worker thread "
                    "until it returns",
                    running.name,
                    job_id,
                )
            try:
                held = self._leases.renew(
                    job_id, running.owner, now=now, until=now + self._lease_seconds
                )
            except Exception:
                logger.exception("renewing the lease of job %s failed", job_id)
                continue
            if not held:
                logger.warning(
                    "job %s lost its lease (presumed dead); another worker may run it too", job_id
                )
