"""Who is told how each delivery of a job went: the metrics (jobs by kind and outcome, their
durations, jobs running). Observers are called in the worker thread; one that raises is logged
and never changes what happens to the job."""

from __future__ import annotations

import logging
from typing import Literal, Protocol

logger = logging.getLogger("mediaobjects.jobs")

# succeeded: returned. retried: raised, another try is scheduled. failed: raised on its last
# try. skipped: not run, because it already finished, failed for good, or another worker holds
# its lease (a duplicate delivery).
Outcome = Literal["succeeded", "retried", "failed", "skipped"]


class JobObserver(Protocol):
    def job_started(self, kind: str) -> None: ...

    def job_finished(self, kind: str, outcome: Outcome, seconds: float) -> None:
        """``seconds``: how long the function ran (0 when skipped)."""
        ...


class Observers:
    def __init__(self) -> None:
        self._observers: list[JobObserver] = []

    def add(self, observer: JobObserver) -> None:
        self._observers.append(observer)

    def started(self, kind: str) -> None:
        for observer in self._observers:
            try:
                observer.job_started(kind)
            except Exception:
                logger.exception("a job observer failed")

    def finished(self, kind: str, outcome: Outcome, seconds: float) -> None:
        for observer in self._observers:
            try:
                observer.job_finished(kind, outcome, seconds)
            except Exception:
                logger.exception("a job observer failed")
