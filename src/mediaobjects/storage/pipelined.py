"""Overlaps reading an upload with writing it: chunks go through a small bounded queue to a
worker thread that writes them to storage, so the server keeps reading the socket while the
previous megabyte is written and hashed. Memory stays bounded by the queue depth."""

from __future__ import annotations

import asyncio
import contextlib

import anyio.to_thread

from mediaobjects.storage.interfaces import PendingWrite


class PipelinedWriter:
    def __init__(self, pending: PendingWrite, depth: int = 4) -> None:
        self._pending = pending
        self._queue: asyncio.Queue[bytes | bytearray | None] = asyncio.Queue(maxsize=depth)
        self._task = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        while True:
            chunk = await self._queue.get()
            if chunk is None:
                return
            await anyio.to_thread.run_sync(self._pending.write, chunk)

    async def _put(self, item: bytes | bytearray | None) -> None:
        if self._task.done():
            self._task.result()
            raise RuntimeError("the storage writer stopped")
        put = asyncio.ensure_future(self._queue.put(item))
        await asyncio.wait({put, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            # The writer died (its error is raised here) while the queue was full.
            put.cancel()
            self._task.result()
            raise RuntimeError("the storage writer stopped")

    async def write(self, chunk: bytes | bytearray) -> None:
        await self._put(chunk)

    async def flush(self) -> None:
        """Returns once every chunk is written; raises the first write error."""
        await self._put(None)
        await self._task

    async def stop(self) -> None:
        """On failure: the write in progress ends, queued chunks are dropped, errors ignored.
        After this the pending write can be aborted safely."""
        while not self._queue.empty():
            self._queue.get_nowait()
        if not self._task.done():
            self._queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await self._task
