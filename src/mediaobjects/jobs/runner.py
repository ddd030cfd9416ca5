"""The job queue the rest of the service talks to: named job functions, enqueueing, and the
ways of consuming (threads inside ``mediaobjects serve``, the blocking ``mediaobjects worker``,
and synchronously for tests). Job functions must meet the contract in
:mod:`mediaobjects.jobs.contract`: idempotent, deadline-honouring, JSON arguments."""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

import huey  # type: ignore[import-untyped]
from huey.consumer import Consumer  # type: ignore[import-untyped]
from huey.exceptions import RetryTask  # type: ignore[import-untyped]
from huey.utils import utcnow  # type: ignore[import-untyped]

from mediaobjects.jobs.contract import GiveUp, JobContext, JobFunction, JobSpec
from mediaobjects.jobs.errors import UnknownJobError
from mediaobjects.jobs.leases import JobRecord, Leases, build_leases
from mediaobjects.jobs.queue import build_huey
from mediaobjects.jobs.serializer import MessageRefused

logger = logging.getLogger("mediaobjects.jobs")

_JOB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,99}$")
WORKER_DIED = "its worker stopped renewing the lease (the process died or hung)"


@dataclass
class _Running:
    owner: str
    name: str
    deadline: float
    overrun_reported: bool = False


@dataclass(frozen=True)
class _Chore:
    name: str
    fn: Callable[[], object]
    every: float


