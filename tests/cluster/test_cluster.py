"""The system test of issue 14: the cluster of deploy/ (PostgreSQL, Redis, SeaweedFS, two API
processes behind nginx, two workers) behaves as one service under load and faults.

Through nginx, 20 clips are uploaded by 10 clients at once while a worker busy with a job is
killed with SIGKILL and an API process is restarted; every upload ends one ready media object
with its renditions in SeaweedFS, and no request got a 5xx other than 502/503 while its API
process was down. Then 10 clients replace the tracks of one media object for 30 s through both
API processes: no 5xx, every write answered with what it wrote, no duplicate locale, and the
final tracks are those of a last write. Then PostgreSQL is stopped for 10 s: 503 with
Retry-After while down, full service after, and no job lost; then Redis (the queue) for 10 s:
reads and uploads go on, /ready of each API process answers 503 naming the queue, and the
media uploaded meanwhile are processed once it is back. Last, a backup is restored over later
changes and brings back what it held.

The tests share one cluster and run in order (each starts from what the one before left)."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.cluster.harness import ROOT, TestCluster, running_cluster
from tests.support.clips import make_video

CLIENTS = 10
UPLOADS = 20
TRACK_SECONDS = 30
OUTAGE_SECONDS = 10
LOCALES = ["en", "fr", "de", "es"]
UPLOAD_LIMIT = 20 * 1024 * 1024


@dataclass
class Exchange:
    """One request as a client saw it."""

    method: str
    path: str
    status: int
    started: float
    ended: float


@dataclass
class Journal:
    """Every response the test's clients got, in order."""

    exchanges: list[Exchange] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, exchange: Exchange) -> None:
        with self.lock:
            self.exchanges.append(exchange)

    def server_errors(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.status >= 500]


class Client:
    """An HTTP client of the cluster that notes every response in a journal."""

    def __init__(self, base: str, token: str, journal: Journal) -> None:
        self.base = base
        self.journal = journal
        self.http = httpx2.Client(
            headers={"Authorization": f"Bearer {token}"}, timeout=120, follow_redirects=False
        )

    def request(self, method: str, url: str, **kw: Any) -> httpx2.Response:
        if url.startswith("/"):
            url = self.base + url
        started = time.monotonic()
        response = self.http.request(method, url, **kw)
        path = re.sub(r"\?.*", "", url.removeprefix(self.base))
        self.journal.add(Exchange(method, path, response.status_code, started, time.monotonic()))
        return response

    def ok(self, method: str, url: str, **kw: Any) -> Any:
        response = self.request(method, url, **kw)
        assert response.status_code in (200, 201), f"{method} {url}: {response.text}"
        return response.json()

    def close(self) -> None:
        self.http.close()


@dataclass
class World:
    cluster: TestCluster
    admin: str
    teacher: str
    course: int
    clip: Path
    media_ids: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    clip = make_video(tmp_path_factory.mktemp("clips") / "clip.mp4")
    with running_cluster(
        tmp_path_factory.mktemp("cluster-logs"),
        # Settings given to `make cluster` reach every process: a short lease, so that the
        # job of the killed worker is taken over within seconds, and track writes not
        # rate-limited, since the test writes far faster than a person.
        MEDIAOBJECTS_JOB_LEASE_SECONDS="5",
        MEDIAOBJECTS_RATE_LIMIT_TRACKS_PER_MINUTE="1000000",
        MEDIAOBJECTS_RATE_LIMIT_TRACKS_BURST="1000000",
        MEDIAOBJECTS_MAX_UPLOAD_BYTES=str(UPLOAD_LIMIT),
    ) as cluster:
        admin = cluster.admin_token()
        journal = Journal()
        client = Client(cluster.url, admin, journal)
        try:
            user = client.ok(
                "POST",
                "/api/v1/accounts/self/users",
                data={"user[name]": "Teacher", "pseudonym[unique_id]": "teacher@example.edu"},
            )
            teacher = client.ok(
                "POST", f"/api/v1/users/{user['id']}/tokens", data={"token[purpose]": "test"}
            )["token"]
            course = client.ok(
                "POST", "/api/v1/accounts/self/courses", data={"course[name]": "Cluster"}
            )["id"]
            client.ok(
                "POST",
                f"/api/v1/courses/{course}/enrollments",
                data={"enrollment[user_id]": user["id"], "enrollment[type]": "TeacherEnrollment"},
            )
        finally:
            client.close()
        yield World(cluster, admin, teacher, course, clip)


