"""Background jobs on Huey: a SQLite queue consumed inside ``mediaobjects serve`` by default,
or a PostgreSQL or Redis queue consumed by ``mediaobjects worker``; lease records make a job
whose worker died run again. See ``contract`` for what job functions must guarantee."""

from mediaobjects.jobs.contract import JobContext, JobFunction, JobSpec
from mediaobjects.jobs.errors import JobError, JobTimeout, QueueUnavailable, UnknownJobError
from mediaobjects.jobs.leases import JobRecord, JobState, Leases
from mediaobjects.jobs.queue import build_huey, build_leases, parse_queue_url
from mediaobjects.jobs.runner import JobQueue, build_job_queue

__all__ = [
    "JobContext",
    "JobError",
    "JobFunction",
    "JobQueue",
    "JobRecord",
    "JobSpec",
    "JobState",
    "JobTimeout",
    "Leases",
    "QueueUnavailable",
    "UnknownJobError",
    "build_huey",
    "build_job_queue",
    "build_leases",
    "parse_queue_url",
]
