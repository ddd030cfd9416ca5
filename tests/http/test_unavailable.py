"""Requests while a dependency does not answer get 503 with Retry-After in the Canvas envelope,
whichever route, and the job queue being unreachable never fails a request that queues work.
(tests/outages stops real servers; these check the mapping quickly on every backend.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mediaobjects.app import create_app
from mediaobjects.context import build_context
from mediaobjects.jobs import QueueUnavailable
from mediaobjects.settings import Settings
from mediaobjects.storage.local import LocalStorage
from tests.support.api import Api
from tests.support.clips import make_video
from tests.support.postgres import free_port


def test_a_database_that_refuses_connections_gives_503_with_retry_after(tmp_path: Path) -> None:
    # Nothing listens on this port: what a stopped PostgreSQL looks like to the server.
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"postgresql+psycopg://mediaobjects:hunter2@127.0.0.1:{free_port()}/x",  # type: ignore[arg-type]
        secret_key="test-secret-key",  # type: ignore[arg-type]
        unavailable_retry_after_seconds=12,
        database_connect_timeout_seconds=2,
    )
    ctx = build_context(settings, storage=LocalStorage(settings.data_dir / "files"))
    try:
        with TestClient(create_app(context=ctx), raise_server_exceptions=True) as client:
            for method, path in [
                ("GET", "/api/v1/media_objects"),
                ("GET", "/api/v1/users/self"),
                ("POST", "/api/v1/users/self/files"),
                ("PUT", "/api/v1/media_objects/m-1/media_tracks"),
            ]:
                response = client.request(
                    method, path, headers={"Authorization": "Bearer some-token"}, json=[]
                )
                assert response.status_code == 503, (path, response.text)
                assert response.headers["Retry-After"] == "12"
                assert response.json() == {
                    "errors": [
                        {
                            "message": "The database is unavailable; try again later.",
                            "error_code": "database_unavailable",
                        }
                    ]
                }
                assert "hunter2" not in response.text
            # A person's browser gets a page saying to try again, not JSON; a page's own
            # script (asking for JSON) still gets the envelope.
            # The sign-in page itself needs no database.
            assert client.get("/login", headers={"Accept": "text/html"}).status_code == 200
            client.cookies.set("mediaobjects_session", "a-session")
            for path in ("/", "/media_objects/m-1", "/media_objects/m-1/captions/1/edit"):
                page = client.get(
                    path,
                    headers={"Accept": "text/html,application/xhtml+xml"},
                    follow_redirects=False,
                )
                assert page.status_code == 503, (path, page.text)
                assert page.headers["content-type"].startswith("text/html")
                assert page.headers["Retry-After"] == "12"
                assert "try again in 12 seconds" in page.text
                assert "<script" not in page.text and "hunter2" not in page.text
                assert "default-src 'none'" in page.headers["content-security-policy"]
            client.cookies.clear()
            signing_in = client.post(
                "/login",
                data={"unique_id": "teach@example.edu", "password": "secret"},
                headers={"Accept": "text/html"},
            )
            assert signing_in.status_code == 503, signing_in.text
            assert "Temporarily unavailable" in signing_in.text
            scripted = client.get(
                "/api/v1/users/self",
                headers={"Accept": "application/json", "Authorization": "Bearer some-token"},
            )
            assert scripted.status_code == 503
            assert scripted.json()["errors"][0]["error_code"] == "database_unavailable"
    finally:
        ctx.close()


class _DownQueue:
    """A job queue whose backend does not answer."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def enqueue(self, name: str, **_kwargs: Any) -> str:
        self.attempts.append(name)
        raise QueueUnavailable("could not record job: ConnectionError: refused")

    def stop(self, timeout: float = 10.0) -> None:
        return None

    def close(self) -> None:
        return None


def test_an_upload_is_kept_when_its_job_cannot_be_queued(
    api: Api, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = _DownQueue()
    queue = api.ctx.jobs
    api.ctx.jobs = down  # type: ignore[assignment]
    try:
        user = api.user()
        clip = make_video(tmp_path / "clip.mp4", seconds=1).read_bytes()
        file = api.upload("users/self", user, "clip.mp4", clip, "video/mp4")
        assert down.attempts == ["process_media"]
        listed = api.client.get("/api/v1/media_objects", headers=user.headers)
    finally:
        api.ctx.jobs = queue
    assert listed.status_code == 200
    [media] = listed.json()
    assert media["media_id"] == file["media_entry_id"]
    assert media["processing_state"] == "pending"
    assert "it is queued when the queue is back" in caplog.text
