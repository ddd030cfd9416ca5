"""How ffmpeg and ffprobe are run: a tool dies with the process that started it (kill -9
included), its memory is bounded, a time limit kills it, and what it prints cannot fill the
server's memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mediaobjects.transcoding import ToolOutOfMemory, ToolTimedOut
from mediaobjects.transcoding._process import run_tool
from tests.support.procs import children, is_gone, wait_for
from tests.transcoding.conftest import Clips

MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("where", ["main thread", "job thread"])
def test_a_tool_dies_when_the_process_that_started_it_is_killed(where: str) -> None:
    # A stand-in for a server or worker: it runs a long "ffmpeg" (sleep) through run_tool.
    script = (
        "import sys, threading\n"
        "from mediaobjects.transcoding._process import run_tool\n"
        "def go():\n"
        "    run_tool(['sleep', '300'], timeout=600)\n"
        f"if {where == 'job thread'!r}:\n"
        "    threading.Thread(target=go, daemon=True).start()\n"
        "    threading.Event().wait()\n"
        "else:\n"
        "    go()\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    server = subprocess.Popen([sys.executable, "-c", script], env=env)
    tools: list[int] = []
    try:
        wait_for(lambda: bool(children(server.pid, "sleep")), "the tool starting")
        tools = children(server.pid, "sleep")
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        wait_for(lambda: is_gone(tools[0]), "the orphaned tool dying")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        for pid in tools:
            if not is_gone(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_tool_over_its_memory_limit_fails_clearly(clips: Clips) -> None:
    # Scaling a frame up to 4096x4096 needs pictures of 24 MiB and more, and ffmpeg itself
    # takes about 48 MiB of its 96 before it starts.
    greedy = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(clips.mp4), "-vf",
              "scale=4096:4096", "-frames:v", "1", "-f", "null", "-"]  # fmt: skip
    with pytest.raises(ToolOutOfMemory) as info:
        run_tool(greedy, timeout=60, memory_limit=96 * MiB)
    assert info.value.reason == (
        "Processing the file needs more memory than the server allows (96 MiB)."
    )
    # With room, the same command runs.
    assert run_tool(greedy, timeout=60, memory_limit=1024 * MiB).returncode == 0


def test_the_time_limit_kills_the_tool(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    with pytest.raises(ToolTimedOut) as info:
        run_tool(["sh", "-c", f"echo $$ > {pid_file}; exec sleep 300"], timeout=0.5)
    assert "took longer than 0.5 s and was stopped" in info.value.reason
    assert is_gone(int(pid_file.read_text()))


def test_no_time_left_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(ToolTimedOut):
        run_tool(["touch", str(marker)], timeout=0)
    assert not marker.exists()


def test_what_a_tool_prints_is_bounded() -> None:
    # 20 MB of errors, as ffmpeg may print for a badly damaged file: the beginning and the end
    # are kept, not the whole.
    noisy = "echo FIRST >&2; head -c 20000000 /dev/zero | tr '\\0' x >&2; echo LAST >&2"
    done = run_tool(["sh", "-c", noisy], timeout=60)
    assert done.stderr.startswith("FIRST") and done.stderr.rstrip().endswith("LAST")
    assert len(done.stderr) < 200_000


def test_lines_are_handed_over_as_they_come() -> None:
    seen: list[bytes] = []
    done = run_tool(["sh", "-c", "seq 1 100000"], timeout=60, on_line=seen.append)
    assert done.stdout == b""
    assert len(seen) == 100000 and seen[0] == b"1" and seen[-1] == b"100000"


def test_a_crashing_tool_leaves_no_core_dump() -> None:
    assert run_tool(["sh", "-c", "ulimit -c"], timeout=30).stdout.strip() == b"0"
