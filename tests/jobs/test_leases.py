"""The lease store contract, run over every backend: the state changes that recovery of dead
workers depends on, and the owner checks that stop a presumed-dead worker from overwriting the
state of the worker that took its job over."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mediaobjects.jobs import Leases, build_leases

T0 = 1_700_000_000.0


@pytest.fixture
def leases(queue_url: str, queue_name: str) -> Iterator[Leases]:
    store = build_leases(queue_url, name=queue_name)
    yield store
    store.close()


def test_record_then_start_counts_attempts(leases: Leases) -> None:
    leases.record("j1", "probe", {"media_id": "m-1", "n": [1, 2]}, now=T0)
    queued = leases.get("j1")
    assert queued is not None
    assert (queued.state, queued.attempts, queued.kwargs) == (
        "queued",
        0,
        {"media_id": "m-1", "n": [1, 2]},
    )
    assert leases.start("j1", "w1", now=T0 + 1, until=T0 + 61) == 1
    running = leases.get("j1")
    assert running is not None
    assert (running.state, running.owner, running.leased_until) == ("running", "w1", T0 + 61)


def test_a_live_lease_keeps_other_workers_out(leases: Leases) -> None:
    leases.record("j1", "probe", {}, now=T0)
    assert leases.start("j1", "w1", now=T0, until=T0 + 60) == 1
    assert leases.start("j1", "w2", now=T0 + 30, until=T0 + 90) is None
    # Once expired, a duplicate delivery may take it over.
    assert leases.start("j1", "w2", now=T0 + 61, until=T0 + 121) == 2


def test_finished_and_unknown_jobs_do_not_start(leases: Leases) -> None:
    leases.record("j1", "probe", {}, now=T0)
    leases.start("j1", "w1", now=T0, until=T0 + 60)
    assert leases.finish("j1", "w1")
    assert leases.get("j1") is None
    assert leases.start("j1", "w2", now=T0, until=T0 + 60) is None
    assert leases.start("never", "w2", now=T0, until=T0 + 60) is None


def test_only_the_owner_renews_finishes_or_releases(leases: Leases) -> None:
    leases.record("j1", "probe", {}, now=T0)
    leases.start("j1", "w1", now=T0, until=T0 + 60)
    assert not leases.renew("j1", "w2", now=T0 + 10, until=T0 + 70)
    assert not leases.finish("j1", "w2")
    assert not leases.release("j1", "w2", now=T0, error="x")
    assert not leases.fail("j1", "w2", now=T0, error="x")
    assert leases.renew("j1", "w1", now=T0 + 10, until=T0 + 70)
    record = leases.get("j1")
    assert record is not None and record.leased_until == T0 + 70


def test_a_try_handed_back_uncounted_is_not_one_of_the_jobs_tries(leases: Leases) -> None:
    leases.record("j1", "probe", {}, now=T0)
    assert leases.start("j1", "w1", now=T0, until=T0 + 60) == 1
    assert not leases.release("j1", "w2", now=T0 + 1, error="shut down", counted=False)
    assert leases.release("j1", "w1", now=T0 + 1, error="shut down", counted=False)
    handed = leases.get("j1")
    assert handed is not None
    assert (handed.state, handed.owner, handed.attempts) == ("queued", None, 0)
    # Another worker takes it at once, as its first try, without waiting for a lease to end.
    assert leases.start("j1", "w2", now=T0 + 2, until=T0 + 62) == 1


def test_release_requeues_and_fail_keeps_the_error(leases: Leases) -> None:
    leases.record("j1", "probe", {}, now=T0)
    leases.start("j1", "w1", now=T0, until=T0 + 60)
    assert leases.release("j1", "w1", now=T0 + 1, error="OSError: disk full")
    released = leases.get("j1")
    assert released is not None
    assert (released.state, released.owner, released.last_error) == (
        "queued",
        None,
        "OSError: disk full",
    )
    assert leases.start("j1", "w2", now=T0 + 2, until=T0 + 62) == 2
    assert leases.fail("j1", "w2", now=T0 + 3, error="ValueError: bad input")
    failed = leases.get("j1")
    assert failed is not None
    assert (failed.state, failed.attempts, failed.last_error) == (
        "failed",
        2,
        "ValueError: bad input",
    )
    assert leases.start("j1", "w3", now=T0 + 4, until=T0 + 64) is None
    assert [r.job_id for r in leases.records("failed")] == ["j1"]


def test_claim_expired_returns_each_dead_lease_once(leases: Leases) -> None:
    for job_id in ("a", "b", "c"):
        leases.record(job_id, "probe", {"id": job_id}, now=T0)
    leases.start("a", "dead", now=T0, until=T0 + 10)
    leases.start("b", "alive", now=T0, until=T0 + 100)
    claimed = leases.claim_expired(now=T0 + 11, error="worker died")
    assert [(r.job_id, r.state, r.attempts, r.kwargs) for r in claimed] == [
        ("a", "queued", 1, {"id": "a"})
    ]
    assert claimed[0].last_error == "worker died"
    assert leases.claim_expired(now=T0 + 11, error="worker died") == []
    # The dead owner cannot finish it any more; the next worker can.
    assert not leases.finish("a", "dead")
    assert leases.start("a", "next", now=T0 + 12, until=T0 + 72) == 2
    assert leases.finish("a", "next")


def test_queues_sharing_a_server_do_not_see_each_other(
    leases: Leases, queue_url: str, queue_name: str
) -> None:
    other = build_leases(queue_url, name=queue_name + "_other")
    try:
        leases.record("j1", "probe", {}, now=T0)
        other.record("j2", "probe", {}, now=T0)
        assert [r.job_id for r in leases.records()] == ["j1"]
        assert other.get("j1") is None
    finally:
        other.close()
