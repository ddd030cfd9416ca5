"""The request id and the running job, as context variables: set by the request middleware
and by the job executor, read by the log formatter (every line names them) and by enqueueing
(a job queued by a request carries the request's id). A leaf: it imports nothing of the service,
so that the job queue may use it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

# What a request id from a trusted proxy may look like: nginx's $request_id (32 hex digits),
# UUIDs, and the ids of most tracing systems. Anything else (spaces, quotes, control
# characters, 200 characters of junk) is replaced, so that a log line cannot be forged with it.
_WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")

# The key under which a job's arguments carry the id of the request that queued it; the job
# executor takes it out before calling the job function.
JOB_REQUEST_ID_KEY = "__request_id"


@dataclass(frozen=True)
class RunningJob:
    job_id: str
    kind: str


_request_id: ContextVar[str | None] = ContextVar("mediaobjects_request_id", default=None)
_job: ContextVar[RunningJob | None] = ContextVar("mediaobjects_job", default=None)


def is_well_formed(value: str) -> bool:
    return _WELL_FORMED.match(value) is not None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return _request_id.get()


def current_job() -> RunningJob | None:
    return _job.get()


def set_request_id(request_id: str | None) -> Token[str | None]:
    """Make ``request_id`` current until :func:`reset_request_id` with the token returned (or
    until the task ends)."""
    return _request_id.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


@contextmanager
def job_bound(job_id: str, kind: str, request_id: str | None) -> Iterator[None]:
    """Inside the block, log lines name the job and the request that queued it (if any), and
    jobs queued from it carry that request id on."""
    job_token = _job.set(RunningJob(job_id, kind))
    request_token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(request_token)
        _job.reset(job_token)
