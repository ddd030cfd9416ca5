"""Exceptions raised by the job queue. None of them reaches HTTP: enqueueing an unknown job is a
programming error, a job's own failures are recorded on its lease record, and a job that could
not be queued because the queue was unreachable is queued later by the recovery chores."""

from __future__ import annotations


class JobError(Exception):
    """Base of every job-queue exception."""


class UnknownJobError(JobError, LookupError):
    """No job function is registered under that name."""


class JobTimeout(JobError, TimeoutError):
    """A job went past its deadline (raised by ``JobContext.check_deadline``). Counts as a
    failed try, so the job is retried while it has tries left."""


class QueueUnavailable(JobError):
    """The queue's backend (Redis, PostgreSQL, the SQLite file) did not answer, so a job could
    not be recorded or queued; nothing of it was kept."""
