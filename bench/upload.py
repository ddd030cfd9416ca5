"""Benchmark (issue 4): upload 1 GiB through the Canvas upload flow to a real server.

Prints the server's peak RSS (target < 150 MB) and the upload throughput as a ratio to `dd`
copying the same bytes to the same disk with fsync, in the same run (target >= 0.6). Uploads and
dd runs alternate, ``--rounds`` of each (default 3), and their medians are compared.

Also printed: the server's CPU seconds per upload (user + system), the figure to watch when
changing the request path, since wall times on this shared machine swing with its disk.

Usage: python bench/upload.py [--mib N] [--rounds R]"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

CHUNK = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def start_server(cli: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(f"{base}/api/v1/users/self", timeout=1)
            return server
        except requests.ConnectionError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def upload(base: str, token: str, source: Path, size: int) -> float:
    step1 = requests.post(
        f"{base}/api/v1/users/self/files",
        headers={"Authorization": f"Bearer {token}"},
        data={"name": "big.mp4", "size": size},
        timeout=10,
    ).json()
    # The client is curl reading a file from the page cache: a client that costs little CPU,
    # since client and server share the machine's two cores.
    start = time.perf_counter()
    result = subprocess.run(
        [
            "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
            "-F", f"file=@{source};type=video/mp4", step1["upload_url"],
        ],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    assert result.stdout == "201", result.stdout + result.stderr
    return seconds


def dd(source: Path, target: Path, mib: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            "dd", f"if={source}", f"of={target}", f"bs={CHUNK}", f"count={mib}",
            "conv=fsync", "status=none",
        ],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = args.mib * CHUNK
    data = Path(tempfile.mkdtemp(prefix="mediaobjects-bench-upload-"))
    port = free_port()
    env = {
        **os.environ,
        "MEDIAOBJECTS_DATA_DIR": str(data),
        "MEDIAOBJECTS_MAX_UPLOAD_BYTES": str(size * 2),
        "MEDIAOBJECTS_WORKERS": "0",
    }
    cli = [sys.executable, "-m", "mediaobjects.cli"]
    token = subprocess.run(
        [*cli, "create-admin-token"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    # The bytes sent, and the bytes dd copies: random, so no layer can compress them away.
    source = data / "source.bin"
    with source.open("wb") as out:
        for _ in range(args.mib):
            out.write(os.urandom(CHUNK))
        out.flush()
        os.fsync(out.fileno())
    server = start_server(cli, env, port)
    uploads: list[float] = []
    dds: list[float] = []
    cpus: list[float] = []
    try:
        # This machine's disk speed swings from one second to the next: the two are measured
        # turn about, and the medians compared.
        # Nothing is deleted until the end (deleting issues discards on this disk, which would
        # slow whichever write comes next).
        for i in range(args.rounds):
            cpu_before = cpu_seconds(server.pid)
            uploads.append(upload(f"http://127.0.0.1:{port}", token, source, size))
            cpus.append(cpu_seconds(server.pid) - cpu_before)
            dds.append(dd(source, data / f"dd-{i}.bin", args.mib))
        rss = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    upload_s = statistics.median(uploads)
    dd_s = statistics.median(dds)
    upload_mb_s = args.mib / upload_s
    dd_mb_s = args.mib / dd_s
    print(
        f"upload {args.mib} MiB (median of {args.rounds}): {upload_s:6.2f} s"
        f" = {upload_mb_s:7.1f} MiB/s (runs: {', '.join(f'{s:.2f}' for s in uploads)});"
        f" dd of the same bytes to the same disk with fsync: {dd_s:6.2f} s = {dd_mb_s:7.1f} MiB/s"
        f" (runs: {', '.join(f'{s:.2f}' for s in dds)});"
        f" ratio {upload_mb_s / dd_mb_s:4.2f} (target >= 0.6)"
    )
    print(f"server peak RSS: {rss:6.1f} MB (target < 150 MB)")
    print(
        f"server CPU per upload: {statistics.median(cpus):5.2f} s"
        f" (runs: {', '.join(f'{s:.2f}' for s in cpus)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
