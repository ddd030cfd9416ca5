"""Graceful shutdown, as a client and an operator see it: SIGTERM to ``serve`` refuses new
connections but lets an upload in flight finish (within MEDIAOBJECTS_SHUTDOWN_TIMEOUT_SECONDS,
past which it is cut off); SIGTERM to ``worker`` lets a running transcode finish (within
MEDIAOBJECTS_JOB_SHUTDOWN_SECONDS), and past that bound hands the job back so that the next
worker starts it at once instead of after its lease (ten minutes here) has run out."""

from __future__ import annotations

import os
import secrets
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx2

from tests.outages.service import admin_token, outage_env
from tests.support.clips import make_video
from tests.support.postgres import free_port
from tests.support.procs import Service, children, is_gone, upload_clip, wait_for

BOUNDARY = "mediaobjects-shutdown-test"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    data = tmp_path / "data"
    return outage_env(
        data, f"sqlite:///{data / 'mediaobjects.db'}", f"sqlite:///{data / 'jobs.db'}", **extra
    )


def _serve(tmp_path: Path, env: dict[str, str]) -> tuple[Service, str]:
    port = free_port()
    serve = Service(["serve", "--port", str(port), "--workers", "1"], env, tmp_path / "serve.log")
    base = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        try:
            return httpx2.get(f"{base}/api/v1/media_objects", timeout=5).status_code == 401
        except httpx2.TransportError:
            return False

    wait_for(answering, "serve answering", 60)
    return serve, base


def _ticket(base: str, token: str, size: int) -> str:
    step1 = httpx2.post(
        f"{base}/api/v1/users/self/files",
        headers={"Authorization": f"Bearer {token}"},
        data={"name": "notes.bin", "size": str(size)},
        timeout=30,
    )
    assert step1.status_code == 200, step1.text
    return str(step1.json()["upload_url"])


