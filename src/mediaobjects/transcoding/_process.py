"""Running ffmpeg and ffprobe as subprocesses: each in its own process group, killed with its
whole group at its timeout, killed by the kernel when the process that started it dies, with
its memory bounded, and with OS-level failures translated into transcoding errors."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import resource
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mediaobjects.transcoding.errors import (
    ToolMissing,
    ToolOutOfMemory,
    ToolTimedOut,
    TranscodeFailed,
)

# What is kept of a tool's stderr: its beginning and its end. A damaged file can make ffmpeg
# print an error per packet, megabytes of them, and the server must not hold all of that.
_STDERR_KEEP = 64 * 1024
# ffprobe's JSON is a few KB (ffmpeg opens at most 1000 streams and we ask for no tags); a
# tool printing more than this is misbehaving.
_STDOUT_MAX = 16 * 1024 * 1024
_READ_SIZE = 64 * 1024
# What ffmpeg, its libraries and the dynamic loader say when an allocation fails, as seen
# under RLIMIT_DATA: ENOMEM's text, x264's "malloc of size N failed", a thread whose stack
# could not be mapped (EAGAIN), a decoder without room for a picture, an encoder (x264, AAC)
# that could not allocate its state, which ffmpeg reports only as failing to open. These are
# looked for only when a memory limit is set: the commands are fixed, so an encoder that will
# not open is not a parameter problem. A tool killed by SIGKILL that we did not kill was
# stopped by the kernel's OOM killer.
_OUT_OF_MEMORY = (
    "cannot allocate memory",
    "out of memory",
    "malloc of size",
    "failed to map segment",
    "bad_alloc",
    "resource temporarily unavailable",
    "get_buffer() failed",
    "error while opening encoder",
)
_PR_SET_PDEATHSIG = 1

OUT_OF_MEMORY = "Processing the file needs more memory than the server allows ({})."


@dataclass(frozen=True)
class Completed:
    """What a finished tool run left behind. ``stdout`` is empty when it went to a callback;
    ``stderr`` is the first and last 64 KB when the tool printed more."""

    returncode: int
    stdout: bytes
    stderr: str


def stderr_tail(stderr: str, *, lines: int = 4, chars: int = 600) -> str:
    """The last few non-blank lines of a tool's stderr, for an error message."""
    kept = [line.strip() for line in stderr.splitlines() if line.strip()][-lines:]
    text = " | ".join(kept)
    return text[-chars:] if len(text) > chars else text


