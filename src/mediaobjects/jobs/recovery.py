"""Jobs whose worker died: a lease that stopped being renewed hands its job back to the queue
(or fails it, on its last try), and a job recorded as queued that the queue lost is queued
again."""

from __future__ import annotations

import logging
import time

import huey  # type: ignore[import-untyped]

from mediaobjects.jobs.execution import give_up
from mediaobjects.jobs.leases import Leases
from mediaobjects.jobs.registry import Registry

logger = logging.getLogger("mediaobjects.jobs")

WORKER_DIED = "its worker stopped renewing the lease (the process died or hung)"


def recover_expired(leases: Leases, registry: Registry) -> int:
    """Re-enqueue jobs whose worker stopped renewing their lease; a job that has used all its
    tries that way is marked failed instead. Returns how many were re-enqueued."""
    requeued = 0
    for record in leases.claim_expired(now=time.time(), error=WORKER_DIED):
        spec = registry.find(record.name)
        if spec is None:
            leases.fail(
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
            leases.fail(
                record.job_id, None, now=time.time(), error=f"{WORKER_DIED} on its last try"
            )
            give_up(spec, record.job_id, record.kwargs, None)
            continue
        logger.warning(
            "job %s %s re-enqueued: %s (%d of %d tries used)",
            record.name,
            record.job_id,
            WORKER_DIED,
            record.attempts,
            spec.tries,
        )
        registry.requeue(record)
        requeued += 1
    return requeued


def requeue_lost(
    huey_instance: huey.Huey, leases: Leases, registry: Registry, *, older_than: float
) -> int:
    """Re-enqueue jobs recorded as ``queued`` for over ``older_than`` seconds that the queue no
    longer holds. That happens only when a process dies in a window of milliseconds: after
    recording a job but before queueing it, after Huey handed a message to a worker but before
    the worker leased it, or while Huey's scheduler moved a retry to the queue. A duplicate this
    might create is harmless: ``Leases.start`` lets only one delivery of a job run. Returns how
    many were re-enqueued."""
    cutoff = time.time() - older_than
    stale = [r for r in leases.records("queued") if r.updated_at < cutoff]
    if not stale:
        return 0
    held = {t.id for t in huey_instance.pending()} | {t.id for t in huey_instance.scheduled()}
    requeued = 0
    for record in stale:
        if record.job_id in held or registry.find(record.name) is None:
            continue
        # It may have been taken and leased since we listed it.
        if leases.get(record.job_id) != record:
            continue
        logger.warning(
            "job %s %s re-enqueued: recorded as queued but missing from the queue",
            record.name,
            record.job_id,
        )
        registry.requeue(record)
        requeued += 1
    return requeued
