"""Fixtures for the job-queue tests: one queue URL per backend (a SQLite file per test, and a
throw-away PostgreSQL and Redis server per session, started only when a test needs them), a
unique queue name per test so tests sharing a server never see each other's jobs, and fast
lease timings."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mediaobjects.jobs import JobQueue, build_job_queue
from tests.jobs.worker_script import FAST_TIMINGS

BACKENDS = ("sqlite", "postgresql", "redis")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    from tests.support.postgres import running_postgres

    with running_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    from tests.support.redis import running_redis

    with running_redis() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def queue_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'queue' / 'jobs.db'}"
    if backend == "postgresql":
        return str(request.getfixturevalue("postgres_server"))
    return str(request.getfixturevalue("redis_server"))


@pytest.fixture
def queue_name() -> str:
    return f"t{uuid.uuid4().hex[:16]}"


MakeQueue = Callable[[], JobQueue]


@pytest.fixture
def make_queue(queue_url: str, queue_name: str) -> Iterator[MakeQueue]:
    """Builds JobQueue instances on this test's queue (several act as several processes) and
    closes them all afterwards."""
    built: list[JobQueue] = []

    def make() -> JobQueue:
        queue = build_job_queue(queue_url, name=queue_name, **FAST_TIMINGS)
        built.append(queue)
        return queue

    yield make
    for queue in built:
        queue.close()
