"""The pool that draws pictures inside requests (thumbnails, placeholders): never more than
``slots`` ffmpeg processes at once in this process whatever the traffic, one drawing of a
picture however many requests ask for it at the same moment, and a bounded wait, after which
a request gets ServerBusy (429 with Retry-After) rather than queueing without end."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from mediaobjects.errors import ServerBusy

T = TypeVar("T")


class DrawingPool:
    def __init__(self, slots: int, wait_seconds: float) -> None:
        if slots < 1:
            raise ValueError("a drawing pool needs at least one slot")
        self._slots = threading.BoundedSemaphore(slots)
        self._wait = max(0.0, wait_seconds)
        self._lock = threading.Lock()
        # Picture key -> (its lock, how many requests hold or wait for it); dropped when the
        # last one leaves, so this holds no more than the requests in flight.
        self._pictures: dict[Hashable, tuple[threading.Lock, int]] = {}
        self._drawing = 0
        self._waiting = 0

    @property
    def drawing(self) -> int:
        """Drawings running now."""
        return self._drawing

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot, or for the same picture drawn by another request."""
        return self._waiting

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self._wait))

    def draw(
        self,
        key: Hashable,
        *,
        find: Callable[[], T | None],
        admit: Callable[[], None],
        draw: Callable[[], T],
    ) -> T:
        """The picture ``key``: what ``find`` returns once no other request is drawing it,
        else ``admit()`` (a rate limit, which may raise) and ``draw()`` in a free slot.

        Callers look for a stored copy before calling this, so that serving one never waits
        here; ``find`` looks again because another request may have just drawn it."""
        deadline = time.monotonic() + self._wait
        picture = self._enter(key)
        try:
            if not picture.acquire(timeout=self._left(deadline)):
                raise ServerBusy(retry_after=self.retry_after)
            try:
                found = find()
                if found is not None:
                    return found
                admit()
                if not self._slots.acquire(timeout=self._left(deadline)):
                    raise ServerBusy(retry_after=self.retry_after)
                with self._lock:
                    self._waiting -= 1
                    self._drawing += 1
                try:
                    return draw()
                finally:
                    with self._lock:
                        self._drawing -= 1
                        self._waiting += 1
                    self._slots.release()
            finally:
                picture.release()
        finally:
            self._leave(key)

    @staticmethod
    def _left(deadline: float) -> float:
        return max(0.0, deadline - time.monotonic())

    def _enter(self, key: Hashable) -> threading.Lock:
        with self._lock:
            lock, users = self._pictures.get(key, (threading.Lock(), 0))
            self._pictures[key] = (lock, users + 1)
            self._waiting += 1
            return lock

    def _leave(self, key: Hashable) -> None:
        with self._lock:
            self._waiting -= 1
            lock, users = self._pictures[key]
            if users <= 1:
                del self._pictures[key]
            else:
                self._pictures[key] = (lock, users - 1)