def format_bytes(count: int) -> str:
    """1610612736 -> '1.5 GiB', as an administrator reads a memory limit."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= size:
            return f"{count / size:.4g} {unit}"
    return f"{count} bytes"


def run_tool(
    cmd: list[str],
    *,
    timeout: float,
    memory_limit: int | None = None,
    on_line: Callable[[bytes], None] | None = None,
) -> Completed:
    """Run ``cmd`` to completion and return what it printed.

    Raises ToolTimedOut (after killing its process group) when it runs longer than
    ``timeout`` seconds, ToolMissing when the executable does not exist, and ToolOutOfMemory
    when it failed for lack of memory under ``memory_limit`` bytes (RLIMIT_DATA: its heap and
    every private writable mapping). With ``on_line``, stdout is handed over line by line as
    it arrives instead of being kept, so a tool may print without bound."""
    name = os.path.basename(cmd[0])
    if timeout <= 0:
        raise ToolTimedOut(f"{name} had no time left to run.")
    setup = _child_setup(os.getpid(), _data_limit(memory_limit))
    try:
        # A new session lets us kill ffmpeg together with anything it spawned.
        proc = subprocess.Popen(  # noqa: S603 - argv list, no shell
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=setup,  # see _child_setup for why this is safe with threads
        )
    except FileNotFoundError as exc:
        raise ToolMissing(cmd[0]) from exc
    except PermissionError as exc:
        raise ToolMissing(cmd[0], f"The executable {cmd[0]!r} cannot be run") from exc
    try:
        out, err = _communicate(proc, name, timeout, on_line)
    except subprocess.TimeoutExpired as exc:
        _kill_group(proc)
        raise ToolTimedOut(f"{name} took longer than {timeout:g} s and was stopped.") from exc
    except BaseException:
        _kill_group(proc)
        raise
    done = Completed(proc.returncode, out, err)
    if memory_limit is not None and _ran_out_of_memory(done):
        raise ToolOutOfMemory(
            OUT_OF_MEMORY.format(format_bytes(memory_limit)), detail=stderr_tail(done.stderr)
        )
    return done


def _data_limit(memory_limit: int | None) -> int | None:
    if memory_limit is None:
        return None
    # An unprivileged process cannot raise its hard limit: stay within the one we were given.
    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    return memory_limit if hard == resource.RLIM_INFINITY else min(memory_limit, hard)


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    prctl.restype = ctypes.c_int
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return prctl


def _child_setup(parent: int, data_limit: int | None) -> Callable[[], None]:
    """What the child does between fork and exec.

    PR_SET_PDEATHSIG makes the kernel SIGKILL ffmpeg when the thread that forked it exits, so
    a server or worker killed with ``kill -9`` takes its ffmpeg along instead of leaving it to
    run to completion (while the job runs again elsewhere). The signal follows the forking
    *thread*, which is safe here: that thread (a job thread, an anyio worker thread, the main
    thread) is blocked in ``run_tool`` until the child has exited, so it can only end before
    the child when the whole process dies. The kernel's own setting is used rather than
    ``setpriv --pdeathsig``, which costs an extra exec per run and an executable that may be
    missing, and leaves the window before its prctl unchecked; the ``getppid`` check below
    closes that window (the parent died before the prctl took effect).

    The function runs in the forked child of a threaded process, so it does nothing that
    takes a lock another thread may have held at fork time: prctl is looked up in the parent
    beforehand, and setrlimit and getppid are plain system calls."""
    prctl = _prctl()

    def setup() -> None:
        # A decoder crashing on a hostile file must not write a core dump the size of its
        # memory limit into the server's working directory.
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if data_limit is not None:
            resource.setrlimit(resource.RLIMIT_DATA, (data_limit, data_limit))
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:
                os._exit(255)

    return setup


def _communicate(
    proc: subprocess.Popen[bytes],
    name: str,
    timeout: float,
    on_line: Callable[[bytes], None] | None,
) -> tuple[bytes, str]:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None and proc.stderr is not None
    out = bytearray()
    head, tail = bytearray(), bytearray()
    skipped = False
    partial = b""
    with contextlib.ExitStack() as stack:
        stack.callback(proc.stdout.close)
        stack.callback(proc.stderr.close)
        selector = stack.enter_context(selectors.DefaultSelector())
        selector.register(proc.stdout, selectors.EVENT_READ, "out")
        selector.register(proc.stderr, selectors.EVENT_READ, "err")
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(proc.args, timeout)
            for key, _events in selector.select(left):
                data = os.read(key.fd, _READ_SIZE)
                if not data:
                    selector.unregister(key.fileobj)
                elif key.data == "err":
                    room = max(0, _STDERR_KEEP - len(head))
                    head += data[:room]
                    tail += data[room:]
                    if len(tail) > _STDERR_KEEP:
                        del tail[: len(tail) - _STDERR_KEEP]
                        skipped = True
                elif on_line is None:
                    out += data
                    if len(out) > _STDOUT_MAX:
                        raise TranscodeFailed(f"{name} printed more than {_STDOUT_MAX} bytes.")
                else:
                    *lines, partial = (partial + data).split(b"\n")
                    for line in lines:
                        on_line(line)
        if partial and on_line is not None:
            on_line(partial)
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    text = head.decode("utf-8", "replace")
    if tail:
        text += ("\n[...]\n" if skipped else "") + tail.decode("utf-8", "replace")
    return bytes(out), text


def _ran_out_of_memory(done: Completed) -> bool:
    if done.returncode == 0:
        return False
    if done.returncode == -signal.SIGKILL:
        return True
    lowered = done.stderr.lower()
    return any(sign in lowered for sign in _OUT_OF_MEMORY)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError, ValueError):
        proc.communicate()
    proc.wait()


def file_url(path: Path) -> str:
    """``path`` as an ffmpeg URL that is always read as a local file: a name with a colon
    or a leading dash is never taken for a protocol or an option."""
    return "file:" + str(path.absolute())
