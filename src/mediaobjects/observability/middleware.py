"""ASGI middleware of observability. ``RequestIds`` (outermost) gives every request an id:
the ``X-Request-Id`` a trusted proxy sent, if well-formed, else a new one; log lines written
while answering carry it, jobs queued carry it on, and the response returns it.
``RequestMetrics`` (innermost, after routing has happened inside it) counts each request by
route template and status, times it, and counts requests and uploads in flight."""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediaobjects.observability.correlation import (
    is_well_formed,
    new_request_id,
    reset_request_id,
    set_request_id,
)
from mediaobjects.observability.metrics import Metrics

REQUEST_ID_HEADER = "X-Request-Id"
# The route label of requests that matched no route (404s of any path): one label value, not
# one per path a scanner tries.
UNMATCHED = "unmatched"


class RequestIds:
    def __init__(self, app: ASGIApp, trusted: Sequence[IPv4Network | IPv6Network]) -> None:
        self.app = app
        self.trusted = list(trusted)

    def _from_trusted_proxy(self, scope: Scope) -> bool:
        client = scope.get("client")
        if not client or not self.trusted:
            return False
        try:
            address = ip_address(client[0])
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def _request_id(self, scope: Scope) -> str:
        if self._from_trusted_proxy(scope):
            for key, value in scope.get("headers", []):
                if key.lower() == b"x-request-id":
                    given: str = value.decode("latin-1").strip()
                    if is_well_formed(given):
                        return given
                    break
        return new_request_id()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._request_id(scope)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        # Not reset when the app raises: the error handler outside (Starlette's
        # ServerErrorMiddleware, same task) then logs the error, and answers the 500, with the
        # request's id (see http.errors). Each request runs in a task of its own.
        token = set_request_id(request_id)
        await self.app(scope, receive, send_with_id)
        reset_request_id(token)


class RequestMetrics:
    def __init__(self, app: ASGIApp, metrics: Metrics, upload_routes: Collection[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.upload_routes = frozenset(upload_routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        metrics = self.metrics
        started = time.perf_counter()
        status = 500  # unless a response starts: the app raised
        uploading = False

        async def receive_counting_uploads() -> Message:
            nonlocal uploading
            # The body is read after routing, so the route is known by the first read.
            if not uploading and _route(scope) in self.upload_routes:
                uploading = True
                metrics.uploads_in_progress.inc()
            return await receive()

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        metrics.requests_in_progress.inc()
        try:
            await self.app(scope, receive_counting_uploads, send_noting_status)
        finally:
            if uploading:
                metrics.uploads_in_progress.dec()
            metrics.requests_in_progress.dec()
            metrics.request_done(
                scope.get("method", ""), _route(scope), status, time.perf_counter() - started
            )


def _route(scope: Scope) -> str:
    """The template of the route the request matched (``/api/v1/media_objects/{media_id}``),
    set in the scope by the router."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED
