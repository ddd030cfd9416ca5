"""PostgreSQL, Redis and SeaweedFS servers that a test stops and starts again on the same port
(and, for PostgreSQL and SeaweedFS, the same data), to see what clients and operators notice
during an outage and after it. Each is stopped for good, by its own PID or pg_ctl, and its
temporary directory removed when the block ends."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support.postgres import _binary, _run_as, free_port
from tests.support.redis import RedisServerError, _ping, _redis_server_binary


class Postgres:
    """A PostgreSQL cluster in a temporary directory: ``stop()`` (fast shutdown: connections
    are cut, as an operator's restart does) and ``start()`` on the same port and data."""

    def __init__(self, root: Path) -> None:
        self._as_root = os.geteuid() == 0
        self._user = "postgres" if self._as_root else None
        self._data, self._sock, self._log = root / "data", root / "sock", root / "pg.log"
        self._sock.mkdir()
        if self._as_root:
            shutil.chown(root, "postgres", "postgres")
            shutil.chown(self._sock, "postgres", "postgres")
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._pg_ctl = _binary("pg_ctl")
        _run_as(
            self._user,
            [
                _binary("initdb"),
                "-D",
                str(self._data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
            ],
        )

    def start(self) -> None:
        options = (
            f"-k {self._sock} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _run_as(
            self._user,
            [
                self._pg_ctl,
                "-D",
                str(self._data),
                "-o",
                options,
                "-l",
                str(self._log),
                "-w",
                "start",
            ],
            log=self._log,
        )

    def stop(self) -> None:
        _run_as(self._user, [self._pg_ctl, "-D", str(self._data), "-m", "fast", "-w", "stop"])

    def running(self) -> bool:
        return (self._data / "postmaster.pid").exists()

    def kill(self) -> None:
        if self.running():
            _run_as(self._user, [self._pg_ctl, "-D", str(self._data), "-m", "immediate", "stop"])


@contextlib.contextmanager
def postgres_server() -> Iterator[Postgres]:
    root = Path(tempfile.mkdtemp(prefix="mediaobjects-pg-outage-"))
    server: Postgres | None = None
    try:
        server = Postgres(root)
        server.start()
        yield server
    finally:
        try:
            if server is not None:
                server.kill()
        finally:
            shutil.rmtree(root, ignore_errors=True)


class Redis:
    """A ``redis-server`` without persistence: ``stop()`` ends it (what it held is gone, as
    with a Redis restarted without persistence) and ``start()`` starts an empty one on the
    same port."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._binary = _redis_server_binary()
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            self._binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self._root),
            "--logfile",
            str(self._root / "redis.log"),
        ]
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 15
        while not _ping(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RedisServerError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextlib.contextmanager
def redis_server() -> Iterator[Redis]:
    root = Path(tempfile.mkdtemp(prefix="mediaobjects-redis-outage-"))
    server = Redis(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process started in a session of its own, with its children."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
