"""A real ``mediaobjects serve`` and ``mediaobjects worker`` on PostgreSQL and Redis that the
outage tests start, plus what a client does against them (upload, look at its media)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from tests.support.clips import make_video
from tests.support.postgres import free_port
from tests.support.procs import ROOT, Service, upload_clip_file, wait_for


def outage_env(data_dir: Path, database_url: str, queue_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "MEDIAOBJECTS_DATA_DIR": str(data_dir),
        "MEDIAOBJECTS_DATABASE_URL": database_url,
        "MEDIAOBJECTS_QUEUE_URL": queue_url,
        "MEDIAOBJECTS_SECRET_KEY": "test-secret-key",
        "MEDIAOBJECTS_WORKERS": "0",
        # Short leases: a lost job is found again within seconds, not minutes.
        "MEDIAOBJECTS_JOB_LEASE_SECONDS": "3",
        "MEDIAOBJECTS_UNAVAILABLE_RETRY_AFTER_SECONDS": "7",
        "MEDIAOBJECTS_DATABASE_CONNECT_TIMEOUT_SECONDS": "2",
    }
    env.update(extra)
    return env


def admin_token(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mediaobjects.cli", "create-admin-token"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


@dataclass
class Running:
    base: str
    token: str
    serve: Service
    # None: the serve process consumes the jobs itself (MEDIAOBJECTS_WORKERS above 0).
    worker: Service | None
    tmp: Path

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str) -> httpx2.Response:
        return httpx2.get(f"{self.base}{path}", headers=self.auth, timeout=30)

    def upload(self, name: str) -> str:
        return str(self.upload_file(name)["media_entry_id"])

    def upload_file(self, name: str) -> dict[str, Any]:
        clip = make_video(self.tmp / name, seconds=1)
        return upload_clip_file(self.base, self.token, clip)

    def processing_state(self, media_id: str) -> str | None:
        listed = self.get("/api/v1/media_objects?per_page=100")
        if listed.status_code != 200:
            return None
        for media in listed.json():
            if media["media_id"] == media_id:
                return str(media["processing_state"])
        return None

    def wait_ready(self, media_id: str, timeout: float = 180) -> None:
        wait_for(
            lambda: self.processing_state(media_id) in ("ready", "failed"),
            f"media {media_id} processed",
            timeout,
        )
        jobs = self.worker if self.worker is not None else self.serve
        assert self.processing_state(media_id) == "ready", jobs.output()[-3000:]

    def alive(self) -> bool:
        processes = [self.serve] if self.worker is None else [self.serve, self.worker]
        return all(p.process.poll() is None for p in processes)


@contextmanager
def running_service(tmp: Path, env: dict[str, str], *, worker: bool = True) -> Iterator[Running]:
    """``serve`` (one process) and, with ``worker``, one ``worker`` consuming the jobs
    (without, ``env`` must give serve job threads)."""
    token = admin_token(env)
    port = free_port()
    serve = Service(["serve", "--port", str(port), "--workers", "1"], env, tmp / "serve.log")
    consumer = Service(["worker", "--workers", "1"], env, tmp / "worker.log") if worker else None
    running = Running(f"http://127.0.0.1:{port}", token, serve, consumer, tmp)
    try:

        def answering() -> bool:
            try:
                return running.get("/api/v1/media_objects").status_code == 200
            except httpx2.TransportError:
                return False

        try:
            wait_for(answering, "serve answering", 60)
        except AssertionError as exc:
            raise AssertionError(f"{exc}:\n{serve.output()[-3000:]}") from None
        yield running
    finally:
        serve.stop()
        if consumer is not None:
            consumer.stop()
