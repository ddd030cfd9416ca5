"""Running a queue to empty in the calling thread: for tests and one-off commands."""

from __future__ import annotations

import logging
import time

import huey  # type: ignore[import-untyped]
from huey.utils import utcnow  # type: ignore[import-untyped]

from mediaobjects.jobs.serializer import MessageRefused

logger = logging.getLogger("mediaobjects.jobs")


def run_until_empty(huey_instance: huey.Huey) -> None:
    """Run everything queued, in order, including retries (waiting out their backoff) and the
    jobs they enqueue, until nothing is queued or scheduled."""
    storage = huey_instance.storage
    # Redis and PostgreSQL dequeue waits up to a second for work; here an empty queue means
    # done.
    blocking = storage.blocking
    storage.blocking = False
    try:
        while True:
            try:
                task = huey_instance.dequeue()
            except MessageRefused:
                # As the consumer does: logged and dropped, the queue goes on.
                logger.exception("A message on the job queue was refused")
                continue
            if task is not None:
                huey_instance.execute(task)
                continue
            due = huey_instance.read_schedule(utcnow())
            if due:
                for task in due:
                    huey_instance.execute(task)
                continue
            waiting = [t.eta for t in huey_instance.scheduled() if t.eta is not None]
            if not waiting:
                break
            time.sleep(max(0.0, (min(waiting) - utcnow()).total_seconds()))
    finally:
        storage.blocking = blocking
