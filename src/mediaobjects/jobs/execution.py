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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from huey.exceptions import RetryTask  # type: ignore[import-untyped]

from mediaobjects.jobs.contract import JobContext, JobSpec
from mediaobjects.jobs.errors import JobTimeout
from mediaobjects.jobs.leases import JobRecord, Leases
from mediaobjects.jobs.observers import Observers, Outcome
from mediaobjects.jobs.outage import OutageLog, is_queue_outage, one_line
from mediaobjects.observability.correlation import JOB_REQUEST_ID_KEY, job_bound

logger = logging.getLogger("mediaobjects.jobs")

HANDED_BACK = "its worker shut down before it finished; handed back to the queue"
# A try that failed because a service it needs (the database, the storage, the queue) did not
# answer is tried again after this long without counting against the job's tries, for as long
# as the job is younger than OUTAGE_PATIENCE_SECONDS: an outage of minutes must not fail every
# upload that happened to be processing, and a fault that only looks like one still ends.
OUTAGE_RETRY_SECONDS = 10.0
OUTAGE_PATIENCE_SECONDS = 3600.0


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
    job_kwargs = spec.job_arguments(job_kwargs)
    try:
        spec.on_give_up(job_kwargs, exc)
    except Exception:
        logger.exception("on_give_up of job %s %s failed", spec.name, job_id)


class Executor:
    """Runs deliveries of jobs in this process and keeps their leases alive."""

    def __init__(
        self,
        leases: Leases,
        *,
        lease_seconds: float,
        heartbeat_seconds: float,
        outage_retry_seconds: float = OUTAGE_RETRY_SECONDS,
    ) -> None:
        self._leases = leases
        self._outage_retry_seconds = outage_retry_seconds
        self._lease_seconds = lease_seconds
        self._heartbeat_seconds = heartbeat_seconds
        self._worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._owner_numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._in_flight: dict[str, _Running] = {}
        self._executions = 0
        self._outages = OutageLog(logger)
        # Jobs this process gave back while their threads still ran: whatever those threads
        # do next must not touch the job's record, which belongs to the next worker.
        self._handed_back: set[str] = set()
        self.observers = Observers()

    @property
    def executions(self) -> int:
        """How many deliveries have run in this process."""
        with self._lock:
            return self._executions

    def running(self) -> list[str]:
        with self._lock:
            return sorted(self._in_flight)

    def handed_back(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._handed_back

    def execute(self, spec: JobSpec, job_kwargs: dict[str, Any], job_id: str) -> None:
        # The id of the request that queued the job travels with its arguments (see
        # Registry.enqueue); the job function never sees it, its log lines do. Nor does it see
        # any other reserved key (see contract.RESERVED_ARGUMENT_PREFIX).
        request_id = job_kwargs.get(JOB_REQUEST_ID_KEY)
        job_kwargs = spec.job_arguments(job_kwargs)
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
                    handed_back = job_id in self._handed_back
                    self._handed_back.discard(job_id)
        except Exception as exc:
            seconds = time.monotonic() - started
            if handed_back:
                # Another worker runs it again: for this process the try ends as a retry.
                self.observers.finished(spec.name, "retried", seconds)
                return
            # "retried" unless _failed gave up on it: an outage or a try left retries it
            # (RetryTask), and so does a failure to record the outcome (its lease expires).
            outcome: Outcome = "retried"
            try:
                self._failed(spec, job_kwargs, job_id, owner, attempt, exc)
                outcome = "failed"
            finally:
                self.observers.finished(spec.name, outcome, seconds)
            return
        seconds = time.monotonic() - started
        if handed_back:
            logger.info("job %s %s finished after it was handed back", spec.name, job_id)
            self.observers.finished(spec.name, "retried", seconds)
            return
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
        if self._outage(job_id, exc):
            logger.warning(
                "job %s %s could not run: a service it needs is unreachable (%s); trying again "
                "in %.0f s, not counted as a try",
                spec.name,
                job_id,
                one_line(exc),
                self._outage_retry_seconds,
            )
            self._leases.release(job_id, owner, now=time.time(), error=error, counted=False)
            raise RetryTask(delay=self._outage_retry_seconds) from exc
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

    def _outage(self, job_id: str, exc: Exception) -> bool:
        if isinstance(exc, JobTimeout) or not is_queue_outage(exc):
            return False
        record = self._leases.get(job_id)
        return record is not None and time.time() - record.created_at < OUTAGE_PATIENCE_SECONDS

    def hand_back(self, requeue: Callable[[JobRecord], object]) -> list[str]:
        """Give every job still running here back to the queue at once, so that another
        worker takes it now rather than once its lease has expired (this process is shutting
        down). The interrupted try does not count against the job's tries. Returns the job
        ids handed back; a job whose record cannot be reached is left to its lease."""
        with self._lock:
            in_flight = [
                (job_id, running)
                for job_id, running in self._in_flight.items()
                if job_id not in self._handed_back
            ]
        handed: list[str] = []
        for job_id, running in in_flight:
            try:
                released = self._leases.release(
                    job_id, running.owner, now=time.time(), error=HANDED_BACK, counted=False
                )
                record = self._leases.get(job_id) if released else None
                if record is None:
                    continue
                with self._lock:
                    self._handed_back.add(job_id)
                requeue(record)
            except Exception as exc:
                self._outages.failed(f"handing back job {running.name} {job_id}", exc)
                continue
            logger.warning(
                "job %s %s handed back to the queue: this worker is shutting down",
                running.name,
                job_id,
            )
            handed.append(job_id)
        return handed

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
            except Exception as exc:
                self._outages.failed(f"renewing the lease of job {job_id}", exc)
                continue
            if not held:
                logger.warning(
                    "job %s lost its lease (presumed dead); another worker may run it too", job_id
                )