def _multipart(data: bytes, sent_some: threading.Event, go_on: threading.Event) -> Iterator[bytes]:
    """The file as a slow client sends it: a first part, then (once ``go_on`` is set) the
    rest in small pieces."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        'filename="notes.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    half = len(data) // 2
    yield data[:half]
    sent_some.set()
    go_on.wait(300)
    for start in range(half, len(data), 64 * 1024):
        yield data[start : start + 64 * 1024]
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _send_slowly(
    url: str, data: bytes, sent_some: threading.Event, go_on: threading.Event
) -> list[httpx2.Response | Exception]:
    outcome: list[httpx2.Response | Exception] = []

    def run() -> None:
        try:
            outcome.append(
                httpx2.post(
                    url,
                    content=_multipart(data, sent_some, go_on),
                    headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
                    timeout=120,
                )
            )
        except Exception as exc:  # the outcome is what the test looks at
            outcome.append(exc)

    threading.Thread(target=run, daemon=True).start()
    return outcome


def _refused(base: str) -> bool:
    try:
        httpx2.get(f"{base}/api/v1/media_objects", timeout=5)
    except httpx2.ConnectError:
        return True
    return False


def test_sigterm_lets_an_upload_in_flight_finish_and_refuses_new_connections(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path, MEDIAOBJECTS_SHUTDOWN_TIMEOUT_SECONDS="120")
    token = admin_token(env)
    serve, base = _serve(tmp_path, env)
    try:
        data = secrets.token_bytes(2 * 1024 * 1024)
        sent_some, go_on = threading.Event(), threading.Event()
        outcome = _send_slowly(_ticket(base, token, len(data)), data, sent_some, go_on)
        assert sent_some.wait(60)

        serve.process.send_signal(signal.SIGTERM)
        wait_for(lambda: _refused(base), "serve refusing new connections", 30)
        assert serve.process.poll() is None  # still answering the upload
        go_on.set()

        wait_for(lambda: bool(outcome), "the upload answered", 60)
        [response] = outcome
        assert isinstance(response, httpx2.Response), response
        assert response.status_code == 201, response.text
        accepted = response.json()
        assert accepted["size"] == len(data)
        # uvicorn ends by re-raising the signal that stopped it, which supervisors (systemd)
        # count as a clean stop.
        assert serve.process.wait(60) in (0, -signal.SIGTERM)
    finally:
        serve.stop()
    # The file it accepted is there when the service comes back.
    again, base = _serve(tmp_path, env)
    try:
        download = httpx2.get(
            f"{base}/api/v1/files/{accepted['id']}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert download.status_code == 200, download.text
        assert download.json()["size"] == len(data)
    finally:
        again.stop()


def test_an_upload_that_outlasts_the_shutdown_timeout_is_cut_off(tmp_path: Path) -> None:
    env = _env(tmp_path, MEDIAOBJECTS_SHUTDOWN_TIMEOUT_SECONDS="2")
    token = admin_token(env)
    serve, base = _serve(tmp_path, env)
    go_on = threading.Event()
    try:
        data = secrets.token_bytes(1024 * 1024)
        sent_some = threading.Event()
        outcome = _send_slowly(_ticket(base, token, len(data)), data, sent_some, go_on)
        assert sent_some.wait(60)

        serve.process.send_signal(signal.SIGTERM)
        # The client stalls for up to 300 s; serve stops waiting for it after 2.
        wait_for(lambda: serve.process.poll() is not None, "serve exiting", 60)
        go_on.set()
        wait_for(lambda: bool(outcome), "the client noticing", 60)
        assert not (isinstance(outcome[0], httpx2.Response) and outcome[0].status_code == 201)
        assert "timeout graceful shutdown exceeded" in serve.output()
    finally:
        go_on.set()
        serve.stop()


def _transcoding(parent: int) -> list[int]:
    """The ffmpeg writing renditions for ``parent`` (not the short probing runs)."""
    found = []
    for pid in children(parent, "ffmpeg"):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"libx264" in command:
            found.append(pid)
    return found


def _media_state(base: str, token: str, media_id: str) -> str | None:
    listed = httpx2.get(
        f"{base}/api/v1/media_objects", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    for media in listed.json():
        if media["media_id"] == media_id:
            return str(media["processing_state"])
    return None


def test_sigterm_lets_the_worker_finish_its_job(tmp_path: Path) -> None:
    env = _env(tmp_path, MEDIAOBJECTS_JOB_SHUTDOWN_SECONDS="600")
    token = admin_token(env)
    serve, base = _serve(tmp_path, env)
    worker = Service(["worker", "--workers", "1"], env, tmp_path / "worker.log")
    try:
        clip = make_video(tmp_path / "long.mp4", seconds=12, size="640x360")
        media_id = upload_clip(base, token, clip)
        wait_for(lambda: bool(_transcoding(worker.pid)), "the worker transcoding", 120)

        worker.process.send_signal(signal.SIGTERM)
        assert worker.process.wait(300) == 0
        # It finished the job before exiting: nobody else was there to do it.
        assert _media_state(base, token, media_id) == "ready", worker.output()[-3000:]
        assert "received SIGTERM, finishing running jobs" in worker.output()
        assert "handed back" not in worker.output()
    finally:
        worker.stop()
        serve.stop()


def test_past_the_bound_the_worker_hands_its_job_back_for_the_next_one(tmp_path: Path) -> None:
    # A ten-minute lease: a job left to its lease would wait that long for the next worker.
    env = _env(
        tmp_path,
        MEDIAOBJECTS_JOB_SHUTDOWN_SECONDS="1",
        MEDIAOBJECTS_JOB_LEASE_SECONDS="600",
    )
    token = admin_token(env)
    serve, base = _serve(tmp_path, env)
    first = Service(["worker", "--workers", "1"], env, tmp_path / "worker-1.log")
    second: Service | None = None
    tools: list[int] = []
    try:
        clip = make_video(tmp_path / "long.mp4", seconds=30, size="1280x720")
        media_id = upload_clip(base, token, clip)
        wait_for(lambda: bool(_transcoding(first.pid)), "the first worker transcoding", 120)
        tools = _transcoding(first.pid)

        first.process.send_signal(signal.SIGTERM)
        assert first.process.wait(60) == 0
        wait_for(lambda: all(is_gone(pid) for pid in tools), "its ffmpeg ending with it", 30)
        assert "handed back to the queue" in first.output()
        assert _media_state(base, token, media_id) == "processing"

        second = Service(["worker", "--workers", "1"], env, tmp_path / "worker-2.log")
        # At once: the lease it would otherwise wait for has nearly ten minutes left.
        wait_for(lambda: bool(_transcoding(second.pid)), "the next worker taking the job", 90)
        wait_for(
            lambda: _media_state(base, token, media_id) in ("ready", "failed"),
            "the job finishing on the next worker",
            300,
        )
        assert _media_state(base, token, media_id) == "ready", second.output()[-3000:]
    finally:
        first.stop()
        if second is not None:
            second.stop()
        serve.stop()
        for pid in tools:
            if not is_gone(pid):
                os.kill(pid, signal.SIGKILL)
