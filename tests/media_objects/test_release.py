"""A file delete promises its media's release (its renditions go once no file uses it) in the
delete's own transaction, and the release keeps the promise in its own: so a release whose job
could not be queued (the queue was down) or was lost is found and queued by a chore. Media a
file overwrite replaced, or that another file still uses, is not released."""

from __future__ import annotations

from datetime import timedelta

from mediaobjects.db.base import utcnow
from mediaobjects.files import service as files
from mediaobjects.media_objects.processing import release_media
from mediaobjects.media_objects.tasks import queue_unreleased_media
from tests.support.api import Api
from tests.support.media import fake_mp4


def requested(api: Api, seconds_from_now: float) -> list[str]:
    with api.ctx.read() as session:
        return files.release_requested(session, utcnow() + timedelta(seconds=seconds_from_now))


def test_a_file_delete_leaves_a_request_until_the_release_ran(api: Api) -> None:
    user = api.user()
    gone = api.upload("users/self", user, "gone.mp4", fake_mp4())
    kept = api.upload("users/self", user, "kept.mp4", fake_mp4())
    # Overwritten by a new upload of the same name: the old file is deleted but its media,
    # which embeds may still show, stays.
    api.upload("users/self", user, "kept.mp4", fake_mp4())
    assert requested(api, 60) == []

    api.ok("DELETE", f"/api/v1/files/{gone['id']}", user)
    # Not before the delay: the job queued at the delete normally runs first.
    assert requested(api, -60) == []
    assert requested(api, 60) == [gone["media_entry_id"]]

    assert release_media(api.ctx.pipeline, gone["media_entry_id"]) == "released"
    assert requested(api, 60) == []
    info = f"/media_objects/{gone['media_entry_id']}/info"
    assert api.request("GET", info, user).status_code == 404
    assert api.ok("GET", f"/media_objects/{kept['media_entry_id']}/info", user)["media_id"]


def test_the_chore_queues_a_release_the_queue_lost(api: Api) -> None:
    user = api.user()
    gone = api.upload("users/self", user, "gone.mp4", fake_mp4())
    api.ok("DELETE", f"/api/v1/files/{gone['id']}", user)
    queue = api.ctx.jobs
    assert queue is not None
    # The job the delete queued is still in flight: nothing more is queued.
    assert queue_unreleased_media(api.ctx.pipeline, queue, older_than=-60) == 0
    # Lost (a Redis without persistence restarted): queued again, once.
    for record in queue.leases.records("queued"):
        queue.leases.discard(record.job_id)
    assert queue_unreleased_media(api.ctx.pipeline, queue, older_than=-60) == 1
    assert queue_unreleased_media(api.ctx.pipeline, queue, older_than=-60) == 0
    assert [r.kwargs["media_entry_id"] for r in queue.leases.records("queued")] == [
        gone["media_entry_id"]
    ]
