"""The database or the job queue goes away under a running ``serve`` and ``worker`` (real
PostgreSQL and Redis, really stopped): clients get 503 with Retry-After in the Canvas envelope,
never a 500 or a stack trace; the processes stay up and serve again by themselves once it is
back; media uploaded while the queue was down is processed once it returns, even though the
restarted Redis remembers nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx2

from tests.outages.service import outage_env, running_service
from tests.support.postgres import free_port
from tests.support.procs import wait_for
from tests.support.restartable import postgres_server, redis_server


def _unavailable(response: httpx2.Response, code: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "7"
    assert response.json() == {
        "errors": [{"message": response.json()["errors"][0]["message"], "error_code": code}]
    }
    assert "Traceback" not in response.text and "postgres" not in response.text.lower()


def test_database_down_answers_503_and_service_returns_by_itself(tmp_path: Path) -> None:
    with postgres_server() as pg, redis_server() as redis:
        env = outage_env(tmp_path / "data", pg.url, redis.url)
        with running_service(tmp_path, env) as service:
            before = service.upload("before.mp4")
            service.wait_ready(before)

            pg.stop()
            _unavailable(service.get("/api/v1/media_objects"), "database_unavailable")
            _unavailable(
                service.get(f"/api/v1/media_objects/{before}/media_tracks"), "database_unavailable"
            )
            step1 = httpx2.post(
                f"{service.base}/api/v1/users/self/files",
                headers=service.auth,
                data={"name": "during.mp4", "size": "1000"},
                timeout=30,
            )
            _unavailable(step1, "database_unavailable")
            assert service.alive()

            pg.start()
            wait_for(
                lambda: service.get("/api/v1/media_objects").status_code == 200,
                "serve answering again once PostgreSQL is back",
                60,
            )
            assert service.processing_state(before) == "ready"
            after = service.upload("after.mp4")
            service.wait_ready(after)
            assert service.alive()
        log = service.serve.output()
        assert "database unavailable" in log
        assert "Traceback" not in log


def test_queue_down_keeps_uploads_and_processes_them_when_it_returns(tmp_path: Path) -> None:
    with postgres_server() as pg, redis_server() as redis:
        env = outage_env(tmp_path / "data", pg.url, redis.url)
        with running_service(tmp_path, env) as service:
            before = service.upload_file("before.mp4")
            service.wait_ready(before["media_entry_id"])
            redis.stop()
            # The upload is kept (201) and its media waits: answering 503 after the file row
            # was committed would only make the client upload it twice.
            during = service.upload("during.mp4")
            assert service.processing_state(during) == "pending"
            assert service.get("/api/v1/media_objects").status_code == 200
            # A file deleted meanwhile is deleted; its media's renditions go once the queue
            # is back (their release job could not be queued).
            deleted = httpx2.delete(
                f"{service.base}/api/v1/files/{before['id']}", headers=service.auth, timeout=30
            )
            assert deleted.status_code == 200, (before, deleted.text)
            info = f"/media_objects/{before['media_entry_id']}/info"
            assert service.get(info).status_code == 200
            assert service.alive()

            # An empty Redis, as after a restart without persistence: the job never reached
            # it, and no record of it is there either.
            redis.start()
            service.wait_ready(during, timeout=180)
            after = service.upload("after.mp4")
            service.wait_ready(after)
            wait_for(lambda: service.get(info).status_code == 404, "the media released", 60)
            assert service.alive()
        assert "not queued" in service.serve.output()
        assert service.worker is not None
        worker_log = service.worker.output()
        assert "had no processing job" in worker_log
        assert "had no release job" in worker_log
        # The operator sees what is wrong in a line now and then, not a trace every second.
        assert "the queue is unreachable" in worker_log
        assert "Traceback" not in worker_log


def test_reprocess_says_so_when_the_queue_is_down(tmp_path: Path) -> None:
    with postgres_server() as pg, redis_server() as redis:
        env = outage_env(tmp_path / "data", pg.url, redis.url)
        redis.stop()
        done = subprocess.run(
            [sys.executable, "-m", "mediaobjects.cli", "reprocess", "m-1"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1
        assert "the job queue is unreachable" in done.stderr
        assert "Traceback" not in done.stderr and "m-1" not in done.stdout


def test_starting_while_the_database_is_down_says_so_in_one_line(tmp_path: Path) -> None:
    dead = f"postgresql+psycopg://mediaobjects:hunter2@127.0.0.1:{free_port()}/mediaobjects"
    env = outage_env(tmp_path / "data", dead, f"sqlite:///{tmp_path / 'jobs.db'}")
    for command in (["serve", "--port", str(free_port())], ["worker"], ["db", "upgrade"]):
        done = subprocess.run(
            [sys.executable, "-m", "mediaobjects.cli", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1, (command, done.stderr)
        assert "mediaobjects: the database is unreachable (" in done.stderr
        assert "Traceback" not in done.stderr and "hunter2" not in done.stderr
