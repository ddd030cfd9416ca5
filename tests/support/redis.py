"""Starts a throw-away Redis server for the test suite: ``redis-server`` (Debian package
``redis-server``) on a free loopback port, with no persistence, its working directory in a
temporary directory; stopped by its PID and removed afterwards."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.postgres import free_port

STARTUP_TIMEOUT_SECONDS = 15.0


class RedisServerError(RuntimeError):
    """redis-server could not be found or did not start."""


def _redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        raise RedisServerError(
            "redis-server was not found on PATH: install the Debian package redis-server "
            "(apt-get install -y redis-server) to run the Redis half of the job-queue tests"
        )
    return found


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def running_redis() -> Iterator[str]:
    """Yields the redis:// URL (database 0) of a new, empty Redis server."""
    binary = _redis_server_binary()
    tmp = Path(tempfile.mkdtemp(prefix="mediaobjects-redis-"))
    log = tmp / "redis.log"
    port = free_port()
    command = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(tmp),
        "--logfile",
        str(log),
        "--daemonize",
        "no",
    ]
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not _ping(port):
            if process.poll() is not None:
                stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
                logged = log.read_text(errors="replace") if log.exists() else ""
                raise RedisServerError(
                    f"redis-server exited with {process.returncode}:\n{stderr}\n{logged}"
                )
            if time.monotonic() > deadline:
                raise RedisServerError(
                    f"redis-server did not answer PING on port {port} within "
                    f"{STARTUP_TIMEOUT_SECONDS:.0f} s"
                )
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
        shutil.rmtree(tmp, ignore_errors=True)
