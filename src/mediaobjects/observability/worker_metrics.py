"""The metrics of ``mediaobjects worker`` (its jobs by kind and outcome, their durations, jobs
running), served at ``http://HOST:PORT/metrics`` from a thread of the worker, with the same
access rules as the API's ``/metrics``. A worker is a process of its own, often on another
machine, so Prometheus scrapes each one as a target."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mediaobjects.observability.access import MetricsAccess, Verdict
from mediaobjects.observability.metrics import CONTENT_TYPE, Metrics

logger = logging.getLogger("mediaobjects.metrics")

_REFUSALS = {
    Verdict.DISABLED: (404, "not_found", "The specified resource does not exist."),
    Verdict.WRONG_ADDRESS: (403, "unauthorized", "Metrics are not served to this address."),
    Verdict.NO_TOKEN: (
        401,
        "unauthenticated",
        "The metrics token is required (Authorization: Bearer).",
    ),
}


class MetricsServer:
    """Started with :meth:`start`, stopped with :meth:`stop`."""

    def __init__(self, metrics: Metrics, access: MetricsAccess, host: str, port: int) -> None:
        handler = _handler(metrics, access)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="mediaobjects-metrics", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(metrics: Metrics, access: MetricsAccess) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "mediaobjects-worker"

        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            if self.path.split("?", 1)[0] != "/metrics":
                self._refuse(Verdict.DISABLED)
                return
            verdict = access.judge(self.client_address[0], self.headers.get("Authorization"))
            if verdict is not Verdict.ALLOWED:
                self._refuse(verdict)
                return
            body = metrics.render()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _refuse(self, verdict: Verdict) -> None:
            status, code, message = _REFUSALS[verdict]
            body = json.dumps({"errors": [{"message": message, "error_code": code}]}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if status == 401:
                self.send_header("WWW-Authenticate", "Bearer")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            logger.debug("metrics scrape: " + format, *args)

    return Handler
