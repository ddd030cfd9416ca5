"""Benchmark (issue 14): a mixed read/write workload against the cluster of deploy/, beside the
same workload against one ``mediaobjects serve`` on SQLite, and how the cluster's throughput
grows from one API process to two.

The workload, made by a wrk Lua script: 70% a page of a course's media list (20 items, a
random one of its first 10 pages), 20% the track list of a random media object, 10% a
``PUT .../media_tracks`` on a random media object (its English track rewritten, French kept).
The course holds 200 media objects with two tracks each, inserted in bulk
(bench/support/seed.py) into each target's database before it serves. Track writes are not
rate-limited here (the settings are raised for every target alike): the figure is the
service's, not its limiter's.

Targets, each measured with ``wrk -t2 -c20`` after a warm-up:
- one ``mediaobjects serve`` on SQLite and local files (its default process count: one per
  CPU), jobs in-process;
- the cluster (``deploy/cluster.py start --api N``: PostgreSQL, Redis, SeaweedFS, nginx, one
  worker) with one API process, then with two.

wrk, nginx, PostgreSQL and the API processes share this machine's cores, so the figures are
this machine's, not any one piece's. A report: nothing is asserted; exits non-zero only when
something failed (a response not 2xx/3xx, a socket error, a target that did not start).

Usage: python bench/cluster.py [--duration SECONDS] [--warmup SECONDS]"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import insert
from support.seed import attachment_row, big_course, media_id_of, media_object_row, track_row

from mediaobjects.files.models import Attachment
from mediaobjects.media_objects.models import MediaObject
from mediaobjects.media_tracks.models import MediaTrack
from mediaobjects.settings import Settings
from support import wrk

ROOT = Path(__file__).resolve().parents[1]
CLUSTER = [sys.executable, str(ROOT / "deploy" / "cluster.py")]
OBJECTS = 200
PAGES = 10
PER_PAGE = 20
TRACK = "WEBVTT\n\n00:00.000 --> 00:01.000\nHello, class."
UNLIMITED = {
    "MEDIAOBJECTS_RATE_LIMIT_TRACKS_PER_MINUTE": "100000000",
    "MEDIAOBJECTS_RATE_LIMIT_TRACKS_BURST": "100000000",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(settings: Settings) -> tuple[int, str]:
    """The bench course in the database ``settings`` name; its id and a teacher's token."""
    course = big_course(settings, with_jobs=False)
    now = datetime.now(UTC)
    atts, mos, tracks = [], [], []
    for i in range(OBJECTS):
        created = now - timedelta(seconds=OBJECTS - i)
        atts.append(attachment_row(course, i, f"Lecture {i}", created))
        mos.append(media_object_row(course, i, f"Lecture {i}", created))
        for locale in ("en", "fr"):
            tracks.append(track_row(course, i, locale, TRACK, created))
    with course.engine.begin() as conn:
        conn.execute(insert(Attachment), atts)
        conn.execute(insert(MediaObject), mos)
        conn.execute(insert(MediaTrack), tracks)
        if course.engine.dialect.name == "postgresql":
            # Rows inserted with their ids leave the sequences behind.
            for table in ("attachments", "media_objects"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
    course.ctx.close()
    course.engine.dispose()
    return course.course_id, course.token


def mix_script(course: int, token: str) -> str:
    """wrk's ``request`` function drawing the 70/20/10 mix."""
    body = json.dumps([{"locale": "en", "content": TRACK}, {"locale": "fr"}])
    ids = ", ".join(f'"{media_id_of(i)}"' for i in range(OBJECTS))
    return f"""
local ids = {{{ids}}}
local headers = {{["Authorization"] = "Bearer {token}", ["Content-Type"] = "application/json"}}
local body = [=[{body}]=]
request = function()
  local r = math.random(100)
  if r <= 70 then
    local page = math.random({PAGES})
    return wrk.format("GET", "/api/v1/courses/{course}/media_objects?per_page={PER_PAGE}&page=" .. page, headers)
  end
  local path = "/api/v1/media_objects/" .. ids[math.random(#ids)] .. "/media_tracks"
  if r <= 90 then
    return wrk.format("GET", path, headers)
  end
  return wrk.format("PUT", path, headers, body)
end
"""


def wait_answers(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {seconds:.0f} s") from None
            time.sleep(0.2)


def check_mix(base: str, course: int, token: str) -> None:
    """Each kind of request once by hand: wrk counts failures but does not show them."""
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/media_objects/{media_id_of(0)}/media_tracks"
    for method, url, kw in (
        ("GET", f"/api/v1/courses/{course}/media_objects?per_page={PER_PAGE}", {}),
        ("GET", path, {}),
        ("PUT", path, {"json": [{"locale": "en", "content": TRACK}, {"locale": "fr"}]}),
    ):
        response = requests.request(method, base + url, headers=headers, timeout=30, **kw)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")


def measure(base: str, course: int, token: str, args: argparse.Namespace) -> wrk.Figures:
    check_mix(base, course, token)
    lua = mix_script(course, token)
    wrk.run(base + "/", connections=20, threads=2, seconds=args.warmup, lua=lua)
    return wrk.run(base + "/", connections=20, threads=2, seconds=args.duration, lua=lua)


@contextlib.contextmanager
def sqlite_serve(work: Path) -> Iterator[tuple[str, int, str]]:
    data = work / "sqlite"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MEDIAOBJECTS_")},
        **UNLIMITED,
        "MEDIAOBJECTS_DATA_DIR": str(data),
    }
    settings = Settings(data_dir=data)
    course, token = seed(settings)
    port = free_port()
    with (work / "sqlite-serve.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mediaobjects.cli", "serve", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_answers(f"http://127.0.0.1:{port}/")
        yield f"http://127.0.0.1:{port}", course, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def cluster(work: Path, api: int) -> Iterator[tuple[str, int, str]]:
    run_dir = work / f"cluster-{api}"
    run_dir.mkdir()
    run_dir.chmod(0o755)  # PostgreSQL runs as another user
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MEDIAOBJECTS_")},
        **UNLIMITED,
    }
    command = [*CLUSTER, "--run-dir", str(run_dir)]
    try:
        subprocess.run(
            [*command, "start", "--port", str(port), "--api", str(api), "--workers", "1"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        settings_env = json.loads((run_dir / "cluster.json").read_text())["env"]
        saved = dict(os.environ)
        try:
            os.environ.update(settings_env)
            course, token = seed(Settings())
        finally:
            os.environ.clear()
            os.environ.update(saved)
        yield f"http://127.0.0.1:{port}", course, token
    finally:
        subprocess.run([*command, "stop"], env=env, check=False, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    wrk.wrk_binary()
    work = Path(tempfile.mkdtemp(prefix="mediaobjects-bench-cluster-"))
    work.chmod(0o755)
    results: list[tuple[str, wrk.Figures]] = []
    try:
        with sqlite_serve(work) as (base, course, token):
            results.append(("one serve, SQLite", measure(base, course, token, args)))
            print("  measured one serve on SQLite", file=sys.stderr, flush=True)
        for api in (1, 2):
            with cluster(work, api) as (base, course, token):
                label = f"cluster, {api} API process{'es' if api > 1 else ''}"
                results.append((label, measure(base, course, token, args)))
                print(f"  measured the {label}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"\nmixed workload (list 70%, track GET 20%, track PUT 10%), {OBJECTS} media objects;"
        f" wrk -t2 -c20, {args.duration} s after {args.warmup} s of warm-up"
    )
    print(f"{'target':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9}")
    for label, f in results:
        print(f"{label:<28} {f.per_second:8.0f} {f.p50_ms:8.2f} {f.p99_ms:8.2f} {f.requests:9d}")
    one, two = results[1][1], results[2][1]
    print(
        f"cluster throughput, 2 API processes / 1: x{two.per_second / one.per_second:.2f}"
        f" ({os.cpu_count()} CPUs shared by wrk, nginx, PostgreSQL and the API processes)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
