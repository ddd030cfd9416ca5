"""Drives deploy/cluster.py for the system test: a cluster of its own in a temporary directory
on free ports, its pieces stopped, killed and restarted by name, and a check that nothing it
started is left running."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "cluster.py"


def _start_time(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else int(fields[19])


class TestCluster:
    """A running cluster: its URL, its settings and its pieces."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, run_dir: Path, port: int, env: dict[str, str]) -> None:
        self.run_dir = run_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = env
        # Every process any command started, to check at the end that none is left.
        self.seen: dict[int, int | None] = {}

    def script(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, str(SCRIPT), "--run-dir", str(self.run_dir), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self._remember()
        if done.returncode != 0:
            raise AssertionError(
                f"cluster.py {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}"
            )
        return done.stdout

    def state(self) -> dict[str, Any]:
        path = self.run_dir / "cluster.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def _remember(self) -> None:
        for record in self.state().get("pieces", {}).values():
            self.seen.setdefault(int(record["pid"]), record.get("start"))

    def pid(self, piece: str) -> int:
        return int(self.state()["pieces"][piece]["pid"])

    def api_urls(self) -> list[str]:
        ports = self.state()["ports"]
        return [f"http://127.0.0.1:{ports[k]}" for k in sorted(ports) if k.startswith("api-")]

    def settings_env(self) -> dict[str, str]:
        """The environment of cluster.env: what `set -a; . cluster.env` gives a command."""
        done = subprocess.run(
            ["bash", "-c", f"set -a; . {self.run_dir / 'cluster.env'}; env -0"],
            capture_output=True,
            check=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("MEDIAOBJECTS_")},
        )
        pairs = [item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item]
        return dict(pairs)

    def admin_token(self) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "mediaobjects.cli", "create-admin-token"],
            env=self.settings_env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
            cwd=self.run_dir,
        )
        return done.stdout.strip()

    def kill_9(self, piece: str) -> None:
        os.kill(self.pid(piece), signal.SIGKILL)

    def left_running(self) -> list[int]:
        self._remember()
        return [pid for pid, start in self.seen.items() if _start_time(pid) == start]


@contextlib.contextmanager
def running_cluster(logs_to: Path, **settings: str) -> Iterator[TestCluster]:
    """A whole cluster with ``settings`` (MEDIAOBJECTS_* in its environment); stopped and
    removed afterwards, also when the test fails, and checked to leave no process behind.
    Its logs are copied to ``logs_to`` (pytest keeps them for the last runs)."""
    run_dir = Path(tempfile.mkdtemp(prefix="mediaobjects-cluster-"))
    # PostgreSQL runs as another user, who must reach its directory.
    run_dir.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIAOBJECTS_")}
    env.update(settings)
    cluster = TestCluster(run_dir, free_port(), env)
    try:
        cluster.script("start", "--port", str(cluster.port))
        yield cluster
    finally:
        try:
            with contextlib.suppress(AssertionError):
                cluster.script("stop")
            left = cluster.left_running()
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        finally:
            with contextlib.suppress(OSError):
                shutil.copytree(run_dir / "logs", logs_to, dirs_exist_ok=True)
            shutil.rmtree(run_dir, ignore_errors=True)
        assert not left, f"processes left running after cluster.py stop: {left}"