class _Consumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without its signal handlers: inside ``serve`` the signals belong to
    uvicorn, and ``run_worker`` installs its own."""

    def _set_signal_handlers(self) -> None:
        return None


class JobQueue:
    """One Huey queue, the job functions registered on it, and their lease records.

    ``lease_seconds`` is how long a worker may go without a heartbeat before its jobs are
    presumed dead and handed to another worker; heartbeats run every ``heartbeat_seconds`` and
    expired leases are looked for every ``recover_seconds`` (and when consuming starts), together
    with jobs recorded as queued for over ``lost_after_seconds`` that the queue lost (see
    :meth:`requeue_lost`)."""

    def __init__(
        self,
        huey_instance: huey.Huey,
        leases: Leases,
        *,
        lease_seconds: float = 60.0,
        heartbeat_seconds: float = 10.0,
        recover_seconds: float = 30.0,
        idle_poll_max_seconds: float = 1.0,
        health_check_seconds: float = 10.0,
        lost_after_seconds: float = 300.0,
    ) -> None:
        if heartbeat_seconds <= 0 or heartbeat_seconds * 2 > lease_seconds:
            raise ValueError(
                f"heartbeat_seconds ({heartbeat_seconds}) must be positive and at most half "
                f"of lease_seconds ({lease_seconds}), or live jobs would lose their leases"
            )
        if recover_seconds <= 0 or idle_poll_max_seconds <= 0:
            raise ValueError("recover_seconds and idle_poll_max_seconds must be positive")
        self._huey = huey_instance
        self._leases = leases
        self._lease_seconds = lease_seconds
        self._heartbeat_seconds = heartbeat_seconds
        self._recover_seconds = recover_seconds
        self._idle_poll_max_seconds = idle_poll_max_seconds
        self._health_check_seconds = health_check_seconds
        self._lost_after_seconds = lost_after_seconds
        self._specs: dict[str, JobSpec] = {}
        self._tasks: dict[str, Any] = {}
        self._worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._owner_numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._in_flight: dict[str, _Running] = {}
        self._executions = 0
        self._consumer: Any = None
        self._maintenance: threading.Thread | None = None
        self._maintenance_stop = threading.Event()
        self._chores: list[_Chore] = []
        self._chore_thread: threading.Thread | None = None
        # Runs in each consumer thread as it exits: PostgreSQL storage opens a LISTEN
        # connection per thread, which would otherwise be left open for the garbage collector.
        self._huey.on_shutdown("mediaobjects_close_thread_connections")(self._huey.storage.close)

    @property
    def huey(self) -> huey.Huey:
        return self._huey

    @property
    def leases(self) -> Leases:
        return self._leases

    @property
    def job_names(self) -> list[str]:
        return sorted(self._specs)

    def spec(self, name: str) -> JobSpec:
        """How job ``name`` is run: its function, tries, backoff and time limit."""
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownJobError(f"no job is registered as {name!r}") from None

    def register(
        self,
        name: str,
        fn: JobFunction,
        *,
        tries: int = 3,
        retry_delay: float = 5.0,
        backoff: float = 5.0,
        timeout: float = 3600.0,
        on_give_up: GiveUp | None = None,
    ) -> None:
        """Make ``fn`` runnable as job ``name``. ``tries`` counts every run, the first one
        included; the waits between tries are retry_delay, retry_delay*backoff, ... (5 s then
        25 s by default). ``timeout`` seconds is the deadline handed to each try."""
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
        # job name reads the same messages. Retries are ours (see _execute): Huey's stay 0.
        self._tasks[name] = self._huey.task(name=name, context=True, retries=0)(run)
        self._specs[name] = spec

    def add_chore(self, name: str, fn: Callable[[], object], *, every: float) -> None:
        """Run ``fn()`` while this queue is consuming: when consuming starts, then every
        ``every`` seconds. For housekeeping that must happen wherever jobs are consumed
        (removing what crashed processes left behind). Chores run one after another in a
        thread of their own, so a slow one never delays lease renewals; an exception is
        logged and the chore runs again at its next time."""
        if every <= 0:
            raise ValueError(f"every must be positive, not {every}")
        with self._lock:
            if self._consumer is not None:
                raise RuntimeError("add chores before consuming starts")
            self._chores.append(_Chore(name, fn, every))

    def enqueue(self, name: str, **kwargs: Any) -> str:
        """Queue job ``name`` with ``kwargs`` (JSON values); returns its job id."""
        task = self._tasks.get(name)
        if task is None:
            raise UnknownJobError(f"no job is registered as {name!r}")
        try:
            # What the job receives is exactly what a recovered job would receive.
            payload = json.loads(json.dumps(kwargs))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"the arguments of job {name!r} must be JSON values: {exc}") from exc
        job_id = str(uuid.uuid4())
        self._leases.record(job_id, name, payload, now=time.time())
        try:
            self._huey.enqueue(task.s(payload, id=job_id))
        except BaseException:
            self._leases.discard(job_id)
            raise
        return job_id

    def status(self, job_id: str) -> JobRecord | None:
        """The job's record: None once it has finished successfully (or never existed)."""
        return self._leases.get(job_id)

    def failed_jobs(self) -> list[JobRecord]:
        return self._leases.records("failed")

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
            return
        context = JobContext(
            job_id, spec.name, attempt, spec.tries, time.monotonic() + spec.timeout
        )
        with self._lock:
            self._in_flight[job_id] = _Running(owner, spec.name, context.deadline)
            self._executions += 1
        try:
            try:
                spec.fn(context, **job_kwargs)
            finally:
                with self._lock:
                    self._in_flight.pop(job_id, None)
        except Exception as exc:
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
            self._give_up(spec, job_id, job_kwargs, exc)
            return
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

    @staticmethod
    def _give_up(
        spec: JobSpec, job_id: str, job_kwargs: dict[str, Any], exc: BaseException | None
    ) -> None:
        if spec.on_give_up is None:
            return
        try:
            spec.on_give_up(job_kwargs, exc)
        except Exception:
            logger.exception("on_give_up of job %s %s failed", spec.name, job_id)

    def recover_expired(self) -> int:
        """Re-enqueue jobs whose worker stopped renewing their lease; a job that has used all
        its tries that way is marked failed instead. Returns how many were re-enqueued."""
        requeued = 0
        for record in self._leases.claim_expired(now=time.time(), error=WORKER_DIED):
            spec = self._specs.get(record.name)
            task = self._tasks.get(record.name)
            if spec is None or task is None:
                self._leases.fail(
                    record.job_id,
                    None,
                    now=time.time(),
                    error=f"no job is registered as {record.name!r} in the recovering worker",
                )
                continue
            if record.attempts >= spec.tries:
                logger.error(
                    "job %s %s failed: %s on its last try", record.name, record.job_id, WORKER_DIED
                )
                self._leases.fail(
                    record.job_id, None, now=time.time(), error=f"{WORKER_DIED} on its last try"
                )
                self._give_up(spec, record.job_id, record.kwargs, None)
                continue
            logger.warning(
                "job %s %s re-enqueued: %s (%d of %d tries used)",
                record.name,
                record.job_id,
                WORKER_DIED,
                record.attempts,
                spec.tries,
            )
            self._huey.enqueue(task.s(record.kwargs, id=record.job_id))
            requeued += 1
        return requeued

    def requeue_lost(self, *, older_than: float) -> int:
        """Re-enqueue jobs recorded as ``queued`` for over ``older_than`` seconds that the
        queue no longer holds. That happens only when a process dies in a window of
        milliseconds: after recording a job but before queueing it, after Huey handed a
        message to a worker but before the worker leased it, or while Huey's scheduler moved a
        retry to the queue. A duplicate this might create is harmless: ``Leases.start`` lets
        only one delivery of a job run. Returns how many were re-enqueued."""
        cutoff = time.time() - older_than
        stale = [r for r in self._leases.records("queued") if r.updated_at < cutoff]
        if not stale:
            return 0
        held = {t.id for t in self._huey.pending()} | {t.id for t in self._huey.scheduled()}
        requeued = 0
        for record in stale:
            task = self._tasks.get(record.name)
            if record.job_id in held or task is None:
                continue
            # It may have been taken and leased since we listed it.
            if self._leases.get(record.job_id) != record:
                continue
            logger.warning(
                "job %s %s re-enqueued: recorded as queued but missing from the queue",
                record.name,
                record.job_id,
            )
            self._huey.enqueue(task.s(record.kwargs, id=record.job_id))
            requeued += 1
        return requeued

    def run_pending_now(self) -> int:
        """Run everything queued, in order, in the calling thread, including retries (waiting
        out their backoff) and jobs they enqueue; returns how many job runs happened. For
        tests and one-off commands; not while a consumer runs on this instance."""
        if self._consumer is not None:
            raise RuntimeError("run_pending_now() cannot run while this queue is consuming")
        with self._lock:
            before = self._executions
        storage = self._huey.storage
        # Redis and PostgreSQL dequeue waits up to a second for work; here an empty queue
        # means done.
        blocking = storage.blocking
        storage.blocking = False
        try:
            while True:
                try:
                    task = self._huey.dequeue()
                except MessageRefused:
                    # As the consumer does: logged and dropped, the queue goes on.
                    logger.exception("A message on the job queue was refused")
                    continue
                if task is not None:
                    self._huey.execute(task)
                    continue
                due = self._huey.read_schedule(utcnow())
                if due:
                    for task in due:
                        self._huey.execute(task)
                    continue
                waiting = [t.eta for t in self._huey.scheduled() if t.eta is not None]
                if not waiting:
                    break
                time.sleep(max(0.0, (min(waiting) - utcnow()).total_seconds()))
        finally:
            storage.blocking = blocking
        with self._lock:
            return self._executions - before

    def start_in_process(self, workers: int) -> None:
        """Consume with ``workers`` threads in this process, plus Huey's scheduler thread (for
        retries) and a lease thread (heartbeats, recovery of dead workers' jobs). Returns at
        once; call :meth:`stop` before the process exits."""
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        with self._lock:
            if self._consumer is not None:
                raise RuntimeError("this job queue is already consuming")
            consumer = _Consumer(
                self._huey,
                workers=workers,
                periodic=False,
                initial_delay=0.1,
                backoff=1.15,
                max_delay=self._idle_poll_max_seconds,
                scheduler_interval=1,
                worker_type="thread",
            )
            self._consumer = consumer
        # Jobs of a worker that died go back on the queue before this one takes any job.
        self._recover_logged()
        self._maintenance_stop.clear()
        self._maintenance = threading.Thread(
            target=self._maintain, args=(consumer,), name="mediaobjects-jobs-leases", daemon=True
        )
        self._maintenance.start()
        if self._chores:
            self._chore_thread = threading.Thread(
                target=self._run_chores, name="mediaobjects-jobs-chores", daemon=True
            )
            self._chore_thread.start()
        consumer.start()
        logger.info("job queue %s consuming with %d thread(s)", self._huey.name, workers)

    def _recover_logged(self) -> None:
        try:
            self.recover_expired()
            self.requeue_lost(older_than=self._lost_after_seconds)
        except Exception:
            logger.exception("looking for jobs of dead workers failed")

    def _maintain(self, consumer: Any) -> None:
        next_recover = time.monotonic() + self._recover_seconds
        next_health = time.monotonic() + self._health_check_seconds
        while True:
            if time.monotonic() >= next_recover:
                next_recover = time.monotonic() + self._recover_seconds
                self._recover_logged()
            if time.monotonic() >= next_health and not consumer.stop_flag.is_set():
                next_health = time.monotonic() + self._health_check_seconds
                try:
                    consumer.check_worker_health()
                except Exception:
                    logger.exception("checking the job worker threads failed")
            if self._maintenance_stop.wait(self._heartbeat_seconds):
                return
            self._renew_leases()

    def _run_chores(self) -> None:
        due = [time.monotonic()] * len(self._chores)
        while not self._maintenance_stop.is_set():
            for number, chore in enumerate(self._chores):
                if time.monotonic() < due[number]:
                    continue
                try:
                    chore.fn()
                except Exception:
                    logger.exception(
                        "chore %r failed; it runs again in %.0f s", chore.name, chore.every
                    )
                due[number] = time.monotonic() + chore.every
            if self._maintenance_stop.wait(max(0.0, min(due) - time.monotonic())):
                return

    def _renew_leases(self) -> None:
        with self._lock:
            in_flight = list(self._in_flight.items())
        now = time.time()
        for job_id, running in in_flight:
            if not running.overrun_reported and time.monotonic() > running.deadline:
                # Threads cannot be killed: all we can do is say so, once.
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

    def stop(self, timeout: float = 10.0, *, abort: threading.Event | None = None) -> None:
        """Stop consuming: no new job starts; running jobs get up to ``timeout`` seconds (or
        until ``abort`` is set) to finish while their leases are still renewed. Jobs still
        running after that are abandoned to their thread; once this process exits their
        leases expire and another worker runs them again."""
        with self._lock:
            consumer, self._consumer = self._consumer, None
        if consumer is None:
            return
        consumer.stop_flag.set()
        deadline = time.monotonic() + timeout
        threads = [thread for _, thread in consumer.worker_threads] + [consumer.scheduler]
        for thread in threads:
            while thread.is_alive() and not (abort is not None and abort.is_set()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                thread.join(min(left, 0.05))
        with self._lock:
            running = sorted(self._in_flight)
        if running:
            logger.warning(
                "stopped consuming with %d job(s) still running (%s); they run again elsewhere "
                "once their leases expire",
                len(running),
                ", ".join(running),
            )
        self._maintenance_stop.set()
        if self._maintenance is not None:
            self._maintenance.join(timeout=5.0)
            self._maintenance = None
        if self._chore_thread is not None:
            # A chore in the middle of a long listing is abandoned to its daemon thread.
            self._chore_thread.join(timeout=5.0)
            self._chore_thread = None
        logger.info("job queue %s stopped consuming", self._huey.name)

    def run_worker(self, workers: int, *, shutdown_timeout: float = 60.0) -> None:
        """Consume until SIGTERM or SIGINT (``mediaobjects worker``). The first signal stops
        taking jobs and waits up to ``shutdown_timeout`` seconds for running ones; a second
        signal stops waiting."""
        stop_requested = threading.Event()
        abort = threading.Event()

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            if stop_requested.is_set():
                abort.set()
            else:
                logger.info("received %s, finishing running jobs", signal.Signals(signum).name)
                stop_requested.set()

        previous: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, on_signal)
        else:
            logger.warning("run_worker() outside the main thread cannot handle signals")
        try:
            self.start_in_process(workers)
            while not stop_requested.wait(0.5):
                pass
        finally:
            try:
                self.stop(timeout=shutdown_timeout, abort=abort)
            finally:
                for signum, handler in previous.items():
                    # None: the previous handler was not installed from Python.
                    signal.signal(signum, signal.SIG_DFL if handler is None else handler)

    def close(self) -> None:
        self.stop()
        self._leases.close()
        self._huey.storage.close()
        # Huey's RedisStorage.close() is a no-op; its connection pool is not.
        pool = getattr(self._huey.storage, "pool", None)
        if pool is not None:
            pool.disconnect()


def build_job_queue(
    queue_url: str,
    *,
    name: str = "mediaobjects",
    lease_seconds: float = 60.0,
    heartbeat_seconds: float = 10.0,
    recover_seconds: float = 30.0,
    idle_poll_max_seconds: float = 1.0,
    lost_after_seconds: float = 300.0,
) -> JobQueue:
    """A job queue, with its lease store, on the queue at ``queue_url`` (see ``build_huey``)."""
    return JobQueue(
        build_huey(queue_url, name=name),
        build_leases(queue_url, name=name),
        lease_seconds=lease_seconds,
        heartbeat_seconds=heartbeat_seconds,
        recover_seconds=recover_seconds,
        idle_poll_max_seconds=idle_poll_max_seconds,
        lost_after_seconds=lost_after_seconds,
    )