def upload(client: Client, course: int, clip: Path, name: str, *, retry_until: float) -> str:
    """The media_id of a new upload (see upload_file)."""
    return str(upload_file(client, course, clip, name, retry_until=retry_until)["media_entry_id"])


def upload_file(
    client: Client, course: int, clip: Path, name: str, *, retry_until: float
) -> dict[str, Any]:
    """The two-step upload through nginx; a 502/503 (an API process going away under the
    request) is retried, as a client would, until ``retry_until``. The new file's JSON."""
    data = clip.read_bytes()
    while True:
        step1 = client.request(
            "POST",
            f"/api/v1/courses/{course}/files",
            data={"name": name, "size": str(len(data)), "content_type": "video/mp4"},
        )
        if step1.status_code in (502, 503) and time.monotonic() < retry_until:
            time.sleep(0.5)
            continue
        assert step1.status_code == 200, step1.text
        ticket = step1.json()
        step2 = client.request(
            "POST",
            ticket["upload_url"],
            data=ticket["upload_params"],
            files={"file": (name, data, "video/mp4")},
        )
        if step2.status_code in (502, 503) and time.monotonic() < retry_until:
            time.sleep(0.5)
            continue
        assert step2.status_code == 201, step2.text
        result: dict[str, Any] = step2.json()
        return result


def wait_for(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.5)


def info(client: Client, media_id: str) -> dict[str, Any]:
    result: dict[str, Any] = client.ok("GET", f"/media_objects/{media_id}/info")
    return result


def wait_ready(client: Client, media_ids: list[str], timeout: float) -> None:
    pending = set(media_ids)

    def all_ready() -> bool:
        for media_id in list(pending):
            state = info(client, media_id)["processing_state"]
            assert state != "failed", f"{media_id} failed: {info(client, media_id)}"
            if state == "ready":
                pending.discard(media_id)
        return not pending

    wait_for(all_ready, f"processing of {len(pending)} media", timeout)


def worker_with_ffmpeg(cluster: TestCluster) -> str | None:
    """A worker that has an ffmpeg running (busy with a job), if any."""
    for piece in ("worker-1", "worker-2"):
        pid = cluster.pid(piece)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"PPid:\t{pid}\n" in status and re.search(r"^Name:\tff(mpeg|probe)$", status, re.M):
                return piece
    return None


def test_settings_from_the_environment_reach_every_process(world: World) -> None:
    cluster = world.cluster
    wanted = f"MEDIAOBJECTS_MAX_UPLOAD_BYTES={UPLOAD_LIMIT}"
    assert cluster.settings_env()["MEDIAOBJECTS_MAX_UPLOAD_BYTES"] == str(UPLOAD_LIMIT)
    for piece in ("api-1", "api-2", "worker-1", "worker-2"):
        environ = Path(f"/proc/{cluster.pid(piece)}/environ").read_bytes().split(b"\0")
        assert wanted.encode() in environ, piece
    client = Client(cluster.url, world.teacher, Journal())
    try:
        # Through nginx, whichever API process answers, the limit is the one given.
        for _ in range(4):
            refused = client.request(
                "POST",
                f"/api/v1/courses/{world.course}/files",
                data={"name": "big.mp4", "size": str(UPLOAD_LIMIT + 1)},
            )
            assert refused.status_code == 413, refused.text
            assert str(UPLOAD_LIMIT) in refused.json()["errors"][0]["message"]
    finally:
        client.close()
    # nginx lets an upload of the limit through (the service judges it), streamed.
    conf = (cluster.run_dir / "nginx" / "nginx.conf").read_text()
    size = int(re.search(r"client_max_body_size (\d+);", conf).group(1))  # type: ignore[union-attr]
    assert size > UPLOAD_LIMIT
    assert "proxy_request_buffering off;" in conf


