"""Job messages travel as JSON: a queue shared over the network (Redis, PostgreSQL) carries data
only, so bytes someone else wrote to it (a pickle that would run code, say) are dropped without
running anything, and the jobs behind them still run."""

from __future__ import annotations

import os
import pickle
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from huey.registry import Message  # type: ignore[import-untyped]

from mediaobjects.jobs import JobQueue
from mediaobjects.jobs.serializer import JsonSerializer, MessageRefused
from tests.jobs.conftest import MakeQueue


class _Planted:
    """Unpickling this creates a file: what an attacker's message would do in a worker."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.path),))


def test_a_huey_message_round_trips_with_its_types() -> None:
    eta = datetime(2026, 11, 28, 12, 30, 5, 123456, tzinfo=UTC)
    message = Message(
        "id-1", "queue.process_media", eta, 2, 5, None, ("a", 1), {"media_entry_id": "m-x",
        "sizes": [240, 720], "nested": {"t": ("x",), "d": None}}, None, None, None, eta, 60,
        None, 4.0,
    )  # fmt: skip
    serializer = JsonSerializer()
    data = serializer.serialize(message)
    assert b"m-x" in data and b"pickle" not in data
    assert serializer.deserialize(data) == message


@pytest.mark.parametrize(
    "planted",
    [
        b"not json",
        b'{"evil": 1}',
        b'{"m": ["too", "short"]}',
        b"\xff\xfe",
    ],
)
def test_bytes_that_are_not_our_messages_are_refused(planted: bytes) -> None:
    with pytest.raises(MessageRefused):
        JsonSerializer().deserialize(planted)


def planted_queue(make_queue: MakeQueue, marker: Path) -> tuple[JobQueue, list[str]]:
    """A queue holding a pickle that would create ``marker``, then a real job."""
    queue = make_queue()
    ran: list[str] = []
    queue.register("probe", lambda ctx, *, media_id: ran.append(media_id))
    queue.huey.storage.enqueue(pickle.dumps(_Planted(marker)))
    queue.enqueue("probe", media_id="m-after")
    return queue, ran


def test_a_pickle_planted_on_the_queue_runs_nothing_and_the_next_job_still_runs(
    make_queue: MakeQueue, tmp_path: Path
) -> None:
    marker = tmp_path / "planted-code-ran"
    queue, ran = planted_queue(make_queue, marker)
    queue.start_in_process(workers=1)
    try:
        deadline = time.monotonic() + 15
        while not ran and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        queue.stop()

    assert ran == ["m-after"]
    assert not marker.exists()
    assert queue.huey.pending_count() == 0


def test_run_pending_now_also_drops_a_planted_message(
    make_queue: MakeQueue, tmp_path: Path
) -> None:
    marker = tmp_path / "planted-code-ran"
    queue, ran = planted_queue(make_queue, marker)
    assert queue.run_pending_now() == 1
    assert ran == ["m-after"]
    assert not marker.exists()
