"""Real processes for the tests that kill them: starting ``mediaobjects serve`` and
``mediaobjects worker`` on a test's data, finding their ffmpeg children in /proc, telling
when a process is gone, and which process holds a TCP socket."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mediaobjects.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# The same number on every architecture (syscalls added since Linux 5.1 share one table).
_SYS_PIDFD_GETFD = 438


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


def children(parent: int, name: str) -> list[int]:
    """Live processes called ``name`` whose parent is ``parent``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if (
            fields.get("Name", "").strip() == name
            and fields.get("PPid", "").strip() == str(parent)
            and not is_gone(int(entry))
        ):
            found.append(int(entry))
    return found


def all_children(parent: int) -> list[int]:
    """Live processes whose parent is ``parent``, whatever their name."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[1] == str(parent) and not is_gone(int(entry)):
            found.append(int(entry))
    return found


def _tcp_inodes(local_port: int, remote_port: int | None) -> set[str]:
    """The inodes of IPv4 TCP sockets on ``local_port``: listening ones when ``remote_port``
    is None, else the one connected to ``remote_port``."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
        if int(local.split(":")[1], 16) != local_port:
            continue
        if remote_port is None:
            wanted = state == "0A"  # TCP_LISTEN
        else:
            wanted = int(remote.split(":")[1], 16) == remote_port
        if wanted:
            found.add(inode)
    return found


def _holding(pids: list[int], inodes: set[str]) -> list[int]:
    wanted = {f"socket:[{inode}]" for inode in inodes}
    holders = []
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                    holders.append(pid)
                    break
            except OSError:
                continue
    return holders


def listening(pids: list[int], port: int) -> list[int]:
    """Those of ``pids`` that hold a socket listening on ``port``."""
    return _holding(pids, _tcp_inodes(port, None))


def listening_sockets(pid: int, port: int) -> set[str]:
    """The inodes of the sockets listening on ``port`` that process ``pid`` holds."""
    held = set()
    for inode in _tcp_inodes(port, None):
        if _holding([pid], {inode}):
            held.add(inode)
    return held


def still_listening(inodes: set[str], port: int) -> set[str]:
    """Those of ``inodes`` still listening on ``port``, whoever holds them."""
    return inodes & _tcp_inodes(port, None)


def serving_connection(pids: list[int], port: int, client_port: int) -> list[int]:
    """Those of ``pids`` holding the server end of the connection from ``client_port``."""
    return _holding(pids, _tcp_inodes(port, client_port))


def served_socket_option(pid: int, port: int, client_port: int, level: int, option: int) -> int:
    """An option of process ``pid``'s end of the connection from ``client_port``, read from a
    copy of its socket (pidfd_getfd, Linux 5.6+; the test runs as the server's user)."""
    wanted = {f"socket:[{inode}]" for inode in _tcp_inodes(port, client_port)}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                break
    else:
        raise AssertionError(f"process {pid} holds no connection from port {client_port}")
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        copy = libc.syscall(_SYS_PIDFD_GETFD, pidfd, int(fd), 0)
        if copy < 0:
            raise OSError(ctypes.get_errno(), "pidfd_getfd")
    finally:
        os.close(pidfd)
    with socket.socket(fileno=copy) as sock:
        return sock.getsockopt(level, option)


def is_gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie waiting for its new parent to reap it counts)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a ``mediaobjects`` command working on the test's data."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "MEDIAOBJECTS_DATA_DIR": str(settings.data_dir),
        "MEDIAOBJECTS_DATABASE_URL": settings.resolved_database_url(),
        "MEDIAOBJECTS_SECRET_KEY": "test-secret-key",
        "MEDIAOBJECTS_MAX_UPLOAD_BYTES": str(settings.max_upload_bytes),
        "MEDIAOBJECTS_JOB_LEASE_SECONDS": "3",
    }
    env.update(extra)
    return env


class Service:
    """``mediaobjects <args>`` in its own process, logging to a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._log_file = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mediaobjects.cli", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill_9(self) -> None:
        """SIGKILL this process alone (not its process group), as the OOM killer would."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def upload_clip(base: str, token: str, clip: Path) -> str:
    """Uploads ``clip`` through a live server's two-step file flow into the caller's files,
    under its own name; the media id of the new media."""
    return str(upload_clip_file(base, token, clip)["media_entry_id"])


def upload_clip_file(base: str, token: str, clip: Path) -> dict[str, Any]:
    """As upload_clip; the new file's JSON."""
    import httpx2

    auth = {"Authorization": f"Bearer {token}"}
    step1 = httpx2.post(
        f"{base}/api/v1/users/self/files",
        headers=auth,
        data={"name": clip.name, "size": str(clip.stat().st_size)},
    ).json()
    uploaded = httpx2.post(
        step1["upload_url"], files={"file": (clip.name, clip.read_bytes(), "video/mp4")}
    )
    assert uploaded.status_code == 201, uploaded.text
    result: dict[str, Any] = uploaded.json()
    return result
