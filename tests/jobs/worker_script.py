"""A job worker for the reliability tests, run as a subprocess:
``python -m tests.jobs.worker_script QUEUE_URL QUEUE_NAME``. The test process registers the
same job (``build``) to enqueue it. The job appends its try number to ``started`` in the
directory it is given, sleeps, then appends it to ``done``: append mode makes every run
visible, so a test can tell "ran once to the end" from "ran twice"."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from mediaobjects.jobs import JobContext, JobQueue, build_job_queue

# A worker presumed dead after 1 s without a heartbeat, looked for every 0.3 s.
FAST_TIMINGS = {
    "lease_seconds": 1.0,
    "heartbeat_seconds": 0.2,
    "recover_seconds": 0.3,
    "idle_poll_max_seconds": 0.1,
}
# How long SIGTERM waits for running jobs: far longer than any test waits for a worker to exit,
# so a test that sees the worker exit knows it was not this timeout that ended the wait.
SHUTDOWN_TIMEOUT = 300.0


def write_slowly(ctx: JobContext, *, directory: str, seconds: float) -> None:
    folder = Path(directory)
    with (folder / "started").open("a") as started:
        started.write(f"{ctx.attempt}\n")
    time.sleep(seconds)
    with (folder / "done").open("a") as done:
        done.write(f"{ctx.attempt}\n")


def build(queue_url: str, name: str) -> JobQueue:
    queue = build_job_queue(queue_url, name=name, **FAST_TIMINGS)
    queue.register("write_slowly", write_slowly, tries=3, retry_delay=0.1, backoff=2.0)
    return queue


def main(argv: list[str]) -> int:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    queue = build(argv[1], argv[2])
    try:
        queue.run_worker(workers=2, shutdown_timeout=SHUTDOWN_TIMEOUT)
    finally:
        queue.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
