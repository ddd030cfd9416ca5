"""Consuming a queue in this process: Huey's worker threads and scheduler, a maintenance
thread (lease heartbeats, recovery of dead workers' jobs, the worker threads' health), a thread
for chores, and the signal handling of ``mediaobjects worker``."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

import huey  # type: ignore[import-untyped]
from huey.consumer import Consumer  # type: ignore[import-untyped]

from mediaobjects.jobs.execution import Executor
from mediaobjects.jobs.outage import HueyOutageFilter, OutageLog

logger = logging.getLogger("mediaobjects.jobs")
# Huey's worker and scheduler threads log through these.
_HUEY_LOGGERS = ("huey.consumer.Worker", "huey.consumer.Scheduler")


@dataclass(frozen=True)
class Chore:
    name: str
    fn: Callable[[], object]
    every: float


@dataclass(frozen=True)
class Timings:
    heartbeat_seconds: float
    recover_seconds: float
    idle_poll_max_seconds: float
    health_check_seconds: float


class _Consumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without its signal handlers: inside ``serve`` the signals belong to
    uvicorn, and ``run_worker`` installs its own."""

    def _set_signal_handlers(self) -> None:
        return None


class Consumption:
    """Starts and stops consuming; at most one consumer at a time."""

    def __init__(
        self,
        huey_instance: huey.Huey,
        executor: Executor,
        recover: Callable[[], object],
        timings: Timings,
        hand_back: Callable[[], object] = lambda: None,
    ) -> None:
        self._huey = huey_instance
        self._executor = executor
        self._recover = recover
        self._hand_back = hand_back
        self._timings = timings
        self._lock = threading.Lock()
        self._consumer: Any = None
        self._maintenance: threading.Thread | None = None
        self._stop = threading.Event()
        self._chores: list[Chore] = []
        self._chore_thread: threading.Thread | None = None
        self._outages = OutageLog(logger)
        self._huey_filter = HueyOutageFilter()

    @property
    def consuming(self) -> bool:
        with self._lock:
            return self._consumer is not None

    def add_chore(self, chore: Chore) -> None:
        if chore.every <= 0:
            raise ValueError(f"every must be positive, not {chore.every}")
        with self._lock:
            if self._consumer is not None:
                raise RuntimeError("add chores before consuming starts")
            self._chores.append(chore)

    def start(self, workers: int) -> None:
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
                max_delay=self._timings.idle_poll_max_seconds,
                scheduler_interval=1,
                worker_type="thread",
            )
            self._consumer = consumer
        for name in _HUEY_LOGGERS:
            logging.getLogger(name).addFilter(self._huey_filter)
        # Jobs of a worker that died go back on the queue before this one takes any job.
        self._recover_logged()
        self._stop.clear()
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
            self._recover()
        except Exception as exc:
            self._outages.failed("looking for jobs of dead workers", exc)

    def _maintain(self, consumer: Any) -> None:
        timings = self._timings
        next_recover = time.monotonic() + timings.recover_seconds
        next_health = time.monotonic() + timings.health_check_seconds
        while True:
            if time.monotonic() >= next_recover:
                next_recover = time.monotonic() + timings.recover_seconds
                self._recover_logged()
            if time.monotonic() >= next_health and not consumer.stop_flag.is_set():
                next_health = time.monotonic() + timings.health_check_seconds
                try:
                    consumer.check_worker_health()
                except Exception:
                    logger.exception("checking the job worker threads failed")
            if self._stop.wait(timings.heartbeat_seconds):
                return
            self._executor.renew_leases()

    def _run_chores(self) -> None:
        due = [time.monotonic()] * len(self._chores)
        while not self._stop.is_set():
            for number, chore in enumerate(self._chores):
                if time.monotonic() < due[number]:
                    continue
                try:
                    chore.fn()
                except Exception as exc:
                    self._outages.failed(
                        f"chore {chore.name!r} (runs every {chore.every:.0f} s)", exc
                    )
                due[number] = time.monotonic() + chore.every
            if self._stop.wait(max(0.0, min(due) - time.monotonic())):
                return

    def stop(self, timeout: float = 10.0, *, abort: threading.Event | None = None) -> None:
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
        if self._executor.running():
            # Past the bound: another worker takes them now, not once their leases expire.
            self._hand_back()
        running = [job for job in self._executor.running() if not self._executor.handed_back(job)]
        if running:
            logger.warning(
                "stopped consuming with %d job(s) still running (%s); they run again elsewhere "
                "once their leases expire",
                len(running),
                ", ".join(running),
            )
        self._stop.set()
        if self._maintenance is not None:
            self._maintenance.join(timeout=5.0)
            self._maintenance = None
        if self._chore_thread is not None:
            # A chore in the middle of a long listing is abandoned to its daemon thread.
            self._chore_thread.join(timeout=5.0)
            self._chore_thread = None
        for name in _HUEY_LOGGERS:
            logging.getLogger(name).removeFilter(self._huey_filter)
        logger.info("job queue %s stopped consuming", self._huey.name)

    def run_until_signalled(self, workers: int, *, shutdown_timeout: float) -> None:
        """Consume until SIGTERM or SIGINT. The first signal stops taking jobs and waits up to
        ``shutdown_timeout`` seconds for running ones; a second signal stops waiting."""
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
            self.start(workers)
            while not stop_requested.wait(0.5):
                pass
        finally:
            try:
                self.stop(timeout=shutdown_timeout, abort=abort)
            finally:
                for signum, handler in previous.items():
                    # None: the previous handler was not installed from Python.
                    signal.signal(signum, signal.SIG_DFL if handler is None else handler)
