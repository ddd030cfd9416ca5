"""Benchmark (issue 4): upload 1 GiB through the Canvas upload flow to a real server.

Prints the server's peak RSS (target < 150 MB) and the upload throughput as a ratio to `dd`
writing the same number of bytes to the same disk in the same run (target >= 0.6).

Usage: python bench/upload.py [--mib N]"""

from __future__ import annotations

import argparse
import os
import socket
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024)
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
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(f"{base}/api/v1/users/self", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}"}
        step1 = requests.post(
            f"{base}/api/v1/users/self/files",
            headers=headers,
            data={"name": "big.mp4", "size": size},
            timeout=10,
        ).json()
        # The client is curl reading a file from the page cache: a client that costs little CPU,
        # since client and server share the machine's two cores.
        source = data / "source.bin"
        with source.open("wb") as out:
            block = os.urandom(CHUNK)
            for _ in range(args.mib):
                out.write(block)
        start = time.perf_counter()
        result = subprocess.run(
            [
                "curl",
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-F",
                f"file=@{source};type=video/mp4",
                step1["upload_url"],
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        upload_s = time.perf_counter() - start
        assert result.stdout == "201", result.stdout + result.stderr
        source.unlink()
        rss = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    target = data / "dd.bin"
    start = time.perf_counter()
    subprocess.run(
        [
            "dd",
            "if=/dev/zero",
            f"of={target}",
            f"bs={CHUNK}",
            f"count={args.mib}",
            "conv=fsync",
            "status=none",
        ],
        check=True,
    )
    dd_s = time.perf_counter() - start
    upload_mb_s = args.mib / upload_s
    dd_mb_s = args.mib / dd_s
    print(
        f"upload {args.mib} MiB: {upload_s:6.1f} s = {upload_mb_s:7.1f} MiB/s;"
        f" dd same bytes, same disk: {dd_s:6.1f} s = {dd_mb_s:7.1f} MiB/s;"
        f" ratio {upload_mb_s / dd_mb_s:4.2f} (target >= 0.6)"
    )
    print(f"server peak RSS: {rss:6.1f} MB (target < 150 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
