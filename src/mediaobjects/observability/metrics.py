"""Prometheus metrics: requests by route template and status with latency histograms, requests
and uploads in flight, jobs by kind and outcome with durations, jobs running, and the queue's
depth (read from the queue at each scrape).

With several server processes (``serve --workers N``) every process writes its values to
files in one directory made for that run (prometheus-client's multiprocess mode), and the
process answering ``/metrics`` sums them all, the serve process's own (the jobs it consumes)
included. ``mediaobjects worker`` is a process of its own, often on another machine: it serves
its own metrics (``--metrics-port``)."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from mediaobjects.jobs.leases import JobState
from mediaobjects.jobs.observers import Outcome

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Jobs run from a second (a thumbnail) to hours (a long video's renditions).
_JOB_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w+?_(\d+)\.db$")

# The queue's depth: (messages not yet taken, job records by state and kind).
QueueDepth = tuple[int, dict[tuple[JobState, str], int]]


def enable_multiprocess(directory: Path) -> None:
    """Metrics of this process and of every process it starts afterwards (they inherit the
    environment) go to ``directory``. prometheus-client picks its value store when first
    imported, which may have happened already in this process: it is picked again here."""
    os.environ[MULTIPROCESS_ENV] = str(directory)
    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]


def multiprocess_dir() -> Path | None:
    """The directory set by :func:`enable_multiprocess` in this process or its parent."""
    value = os.environ.get(MULTIPROCESS_ENV)
    return Path(value) if value else None


class Metrics:
    """The metrics of one process. ``directory``: multiprocess mode, summing every process
    writing there; None: this process's values only, in a registry of its own."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._registry = CollectorRegistry(auto_describe=True)
        # In multiprocess mode values live in the files; a registry would only hold the
        # objects, so none is used and collection reads the files.
        registry = None if directory is not None else self._registry
        self.requests = Counter(
            "mediaobjects_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "mediaobjects_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by method and route "
            "template.",
            ["method", "route"],
            registry=registry,
        )
        self.requests_in_progress = Gauge(
            "mediaobjects_http_requests_in_progress",
            "Requests being answered.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.uploads_in_progress = Gauge(
            "mediaobjects_uploads_in_progress",
            "File uploads whose bytes are being received.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.jobs = Counter(
            "mediaobjects_jobs",
            "Job deliveries by kind and outcome (succeeded, retried, failed, skipped).",
            ["kind", "outcome"],
            registry=registry,
        )
        self.job_seconds = Histogram(
            "mediaobjects_job_duration_seconds",
            "How long job runs took, by kind and outcome (skipped deliveries not counted).",
            ["kind", "outcome"],
            buckets=_JOB_BUCKETS,
            registry=registry,
        )
        self.jobs_in_progress = Gauge(
            "mediaobjects_jobs_in_progress",
            "Jobs running in this process (or, summed, in this serve's processes), by kind.",
            ["kind"],
            registry=registry,
            multiprocess_mode="livesum",
        )

    # -- requests ---------------------------------------------------------------------------

    def request_done(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in _METHODS else "other"
        self.requests.labels(method, route, str(status)).inc()
        self.request_seconds.labels(method, route).observe(seconds)

    # -- jobs (a JobObserver) ---------------------------------------------------------------

    def job_started(self, kind: str) -> None:
        self.jobs_in_progress.labels(kind).inc()

    def job_finished(self, kind: str, outcome: Outcome, seconds: float) -> None:
        self.jobs.labels(kind, outcome).inc()
        if outcome != "skipped":
            self.jobs_in_progress.labels(kind).dec()
            self.job_seconds.labels(kind, outcome).observe(seconds)

    # -- exposition -------------------------------------------------------------------------

    def render(self, queue_depth: Callable[[], QueueDepth | None] | None = None) -> bytes:
        """The Prometheus text exposition: this process's metrics (all processes' in
        multiprocess mode), and the queue's depth when ``queue_depth`` is given (it returns
        None when the queue could not be read in time)."""
        registry = CollectorRegistry(auto_describe=False)
        if self.directory is not None:
            _forget_dead_processes(self.directory)
            MultiProcessCollector(registry, str(self.directory))  # type: ignore[no-untyped-call]
        else:
            registry.register(_Forward(self._registry))
        if queue_depth is not None:
            registry.register(_QueueDepthCollector(queue_depth))
        return generate_latest(registry)


class _Forward(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()


class _QueueDepthCollector(Collector):
    def __init__(self, read: Callable[[], QueueDepth | None]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        depth = self._read()
        up = GaugeMetricFamily(
            "mediaobjects_queue_up", "1 when the job queue could be read for this scrape."
        )
        up.add_metric([], 0 if depth is None else 1)
        yield up
        if depth is None:
            return
        waiting, records = depth
        pending = GaugeMetricFamily(
            "mediaobjects_queue_waiting",
            "Messages in the job queue not yet taken by a worker (the whole queue, shared by "
            "every process).",
        )
        pending.add_metric([], waiting)
        yield pending
        jobs = GaugeMetricFamily(
            "mediaobjects_queue_jobs",
            "Job records by state (queued, running, failed) and kind: the whole queue, shared "
            "by every process. Finished jobs have none.",
            labels=["state", "kind"],
        )
        for (state, kind), count in sorted(records.items()):
            jobs.add_metric([state, kind], count)
        yield jobs


def _forget_dead_processes(directory: Path) -> None:
    """Drop the in-flight gauges of server processes that died (their counters stay: they
    counted real requests): without this, a process killed mid-upload would show that upload
    in flight forever."""
    for path in glob.glob(os.path.join(directory, "gauge_live*.db")):
        match = _LIVE_GAUGE_FILE.match(os.path.basename(path))
        if match is None:
            continue
        pid = int(match.group(1))
        if not _alive(pid):
            mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
