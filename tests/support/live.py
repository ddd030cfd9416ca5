"""Runs the app under a real uvicorn server on a free loopback port, in a thread, for tests
that drive it with real clients (canvasapi, uw-restclients-canvas, a browser)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from tests.support.postgres import free_port
from tests.support.remote import RemoteService


@contextmanager
def live_server(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """``host``: another loopback address (127.0.0.2, ...) serves a second site, e.g. an LMS
    page framing the service, which a browser treats as cross-site (ports do not count)."""
    if isinstance(app, RemoteService):
        # Already running elsewhere (tests/support/remote.py).
        yield app.url
        return
    port = free_port()
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
