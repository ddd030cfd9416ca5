"""``mediaobjects serve`` with several server processes on one port.

With ``--workers N`` above 1 the ``serve`` process binds the port, consumes the job queue itself
(when MEDIAOBJECTS_WORKERS is above 0) and supervises N uvicorn processes that share the
listening socket and only answer requests: each builds its own app with :func:`worker_app`,
which never consumes, so a job is never taken by N consumers of the same process tree. The
supervisor (uvicorn's) replaces a server process that dies. A server process that outlives
``serve`` (killed with ``kill -9``, or by the OOM killer) would keep answering on the port with
nobody to stop it, so each one asks the kernel to kill it when its parent dies."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import socket
import sys
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from mediaobjects.context import AppContext
from mediaobjects.logs import uvicorn_log_config
from mediaobjects.settings import Settings

_PR_SET_PDEATHSIG = 1
# Seconds a server process may take to answer its supervisor's health check; a busy process
# answers from its own thread, so only a hung one misses it.
_HEALTHCHECK_SECONDS = 10


def default_processes() -> int:
    """The CPUs this process may run on (a CPU set or ``taskset`` limits them)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What every uvicorn server of ``serve`` is given, with one process or several."""
    return {
        "log_level": settings.log_level,
        "log_config": uvicorn_log_config(settings.log_level),
        # Forwarded headers are handled by the app itself, from MEDIAOBJECTS_TRUSTED_PROXIES
        # only (uvicorn would believe them from 127.0.0.1 by default).
        "proxy_headers": False,
    }


def serve_processes(ctx: AppContext, host: str, port: int, processes: int, announce: str) -> None:
    """Serve with ``processes`` server processes until SIGTERM or SIGINT, consuming jobs in
    this process meanwhile. ``ctx`` is this process's context (its job queue, if any, is
    consumed here); ``announce`` is printed once the port is bound."""
    settings = ctx.settings
    config = uvicorn.Config(
        "mediaobjects.serving:worker_app",
        host=host,
        port=port,
        factory=True,
        workers=processes,
        timeout_worker_healthcheck=_HEALTHCHECK_SECONDS,
        **uvicorn_options(settings),
    )
    # Bound before consuming starts: a port in use stops here, before any job is taken.
    sock = config.bind_socket()
    # Connections inherit TCP_NODELAY from the listening socket. asyncio sets it only on
    # sockets whose proto is IPPROTO_TCP, and uvicorn binds with proto 0, so without this
    # every keep-alive response after the first waits ~40 ms for the client's delayed ACK
    # (uvicorn issue #3149; measured here with wrk on 4 keep-alive connections: two processes
    # answered 66 requests/s, one process 380).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    jobs = ctx.jobs if settings.workers > 0 else None
    try:
        print(announce, file=sys.stderr, flush=True)
        if jobs is not None:
            # Consuming also runs the chores, such as removing temporary files of crashes.
            jobs.start_in_process(settings.workers)
        # Returns once every server process has exited, after SIGTERM or SIGINT.
        Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()
        if jobs is not None:
            # uvicorn's handlers only queue signals for a supervisor that has stopped looking:
            # a second Ctrl-C or SIGTERM ends the process at once instead of waiting for the
            # running jobs (their leases expire and they run again).
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, signal.SIG_DFL)
            jobs.stop()


def worker_app() -> FastAPI:
    """The app of one server process started by :func:`serve_processes` (uvicorn imports it
    by name in a fresh interpreter): answers requests, never consumes jobs."""
    from mediaobjects.app import create_app

    _die_with_parent()
    return create_app(Settings(), consume_jobs=False)


def _die_with_parent() -> None:
    """SIGKILL when the supervising ``serve`` process dies, so that ``kill -9`` (or the OOM
    killer) of ``serve`` ends the whole service at once, as it does with one process; its
    ffmpeg runs die the same way. A graceful stop instead would leave a process nobody
    supervises answering a slow upload for as long as its client takes. The signal follows
    the thread that started this process: uvicorn's supervisor starts server processes from
    its main thread, which lives as long as the supervisor."""
    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    # The parent died before the prctl took effect: nobody would send the signal.
    if os.getppid() != parent.pid:
        os.kill(os.getpid(), signal.SIGKILL)
