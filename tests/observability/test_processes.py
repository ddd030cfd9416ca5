"""Metrics and logs of the real processes: ``mediaobjects serve --workers 2`` sums the requests
of both server processes in every scrape, whichever process answers it; ``mediaobjects worker
--metrics-port`` reports the jobs it ran; with ``MEDIAOBJECTS_LOG_FORMAT=json`` every log line
is a JSON object, and the worker's lines about the job an upload queued carry the upload's
request id; the run's metrics directory is gone after ``serve`` stops."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.observability.test_operations import samples
from tests.support.clips import make_video
from tests.support.postgres import free_port
from tests.support.procs import ROOT, Service, all_children, listening, wait_for

pytestmark = pytest.mark.live

TOKEN = "scrape-token-0123456789"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def env(tmp_path: Path, db_kind: str, database_url: str) -> dict[str, str]:
    (tmp_path / "tmp").mkdir()
    values = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "TMPDIR": str(tmp_path / "tmp"),
        "MEDIAOBJECTS_DATA_DIR": str(tmp_path / "data"),
        "MEDIAOBJECTS_SECRET_KEY": "processes-test-secret",
        "MEDIAOBJECTS_WORKERS": "0",
        "MEDIAOBJECTS_QUEUE_URL": f"sqlite:///{tmp_path / 'queue' / 'jobs.db'}",
        "MEDIAOBJECTS_LOG_FORMAT": "json",
        "MEDIAOBJECTS_METRICS_TOKEN": TOKEN,
        "MEDIAOBJECTS_METRICS_ALLOWED_ADDRESSES": "127.0.0.1",
    }
    if db_kind == "postgresql":
        values["MEDIAOBJECTS_DATABASE_URL"] = database_url
    else:
        values.pop("MEDIAOBJECTS_DATABASE_URL", None)
    return values


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of a process's output, each of which must be a JSON object (the one line
    `serve` and `worker` print before logging starts, to say where they listen, excepted)."""
    lines = []
    for line in text.splitlines():
        if line.startswith("mediaobjects: ") or not line.strip():
            continue
        lines.append(json.loads(line))
    return lines


def counted(text: str, route: str, status: str = "200") -> float:
    labels = (("method", "GET"), ("route", route), ("status", status))
    return samples(text).get(("mediaobjects_http_requests_total", labels), 0.0)


def test_serve_and_worker_metrics_and_json_logs(env: dict[str, str], tmp_path: Path) -> None:
    token = subprocess.run(
        [sys.executable, "-m", "mediaobjects.cli", "create-admin-token"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.strip()
    port, metrics_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    serve = Service(["serve", "--port", str(port), "--workers", "2"], env, tmp_path / "serve.log")
    worker = Service(
        ["worker", "--workers", "1", "--metrics-port", str(metrics_port)],
        env,
        tmp_path / "worker.log",
    )
    try:
        wait_for(lambda: len(listening(all_children(serve.pid), port)) == 2, "2 processes", 60)
        wait_for(lambda: _answers(f"{base}/health"), "serve answering", 60)
        wait_for(lambda: _answers(f"http://127.0.0.1:{metrics_port}/metrics"), "worker", 60)

        before = counted(httpx2.get(f"{base}/metrics", headers=SCRAPE).text, "/health")
        # Each on a connection of its own: the kernel spreads them over both processes.
        for _ in range(40):
            assert httpx2.get(f"{base}/health").status_code == 200
        scrapes = []
        for _ in range(6):
            response = httpx2.get(f"{base}/metrics", headers=SCRAPE)
            assert response.status_code == 200, response.text
            scrapes.append(response.text)
        # Whichever process answered, it counted the requests of both.
        assert [counted(text, "/health") - before for text in scrapes] == [40.0] * 6
        assert httpx2.get(f"{base}/metrics").status_code == 401

        clip = make_video(tmp_path / "clip.mp4", seconds=1)
        auth = {"Authorization": f"Bearer {token}"}
        step1 = httpx2.post(
            f"{base}/api/v1/users/self/files",
            headers=auth,
            data={"name": "clip.mp4", "size": str(clip.stat().st_size)},
        ).json()
        uploaded = httpx2.post(
            step1["upload_url"], files={"file": ("clip.mp4", clip.read_bytes(), "video/mp4")}
        )
        assert uploaded.status_code == 201, uploaded.text
        upload_id = uploaded.headers["x-request-id"]

        worker_metrics = f"http://127.0.0.1:{metrics_port}/metrics"
        succeeded = (
            "mediaobjects_jobs_total",
            (("kind", "process_media"), ("outcome", "succeeded")),
        )

        def processed() -> bool:
            return samples(httpx2.get(worker_metrics, headers=SCRAPE).text).get(succeeded) == 1

        wait_for(processed, "the worker reporting the job it ran", 120)
        assert httpx2.get(worker_metrics).status_code == 401
        queue = samples(httpx2.get(f"{base}/metrics", headers=SCRAPE).text)
        assert queue[("mediaobjects_queue_up", ())] == 1
        assert queue[("mediaobjects_queue_waiting", ())] == 0
    finally:
        worker.stop()
        serve.stop()

    worker_lines = json_lines(worker.output())
    job_lines = [line for line in worker_lines if line.get("job") == "process_media"]
    assert job_lines, worker.output()
    assert {line["request_id"] for line in job_lines} == {upload_id}
    serve_lines = json_lines(serve.output())
    access = [line for line in serve_lines if line.get("request_id") == upload_id]
    assert [line["status"] for line in access] == [201], access
    # The signed upload URL's token is redacted in the access log.
    assert access[0]["path"].startswith("/files_api/uploads/")
    assert step1["upload_url"].split("token=")[1] not in serve.output()
    # The run's metrics directory went with it.
    assert list((tmp_path / "tmp").iterdir()) == []


def _answers(url: str) -> bool:
    try:
        return httpx2.get(url, headers=SCRAPE, timeout=5).status_code == 200
    except httpx2.HTTPError:
        return False
