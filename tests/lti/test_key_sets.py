"""The platforms' key sets as the tool reads and keeps them: only RSA signing keys, garbage
refused with a reason, kept for the TTL, fetched again once for an unknown kid (rate-limited),
and a platform that does not answer is a clear failure, not a hang."""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import threading
from collections.abc import Iterator

import pytest

from mediaobjects.lti.key_sets import KeySetCache, KeySetUnavailable, fetch_over_http, parse_key_set


def _jwks(*kids: str) -> bytes:
    return json.dumps(
        {"keys": [{"kty": "RSA", "kid": k, "n": "x", "e": "AQAB"} for k in kids]}
    ).encode()


def test_only_rsa_signing_keys_with_a_kid_are_kept() -> None:
    body = json.dumps(
        {
            "keys": [
                {"kty": "RSA", "kid": "a", "n": "x", "e": "AQAB"},
                {"kty": "RSA", "kid": "enc", "use": "enc", "n": "x", "e": "AQAB"},
                {"kty": "EC", "kid": "ec", "crv": "P-256"},
                {"kty": "RSA", "n": "x", "e": "AQAB"},
                "not a key",
            ]
        }
    ).encode()
    assert list(parse_key_set(body)) == ["a"]


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"keys": 3}', b"[" * 100_000])
def test_garbage_key_sets_are_refused(body: bytes) -> None:
    with pytest.raises(KeySetUnavailable):
        parse_key_set(body)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_kept_for_the_ttl_and_refetched_once_for_an_unknown_kid() -> None:
    served = [_jwks("a")]
    fetched: list[str] = []

    def fetch(url: str, timeout: float) -> bytes:
        fetched.append(url)
        return served[-1]

    clock = _Clock()
    cache = KeySetCache(fetcher=fetch, ttl=300, refetch_interval=30, clock=clock)
    assert cache.key_for(1, "https://lms/jwks", "a") is not None
    clock.now += 100
    assert cache.key_for(1, "https://lms/jwks", "a") is not None
    assert len(fetched) == 1
    served.append(_jwks("a", "b"))
    # Within the refetch interval an unknown kid fetches nothing...
    clock.now += 10
    cache.refetch_interval = 200
    assert cache.key_for(1, "https://lms/jwks", "b") is None
    assert len(fetched) == 1
    # ...after it, once.
    cache.refetch_interval = 30
    assert cache.key_for(1, "https://lms/jwks", "b") is not None
    assert len(fetched) == 2
    # Past the TTL, again; each registration (and URL) has its own entry.
    clock.now += 301
    cache.key_for(1, "https://lms/jwks", "a")
    cache.key_for(2, "https://lms/jwks", "a")
    assert len(fetched) == 4


def test_a_platform_that_does_not_answer_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port any more: refused at once.
    with pytest.raises(KeySetUnavailable):
        fetch_over_http(f"http://127.0.0.1:{port}/jwks", timeout=2)


class _Redirecting(http.server.BaseHTTPRequestHandler):
    """A platform's web server: /jwks is its key set; the other paths redirect."""

    targets: dict[str, str] = {}

    def do_GET(self) -> None:
        target = self.targets.get(self.path)
        if target is None:
            body = _jwks("k1")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def _serving(host: str) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer((host, 0), _Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_redirects_are_followed_only_within_the_platform_or_to_https() -> None:
    """The key set URL is a site admin's, but the server at it is the platform's: a redirect
    must not turn the fetch into a request to another host of the service's network (a
    cloud's metadata address, an internal service) over plain http, or to ftp."""
    with _serving("127.0.0.1") as platform, _serving("127.0.0.2") as internal:
        _Redirecting.targets = {
            "/moved": "/jwks",
            "/elsewhere": f"{internal}/jwks",
            "/ftp": "ftp://127.0.0.2/jwks",
        }
        assert b"k1" in fetch_over_http(f"{platform}/moved", timeout=5)
        for path in ("/elsewhere", "/ftp"):
            with pytest.raises(KeySetUnavailable, match="redirect"):
                fetch_over_http(f"{platform}{path}", timeout=5)


def test_a_failed_fetch_is_not_repeated_within_the_refetch_interval() -> None:
    """Anyone can start a login and post a launch: while a platform's key set is down,
    each such launch must not fetch it again (and wait up to the timeout) — once per
    refetch interval is enough to notice it came back."""
    fetched: list[str] = []
    down = [True]

    def fetch(url: str, timeout: float) -> bytes:
        fetched.append(url)
        if down[0]:
            raise KeySetUnavailable("connection refused")
        return _jwks("a")

    clock = _Clock()
    cache = KeySetCache(fetcher=fetch, ttl=300, refetch_interval=30, clock=clock)
    for _ in range(5):
        with pytest.raises(KeySetUnavailable, match="connection refused"):
            cache.key_for(1, "https://lms/jwks", "a")
        clock.now += 1
    assert len(fetched) == 1
    down[0] = False
    clock.now += 30
    assert cache.key_for(1, "https://lms/jwks", "a") is not None
    assert len(fetched) == 2
    # An admin correcting the registration (forget) need not wait.
    down[0] = True
    cache.forget(1)
    with pytest.raises(KeySetUnavailable):
        cache.key_for(1, "https://lms/jwks", "a")
    cache.forget(1)
    down[0] = False
    assert cache.key_for(1, "https://lms/jwks", "a") is not None
