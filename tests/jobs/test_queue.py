"""Queue URLs: each supported form builds the matching Huey storage; anything else is refused
with a message that says what to write instead."""

from __future__ import annotations

from pathlib import Path

import huey  # type: ignore[import-untyped]
import pytest

from mediaobjects.jobs import build_huey, parse_queue_url


def test_sqlite_url_builds_a_wal_sqlite_queue_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "jobs.db"
    queue = build_huey(f"sqlite:///{path}")
    try:
        assert isinstance(queue, huey.SqliteHuey)
        assert queue.name == "mediaobjects"
        assert path.exists()
        with queue.storage.db() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
    finally:
        queue.storage.close()


def test_redis_url_builds_a_redis_queue() -> None:
    # Building does not connect, so no server is needed here.
    queue = build_huey("redis://127.0.0.1:6390/3", name="other")
    assert isinstance(queue, huey.RedisHuey)
    assert queue.storage.pool.connection_kwargs["db"] == 3
    queue.storage.pool.disconnect()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@h:5433/db",
        "postgres://u@h:5433/db",
        "postgresql+psycopg://u@h:5433/db",
    ],
)
def test_postgresql_urls_name_a_libpq_address(url: str) -> None:
    location = parse_queue_url(url)
    assert location.kind == "postgresql"
    assert location.target == "postgresql://u@h:5433/db"


def test_postgresql_url_builds_huey_s_own_postgres_storage(postgres_server: str) -> None:
    queue = build_huey(postgres_server, name="build_check")
    try:
        assert isinstance(queue, huey.PostgresHuey)
        assert queue.pending_count() == 0
    finally:
        queue.storage.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("amqp://guest@localhost//", "unsupported queue URL amqp://"),
        ("/var/lib/jobs.db", "unsupported queue URL"),
        ("sqlite://", "names no file"),
        ("sqlite:///:memory:", "names no file"),
        ("sqlite+pysqlite:///x.db", "unsupported queue URL"),
        ("postgresql+asyncpg://u@h/db", "uses psycopg 3"),
        ("redis+x://h", "unsupported queue URL"),
    ],
)
def test_other_urls_are_refused_clearly(url: str, message: str) -> None:
    with pytest.raises(ValueError, match="use sqlite:///|names no file|psycopg") as caught:
        build_huey(url)
    assert message in str(caught.value)


def test_unsupported_url_message_does_not_repeat_credentials() -> None:
    with pytest.raises(ValueError) as caught:
        build_huey("amqp://user:hunter2@broker/")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("name", ["", "with space", "dash-ed", "x" * 41])
def test_queue_names_that_backends_would_mangle_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="queue name"):
        build_huey(f"sqlite:///{tmp_path / 'jobs.db'}", name=name)