def test_uploads_survive_a_killed_worker_and_a_restarted_api_process(world: World) -> None:
    cluster = world.cluster
    journal = Journal()
    clients = [Client(cluster.url, world.teacher, journal) for _ in range(CLIENTS)]
    names = [f"Lecture {i:02d}.mp4" for i in range(UPLOADS)]
    retry_until = time.monotonic() + 240
    restart_window: list[float] = []
    killed: list[str] = []

    def faults() -> None:
        # A worker busy with a job is killed as the OOM killer would; then an API process is
        # restarted (SIGTERM, then started again) while uploads still arrive.
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline:
            busy = worker_with_ffmpeg(cluster)
            if busy is not None:
                cluster.kill_9(busy)
                killed.append(busy)
            time.sleep(0.05)
        restart_window.append(time.monotonic())
        cluster.script("restart", "api-1")
        restart_window.append(time.monotonic())

    with ThreadPoolExecutor(CLIENTS + 1) as pool:
        fault = pool.submit(faults)
        futures = [
            pool.submit(upload, clients[i % CLIENTS], world.course, world.clip, name,
                        retry_until=retry_until)
            for i, name in enumerate(names)
        ]  # fmt: skip
        media_ids = [f.result() for f in futures]
        fault.result()
    for client in clients:
        client.close()
    assert killed, "no worker was seen running ffmpeg, so none was killed mid-job"

    checker = Client(cluster.url, world.teacher, journal)
    try:
        wait_ready(checker, media_ids, timeout=300)
        listed = checker.ok(
            "GET", f"/api/v1/courses/{world.course}/media_objects", params={"per_page": 100}
        )
        # One media object per upload: none lost, none doubled by the job that ran twice.
        assert sorted(m["media_id"] for m in listed) == sorted(set(media_ids))
        assert len(set(media_ids)) == UPLOADS
        assert sorted(m["title"] for m in listed) == sorted(names)
        for media_id in media_ids:
            sources = info(checker, media_id)["media_sources"]
            renditions = [s for s in sources if s["isOriginal"] == "0"]
            assert renditions, f"{media_id} has no rendition: {sources}"
            labels = [s["url"].split("?")[0].rsplit("/", 1)[1] for s in sources]
            assert len(labels) == len(set(labels)), f"{media_id} lists a source twice: {labels}"
            for source in renditions:
                # Delivered from SeaweedFS: the API redirects to the object store, which
                # answers a Range request with the first bytes of the stored file.
                redirect = checker.request("GET", source["url"])
                assert redirect.status_code in (302, 307), redirect.text
                location = redirect.headers["location"]
                assert location.startswith(cluster.settings_env()["MEDIAOBJECTS_S3_ENDPOINT_URL"])
                part = httpx2.get(location, headers={"Range": "bytes=0-99"}, timeout=30)
                assert part.status_code == 206 and len(part.content) == 100
        # The bucket lets the service's pages read it (hls.js on the player page), and no
        # other site.
        public = cluster.settings_env()["MEDIAOBJECTS_PUBLIC_URL"].rstrip("/")
        for origin, allowed in ((public, public), ("https://elsewhere.example", None)):
            answer = httpx2.get(
                location, headers={"Range": "bytes=0-99", "Origin": origin}, timeout=30
            )
            assert answer.headers.get("access-control-allow-origin") == allowed, origin
    finally:
        checker.close()
    world.media_ids = media_ids

    # The only 5xx allowed: 502/503 while the restarted API process was down.
    started, ended = restart_window
    for exchange in journal.server_errors():
        assert exchange.status in (502, 503), exchange
        assert exchange.ended >= started and exchange.started <= ended + 5, exchange
    cluster.script("start", killed[0])


def test_concurrent_track_writes_through_both_api_processes(world: World) -> None:
    cluster = world.cluster
    media_id = world.media_ids[0]
    path = f"/api/v1/media_objects/{media_id}/media_tracks"
    journal = Journal()
    writes: list[tuple[float, float, dict[str, str]]] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + TRACK_SECONDS
    access_log = cluster.run_dir / "logs" / "nginx-access.log"
    log_start = access_log.stat().st_size

    def writer(number: int) -> None:
        client = Client(cluster.url, world.teacher, journal)
        rng = random.Random(number)
        try:
            n = 0
            while time.monotonic() < stop_at:
                n += 1
                locales = rng.sample(LOCALES, rng.randint(1, len(LOCALES)))
                body = {
                    locale: f"WEBVTT\n\n00:00.000 --> 00:01.000\nclient {number} write {n} {locale}\n"
                    for locale in locales
                }
                started = time.monotonic()
                response = client.request(
                    "PUT",
                    path,
                    params={"include[]": "content"},
                    json=[{"locale": k, "content": v} for k, v in body.items()],
                )
                ended = time.monotonic()
                assert response.status_code == 200, response.text
                answered = {t["locale"]: t["content"] for t in response.json()}
                # The write's answer is the tracks it wrote: nothing of another write mixed in.
                assert answered == body
                with lock:
                    writes.append((started, ended, body))
        finally:
            client.close()

    with ThreadPoolExecutor(CLIENTS) as pool:
        for future in [pool.submit(writer, i) for i in range(CLIENTS)]:
            future.result()

    assert not journal.server_errors(), journal.server_errors()[:5]
    assert len(writes) >= CLIENTS
    client = Client(cluster.url, world.teacher, journal)
    try:
        final_list = client.ok("GET", path, params={"include[]": "content"})
    finally:
        client.close()
    locales = [t["locale"] for t in final_list]
    assert len(locales) == len(set(locales)), f"a locale twice: {locales}"
    final = {t["locale"]: t["content"] for t in final_list}
    # A last write: one no other successful write began after the end of.
    last_start = max(started for started, _, _ in writes)
    candidates = [body for _, ended, body in writes if ended >= last_start]
    assert final in candidates
    # nginx spread the writes over both API processes.
    with access_log.open("rb") as log:
        log.seek(log_start)
        lines = [line for line in log.read().decode().splitlines() if '"PUT ' in line]
    upstreams = {m.group(1) for line in lines if (m := re.search(r"upstream=(\S+)", line))}
    assert {url.removeprefix("http://") for url in cluster.api_urls()} <= upstreams


