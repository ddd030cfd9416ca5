"""Starts a throw-away PostgreSQL server for the test suite: a fresh cluster in a temporary
directory, on a free loopback port, run as the unprivileged ``postgres`` user when the tests
run as root (PostgreSQL refuses root), stopped and removed afterwards."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as(user: str | None, command: list[str], *, log: Path | None = None) -> None:
    if user is not None:
        quoted = " ".join(_shell_quote(c) for c in command)
        command = ["su", user, "-s", "/bin/sh", "-c", quoted]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        extra = log.read_text() if log is not None and log.exists() else ""
        raise RuntimeError(
            f"{command!r} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{extra}"
        )


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise RuntimeError(
        f"PostgreSQL's {name} was not found: install the Debian package postgresql "
        "(apt-get install -y postgresql) to run the PostgreSQL half of the suite"
    )


@contextmanager
def running_postgres() -> Iterator[str]:
    """Yields a SQLAlchemy URL of a new, empty PostgreSQL server."""
    as_root = os.geteuid() == 0
    user = "postgres" if as_root else None
    tmp = Path(tempfile.mkdtemp(prefix="mediaobjects-pg-"))
    data, sock, log = tmp / "data", tmp / "sock", tmp / "pg.log"
    sock.mkdir()
    if as_root:
        shutil.chown(tmp, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
    port = free_port()
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    try:
        _run_as(user, [initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"])
        options = (
            f"-k {sock} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _run_as(
            user, [pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"], log=log
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        try:
            if (data / "postmaster.pid").exists():
                _run_as(user, [pg_ctl, "-D", str(data), "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
