"""Exceptions raised by the job queue. None of them reaches HTTP: enqueueing an unknown job is a
programming error, and a job's own failures are recorded on its lease record."""

from __future__ import annotations


class JobError(Exception):
    """Base of every job-queue exception."""


class UnknownJobError(JobError, LookupError):
    """No job function is registered under that name."""


class JobTimeout(JobError, TimeoutError):
    """A job went past its deadline (raised by ``JobContext.check_deadline``). Counts as a
    failed try, so the job is retried while it has tries left."""
