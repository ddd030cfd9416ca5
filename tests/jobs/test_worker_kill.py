"""The reliability promise, shown with real processes: a worker killed with SIGKILL in the
middle of a job loses nothing; a new worker runs the job again, and it completes exactly once.
Also: SIGTERM lets a running job finish before the worker exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mediaobjects.jobs import JobQueue
from tests.jobs.worker_script import build

ROOT = Path(__file__).resolve().parents[2]


class Worker:
    """A ``mediaobjects.jobs`` worker in its own process, logging to a file."""

    def __init__(self, queue_url: str, queue_name: str, log: Path) -> None:
        self.log = log
        self._log_file = log.open("ab")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.worker_script", queue_url, queue_name],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"worker did not exit:\n{self.log.read_text()}") from None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log_file.close()


@pytest.fixture
def workers(tmp_path: Path, queue_url: str, queue_name: str) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.close()


@pytest.fixture
def enqueuer(queue_url: str, queue_name: str) -> Iterator[JobQueue]:
    queue = build(queue_url, queue_name)
    yield queue
    queue.close()


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def wait_for(
    condition: Callable[[], bool], what: str, logs: list[Worker], timeout: float = 20.0
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            dump = "\n".join(f"--- {w.log.name}\n{w.log.read_text()}" for w in logs)
            raise AssertionError(f"{what} did not happen within {timeout} s\n{dump}")
        time.sleep(0.05)


def test_kill_9_during_a_job_then_restart_finishes_it_exactly_once(
    tmp_path: Path, queue_url: str, queue_name: str, enqueuer: JobQueue, workers: list[Worker]
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    job_id = enqueuer.enqueue("write_slowly", directory=str(marks), seconds=1.5)

    first = Worker(queue_url, queue_name, tmp_path / "worker-1.log")
    workers.append(first)
    wait_for(lambda: lines(marks / "started") == ["1"], "first try starting", workers)
    first.signal(signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL
    assert lines(marks / "done") == []
    record = enqueuer.status(job_id)
    assert record is not None and record.state == "running"

    second = Worker(queue_url, queue_name, tmp_path / "worker-2.log")
    workers.append(second)
    wait_for(lambda: lines(marks / "done") == ["2"], "the job finishing", workers)
    wait_for(lambda: enqueuer.status(job_id) is None, "the lease record going away", workers)
    # Nothing is left that could run it a third time: no lease to expire and be recovered, no
    # message queued or scheduled.
    assert enqueuer.leases.records() == []
    assert enqueuer.huey.pending() == [] and enqueuer.huey.scheduled() == []
    assert lines(marks / "started") == ["1", "2"]
    assert lines(marks / "done") == ["2"]

    second.signal(signal.SIGTERM)
    assert second.wait(10) == 0


def test_sigterm_lets_the_running_job_finish(
    tmp_path: Path, queue_url: str, queue_name: str, enqueuer: JobQueue, workers: list[Worker]
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    job_id = enqueuer.enqueue("write_slowly", directory=str(marks), seconds=1.0)
    worker = Worker(queue_url, queue_name, tmp_path / "worker.log")
    workers.append(worker)
    wait_for(lambda: lines(marks / "started") == ["1"], "the job starting", workers)

    worker.signal(signal.SIGTERM)

    assert worker.wait(15) == 0
    assert lines(marks / "done") == ["1"]
    assert enqueuer.status(job_id) is None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_second_signal_stops_waiting_for_the_running_job(
    tmp_path: Path, queue_url: str, queue_name: str, enqueuer: JobQueue, workers: list[Worker]
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    # Longer than the worker's shutdown timeout: only the second signal can end the wait early.
    job_id = enqueuer.enqueue("write_slowly", directory=str(marks), seconds=600.0)
    worker = Worker(queue_url, queue_name, tmp_path / "worker.log")
    workers.append(worker)
    wait_for(lambda: lines(marks / "started") == ["1"], "the job starting", workers)

    worker.signal(signal.SIGINT)
    wait_for(
        lambda: "received SIGINT, finishing running jobs" in worker.log.read_text(),
        "the worker taking the first signal",
        workers,
    )
    assert worker.process.poll() is None  # still waiting for the job
    worker.signal(signal.SIGINT)

    # Well inside the worker's shutdown timeout (SHUTDOWN_TIMEOUT, 300 s).
    assert worker.wait(60) == 0
    assert lines(marks / "done") == []
    # Handed back to the queue, the interrupted try not counted: the next worker picks it up
    # at once instead of waiting for a lease to expire.
    record = enqueuer.status(job_id)
    assert record is not None and (record.state, record.attempts) == ("queued", 0)
    assert job_id in {task.id for task in enqueuer.huey.pending()}
    assert "handed back to the queue" in worker.log.read_text()
