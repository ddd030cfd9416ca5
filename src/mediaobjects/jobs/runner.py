"""The job queue the rest of the service talks to, put together from its parts: the registry
of named jobs (``registry``), the running of one delivery with leases and retries
(``execution``), the recovery of dead workers' jobs (``recovery``), consuming in threads or as
``mediaobjects worker`` (``consumer``) and running to empty for tests (``synchronous``). Job
functions must meet the contract in :mod:`mediaobjects.jobs.contract`: idempotent,
deadline-honouring, JSON arguments."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import huey  # type: ignore[import-untyped]

from mediaobjects.jobs import recovery
from mediaobjects.jobs.consumer import Chore, Consumption, Timings
from mediaobjects.jobs.contract import GiveUp, JobFunction, JobSpec
from mediaobjects.jobs.execution import OUTAGE_RETRY_SECONDS, Executor
from mediaobjects.jobs.leases import JobRecord, JobState, Leases
from mediaobjects.jobs.observers import JobObserver
from mediaobjects.jobs.queue import build_huey, build_leases
from mediaobjects.jobs.recovery import WORKER_DIED
from mediaobjects.jobs.registry import Registry
from mediaobjects.jobs.synchronous import run_until_empty

__all__ = ["WORKER_DIED", "JobQueue", "build_job_queue"]


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
        outage_retry_seconds: float = OUTAGE_RETRY_SECONDS,
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
        self._lost_after_seconds = lost_after_seconds
        self._executor = Executor(
            leases,
            lease_seconds=lease_seconds,
            heartbeat_seconds=heartbeat_seconds,
            outage_retry_seconds=outage_retry_seconds,
        )
        self._registry = Registry(huey_instance, leases, self._executor.execute)
        self._consumption = Consumption(
            huey_instance,
            self._executor,
            self._recover,
            Timings(
                heartbeat_seconds, recover_seconds, idle_poll_max_seconds, health_check_seconds
            ),
            hand_back=lambda: self._executor.hand_back(self._registry.requeue),
        )
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
        return self._registry.names

    def spec(self, name: str) -> JobSpec:
        """How job ``name`` is run: its function, tries, backoff and time limit."""
        return self._registry.spec(name)

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
        self._registry.register(
            name,
            fn,
            tries=tries,
            retry_delay=retry_delay,
            backoff=backoff,
            timeout=timeout,
            on_give_up=on_give_up,
        )

    def add_chore(self, name: str, fn: Callable[[], object], *, every: float) -> None:
        """Run ``fn()`` while this queue is consuming: when consuming starts, then every
        ``every`` seconds. For housekeeping that must happen wherever jobs are consumed
        (removing what crashed processes left behind). Chores run one after another in a
        thread of their own, so a slow one never delays lease renewals; an exception is
        logged and the chore runs again at its next time."""
        self._consumption.add_chore(Chore(name, fn, every))

    def add_observer(self, observer: JobObserver) -> None:
        """Tell ``observer`` how every delivery consumed by this queue in this process went."""
        self._executor.observers.add(observer)

    def depth(self) -> tuple[int, dict[tuple[JobState, str], int]]:
        """What the queue holds right now, shared by every process on it: the messages not yet
        taken by a worker, and the job records by state and kind (``queued`` counts retries
        waiting out their backoff too; finished jobs have no record)."""
        waiting = int(self._huey.pending_count())
        records: dict[tuple[JobState, str], int] = {}
        for record in self._leases.records():
            key = (record.state, record.name)
            records[key] = records.get(key, 0) + 1
        return waiting, records

    def ping(self) -> None:
        """Raises when the queue cannot be reached."""
        self._huey.pending_count()

    def enqueue(self, name: str, **kwargs: Any) -> str:
        """Queue job ``name`` with ``kwargs`` (JSON values); returns its job id."""
        return self._registry.enqueue(name, kwargs)

    def status(self, job_id: str) -> JobRecord | None:
        """The job's record: None once it has finished successfully (or never existed)."""
        return self._leases.get(job_id)

    def failed_jobs(self) -> list[JobRecord]:
        return self._leases.records("failed")

    def recover_expired(self) -> int:
        """Re-enqueue jobs whose worker stopped renewing their lease (see ``recovery``)."""
        return recovery.recover_expired(self._leases, self._registry)

    def requeue_lost(self, *, older_than: float) -> int:
        """Re-enqueue jobs recorded as queued that the queue lost (see ``recovery``)."""
        return recovery.requeue_lost(
            self._huey, self._leases, self._registry, older_than=older_than
        )

    def _recover(self) -> None:
        self.recover_expired()
        self.requeue_lost(older_than=self._lost_after_seconds)

    def run_pending_now(self) -> int:
        """Run everything queued, in order, in the calling thread, including retries (waiting
        out their backoff) and jobs they enqueue; returns how many job runs happened. For
        tests and one-off commands; not while a consumer runs on this instance."""
        if self._consumption.consuming:
            raise RuntimeError("run_pending_now() cannot run while this queue is consuming")
        before = self._executor.executions
        run_until_empty(self._huey)
        return self._executor.executions - before

    def start_in_process(self, workers: int) -> None:
        """Consume with ``workers`` threads in this process, plus Huey's scheduler thread (for
        retries), a lease thread (heartbeats, recovery of dead workers' jobs) and a thread for
        chores. Returns at once; call :meth:`stop` before the process exits."""
        self._consumption.start(workers)

    def stop(self, timeout: float = 10.0, *, abort: threading.Event | None = None) -> None:
        """Stop consuming: no new job starts; running jobs get up to ``timeout`` seconds (or
        until ``abort`` is set) to finish while their leases are still renewed. Jobs still
        running after that are handed back to the queue (their try not counted), so another
        worker takes them at once; their threads are abandoned and end with the process. A
        job that cannot be handed back (the queue is down) runs again once its lease expires."""
        self._consumption.stop(timeout, abort=abort)

    def run_worker(self, workers: int, *, shutdown_timeout: float = 60.0) -> None:
        """Consume until SIGTERM or SIGINT (``mediaobjects worker``). The first signal stops
        taking jobs and waits up to ``shutdown_timeout`` seconds for running ones; a second
        signal stops waiting. Jobs still running then are handed back (see :meth:`stop`)."""
        self._consumption.run_until_signalled(workers, shutdown_timeout=shutdown_timeout)

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
    outage_retry_seconds: float = OUTAGE_RETRY_SECONDS,
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
        outage_retry_seconds=outage_retry_seconds,
    )
