"""Running ffmpeg and ffprobe as subprocesses: each in its own process group, with a timeout
that kills the whole group, and with OS-level failures translated into transcoding errors."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mediaobjects.transcoding.errors import ToolMissing, TranscodeFailed


@dataclass(frozen=True)
class Completed:
    """What a finished tool run left behind."""

    returncode: int
    stdout: bytes
    stderr: str


def stderr_tail(stderr: str, *, lines: int = 4, chars: int = 600) -> str:
    """The last few non-blank lines of a tool's stderr, for an error message."""
    kept = [line.strip() for line in stderr.splitlines() if line.strip()][-lines:]
    text = " | ".join(kept)
    return text[-chars:] if len(text) > chars else text


def run_tool(cmd: list[str], *, timeout: float) -> Completed:
    """Run ``cmd`` to completion; raise TranscodeFailed (after killing its process group) when
    it runs longer than ``timeout`` seconds, ToolMissing when the executable does not exist."""
    try:
        # A new session lets us kill ffmpeg together with anything it spawned.
        proc = subprocess.Popen(  # noqa: S603 - argv list, no shell
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise ToolMissing(cmd[0]) from exc
    except PermissionError as exc:
        raise ToolMissing(cmd[0], f"The executable {cmd[0]!r} cannot be run") from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(proc)
        name = os.path.basename(cmd[0])
        raise TranscodeFailed(f"{name} took longer than {timeout:g} s and was stopped.") from exc
    except BaseException:
        _kill_group(proc)
        raise
    return Completed(proc.returncode, out, err.decode("utf-8", "replace"))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def file_url(path: Path) -> str:
    """``path`` as an ffmpeg URL that is always read as a local file: a name with a colon
    or a leading dash is never taken for a protocol or an option."""
    return "file:" + str(path.absolute())
