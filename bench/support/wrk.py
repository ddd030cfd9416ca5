"""Runs wrk (Debian package ``wrk``) and reads its figures.

The figures come from a Lua ``done`` hook that prints them as one JSON line, in microseconds
and counts, rather than from wrk's rounded text report: the mean, p50 and p99 latency, the
requests completed, the responses that were not 2xx/3xx (the count wrk prints as "Non-2xx or 3xx
responses") and the socket errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MARK = "WRK-FIGURES "

DONE_HOOK = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "non_2xx_3xx": %d, "connect": %d, "read": %d,'
    .. ' "write": %d, "timeout": %d, "mean_us": %f, "p50_us": %d, "p99_us": %d}\\n',
    "MARK", summary.requests, summary.duration, e.status, e.connect, e.read, e.write,
    e.timeout, latency.mean, latency:percentile(50), latency:percentile(99)))
end
""".replace("MARK", MARK)


class WrkFailed(RuntimeError):
    """wrk did not run, or some responses were errors: no figure may be reported."""


@dataclass(frozen=True)
class Figures:
    requests: int
    seconds: float
    non_2xx_3xx: int
    socket_errors: int
    mean_ms: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkFailed("wrk is missing: apt-get install -y wrk (make bench does it as root)")
    return found


def parse(output: str) -> Figures:
    """The figures in the output of wrk run with ``DONE_HOOK``."""
    lines = [line for line in output.splitlines() if line.startswith(MARK)]
    if len(lines) != 1:
        raise WrkFailed(f"no figures in wrk's output:\n{output}")
    raw = json.loads(lines[0][len(MARK) :])
    return Figures(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        non_2xx_3xx=raw["non_2xx_3xx"],
        socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        mean_ms=raw["mean_us"] / 1000,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
    )


def run(
    url: str,
    *,
    connections: int,
    threads: int,
    seconds: int,
    headers: dict[str, str] | None = None,
    check: bool = True,
    lua: str = "",
) -> Figures:
    """``wrk -t<threads> -c<connections> -d<seconds> --latency`` on ``url``. With ``check``,
    raises WrkFailed when any response was not 2xx/3xx or any socket error happened. ``lua``
    is put before the done hook in wrk's script (a ``request`` function making a mix of
    requests, for example)."""
    with tempfile.TemporaryDirectory(prefix="wrk-") as tmp:
        script = Path(tmp) / "done.lua"
        script.write_text(lua + DONE_HOOK)
        cmd = [
            wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
            "-s", str(script),
        ]  # fmt: skip
        for name, value in (headers or {}).items():
            cmd += ["-H", f"{name}: {value}"]
        done = subprocess.run(
            [*cmd, url], capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    if done.returncode != 0:
        raise WrkFailed(f"wrk failed ({done.returncode}) on {url}:\n{done.stdout}{done.stderr}")
    figures = parse(done.stdout)
    if check and (figures.non_2xx_3xx or figures.socket_errors or not figures.requests):
        raise WrkFailed(
            f"{url}: {figures.non_2xx_3xx} responses not 2xx/3xx, {figures.socket_errors} socket "
            f"errors, of {figures.requests} requests:\n{done.stdout}"
        )
    return figures