# The suites that drive one `mediaobjects serve` with real clients: canvasapi, uw-restclients-canvas
# and canvas-rce-api's requests as it sends them.
CLIENT_SUITES = [
    "tests/live/test_canvasapi.py",
    "tests/live/test_canvasapi_media.py",
    "tests/live/test_uw_canvas.py",
    "tests/live/test_canvas_rce_api.py",
]


def test_the_client_suites_pass_unchanged_against_the_cluster(world: World) -> None:
    """The client suites run as written, but against nginx's URL instead of an app of their
    own (tests/support/remote.py), provisioning through the cluster with its admin token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIAOBJECTS_")}
    env["MEDIAOBJECTS_TEST_SERVER"] = world.cluster.url
    env["MEDIAOBJECTS_TEST_ADMIN_TOKEN"] = world.admin
    done = subprocess.run(
        # --db=sqlite: the fixtures behind ``ctx`` still resolve (cheaply) though unused.
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "--db=sqlite", *CLIENT_SUITES],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
    # Every test of the suites ran and passed: none skipped, none deselected.
    outcomes = dict((word, int(n)) for n, word in re.findall(r"(\d+) (\w+)", summary))
    assert set(outcomes) <= {"passed", "warning", "warnings"}, summary
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider",
         *CLIENT_SUITES],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    count = re.search(r"(\d+) tests? collected", collected.stdout)
    assert count is not None, collected.stdout[-2000:]
    assert outcomes.get("passed") == int(count.group(1)), (summary, count.group(0))


def assert_unavailable(response: httpx2.Response) -> None:
    """503 in the Canvas error envelope with Retry-After: never a 500 or a stack trace."""
    assert response.status_code == 503, (response.status_code, response.text)
    assert int(response.headers["retry-after"]) > 0
    errors = response.json()["errors"]
    assert errors and errors[0]["message"]
    assert "Traceback" not in response.text


def outage(world: World, piece: str, during: Callable[[Client], None]) -> None:
    """Stops ``piece`` for OUTAGE_SECONDS, calling ``during`` every half second meanwhile."""
    cluster = world.cluster
    journal = Journal()
    client = Client(cluster.url, world.teacher, journal)
    cluster.script("stop", piece)
    try:
        back_at = time.monotonic() + OUTAGE_SECONDS
        calls = 0
        while time.monotonic() < back_at:
            during(client)
            calls += 1
            time.sleep(0.5)
        assert calls >= 3
    finally:
        # Back whatever happened, so that the tests after this one find it running.
        cluster.script("start", piece)
        client.close()
    assert not [e for e in journal.exchanges if e.status >= 500 and e.status != 503]


def full_service(world: World) -> str:
    """Both API processes answer reads and writes again (each asked directly, not through
    nginx); then an upload through nginx. Its media_id."""
    journal = Journal()
    for base in world.cluster.api_urls():
        client = Client(base, world.teacher, journal)
        try:
            wait_for(
                lambda c=client: (
                    c.request(  # type: ignore[misc]
                        "GET", f"/api/v1/courses/{world.course}/media_objects"
                    ).status_code
                    == 200
                ),
                f"{base} answering again",
                timeout=60,
            )
            client.ok(
                "PUT",
                f"/api/v1/media_objects/{world.media_ids[1]}/media_tracks",
                json=[{"locale": "en", "content": "WEBVTT\n\n00:00.000 --> 00:01.000\nback\n"}],
            )
        finally:
            client.close()
    client = Client(world.cluster.url, world.teacher, journal)
    try:
        return upload(client, world.course, world.clip, "After.mp4", retry_until=0)
    finally:
        client.close()


def test_database_outage_gives_503_and_recovers_without_losing_jobs(world: World) -> None:
    journal = Journal()
    client = Client(world.cluster.url, world.teacher, journal)
    try:
        # Jobs queued just before the database goes: they run when it is back.
        queued = [
            upload(client, world.course, world.clip, f"Before db outage {i}.mp4", retry_until=0)
            for i in range(2)
        ]
    finally:
        client.close()

    def during(c: Client) -> None:
        assert_unavailable(c.request("GET", f"/api/v1/courses/{world.course}/media_objects"))
        assert_unavailable(
            c.request(
                "PUT",
                f"/api/v1/media_objects/{world.media_ids[1]}/media_tracks",
                json=[{"locale": "en", "content": "WEBVTT\n\n00:00.000 --> 00:01.000\nx\n"}],
            )
        )

    outage(world, "postgres", during)
    after = full_service(world)
    checker = Client(world.cluster.url, world.teacher, journal)
    try:
        wait_ready(checker, [*queued, after], timeout=240)
    finally:
        checker.close()
    world.media_ids += [*queued, after]


def test_queue_outage_keeps_uploads_and_processes_them_when_it_is_back(world: World) -> None:
    uploaded: list[str] = []

    def during(c: Client) -> None:
        # Reading needs no queue.
        listed = c.request("GET", f"/api/v1/courses/{world.course}/media_objects")
        assert listed.status_code == 200, listed.text
        # Each API process says it is not ready, naming the queue (and only the queue).
        for base in world.cluster.api_urls():
            ready = c.request("GET", f"{base}/ready")
            assert ready.status_code == 503, ready.text
            assert ready.json()["checks"]["queue"] != "ok", ready.text
            assert ready.json()["checks"]["database"] == "ok", ready.text
            assert "queue" in ready.json()["errors"][0]["message"]
            assert int(ready.headers["retry-after"]) > 0
        # An upload is kept (its job is queued once the queue is back): not refused.
        if len(uploaded) < 3:
            file = upload_file(
                c,
                world.course,
                world.clip,
                f"During queue outage {len(uploaded)}.mp4",
                retry_until=0,
            )
            uploaded.append(str(file["media_entry_id"]))

    outage(world, "redis", during)
    assert len(uploaded) == 3
    after = full_service(world)
    journal = Journal()
    checker = Client(world.cluster.url, world.teacher, journal)
    try:
        wait_ready(checker, [*uploaded, after], timeout=240)
    finally:
        checker.close()
    world.media_ids += [*uploaded, after]


def summary(listed: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """What a media list shows, without its signed URLs (they change with the time)."""
    return sorted((m["media_id"], m["title"]) for m in listed)


def test_a_backup_restores_what_it_held(world: World, tmp_path: Path) -> None:
    cluster = world.cluster
    journal = Journal()
    client = Client(cluster.url, world.teacher, journal)
    changed = world.media_ids[2]
    tracks = f"/api/v1/media_objects/{changed}/media_tracks"
    listing = f"/api/v1/courses/{world.course}/media_objects"
    try:
        file = upload_file(client, world.course, world.clip, "Kept.mp4", retry_until=0)
        kept = str(file["media_entry_id"])
        wait_ready(client, [kept], timeout=240)
        before = client.ok("GET", tracks, params={"include[]": "content"})
        listed_before = summary(client.ok("GET", listing, params={"per_page": 100}))
        file_before = client.ok("GET", f"/api/v1/files/{file['id']}")["display_name"]
        cluster.script("backup", str(tmp_path / "backup"))
        # After the backup: tracks replaced, a file deleted, another file uploaded.
        client.ok(
            "PUT",
            tracks,
            json=[{"locale": "zz", "content": "WEBVTT\n\n00:00.000 --> 00:01.000\nlater\n"}],
        )
        client.ok("DELETE", f"/api/v1/files/{file['id']}")
        upload(client, world.course, world.clip, "After backup.mp4", retry_until=0)
        cluster.script("restore", str(tmp_path / "backup"))
        wait_for(
            lambda: client.request("GET", tracks).status_code == 200, "service after restore", 60
        )
        assert client.ok("GET", tracks, params={"include[]": "content"}) == before
        assert summary(client.ok("GET", listing, params={"per_page": 100})) == listed_before
        assert client.ok("GET", f"/api/v1/files/{file['id']}")["display_name"] == file_before
        # Its renditions are back in the object store.
        for source in info(client, kept)["media_sources"]:
            location = client.request("GET", source["url"]).headers["location"]
            part = httpx2.get(location, headers={"Range": "bytes=0-9"}, timeout=30)
            assert part.status_code == 206
    finally:
        client.close()
