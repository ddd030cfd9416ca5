"""What a job function is, what it receives, and the contract it must meet:

* A job is called as ``fn(ctx, **kwargs)`` with a :class:`JobContext` and the JSON values it
  was enqueued with. It succeeds by returning and fails by raising.
* **Jobs must be idempotent.** The same job may run more than once: after a failed try (up to
  ``tries`` times, with exponential backoff), after its worker died mid-run (its lease expired
  and another worker took it over), and, rarely, concurrently with a worker that stalled past
  its lease. Write results so that running again converges on the same state (upserts, files
  written to a temporary name and renamed, "skip if already done" checks).
* **Jobs must honour their deadline.** Workers are threads and Python cannot kill a thread, so
  the time limit is cooperative: pass ``ctx.remaining()`` as the ``timeout=`` of every
  subprocess (ffmpeg) and network call, and call ``ctx.check_deadline()`` between steps. A
  timeout is a failed try like any other. A job that ignores its deadline keeps its worker
  thread busy until it returns (a warning is logged).
* Job functions must be registered, under the same names, in every process that enqueues or
  consumes; a job's kwargs must survive ``json.dumps``. Argument names beginning with ``__``
  are reserved for what the queue itself carries with a job (the request id that queued it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mediaobjects.jobs.errors import JobTimeout

# Keys of a job's recorded arguments that the queue adds and the executor takes out before
# calling the job function. An executor drops every such key, known or not, so that a key a
# later version adds cannot make this version's workers fail its jobs (an upgrade must still
# upgrade workers first: versions before this one passed such keys on and failed).
RESERVED_ARGUMENT_PREFIX = "__"

JobFunction = Callable[..., object]
"""``fn(ctx: JobContext, **kwargs) -> object``; the return value is ignored."""


@dataclass(frozen=True)
class JobContext:
    """What a running job knows about itself."""

    job_id: str
    name: str
    # 1 for the first try; a try whose worker died counts.
    attempt: int
    tries: int
    # time.monotonic() value after which the job should give up.
    deadline: float

    @property
    def is_last_try(self) -> bool:
        return self.attempt >= self.tries

    def remaining(self) -> float:
        """Seconds left; pass this as the ``timeout=`` of subprocesses and network calls."""
        return max(0.0, self.deadline - time.monotonic())

    def check_deadline(self) -> None:
        if time.monotonic() >= self.deadline:
            raise JobTimeout(f"job {self.name} {self.job_id} went past its time limit")


GiveUp = Callable[[dict[str, Any], BaseException | None], object]
"""``on_give_up(kwargs, exc)``: called once when a job has failed for good, with its arguments
and the last try's exception (None when the worker running it died)."""


@dataclass(frozen=True)
class JobSpec:
    """How a registered job is run (see ``JobQueue.register``)."""

    name: str
    fn: JobFunction
    tries: int
    retry_delay: float
    backoff: float
    timeout: float
    on_give_up: GiveUp | None = None

    def job_arguments(self, recorded: dict[str, Any]) -> dict[str, Any]:
        """The arguments the function receives: the recorded ones without reserved keys."""
        return {
            key: value
            for key, value in recorded.items()
            if not key.startswith(RESERVED_ARGUMENT_PREFIX)
        }

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after try ``attempt`` failed: retry_delay * backoff ** (attempt-1)."""
        return self.retry_delay * self.backoff ** (attempt - 1)
