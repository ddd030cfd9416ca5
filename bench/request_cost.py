"""Benchmark (issue 9): what one request costs on the hot paths, against a floor endpoint.

Starts the real service (``mediaobjects serve --port P [--workers N]``) on a fresh SQLite data
dir, seeds it through the HTTP API (a teacher, a course, ten transcoded clips with a caption
track each, processed by the server's own job consumer), then measures each hot path with wrk:
latency at one connection (``-t1 -c1``: mean and p50) and throughput and p99 at 20 connections
(``-t2 -c20``), each after a warm-up. Beside them, in the same run, the floor: a minimal FastAPI
endpoint running one query by primary key on the same database file with the service's engine
(bench/support/floor_app.py), served by uvicorn with the same worker count; it is measured before
and after the paths and the ratios use the average of the two.

Targets: signed source and track delivery and ``users/self`` within 2x the floor's latency; info,
track list, player pages and a 10-item list page within 3x; two workers at least 1.6x one
worker's throughput. Latency ratios are printed for the mean and for the median, and judged on
the median: on this shared machine other work lands in the mean as rare long stalls (a mean of
26 ms beside a median of 4 ms in one run), which says more about the neighbours than the path.

Signed source delivery asks for ``Range: bytes=0-1023`` (206), as a ``<video>`` element starts,
so the figure is the request's cost rather than copying a file. The info path is
``/media_objects/:id/info`` (the service has no ``/api/v1/media_objects/:id/info``); the player
page with a token sends it in the Authorization header.

wrk shares the machine's two cores with the server: at 20 connections it takes a good part of
one, so throughput figures are this machine's, not the server's alone.

Exits 0 when the figures were measured, whether or not the targets are met (a report); non-zero
when anything failed (a response not 2xx/3xx, a socket error, a server that did not start).
Without ``--workers`` in ``mediaobjects serve --help``, the two-worker figures are skipped and
say so.

Usage: python bench/request_cost.py [--duration SECONDS] [--warmup SECONDS]"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from mediaobjects.settings import Settings
from support import wrk

BENCH = Path(__file__).resolve().parent
CLI = [sys.executable, "-m", "mediaobjects.cli"]
ITEMS = 10
SRT = "1\n00:00:00,000 --> 00:00:01,500\nHello, class.\n\n2\n00:00:01,500 --> 00:00:02,000\nBye.\n"
# Within this many times the floor's one-connection latency (the targets).
DELIVERY, PAGE = 2.0, 3.0
SCALING = 1.6
# A median latency at one connection from here up looks like a delayed-ACK stall, not work.
NAGLE_MS = 35.0


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    target: float  # ratio to the floor's latency; 0 for the floor itself
    headers: dict[str, str]


@dataclass(frozen=True)
class Measured:
    one: wrk.Figures  # -t1 -c1
    many: wrk.Figures  # -t2 -c20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A server process on a free port, logging to a file; ready once it answers HTTP and
    each of its ``workers`` processes has logged that it started."""

    def __init__(self, cmd: list[str], env: dict[str, str], log: Path, workers: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_file = log.open("ab")
        self.process = subprocess.Popen(
            [*cmd, "--port", str(self.port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not self._answers():
            exited = self.process.poll() is not None
            if exited or time.monotonic() > deadline:
                self.stop()
                what = "exited at start" if exited else "did not answer in 60 s"
                raise RuntimeError(f"{cmd} {what}:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        # With several worker processes the first may answer before the others have started;
        # uvicorn logs this line once per process.
        while self._started() < workers:
            if time.monotonic() > deadline:
                print(
                    f"warning: {self._started()} of {workers} processes of {cmd} logged that "
                    "they started; measuring anyway",
                    file=sys.stderr,
                )
                return
            time.sleep(0.1)

    def _started(self) -> int:
        return self.log.read_text(errors="replace").count("Application startup complete")

    def _answers(self) -> bool:
        try:
            requests.get(f"{self.base}/", timeout=2)
        except requests.ConnectionError:
            return False
        return True

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()


def has_workers_flag(env: dict[str, str]) -> bool:
    done = subprocess.run(
        [*CLI, "serve", "--help"], env=env, capture_output=True, text=True, check=True
    )
    return "--workers" in done.stdout


def make_clip(path: Path) -> bytes:
    """A 2 s 320x240 video with sound, made by ffmpeg's test sources."""
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
            "-shortest", "-c:a", "aac", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-preset", "ultrafast", str(path),
        ],
        check=True,
        timeout=120,
    )  # fmt: skip
    return path.read_bytes()


class Seeder:
    def __init__(self, base: str, admin_token: str) -> None:
        self.base = base
        self.admin = {"Authorization": f"Bearer {admin_token}"}

    def ok(self, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
        response = requests.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kw)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def seed(self, clip: bytes) -> dict[str, Any]:
        """A teacher enrolled in a course holding ITEMS processed clips with a caption track
        each; returns what the paths need."""
        user = self.ok(
            "POST",
            "/api/v1/accounts/self/users",
            self.admin,
            data={"user[name]": "Teacher", "pseudonym[unique_id]": "teacher@example.edu"},
        )
        token = self.ok(
            "POST", f"/api/v1/users/{user['id']}/tokens", self.admin, data={"token[purpose]": "b"}
        )["token"]
        teacher = {"Authorization": f"Bearer {token}"}
        course = self.ok(
            "POST", "/api/v1/accounts/self/courses", self.admin, data={"course[name]": "Bench"}
        )["id"]
        self.ok(
            "POST",
            f"/api/v1/courses/{course}/enrollments",
            self.admin,
            data={"enrollment[user_id]": user["id"], "enrollment[type]": "TeacherEnrollment"},
        )
        files = []
        for i in range(ITEMS):
            name = f"Lecture {i + 1}.mp4"
            step1 = self.ok(
                "POST",
                f"/api/v1/courses/{course}/files",
                teacher,
                data={"name": name, "size": len(clip), "content_type": "video/mp4"},
            )
            response = requests.post(
                step1["upload_url"],
                data=step1["upload_params"],
                files={"file": (name, clip, "video/mp4")},
                timeout=60,
            )
            if response.status_code != 201:
                raise RuntimeError(f"upload: {response.status_code} {response.text}")
            file = response.json()
            self.ok(
                "PUT",
                f"/api/v1/media_objects/{file['media_entry_id']}/media_tracks",
                teacher,
                json=[{"locale": "en", "content": SRT}],
            )
            files.append(file)
        deadline = time.monotonic() + 600
        for file in files:
            while True:
                info = self.ok("GET", f"/media_objects/{file['media_entry_id']}/info", teacher)
                if info["processing_state"] == "ready":
                    break
                if info["processing_state"] == "failed" or time.monotonic() > deadline:
                    raise RuntimeError(f"media processing did not end ready: {info}")
                time.sleep(0.2)
        media_id, attachment_id = files[0]["media_entry_id"], files[0]["id"]
        info = self.ok("GET", f"/media_objects/{media_id}/info", teacher)
        by_file = self.ok("GET", f"/media_attachments/{attachment_id}/info", teacher)
        converted = [s for s in info["media_sources"] if s["isOriginal"] == "0"]
        if not converted:
            raise RuntimeError(f"no rendition among the media sources: {info['media_sources']}")
        return {
            "teacher_id": user["id"],
            "teacher": teacher,
            "course": course,
            "media_id": media_id,
            "attachment_id": attachment_id,
            "source": converted[0]["url"],
            "track": info["media_tracks"][0]["url"],
            "media_embed": info["embedded_iframe_url"],
            "attachment_embed": by_file["embedded_iframe_url"],
        }


def local(url: str) -> str:
    """The path and query of a URL the server handed out (the port changes between runs)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def hot_paths(seeded: dict[str, Any]) -> list[Endpoint]:
    teacher, mid = seeded["teacher"], seeded["media_id"]
    first_kib = {"Range": "bytes=0-1023"}
    return [
        Endpoint("signed source (Range 1 KiB)", local(seeded["source"]), DELIVERY, first_kib),
        Endpoint("signed track", local(seeded["track"]), DELIVERY, {}),
        Endpoint("users/self", "/api/v1/users/self", DELIVERY, teacher),
        Endpoint("info", f"/media_objects/{mid}/info", PAGE, teacher),
        Endpoint("track list", f"/api/v1/media_objects/{mid}/media_tracks", PAGE, teacher),
        Endpoint(
            f"list page ({ITEMS} items)",
            f"/api/v1/courses/{seeded['course']}/media_objects?per_page={ITEMS}",
            PAGE,
            teacher,
        ),
        Endpoint("player page, token", f"/media_objects_iframe/{mid}", PAGE, teacher),
        Endpoint("player page, embed", local(seeded["media_embed"]), PAGE, {}),
        Endpoint("attachment player, embed", local(seeded["attachment_embed"]), PAGE, {}),
    ]


def check_answers(base: str, path: Endpoint) -> None:
    """One request by hand first: wrk counts statuses but does not show the error."""
    response = requests.get(f"{base}{path.path}", headers=path.headers, timeout=30)
    if not 200 <= response.status_code < 400:
        raise RuntimeError(f"{path.name}: {response.status_code} {response.text[:500]}")
    if "Range" in path.headers and response.status_code != 206:
        raise RuntimeError(f"{path.name}: {response.status_code}, not 206 to a Range")


def measure(base: str, path: Endpoint, seconds: int, warmup: int) -> Measured:
    url = f"{base}{path.path}"
    wrk.run(url, connections=20, threads=2, seconds=warmup, headers=path.headers)
    one = wrk.run(url, connections=1, threads=1, seconds=seconds, headers=path.headers)
    many = wrk.run(url, connections=20, threads=2, seconds=seconds, headers=path.headers)
    return Measured(one, many)


def run_workers(
    workers: int,
    flag: bool,
    env: dict[str, str],
    data: Path,
    paths: list[Endpoint],
    floor: Endpoint,
    args: argparse.Namespace,
) -> tuple[list[tuple[Endpoint, Measured]], list[Measured]]:
    """Every path and the floor (before and after the paths) with ``workers`` processes."""
    serve = [*CLI, "serve", *(["--workers", str(workers)] if flag else [])]
    floor_cmd = [
        sys.executable, str(BENCH / "support" / "floor_app.py"), "--workers", str(workers)
    ]  # fmt: skip
    floor_env = {**env, "FLOOR_DATABASE_URL": Settings(data_dir=data).resolved_database_url()}
    results: list[tuple[Endpoint, Measured]] = []
    floors: list[Measured] = []
    with contextlib.ExitStack() as stack:
        service = Server(serve, env, data / f"serve-{workers}.log", workers)
        stack.callback(service.stop)
        floor_server = Server(floor_cmd, floor_env, data / f"floor-{workers}.log", workers)
        stack.callback(floor_server.stop)
        check_answers(floor_server.base, floor)
        for path in paths:
            check_answers(service.base, path)
        floors.append(measure(floor_server.base, floor, args.duration, args.warmup))
        for path in paths:
            results.append((path, measure(service.base, path, args.duration, args.warmup)))
            print(f"  measured {path.name} ({workers} worker(s))", file=sys.stderr, flush=True)
        floors.append(measure(floor_server.base, floor, args.duration, args.warmup))
    return results, floors


def report(workers: int, results: list[tuple[Endpoint, Measured]], floors: list[Measured]) -> None:
    """Prints the table for one worker count."""
    floor_mean = sum(f.one.mean_ms for f in floors) / len(floors)
    floor_p50 = sum(f.one.p50_ms for f in floors) / len(floors)
    print(f"\n{workers} worker(s): latency at 1 connection (mean, p50); throughput and p99 at 20")
    print(
        f"{'path':<28} {'mean ms':>8} {'p50 ms':>7} {'x mean':>7} {'x p50':>6} {'target':>7}"
        f" {'met':>4} {'req/s @20':>10} {'p99 ms @20':>11}"
    )
    for label, f in zip(("floor (before)", "floor (after)"), floors, strict=True):
        print(
            f"{label:<28} {f.one.mean_ms:8.2f} {f.one.p50_ms:7.2f} {'':>7} {'':>6} {'':>7}"
            f" {'':>4} {f.many.per_second:10.0f} {f.many.p99_ms:11.2f}"
        )
    for path, m in results:
        by_p50 = m.one.p50_ms / floor_p50
        print(
            f"{path.name:<28} {m.one.mean_ms:8.2f} {m.one.p50_ms:7.2f}"
            f" {m.one.mean_ms / floor_mean:7.2f} {by_p50:6.2f} {f'<= {path.target:g}':>7}"
            f" {'yes' if by_p50 <= path.target else 'NO':>4}"
            f" {m.many.per_second:10.0f} {m.many.p99_ms:11.2f}"
        )
    print(
        f"(x mean, x p50: over the floor's, averaged before and after: {floor_mean:.2f} ms mean,"
        f" {floor_p50:.2f} ms p50; the target is judged on p50)"
    )
    stalled = [path.name for path, m in results if m.one.p50_ms >= NAGLE_MS]
    if stalled:
        print(
            f"note: {len(stalled)} path(s) take {NAGLE_MS:g} ms or more at one connection"
            " (median). About 40 ms per keep-alive request is the mark of TCP_NODELAY left off"
            " (Nagle's algorithm waiting for the client's delayed ACK), which uvicorn's --workers"
            " supervisor does (Kludex/uvicorn#3149; see bench/support/floor_app.py)."
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=4, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up before each")
    args = parser.parse_args()
    # Progress goes to stderr as it happens; the report to stdout, in order with it.
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    wrk.wrk_binary()
    data = Path(tempfile.mkdtemp(prefix="mediaobjects-bench-request-"))
    env = {**os.environ, "MEDIAOBJECTS_DATA_DIR": str(data)}
    try:
        flag = has_workers_flag(env)
        token = subprocess.run(
            [*CLI, "create-admin-token"], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        clip = make_clip(data / "clip.mp4")
        # Seeded by the server itself (its uploads and its job consumer), then stopped: every
        # measured server starts on the same data.
        seeding = Server([*CLI, "serve"], env, data / "seed.log", 1)
        try:
            started = time.monotonic()
            seeded = Seeder(seeding.base, token).seed(clip)
            print(
                f"seeded {ITEMS} processed clips in {time.monotonic() - started:.0f} s",
                file=sys.stderr,
            )
        finally:
            seeding.stop()
        paths = hot_paths(seeded)
        floor = Endpoint("floor", f"/floor/{seeded['teacher_id']}", 0, {})
        print(
            f"request cost: wrk {args.duration:g} s per figure after {args.warmup:g} s of"
            f" warm-up; floor = one query by primary key in a minimal FastAPI app on the same"
            f" SQLite file"
        )
        throughput: dict[int, dict[str, float]] = {}
        counts = [1, 2] if flag else [1]
        for workers in counts:
            results, floors = run_workers(workers, flag, env, data, paths, floor, args)
            report(workers, results, floors)
            throughput[workers] = {path.name: m.many.per_second for path, m in results}
            throughput[workers]["floor"] = sum(f.many.per_second for f in floors) / len(floors)
        if not flag:
            print(
                "\n2 workers: SKIPPED — `mediaobjects serve` has no --workers flag in this"
                " checkout; no 2-worker figures and no scaling ratio were measured."
            )
        else:
            print(f"\nthroughput at 20 connections, 2 workers / 1 worker (target >= {SCALING:g})")
            for name, one in throughput[1].items():
                ratio = throughput[2][name] / one
                print(
                    f"{name:<28} {one:8.0f} -> {throughput[2][name]:8.0f} req/s"
                    f"  x{ratio:4.2f} {'met' if ratio >= SCALING else 'NOT met'}"
                )
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
