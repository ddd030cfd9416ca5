"""Client test suites against a running service instead of an app built in the test process.

With ``MEDIAOBJECTS_TEST_SERVER`` set to a service's URL and ``MEDIAOBJECTS_TEST_ADMIN_TOKEN``
to a site admin's token there (``mediaobjects create-admin-token``), the ``app`` fixture stands
for that service, ``live_server(app)`` yields its URL and ``api`` provisions through it over
HTTP. The suites written against real clients (tests/live/test_canvasapi*.py,
test_uw_canvas.py, test_canvas_rce_api.py) then run unchanged against, say, the cluster of
deploy/ (tests/cluster does so). A test that reaches into the service's database or settings
cannot run this way: its ``ctx`` fixture fails, naming why."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class RemoteService:
    """A service running elsewhere, where a test would otherwise build an app."""

    url: str
    admin_token: str


def remote_service() -> RemoteService | None:
    url = os.environ.get("MEDIAOBJECTS_TEST_SERVER", "").rstrip("/")
    if not url:
        return None
    token = os.environ.get("MEDIAOBJECTS_TEST_ADMIN_TOKEN", "")
    if not token:
        raise RuntimeError("MEDIAOBJECTS_TEST_SERVER needs MEDIAOBJECTS_TEST_ADMIN_TOKEN")
    return RemoteService(url, token)
