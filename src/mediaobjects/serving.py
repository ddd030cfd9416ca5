"""``mediaobjects serve`` with several server processes on one port.

With ``--workers N`` above 1 the ``serve`` process holds the port, consumes the job queue itself
(when MEDIAOBJECTS_WORKERS is above 0) and supervises N uvicorn processes that only answer
requests: each builds its own app with :func:`worker_app`, which never consumes, so a job is
never taken by N consumers of the same process tree. The supervisor (uvicorn's) replaces a
server process that dies.

Each server process listens on its own socket bound to the port (SO_REUSEPORT), and the kernel
spreads new connections over them. With one shared listening socket, the process that wakes
first accepts every connection waiting (asyncio accepts up to its backlog per wake-up): twenty
keep-alive connections opened together all went to one process of two, and a proxy's upstream
pool or a class opening a page at once was served by one core. A server process that outlives
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
        "log_config": uvicorn_log_config(settings.log_level, settings.log_format),
        # Forwarded headers are handled by the app itself, from MEDIAOBJECTS_TRUSTED_PROXIES
        # only (uvicorn would believe them from 127.0.0.1 by default).
        "proxy_headers": False,
        # SIGTERM: no new connections, requests in flight get this long (then are cut off),
        # so a restart or a scale-down never loses an upload that was nearly done.
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
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
    try:
        sock = hold_port(host, port)
    except OSError as exc:
        raise SystemExit(f"mediaobjects: cannot listen on {host}:{port}: {exc.strerror}") from exc
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
            jobs.stop(timeout=settings.job_shutdown_seconds)


class _PortHold(socket.socket):
    """The port as ``serve`` holds it: bound with SO_REUSEPORT but never listening, so that
    nothing else can take the port between server process restarts and no connection is ever
    queued on it. Handed to a server process (uvicorn pickles its sockets into each one it
    starts), it becomes that process's own listening socket on the same port."""

    @classmethod
    def take(cls, host: str, port: int) -> _PortHold:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # A socket without SO_REUSEPORT first: the port held by anyone, another ``serve``
        # included (whose sockets would accept ours beside them), fails here.
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
            address = probe.getsockname()[:2]  # port 0 becomes the port the kernel chose
        hold = cls(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        _share_port(hold)
        hold.bind(address)
        hold.set_inheritable(False)
        return hold

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _listening_socket, (self.family, self.getsockname()[:2])


def hold_port(host: str, port: int) -> socket.socket:
    """The socket to hand uvicorn's supervisor for server processes that each listen on
    ``host:port`` (see _PortHold); OSError when the port is taken."""
    return _PortHold.take(host, port)


def _share_port(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)


def _listening_socket(family: int, address: tuple[str, int]) -> socket.socket:
    """A server process's own socket on the port ``serve`` holds (asyncio makes it listen).

    Made with IPPROTO_TCP: connections inherit TCP_NODELAY from the listening socket, and
    asyncio sets it only on sockets whose proto is IPPROTO_TCP, which uvicorn's own binding
    (proto 0) is not; without it every keep-alive response after the first waits ~40 ms for
    the client's delayed ACK (uvicorn issue #3149; measured here with wrk on 4 keep-alive
    connections: two processes answered 66 requests/s, one process 380)."""
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    _share_port(sock)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(address)
    return sock


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
