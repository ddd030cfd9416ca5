"""A small thread-safe cache whose entries live a fixed number of seconds, bounded in size
(least recently stored goes first). For facts a serving process may trust for a few seconds
without asking the database again (who a token stands for, what a signed URL delivers)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(
        self,
        ttl_seconds: float,
        *,
        max_entries: int = 20_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    def get(self, key: K) -> V | None:
        if not self.enabled:
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if self._clock() - found[0] >= self._ttl:
                del self._entries[key]
                return None
            return found[1]

    def put(self, key: K, value: V) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._entries[key] = (self._clock(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def replace(self, key: K, value: V) -> None:
        """A new value for an entry still cached, keeping its age (so not its lifetime)."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries[key] = (found[0], value)

    def discard(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def discard_where(self, doomed: Callable[[V], bool]) -> None:
        with self._lock:
            for key in [k for k, (_, v) in self._entries.items() if doomed(v)]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
