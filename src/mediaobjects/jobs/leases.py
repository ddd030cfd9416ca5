"""Lease records: our own account of every job from enqueue until it finishes, which is what
lets a job survive the death of the worker running it.

Huey deletes a task from its queue the moment a worker takes it, so a worker killed with
SIGKILL (or by the OOM killer, or a power cut) loses the task. We therefore keep one record per
job next to the queue (same SQLite file, same PostgreSQL database, same Redis):

* ``queued``  - recorded at enqueue, and again while a retry waits in Huey's schedule;
* ``running`` - a worker took it; ``owner`` names that worker and ``leased_until`` is a
  wall-clock deadline the worker keeps pushing forward from a heartbeat thread;
* ``failed``  - its last try failed; kept so that operators can see what went wrong.

A finished job's record is deleted. A ``running`` record whose lease has expired belongs to a
dead (or hung) worker: :meth:`Leases.claim_expired` atomically hands it back to ``queued`` so
that exactly one recoverer re-enqueues it. Times are ``time.time()`` seconds, so machines that
share a queue need synchronised clocks (NTP); leases are long (a minute by default) for that
reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

JobState = Literal["queued", "running", "failed"]
JOB_STATES: tuple[JobState, ...] = ("queued", "running", "failed")


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    name: str
    kwargs: dict[str, Any]
    state: JobState
    # Tries started so far, including one whose worker died.
    attempts: int
    owner: str | None
    leased_until: float | None
    last_error: str | None
    created_at: float
    updated_at: float


class Leases(Protocol):
    """Where lease records live. Every method is atomic on its own; none needs a transaction
    held by the caller. ``owner`` arguments guard against a worker that lost its lease (it
    was presumed dead and the job was handed to someone else) overwriting the new owner's
    state."""

    def record(self, job_id: str, name: str, kwargs: Mapping[str, Any], *, now: float) -> None:
        """A new ``queued`` record with no attempts."""
        ...

    def discard(self, job_id: str) -> None:
        """Forget a record whatever its state (the enqueue that created it failed)."""
        ...

    def start(self, job_id: str, owner: str, *, now: float, until: float) -> int | None:
        """Take the job for ``owner`` if it is ``queued``, or ``running`` on an expired lease.
        Returns the attempt number now starting (1 for the first try), or None when the job
        must not run: it finished (no record), failed, or another worker holds a live lease."""
        ...

    def renew(self, job_id: str, owner: str, *, now: float, until: float) -> bool:
        """Push the lease forward; False if ``owner`` no longer holds it."""
        ...

    def finish(self, job_id: str, owner: str) -> bool:
        """The job succeeded: delete its record. False if ``owner`` no longer holds it."""
        ...

    def release(
        self, job_id: str, owner: str, *, now: float, error: str, counted: bool = True
    ) -> bool:
        """A try failed and a retry is scheduled: back to ``queued``, keeping ``error``.
        ``counted=False``: the try does not count against the job's tries (its worker shut
        down and handed the job back)."""
        ...

    def fail(self, job_id: str, owner: str | None, *, now: float, error: str) -> bool:
        """The job will not run again: ``failed`` with ``error``. ``owner=None`` skips the
        owner check (used by recovery, which holds no lease)."""
        ...

    def claim_expired(self, *, now: float, error: str) -> list[JobRecord]:
        """Atomically move every ``running`` record whose lease ended before ``now`` back to
        ``queued`` (noting ``error``) and return them; concurrent callers never both get the
        same record."""
        ...

    def get(self, job_id: str) -> JobRecord | None: ...

    def records(self, state: JobState | None = None) -> list[JobRecord]:
        """Records of this queue, oldest first, optionally in one state only."""
        ...

    def close(self) -> None: ...
