"""The media tracks' periodic chore: removing the versions of tracks deleted longer ago than
MEDIAOBJECTS_TRACK_VERSION_RETENTION_DAYS, run wherever jobs are consumed. The composition root
(``mediaobjects.context``) hands in the unit of work and the queue."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy.orm import Session

from mediaobjects.db.base import utcnow
from mediaobjects.jobs import JobQueue
from mediaobjects.media_tracks.versions import remove_expired_versions

log = logging.getLogger(__name__)

# Hourly: a deleted track's versions outlive the retention period by an hour at most.
EXPIRY_INTERVAL_SECONDS = 3600.0


def expired_versions_chore(
    write: Callable[[], AbstractContextManager[Session]],
    retention_days: int,
    clock: Callable[[], datetime] = utcnow,
) -> Callable[[], int]:
    """The chore as a function of no arguments; ``clock`` is what time it is (tests move it)."""

    def run() -> int:
        with write() as session:
            removed = remove_expired_versions(session, retention_days=retention_days, now=clock())
        if removed:
            log.info("removed %d version(s) of caption tracks deleted long ago", removed)
        return removed

    return run


def register_track_chores(
    queue: JobQueue,
    write: Callable[[], AbstractContextManager[Session]],
    *,
    retention_days: int,
) -> None:
    queue.add_chore(
        "remove expired versions of deleted caption tracks",
        expired_versions_chore(write, retention_days),
        every=EXPIRY_INTERVAL_SECONDS,
    )
