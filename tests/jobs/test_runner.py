"""JobQueue behaviour a user of the service would notice: jobs run with their arguments, failed
jobs are retried with growing delays and then recorded as failed, deadlines are enforced, the
in-process consumer starts and stops promptly, and a job whose worker vanished runs again."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from huey.utils import utcnow  # type: ignore[import-untyped]

from mediaobjects.jobs import JobContext, JobQueue, JobTimeout, UnknownJobError, build_job_queue
from tests.jobs.conftest import MakeQueue
from tests.jobs.worker_script import FAST_TIMINGS


@pytest.fixture
def sqlite_queue(tmp_path: Path) -> Any:
    queue = build_job_queue(f"sqlite:///{tmp_path / 'jobs.db'}", name="unit", **FAST_TIMINGS)
    yield queue
    queue.close()


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.02)


def test_enqueued_jobs_run_in_order_with_their_arguments(make_queue: MakeQueue) -> None:
    queue = make_queue()
    seen: list[tuple[str, dict[str, Any], int]] = []
    queue.register("probe", lambda ctx, **kw: seen.append((ctx.name, kw, ctx.attempt)))
    first = queue.enqueue("probe", media_id="m-1", sizes=[240, 720])
    queue.enqueue("probe", media_id="m-2", sizes=[])
    assert queue.status(first) is not None  # recorded as queued until it has run

    assert queue.run_pending_now() == 2

    assert seen == [
        ("probe", {"media_id": "m-1", "sizes": [240, 720]}, 1),
        ("probe", {"media_id": "m-2", "sizes": []}, 1),
    ]
    assert queue.status(first) is None
    assert queue.run_pending_now() == 0


def test_a_job_failing_twice_runs_three_times_with_growing_delays(make_queue: MakeQueue) -> None:
    queue = make_queue()
    attempts: list[int] = []

    def flaky(ctx: JobContext) -> None:
        attempts.append(ctx.attempt)
        if ctx.attempt < 3:
            raise OSError(f"transient failure {ctx.attempt}")

    queue.register("flaky", flaky)  # the defaults: three tries, 5 s then 25 s apart
    job_id = queue.enqueue("flaky")

    # Each failed try puts the job on Huey's schedule; the test reads when it is due and runs
    # it at that time on Huey's clock instead of waiting for it.
    task = queue.huey.dequeue()
    waits: list[tuple[timedelta, timedelta]] = []
    while True:
        before = utcnow()
        queue.huey.execute(task, timestamp=task.eta)
        after = utcnow()
        scheduled = queue.huey.scheduled()
        if not scheduled:
            break
        (retry,) = scheduled
        # Scheduled at (failure time + delay), and the failure happened between before and after.
        waits.append((retry.eta - after, retry.eta - before))
        (task,) = queue.huey.read_schedule(retry.eta)

    assert attempts == [1, 2, 3]
    assert len(waits) == 2
    (low_1, high_1), (low_2, high_2) = waits
    assert low_1 <= timedelta(seconds=5) <= high_1
    assert low_2 <= timedelta(seconds=25) <= high_2
    assert queue.status(job_id) is None
    assert queue.failed_jobs() == []
    assert queue.huey.pending() == []


def test_a_job_that_always_fails_stops_after_three_tries_and_is_recorded(
    make_queue: MakeQueue,
) -> None:
    queue = make_queue()
    attempts: list[int] = []

    def broken(ctx: JobContext, *, media_id: str) -> None:
        attempts.append(ctx.attempt)
        raise ValueError(f"cannot decode {media_id}")

    gave_up: list[tuple[dict[str, Any], str]] = []
    queue.register(
        "broken",
        broken,
        retry_delay=0.01,
        backoff=2.0,
        on_give_up=lambda kw, exc: gave_up.append((kw, repr(exc))),
    )
    job_id = queue.enqueue("broken", media_id="m-9")

    assert queue.run_pending_now() == 3

    assert attempts == [1, 2, 3]
    # Told once, after the last try, with the job's arguments and its last error.
    assert gave_up == [({"media_id": "m-9"}, "ValueError('cannot decode m-9')")]
    record = queue.status(job_id)
    assert record is not None
    assert (record.state, record.attempts, record.kwargs) == ("failed", 3, {"media_id": "m-9"})
    assert record.last_error == "ValueError: cannot decode m-9"
    assert [r.job_id for r in queue.failed_jobs()] == [job_id]
    assert queue.run_pending_now() == 0


def test_tries_failing_on_an_unreachable_service_are_not_counted(tmp_path: Path) -> None:
    queue = build_job_queue(
        f"sqlite:///{tmp_path / 'jobs.db'}",
        name="unit",
        outage_retry_seconds=0.01,
        **FAST_TIMINGS,
    )
    runs: list[int] = []

    def needs_the_database(ctx: JobContext) -> None:
        runs.append(ctx.attempt)
        if len(runs) <= 5:
            # What psycopg, redis-py and botocore raise from under their own errors.
            raise RuntimeError("storage failed") from ConnectionRefusedError(111, "refused")

    outcomes: list[str] = []

    class Outcomes:
        def job_started(self, kind: str) -> None:
            pass

        def job_finished(self, kind: str, outcome: str, seconds: float) -> None:
            outcomes.append(outcome)

    try:
        queue.add_observer(Outcomes())
        queue.register("needs_the_database", needs_the_database, tries=1, retry_delay=0.01)
        job_id = queue.enqueue("needs_the_database")
        assert queue.run_pending_now() == 6
        # Five outages and no try used up: the sixth run was still the first (and only) try.
        assert runs == [1] * 6
        assert queue.status(job_id) is None
        # The metrics count them as retries, not as the job failing on its last try.
        assert outcomes == ["retried"] * 5 + ["succeeded"]
    finally:
        queue.close()


def test_a_job_timing_out_is_not_mistaken_for_an_outage(sqlite_queue: JobQueue) -> None:
    runs: list[int] = []

    def slow(ctx: JobContext) -> None:
        runs.append(ctx.attempt)
        raise JobTimeout("went past its time limit")

    sqlite_queue.register("slow_job", slow, tries=2, retry_delay=0.01)
    job_id = sqlite_queue.enqueue("slow_job")
    assert sqlite_queue.run_pending_now() == 2
    assert runs == [1, 2]
    record = sqlite_queue.status(job_id)
    assert record is not None and record.state == "failed"


def test_the_default_backoff_is_five_then_twenty_five_seconds(sqlite_queue: JobQueue) -> None:
    sqlite_queue.register("slow_retry", lambda ctx: None)
    spec = sqlite_queue.spec("slow_retry")
    assert spec.tries == 3
    assert [spec.delay_after(n) for n in (1, 2, 3)] == [5.0, 25.0, 125.0]


def test_a_job_past_its_deadline_is_a_failed_try(sqlite_queue: JobQueue) -> None:
    deadlines: list[float] = []

    def slow(ctx: JobContext) -> None:
        deadlines.append(ctx.deadline)
        # Work on until the deadline has passed, then check it as a job must between steps.
        wait_until(lambda: ctx.remaining() == 0)
        ctx.check_deadline()

    sqlite_queue.register("slow", slow, tries=2, retry_delay=0.01, timeout=0.05)
    job_id = sqlite_queue.enqueue("slow")

    started = time.monotonic()
    assert sqlite_queue.run_pending_now() == 2
    ended = time.monotonic()

    # Each try gets its own deadline, `timeout` seconds after it starts.
    assert len(deadlines) == 2
    assert started + 0.05 <= deadlines[0] < deadlines[1] <= ended + 0.05
    record = sqlite_queue.status(job_id)
    assert record is not None and record.state == "failed"
    assert record.last_error is not None and record.last_error.startswith("JobTimeout")
    assert issubclass(JobTimeout, TimeoutError)


def test_unknown_jobs_and_non_json_arguments_are_refused(sqlite_queue: JobQueue) -> None:
    sqlite_queue.register("probe", lambda ctx, **kw: None)
    with pytest.raises(UnknownJobError, match="transcode"):
        sqlite_queue.enqueue("transcode")
    with pytest.raises(ValueError, match="JSON"):
        sqlite_queue.enqueue("probe", path=Path("/tmp/x"))
    assert sqlite_queue.leases.records() == []


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("bad name", {}, "job name"),
        ("probe", {"tries": 0}, "tries"),
        ("probe", {"timeout": 0}, "timeout"),
        ("probe", {"backoff": 0.5}, "backoff"),
    ],
)
def test_bad_registrations_are_refused(
    sqlite_queue: JobQueue, name: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        sqlite_queue.register(name, lambda ctx: None, **options)


def test_a_name_is_registered_once(sqlite_queue: JobQueue) -> None:
    sqlite_queue.register("probe", lambda ctx: None)
    with pytest.raises(ValueError, match="already registered"):
        sqlite_queue.register("probe", lambda ctx: None)


def test_in_process_consumer_runs_jobs_and_stops_quickly(make_queue: MakeQueue) -> None:
    queue = make_queue()
    done: list[int] = []
    lock = threading.Lock()

    def work(ctx: JobContext, *, n: int) -> None:
        if n == 0 and ctx.attempt == 1:
            raise OSError("first try of job 0 fails")
        with lock:
            done.append(n)

    queue.register("work", work, retry_delay=0.01)
    queue.start_in_process(workers=2)
    try:
        with pytest.raises(RuntimeError, match="consuming"):
            queue.start_in_process(workers=1)
        with pytest.raises(RuntimeError, match="consuming"):
            queue.run_pending_now()
        for n in range(5):
            queue.enqueue("work", n=n)
        wait_until(lambda: len(done) == 5)
    finally:
        # A timeout of an hour: stop() must return once the idle workers have exited.
        stopper = threading.Thread(target=queue.stop, kwargs={"timeout": 3600}, daemon=True)
        stopper.start()
        stopper.join(60)
    assert not stopper.is_alive(), "stop() waited for its timeout instead of the idle workers"
    assert sorted(done) == [0, 1, 2, 3, 4]
    assert not any(t.name.startswith(("Worker-", "Scheduler")) for t in threading.enumerate())
    assert queue.leases.records() == []


def test_chores_run_while_consuming_and_survive_their_failures(sqlite_queue: JobQueue) -> None:
    runs: list[float] = []

    def chore() -> None:
        runs.append(time.monotonic())
        if len(runs) == 1:
            raise OSError("the first run fails")

    sqlite_queue.add_chore("count", chore, every=0.05)
    with pytest.raises(ValueError):
        sqlite_queue.add_chore("never", chore, every=0)
    assert runs == []  # nothing before consuming starts
    sqlite_queue.start_in_process(workers=1)
    try:
        wait_until(lambda: len(runs) >= 3)  # it ran at once, and again after failing
        with pytest.raises(RuntimeError, match="before consuming"):
            sqlite_queue.add_chore("late", chore, every=1)
    finally:
        sqlite_queue.stop()
    assert not any(t.name == "mediaobjects-jobs-chores" for t in threading.enumerate())


def test_stop_does_not_wait_past_its_timeout_for_a_stuck_job(sqlite_queue: JobQueue) -> None:
    running, release = threading.Event(), threading.Event()

    def stuck(ctx: JobContext) -> None:
        running.set()
        release.wait(120)

    sqlite_queue.register("stuck", stuck)
    sqlite_queue.start_in_process(workers=1)
    sqlite_queue.enqueue("stuck")
    assert running.wait(30)
    stopper = threading.Thread(target=sqlite_queue.stop, kwargs={"timeout": 0.3}, daemon=True)
    stopper.start()
    stopper.join(60)
    # stop() returned although the job is still running (it waits for `release` for 120 s).
    assert not stopper.is_alive()
    assert not release.is_set()
    # Handed back: queued again at once (not left to a lease that expires a minute after
    # this process exits), and the interrupted try is not counted.
    [record] = sqlite_queue.leases.records()
    assert (record.state, record.attempts, record.owner) == ("queued", 0, None)
    assert record.last_error is not None and "shut down" in record.last_error
    assert [t.id for t in sqlite_queue.huey.pending()] == [record.job_id]
    release.set()
    wait_until(lambda: not any(t.name.startswith("Worker-") for t in threading.enumerate()))
    # The abandoned thread finishing later leaves the record to whoever runs it next.
    assert sqlite_queue.leases.get(record.job_id) == record
    assert sqlite_queue.run_pending_now() == 1
    assert sqlite_queue.leases.records() == []


def test_a_job_whose_worker_vanished_runs_again(make_queue: MakeQueue) -> None:
    queue = make_queue()
    attempts: list[int] = []
    queue.register("probe", lambda ctx, **kw: attempts.append(ctx.attempt))
    job_id = queue.enqueue("probe", media_id="m-1")
    # What a killed worker leaves behind: the message gone from the queue, a running lease
    # that nobody renews.
    assert queue.huey.dequeue() is not None
    now = time.time()
    assert queue.leases.start(job_id, "dead-worker", now=now - 5, until=now - 1) == 1
    assert queue.run_pending_now() == 0

    assert queue.recover_expired() == 1

    assert queue.run_pending_now() == 1
    assert attempts == [2]
    assert queue.status(job_id) is None


def test_a_worker_dying_on_the_last_try_fails_the_job(make_queue: MakeQueue) -> None:
    queue = make_queue()
    gave_up: list[tuple[dict[str, Any], BaseException | None]] = []
    queue.register(
        "probe",
        lambda ctx, **kw: None,
        tries=1,
        on_give_up=lambda kw, exc: gave_up.append((kw, exc)),
    )
    job_id = queue.enqueue("probe", media_id="m-2")
    queue.huey.dequeue()
    now = time.time()
    queue.leases.start(job_id, "dead-worker", now=now - 5, until=now - 1)

    assert queue.recover_expired() == 0
    assert gave_up == [({"media_id": "m-2"}, None)]  # no exception: the worker died

    record = queue.status(job_id)
    assert record is not None and record.state == "failed"
    assert record.last_error is not None and "stopped renewing the lease" in record.last_error


def test_a_job_leased_by_a_live_worker_is_not_run_twice(make_queue: MakeQueue) -> None:
    queue = make_queue()
    runs: list[int] = []
    queue.register("probe", lambda ctx: runs.append(ctx.attempt))
    job_id = queue.enqueue("probe")
    now = time.time()
    queue.leases.start(job_id, "live-worker", now=now, until=now + 60)

    assert queue.run_pending_now() == 0
    assert queue.recover_expired() == 0
    assert runs == []


def test_a_second_process_recovers_while_consuming(make_queue: MakeQueue) -> None:
    dead, alive = make_queue(), make_queue()
    attempts: list[int] = []
    for queue in (dead, alive):
        queue.register("probe", lambda ctx: attempts.append(ctx.attempt))
    job_id = dead.enqueue("probe")
    dead.huey.dequeue()
    now = time.time()
    # The lease expires a moment after the surviving worker has started.
    dead.leases.start(job_id, "dead-worker", now=now, until=now + 0.5)
    alive.start_in_process(workers=1)
    try:
        wait_until(lambda: attempts == [2])
        wait_until(lambda: alive.status(job_id) is None)
    finally:
        alive.stop()


def test_a_recorded_job_missing_from_the_queue_is_requeued(make_queue: MakeQueue) -> None:
    queue = make_queue()
    attempts: list[int] = []
    queue.register("probe", lambda ctx: attempts.append(ctx.attempt))
    lost = queue.enqueue("probe")
    # A worker killed between taking the message and leasing it.
    assert queue.huey.dequeue() is not None
    kept = queue.enqueue("probe")

    assert queue.requeue_lost(older_than=3600) == 0
    assert queue.requeue_lost(older_than=0) == 1

    assert queue.run_pending_now() == 2
    assert attempts == [1, 1]
    assert queue.status(lost) is None and queue.status(kept) is None


def test_a_job_running_past_its_deadline_is_reported(
    sqlite_queue: JobQueue, caplog: pytest.LogCaptureFixture
) -> None:
    finished = threading.Event()

    def messages() -> list[str]:
        return [r.getMessage() for r in list(caplog.records) if r.name == "mediaobjects.jobs"]

    def overrun(ctx: JobContext) -> None:
        # Runs on past its time limit, as a stuck ffmpeg would, until the lease thread says so.
        wait_until(lambda: any("still running past its time limit" in m for m in messages()), 60)
        finished.set()

    sqlite_queue.register("overrun", overrun, timeout=0.1)
    sqlite_queue.start_in_process(workers=1)
    try:
        sqlite_queue.enqueue("overrun")
        assert finished.wait(90)
        wait_until(lambda: sqlite_queue.leases.records() == [])
    finally:
        sqlite_queue.stop()
    assert any("finished but overran its" in m for m in messages())


def test_reserved_arguments_never_reach_the_job_even_unknown_ones(sqlite_queue: JobQueue) -> None:
    seen: list[dict[str, Any]] = []
    sqlite_queue.register("probe", lambda ctx, **kw: seen.append(kw))
    # A job as a later version might record it: the request id and a reserved argument this
    # version does not know. The job must still run, with its own arguments only.
    payload = {"media_id": "m-1", "__request_id": "0123456789abcdef", "__later": {"x": 1}}
    sqlite_queue.leases.record(str(uuid.uuid4()), "probe", payload, now=time.time())
    assert sqlite_queue.requeue_lost(older_than=0) == 1

    assert sqlite_queue.run_pending_now() == 1

    assert seen == [{"media_id": "m-1"}]
    assert sqlite_queue.leases.records() == []


def test_reserved_argument_names_are_refused_at_enqueue(sqlite_queue: JobQueue) -> None:
    sqlite_queue.register("probe", lambda ctx, **kw: None)
    with pytest.raises(ValueError, match="reserved"):
        sqlite_queue.enqueue("probe", __request_id="forged-by-a-caller")
    assert sqlite_queue.leases.records() == []
