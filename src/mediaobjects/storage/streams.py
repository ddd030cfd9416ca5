"""Streaming helpers shared by the backends: validation of ``read_range`` arguments and a chunk
iterator that owns an open file or HTTP body and always releases it (when exhausted, when
iteration fails, on ``close()``, or when dropped without ever being started)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator


class ClosingChunks(Iterator[bytes]):
    """Iterate ``chunks`` and call ``release`` exactly once when done with them.

    A plain generator cannot do this: one that is never started does not run its ``finally``
    block, so a file opened eagerly (to raise ``NotFound`` at call time) would leak.
    """

    def __init__(self, chunks: Generator[bytes, None, None], release: Callable[[], None]) -> None:
        self._chunks = chunks
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> ClosingChunks:
        return self

    def __next__(self) -> bytes:
        if self._release is None:
            raise StopIteration
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        release, self._release = self._release, None
        if release is None:
            return
        try:
            self._chunks.close()
        finally:
            # Releasing is cleanup; a failure here must not hide the data already delivered.
            with contextlib.suppress(Exception):
                release()

    def __del__(self) -> None:
        self.close()


def check_range(start: int, end: int | None, chunk_size: int) -> None:
    """Reject ``read_range`` arguments no HTTP Range could produce (a programming error)."""
    if start < 0:
        raise ValueError(f"start must be >= 0, got {start}")
    if end is not None and end < start:
        raise ValueError(f"end must be >= start, got start={start} end={end}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
