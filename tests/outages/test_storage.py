"""The S3 storage (SeaweedFS, really killed) goes away under a running ``serve``: uploads get
503 storage_unavailable with Retry-After, their upload URL stays usable, what needs only the
database keeps answering, and once the storage is back the same upload URL works and the media
is processed, without restarting anything."""

from __future__ import annotations

from pathlib import Path

import httpx2

from tests.outages.service import outage_env, running_service
from tests.support.clips import make_video
from tests.support.procs import wait_for
from tests.support.restartable import seaweed_server


def test_storage_down_answers_503_and_the_same_upload_works_once_it_is_back(
    tmp_path: Path,
) -> None:
    with seaweed_server() as weed:
        s3 = weed.server
        data = tmp_path / "data"
        env = outage_env(
            data,
            f"sqlite:///{data / 'mediaobjects.db'}",
            f"sqlite:///{data / 'jobs.db'}",
            MEDIAOBJECTS_WORKERS="1",
            MEDIAOBJECTS_STORAGE_BACKEND="s3",
            MEDIAOBJECTS_S3_BUCKET="outage",
            MEDIAOBJECTS_S3_ENDPOINT_URL=s3.endpoint_url,
            MEDIAOBJECTS_S3_REGION=s3.region,
            MEDIAOBJECTS_S3_ACCESS_KEY_ID=s3.access_key_id,
            MEDIAOBJECTS_S3_SECRET_ACCESS_KEY=s3.secret_access_key,
        )
        with running_service(tmp_path, env, worker=False) as service:
            before = service.upload("before.mp4")
            service.wait_ready(before)

            weed.stop()
            clip = make_video(tmp_path / "during.mp4", seconds=1)
            step1 = httpx2.post(
                f"{service.base}/api/v1/users/self/files",
                headers=service.auth,
                data={"name": "during.mp4", "size": str(clip.stat().st_size)},
                timeout=30,
            )
            assert step1.status_code == 200, step1.text
            upload_url = step1.json()["upload_url"]

            def send() -> httpx2.Response:
                files = {"file": ("during.mp4", clip.read_bytes(), "video/mp4")}
                return httpx2.post(upload_url, files=files, timeout=60)

            refused = send()
            assert refused.status_code == 503, refused.text
            assert refused.headers["Retry-After"] == "7"
            [error] = refused.json()["errors"]
            assert error["error_code"] == "storage_unavailable"
            assert "Traceback" not in refused.text and "mediaobjects-test" not in refused.text
            # Reading what the database holds needs no storage.
            listed = service.get("/api/v1/media_objects")
            assert listed.status_code == 200
            assert [m["media_id"] for m in listed.json()] == [before]
            assert service.alive()

            weed.start()
            # The client retries the same upload URL, as Retry-After told it to.
            answers: list[httpx2.Response] = []
            wait_for(
                lambda: answers.append(send()) or answers[-1].status_code != 503,
                "the upload accepted once the storage is back",
                90,
            )
            assert answers[-1].status_code == 201, answers[-1].text
            during = str(answers[-1].json()["media_entry_id"])
            service.wait_ready(during)
            listed_ids = {m["media_id"] for m in service.get("/api/v1/media_objects").json()}
            assert listed_ids == {before, during}
            assert service.alive()
        log = service.serve.output()
        assert "storage_unavailable: S3 storage failed" in log
        assert "Traceback" not in log
