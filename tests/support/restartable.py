"""PostgreSQL, Redis and SeaweedFS servers that a test stops and starts again on the same port
(and, for PostgreSQL and SeaweedFS, the same data), to see what clients and operators notice
during an outage and after it. Each is stopped for good, by its own PID or pg_ctl, and its
temporary directory removed when the block ends."""

from __future__ import annotations

import contextlib
import json
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
from tests.support.seaweed import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    STARTUP_TIMEOUT_SECONDS,
    SeaweedFS,
    _wait_until_ready,
    find_weed_binary,
    free_loopback_ports,
)


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


class Seaweed:
    """``weed server -s3`` whose process a test kills (SIGKILL, as it ignores SIGTERM) and
    starts again on the same ports and data directory."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._weed = find_weed_binary()
        (root / "data").mkdir()
        (root / "logs").mkdir()
        self._config = root / "s3.json"
        self._config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "mediaobjects-test",
                            "credentials": [
                                {"accessKey": ACCESS_KEY_ID, "secretKey": SECRET_ACCESS_KEY}
                            ],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        self._ports = free_loopback_ports(8)
        self.server = SeaweedFS(
            endpoint_url=f"http://127.0.0.1:{self._ports[6]}",
            region=REGION,
            access_key_id=ACCESS_KEY_ID,
            secret_access_key=SECRET_ACCESS_KEY,
            data_dir=root / "data",
            log_path=root / "weed.log",
        )
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = self._ports
        root = self._root
        args = [
            str(self._weed),
            f"-logdir={root / 'logs'}",
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={root / 'data'}",
            f"-master.port={master}",
            f"-master.port.grpc={master_grpc}",
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB=256",
            f"-volume.port={volume}",
            f"-volume.port.grpc={volume_grpc}",
            "-volume.max=0",
            "-filer",
            f"-filer.port={filer}",
            f"-filer.port.grpc={filer_grpc}",
            f"-filer.localSocket={root / 'filer.sock'}",
            "-s3",
            f"-s3.port={s3}",
            f"-s3.port.grpc={s3_grpc}",
            "-s3.autoCreateBucket=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.localSocket={root / 's3.sock'}",
            f"-s3.config={self._config}",
        ]
        with self.server.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "TMPDIR": str(root)},
                cwd=root,
                start_new_session=True,
            )
        _wait_until_ready(self._process, self.server, STARTUP_TIMEOUT_SECONDS)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            kill_group(process)
        for sock in ("filer.sock", "s3.sock"):
            with contextlib.suppress(OSError):
                (self._root / sock).unlink()

    def forget_grpc_sockets(self) -> None:
        _, master_grpc, _, volume_grpc, _, filer_grpc, _, s3_grpc = self._ports
        grpc = {"master": master_grpc, "volume": volume_grpc, "filer": filer_grpc, "s3": s3_grpc}
        for name, port in grpc.items():
            # weed hard-codes these gRPC unix sockets in /tmp whatever TMPDIR says.
            with contextlib.suppress(OSError):
                Path(f"/tmp/seaweedfs-{name}-grpc-{port}.sock").unlink()


@contextlib.contextmanager
def seaweed_server() -> Iterator[Seaweed]:
    root = Path(tempfile.mkdtemp(prefix="mediaobjects-weed-outage-"))
    server: Seaweed | None = None
    try:
        server = Seaweed(root)
        server.start()
        yield server
    finally:
        if server is not None:
            server.stop()
            server.forget_grpc_sockets()
        shutil.rmtree(root, ignore_errors=True)
