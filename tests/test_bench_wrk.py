"""bench/request_cost.py reads its figures from real wrk runs (bench/support/wrk.py): here wrk
runs against a tiny local server that counts what it answers, and the figures read from wrk's
output must agree with those counts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from bench.support import wrk

CONNECTIONS = 2
PAUSE_S = 0.02  # each answer takes at least this long


class Counting(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.served = 0
        self.errors = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects
    server: Counting

    def do_GET(self) -> None:
        time.sleep(PAUSE_S)
        with self.server.lock:
            self.server.served += 1
            # Every third answer on /mixed is a server error.
            error = self.path == "/mixed" and self.server.served % 3 == 0
            self.server.errors += error
        self.send_response(500 if error else 200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
        pass


@pytest.fixture
def server() -> Iterator[Counting]:
    server = Counting()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _url(server: Counting, path: str) -> str:
    return f"http://127.0.0.1:{server.server_port}{path}"


def test_figures_agree_with_what_the_server_answered(server: Counting) -> None:
    figures = wrk.run(_url(server, "/ok"), connections=CONNECTIONS, threads=1, seconds=1)
    # wrk stops with at most one request in flight per connection, answered but not counted.
    assert 0 <= server.served - figures.requests <= CONNECTIONS
    assert figures.requests > 0
    assert figures.non_2xx_3xx == 0 and figures.socket_errors == 0
    # Latencies are read in milliseconds: none can be shorter than the server's pause.
    assert PAUSE_S * 1000 <= figures.p50_ms <= figures.p99_ms
    assert figures.mean_ms >= PAUSE_S * 1000


def test_error_responses_are_counted_and_refused(server: Counting) -> None:
    url = _url(server, "/mixed")
    figures = wrk.run(url, connections=CONNECTIONS, threads=1, seconds=1, check=False)
    assert figures.non_2xx_3xx > 0
    assert 0 <= server.errors - figures.non_2xx_3xx <= CONNECTIONS

    with pytest.raises(wrk.WrkFailed, match="not 2xx/3xx"):
        wrk.run(url, connections=CONNECTIONS, threads=1, seconds=1)
